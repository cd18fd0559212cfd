"""`accord demo` and `accord create_token`: what a person runs first."""

from __future__ import annotations

import base64
import binascii
import io
import json

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accord.accounts.models import ApiToken, Membership, Organization, User
from accord.cases.actions import participants as participant_actions
from accord.mailgate.models import OutboundMessage
from accord.vendors import actions as vendor_actions
from accord.vendors.models import Contact
from accord.vendors.queries import notification_contacts

pytestmark = pytest.mark.django_db

ROLES = {"analyst", "publisher", "admin", "vendor-member", "vendor-admin", "reporter"}
STAFF_ROLES = {"analyst", "publisher", "admin"}


@pytest.fixture(autouse=True)
def _debug(settings):  # type: ignore[no-untyped-def]
    settings.DEBUG = True  # the development default; pytest-django turns it off


def demo_json() -> list[dict]:
    out = io.StringIO()
    call_command("demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_demo_is_idempotent() -> None:
    call_command("demo", stdout=io.StringIO())
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    assert counts[0] >= 7
    call_command("demo", stdout=io.StringIO())
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count()) == counts


def test_demo_resets_a_changed_password() -> None:
    rows = demo_json()
    user = User.objects.get(email=rows[0]["email"])
    user.set_password("something else entirely")
    user.save()
    demo_json()
    user.refresh_from_db()
    assert user.check_password(rows[0]["password"])


def test_demo_json_lists_accounts_with_exactly_the_documented_keys() -> None:
    rows = demo_json()
    assert isinstance(rows, list) and rows
    for row in rows:
        assert isinstance(row, dict)
        assert set(row) == {"email", "password", "totp_secret", "roles", "organization"}
        assert row["roles"] and set(row["roles"]) <= ROLES, row
        assert isinstance(row["password"], str) and row["password"]
    every_role = {role for row in rows for role in row["roles"]}
    assert every_role == ROLES  # each role can be tried


def test_demo_json_prints_only_json() -> None:
    out = io.StringIO()
    call_command("demo", "--json", stdout=out)
    assert out.getvalue().lstrip().startswith("[")
    json.loads(out.getvalue())


def test_demo_matches_the_database() -> None:
    for row in demo_json():
        user = User.objects.get(email=row["email"])
        assert user.check_password(row["password"])
        if row["organization"]:
            assert Membership.objects.filter(user=user, organization__name=row["organization"]).exists()
        staff = bool(set(row["roles"]) & STAFF_ROLES)
        assert user.is_coordinator_staff == staff
        assert (row["totp_secret"] is not None) == staff


def log_in(client: Client, email: str, password: str, code: str | None = None) -> int | None:
    response = client.post("/accounts/login/", {"username": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    if code is not None:
        assert response["Location"] == "/accounts/login/code/"
        assert "_auth_user_id" not in client.session
        response = client.post("/accounts/login/code/", {"code": code})
        assert response.status_code == 302
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def test_every_demo_login_works_and_staff_use_their_totp_secret() -> None:
    rows = demo_json()
    for row in rows:
        user = User.objects.get(email=row["email"])
        code = None
        if row["totp_secret"]:
            try:
                base64.b32decode(row["totp_secret"], casefold=False)
            except binascii.Error:
                pytest.fail(f"{row['email']}: totp_secret is not base32")
            code = pyotp.TOTP(row["totp_secret"]).now()
        client = Client()
        assert log_in(client, row["email"], row["password"], code) == user.pk, row["email"]
        dashboard = client.get("/dashboard/")
        assert dashboard.status_code == 200, row["email"]


def test_demo_totp_secrets_survive_a_second_run() -> None:
    first = {row["email"]: row["totp_secret"] for row in demo_json()}
    second = {row["email"]: row["totp_secret"] for row in demo_json()}
    assert first == second
    analyst = next(email for email, secret in first.items() if secret and email.startswith("analyst"))
    assert log_in(Client(), analyst, "demo-analyst-password", pyotp.TOTP(first[analyst]).now()) is not None


def test_demo_refuses_to_run_in_production_without_force(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    with pytest.raises(CommandError, match="ACCORD_DEBUG=0"):
        call_command("demo", stdout=io.StringIO())
    assert not User.objects.exists()
    call_command("demo", "--force", stdout=io.StringIO())
    assert User.objects.exists()


def test_the_human_output_names_every_login() -> None:
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    for row in demo_json():
        assert row["email"] in text
        assert row["password"] in text
        if row["totp_secret"]:
            assert row["totp_secret"] in text


def _demo_vendors() -> list[Organization]:
    names = {row["organization"] for row in demo_json() if "vendor-member" in row["roles"]}
    return list(Organization.objects.filter(kind=Organization.Kind.VENDOR, name__in=names).order_by("name"))


def test_every_demo_vendor_has_an_approved_to_contact() -> None:
    """Issue 8: on a fresh install "Notify all" reached nobody, the demo vendors had no address."""
    call_command("demo", stdout=io.StringIO())
    vendors = _demo_vendors()
    assert [v.name for v in vendors] == ["Acme Networks", "Globex Software", "Initech Devices"]
    for org in vendors:
        contacts = notification_contacts(org)  # what notify_vendors sends to
        assert [(c.role, c.status) for c in contacts] == [("to", "active")], org.name
        assert contacts[0].approved_by is not None and contacts[0].approved_by.is_analyst
        # The address is one of the vendor's demo members, so its mail can be read as them.
        assert Membership.objects.filter(organization=org, user__email=contacts[0].email).exists()


def test_the_demo_contacts_survive_a_second_run_and_are_restored() -> None:
    call_command("demo", stdout=io.StringIO())
    before = sorted(Contact.objects.values_list("organization__name", "email", "role", "status"))
    call_command("demo", stdout=io.StringIO())
    assert sorted(Contact.objects.values_list("organization__name", "email", "role", "status")) == before
    # Someone turned one into "cc" and removed another: the next run puts them back.
    analyst = User.objects.get(email="analyst@coordinator.example")
    acme, globex = _demo_vendors()[:2]
    vendor_actions.update_contact(notification_contacts(acme)[0], role="cc", by=analyst)
    vendor_actions.remove_contact(
        notification_contacts(globex)[0], by=analyst, reason="Testing the demo reload."
    )
    call_command("demo", stdout=io.StringIO())
    assert sorted(Contact.objects.values_list("organization__name", "email", "role", "status")) == before


def test_a_demo_vendor_can_be_notified(world) -> None:  # type: ignore[no-untyped-def]
    call_command("demo", stdout=io.StringIO())
    case = world.case
    added = participant_actions.add_vendors(case, _demo_vendors(), by=world.analyst)
    result = participant_actions.notify_vendors(case, added, by=world.analyst)
    assert [p.organization.name for p in result["notified"]] == [v.name for v in _demo_vendors()]
    assert result["unreachable"] == []
    assert OutboundMessage.objects.filter(to_email="security@globex.example").exists()


def test_the_human_output_says_where_demo_vendors_are_notified() -> None:
    out = io.StringIO()
    call_command("demo", stdout=out)
    for org in _demo_vendors():
        assert f"{org.name}" in out.getvalue()
        assert notification_contacts(org)[0].email in out.getvalue()


# --- create_token ---------------------------------------------------------------------------------------


def test_create_token_prints_a_token_that_authenticates(world) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("create_token", world.vendor.email.upper(), "--name", "sync", stdout=out)
    secret = out.getvalue().split()[-1]
    assert secret.startswith("accord_")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == world.vendor.email
    assert ApiToken.objects.get(user=world.vendor).name == "sync"


def test_create_token_for_an_unknown_email_fails_clearly(db: None) -> None:
    with pytest.raises(CommandError, match="No user with the email address 'ghost@example.test'"):
        call_command("create_token", "ghost@example.test", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_create_token_for_a_deactivated_user_fails(world) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=world.vendor.pk).update(is_active=False)
    with pytest.raises(CommandError, match="deactivated"):
        call_command("create_token", world.vendor.email, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_the_sample_publishes_one_note_that_the_public_site_shows(db, client) -> None:  # type: ignore[no-untyped-def]
    from accord.cases.models import Case
    from accord.core import demo
    from accord.publication.models import Revision

    out = io.StringIO()
    call_command("demo", "--sample", stdout=out)
    call_command("demo", "--sample", stdout=io.StringIO())  # made once
    case = Case.objects.get(reports__product=demo.SAMPLE_PUBLISHED)
    assert f"the note of {case.label} is published" in out.getvalue()
    assert Revision.objects.filter(note__case=case).count() == 1
    page = client.get(f"/vuls/{case.number}/").content.decode()
    assert "firmware 4.0.1 checks the length of job names" in page  # Acme's statement, verbatim
    assert "No response" in page  # Globex never answered
    assert case.label in client.get("/vuls/").content.decode()


def test_the_sample_gives_every_demo_role_something_to_do(db) -> None:  # type: ignore[no-untyped-def]
    from accord.accounts.models import User
    from accord.cases.access import standing_of
    from accord.cases.models import Case, Report
    from accord.cases.states import EM, RM
    from accord.core import demo

    out = io.StringIO()
    call_command("demo", "--sample", stdout=out)
    call_command("demo", "--sample", stdout=io.StringIO())  # made once
    assert "waits in triage" in out.getvalue()
    assert Report.objects.filter(product=demo.SAMPLE_WAITING, state=RM.RECEIVED).count() == 1
    case = Case.objects.get(reports__product=demo.SAMPLE_CASE)
    assert case.embargo_state == EM.ACTIVE and case.target_publication_at is not None
    acme = User.objects.get(email="psirt@acme.example")
    assert standing_of(acme, case).embargo_pending  # Acme's embargo decision waits
    assert case.participants.filter(kind="vendor", first_contact_at__isnull=False).count() == 2
