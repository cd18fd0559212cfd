"""The vendor pages through HTTP: adding and notifying vendors, the embargo gate, the answer form
with its verbatim statement, answers on a vendor's behalf, anonymity, and constant query counts."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.accounts import actions as account_actions
from accord.accounts.models import Organization, User
from accord.answers.models import Statement, Status
from accord.cases import actions
from accord.cases.actions import participants as participant_actions
from accord.cases.models import Case, Participant
from accord.cases.states import EM, RM
from accord.conversation.models import Message
from accord.mailgate.models import OutboundMessage
from accord.testing import World, login, make_user, open_requests_of
from accord.vendors import actions as vendor_actions
from tests.pgp_keys import make_key

pytestmark = pytest.mark.django_db

SUMMARY = "The parser of Widget Server overflows on long headers."


def the_case(world: World) -> Case:
    assert world.case is not None
    world.case.refresh_from_db()
    return world.case


def vendor_org(name: str, analyst: User, *, contact: str | None = None) -> Organization:
    org = account_actions.create_organization(name, "vendor", by=None)
    if contact:
        vendor_actions.add_contact(org, contact, role="to", by=analyst)
    return org


def messages_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m) for m in response.context["messages"])


def vendors_url(case: Case) -> str:
    return f"/cases/{case.url_ref}/vendors/"


@pytest.fixture
def setup(world: World):  # type: ignore[no-untyped-def]
    """Two vendors ready to be added: Acme (with a "to" contact and a member) and Beta (no contact)."""
    case = the_case(world)
    acme = vendor_org("Acme Routers", world.analyst, contact="psirt@acme.test")
    beta = vendor_org("Beta Cameras", world.analyst)
    acme_member = make_user("member@acme.test", org=acme, role="admin")
    beta_member = make_user("member@beta.test", org=beta, role="admin")
    first = case.vulnerabilities.get(seq=1)  # accepting the report made VU#n.1
    actions.update_vulnerability(
        first, by=world.analyst, title="Header overflow", cve="CVE-2024-12345", cwe="CWE-787"
    )
    participant_actions.update_vendor_texts(
        case, vendor_summary=SUMMARY, notification_text="Please check your products.", by=world.analyst
    )
    return {"case": case, "acme": acme, "beta": beta, "acme_member": acme_member, "beta_member": beta_member}


def _add_and_notify(world: World, setup, *, anonymous: bool = False) -> tuple[Participant, Participant]:  # type: ignore[no-untyped-def]
    case = setup["case"]
    added = participant_actions.add_vendors(
        case, [setup["acme"]], by=world.analyst, anonymous=anonymous
    ) + participant_actions.add_vendors(case, [setup["beta"]], by=world.analyst)
    vendor_actions.add_contact(setup["beta"], "psirt@beta.test", role="to", by=world.analyst)
    participant_actions.notify_vendors(case, added, by=world.analyst)
    acme, beta = (Participant.objects.get(pk=p.pk) for p in added)
    return acme, beta


# --- Adding and notifying -----------------------------------------------------------------------


def test_bulk_add_with_an_unknown_name_adds_nothing_and_lists_it(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    client = login(Client(), world.analyst)
    response = client.post(
        vendors_url(case) + "add/", {"names": "acme routers\nNope Incorporated\nBETA CAMERAS\n"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was added" in html and "Nope Incorporated" in html
    assert not case.participants.filter(organization__in=[setup["acme"], setup["beta"]]).exists()


def test_add_one_by_name_and_a_csv_in_bulk(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    client = login(Client(), world.analyst)
    response = client.post(vendors_url(case) + "add/", {"name": "acme ROUTERS", "anonymous": "on"})
    assert response.status_code == 302
    acme = case.participants.get(organization=setup["acme"])
    assert acme.anonymous and acme.alias.startswith("Vendor ")
    gamma = vendor_org("Gamma Phones", world.analyst)
    upload = SimpleUploadedFile("vendors.csv", b"name,notes\nbeta cameras,x\nGamma Phones,y\n", "text/csv")
    response = client.post(vendors_url(case) + "add/", {"csv_file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(
        case.participants.filter(organization__in=[setup["beta"], gamma]).values_list("anonymous", flat=True)
    ) == {False}
    # Adding one again is refused with the rule named, and nothing is added.
    response = client.post(vendors_url(case) + "add/", {"names": "Gamma Phones"})
    assert response.status_code == 400 and "Already in the case" in messages_of(response)
    html = client.get(vendors_url(case)).content.decode()
    assert "Acme Routers" in html and "Gamma Phones" in html


def test_a_notification_that_reaches_nobody_is_an_error_naming_the_vendors(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    """Issue 8: "Notify all" with no usable contact said "Notified 0 vendor(s)" in green."""
    case = setup["case"]
    gamma = vendor_org("Gamma Phones", world.analyst)
    added = participant_actions.add_vendors(case, [setup["beta"], gamma], by=world.analyst)
    client = login(Client(), world.analyst)
    response = _notify(client, case, added)
    assert response.status_code == 200
    levels = _message_levels(response)
    assert set(levels) == {"error"}, levels
    error = levels["error"]
    assert error.startswith("Nobody was notified: ")
    # Each vendor is named and linked to where a contact is added; what to do is said.
    for org in (setup["beta"], gamma):
        assert f'<a href="/vendors/{org.pk}/#add-contact">{org.name}</a>' in error
    assert "have no active “to” or “cc” contact address" in error
    assert "Add a contact on each vendor's directory page, then notify them." in error
    page = response.content.decode()
    assert 'class="message error"' in page and f'href="/vendors/{gamma.pk}/#add-contact"' in page
    assert "message success" not in page and "Notified 0" not in page
    assert not OutboundMessage.objects.filter(to_email__endswith="@beta.test").exists()
    assert case.participants.filter(pk__in=[p.pk for p in added], first_contact_at__isnull=True).count() == 2
    # One vendor alone: "has", and "it".
    error = _message_levels(_notify(client, case, added[:1]))["error"]
    assert "Beta Cameras</a> has no active" in error and "then notify it." in error


def test_a_vendor_name_in_a_notify_message_is_escaped(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    evil = vendor_org("<b>Evil</b> & Co", world.analyst)
    added = participant_actions.add_vendors(case, [evil], by=world.analyst)
    client = login(Client(), world.analyst)
    page = _notify(client, case, added).content.decode()
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co</a> has no active" in page and "<b>Evil</b>" not in page


def test_a_notification_that_reaches_everyone_names_them_in_a_success(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    gamma = vendor_org("Gamma Phones", world.analyst, contact="psirt@gamma.test")
    added = participant_actions.add_vendors(case, [setup["acme"], gamma], by=world.analyst)
    client = login(Client(), world.analyst)
    response = _notify(client, case, added)
    assert _message_levels(response) == {"success": "Notified Acme Routers and Gamma Phones."}
    # Past five vendors the message counts them instead.
    many = [vendor_org(f"Many {i}", world.analyst, contact=f"psirt@many{i}.test") for i in range(6)]
    response = _notify(client, case, participant_actions.add_vendors(case, many, by=world.analyst))
    assert _message_levels(response) == {"success": "Notified 6 vendors."}


def test_a_malformed_csv_is_refused(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    client = login(Client(), world.analyst)
    upload = SimpleUploadedFile("vendors.csv", b"vendor\nAcme Routers\n", "text/csv")
    response = client.post(vendors_url(case) + "add/", {"csv_file": upload})
    assert response.status_code == 400 and "&quot;name&quot; column" in response.content.decode()
    assert not case.participants.filter(organization=setup["acme"]).exists()


def _message_levels(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The flash messages of a followed response, by level ("success", "warning", "error")."""
    return {m.level_tag: unescape(str(m)) for m in response.context["messages"]}


def _notify(client: Client, case: Case, participants: list[Participant]):  # type: ignore[no-untyped-def]
    """Ticks these vendors and presses "Notify the selected vendors"; follows the redirect."""
    data = {"selected": "1", "participant": [str(p.pk) for p in participants]}
    return client.post(vendors_url(case) + "notify/", data, follow=True)


def test_notify_shows_the_unreachable_vendors(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    participant_actions.add_vendors(case, [setup["acme"], setup["beta"]], by=world.analyst)
    client = login(Client(), world.analyst)
    # Before notifying, the page already says who cannot be reached, and links to the fix.
    html = client.get(vendors_url(case)).content.decode()
    assert 'id="unreachable"' in html and "Beta Cameras" in html.split('id="unreachable"')[1]
    assert f'href="/vendors/{setup["beta"].pk}/#add-contact"' in html
    response = client.post(vendors_url(case) + "notify/", {"all": "1"})
    assert response.status_code == 302 and response["Location"].endswith("#unreachable")
    response = client.get(response["Location"])
    html = response.content.decode()
    assert 'id="unreachable"' in html
    unreachable = html.split('id="unreachable"')[1].split("</section>")[0]
    assert "Beta Cameras" in unreachable and "Acme Routers" not in unreachable
    acme = case.participants.get(organization=setup["acme"])
    assert acme.rm_state == RM.RECEIVED and acme.v_at is not None and acme.first_contact_at is not None
    levels = _message_levels(response)
    assert levels["success"] == "Notified Acme Routers."
    assert levels["warning"].startswith("Not notified: ")
    assert f'<a href="/vendors/{setup["beta"].pk}/#add-contact">Beta Cameras</a>' in levels["warning"]
    mail = OutboundMessage.objects.get(to_email="psirt@acme.test")
    assert f"/cases/{case.url_ref}/" in mail.body_text  # Acme has a member: no claim link
    assert "Header overflow" not in mail.body_text + mail.subject
    assert SUMMARY not in mail.body_text
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE


def test_the_texts_and_the_reporter_contact_notice(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    client = login(Client(), world.analyst)
    html = client.get(vendors_url(case)).content.decode()
    assert "did not agree to share their contact details" in html
    response = client.post(
        vendors_url(case) + "texts/", {"vendor_summary": "New summary.", "notification_text": "Hi."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.vendor_summary == "New summary." and case.notification_text == "Hi."


# --- The vendor's side ----------------------------------------------------------------------------


def test_the_embargo_gate_hides_the_details_until_accepted(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _add_and_notify(world, setup)
    case = setup["case"]
    client = login(Client(), setup["acme_member"])
    response = client.get(f"/cases/{case.url_ref}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Accept the embargo" in html and "Decline the embargo" in html
    assert SUMMARY not in html and "Header overflow" not in html and "CVE-2024-12345" not in html
    assert "UTC" in html  # the end instant, with its zone named
    acme.refresh_from_db()
    assert acme.seen_at is not None
    # The answer form is closed until then, too: the gate refuses with its rule, and no case data.
    response = client.post(f"/cases/{case.url_ref}/answer/", {"v1_status": "affected"})
    assert response.status_code == 409 and not Status.objects.filter(participant=acme).exists()
    assert "embargo-accept-first" in response.content.decode() and SUMMARY not in response.content.decode()
    assert client.post(f"/cases/{case.url_ref}/embargo/join/").status_code == 302
    acme.refresh_from_db()
    assert acme.embargo_answer == Participant.EmbargoAnswer.ACCEPTED
    html = client.get(f"/cases/{case.url_ref}/").content.decode()
    assert SUMMARY in html and "CVE-2024-12345" in html and "Please check your products." in html
    # The portal lists it with the tracking id, which the vendor edits inline.
    portal = client.get("/portal/").content.decode()
    assert case.label in portal
    client.post("/portal/tracking/", {"participant": acme.pk, "tracking_id": "PSIRT-42"})
    acme.refresh_from_db()
    assert acme.tracking_id == "PSIRT-42"
    assert "PSIRT-42" in client.get("/portal/").content.decode()


def test_declining_hides_the_case(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _add_and_notify(world, setup)
    case = setup["case"]
    client = login(Client(), setup["acme_member"])
    confirm = client.get(f"/cases/{case.url_ref}/embargo/decline/")
    assert confirm.status_code == 200 and "Yes, decline the embargo" in confirm.content.decode()
    response = client.post(f"/cases/{case.url_ref}/embargo/decline/")
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    acme.refresh_from_db()
    assert acme.embargo_answer == Participant.EmbargoAnswer.DECLINED
    assert client.get(f"/cases/{case.url_ref}/").status_code == 404
    assert case.label not in client.get("/portal/").content.decode()


STATEMENT = "Acme statement\r\n  indented\twith a tab  \r\ncafé ☕ <script>alert(1)</script> **md** [x](javascript:y)\r\n\r\n"


def _accepted(world: World, setup, *, anonymous: bool = False) -> tuple[Participant, Participant]:  # type: ignore[no-untyped-def]
    acme, beta = _add_and_notify(world, setup, anonymous=anonymous)
    participant_actions.answer_embargo(acme, accept=True, by=setup["acme_member"])
    participant_actions.answer_embargo(beta, accept=True, by=setup["beta_member"])
    acme.refresh_from_db()
    beta.refresh_from_db()
    return acme, beta


def test_the_answer_form_stores_statuses_and_the_exact_statement(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    client = login(Client(), setup["acme_member"])
    response = client.post(
        f"/cases/{case.url_ref}/answer/",
        {
            "v1_status": "affected",
            "v1_expected_fix_date": "2030-01-15",
            "p0_vulnerability": "1",
            "p0_product": "Acme Router X",
            "p0_version_range": "< 2.0",
            "p0_status": "affected",  # with a fixed version (question 2): "fixed"
            "p0_fixed_version": "2.0",
            "p0_release_reference": "https://acme.test/rn/2.0",
            "need_more_information": "Which firmware did you test?",
            "statement_text": STATEMENT,
            "references": "https://acme.test/advisory",
            "share": "on",
        },
    )
    assert response.status_code == 302, messages_of(response) if hasattr(response, "context") else ""
    statuses = {(s.product, s.status) for s in Status.objects.filter(participant=acme)}
    assert statuses == {("", "affected"), ("Acme Router X", "fixed")}
    statement = Statement.objects.get(participant=acme)
    assert statement.text_bytes == STATEMENT.encode("utf-8")
    assert statement.verification == Statement.Verification.UNSIGNED and statement.share
    [request] = open_requests_of(acme)
    assert request.body == "Which firmware did you test?" and request.author_participant == acme
    acme.refresh_from_db()
    assert acme.rm_state == RM.ACCEPTED
    page = client.get(f"/cases/{case.url_ref}/").content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page and b"<script>alert" not in page
    assert b"**md**" in page and b"<strong>md</strong>" not in page
    assert b"unsigned" in page and b"Which firmware did you test?" in page
    # A second version keeps the first.
    client.post(f"/cases/{case.url_ref}/answer/", {"v1_status": "affected", "statement_text": "Second.\n"})
    assert list(Statement.objects.filter(participant=acme).values_list("version", flat=True)) == [1, 2]
    # The analyst sees the state and the label on the vendors page, and the open request with a
    # link into the vendor's private thread, where a reply answers it.
    analyst = login(Client(), world.analyst)
    html = analyst.get(vendors_url(case)).content.decode()
    assert "Which firmware did you test?" in html and "unsigned" in html
    thread = f"/cases/{case.url_ref}/messages/{request.thread_id}/"
    requests = html[html.index('id="requests"') :]
    assert f'href="{thread}#m{request.pk}"' in requests[: requests.index("</section>")]
    detail = analyst.get(f"{vendors_url(case)}{acme.pk}/").content.decode()
    assert f'href="{thread}#m{request.pk}"' in detail
    assert f'href="/cases/{case.url_ref}/messages/with/{acme.pk}/"' in detail
    analyst.post(thread, {"body": "Firmware 1.9.", "reply_to": request.pk})
    request.refresh_from_db()
    assert request.request == Message.Request.ANSWERED and not open_requests_of(acme)
    # Answered, it leaves the open requests of the vendors tab and of the vendor's page.
    assert "Which firmware did you test?" not in analyst.get(vendors_url(case)).content.decode()
    assert (
        "Which firmware did you test?" not in analyst.get(f"{vendors_url(case)}{acme.pk}/").content.decode()
    )
    # The vendor reads the answer in its thread.
    assert "Firmware 1.9." in client.get(thread).content.decode()


def test_an_oversize_statement_is_refused_and_nothing_is_stored(world: World, setup, settings) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    client = login(Client(), setup["acme_member"])
    too_big = "x" * (settings.STATEMENT_MAX_BYTES + 1)
    response = client.post(
        f"/cases/{case.url_ref}/answer/", {"v1_status": "affected", "statement_text": too_big}
    )
    assert response.status_code == 400
    assert "limited to" in messages_of(response)
    assert not Statement.objects.filter(participant=acme).exists()
    assert not Status.objects.filter(participant=acme).exists()
    # The same as a file upload.
    upload = SimpleUploadedFile("statement.txt", too_big.encode(), "text/plain")
    response = client.post(
        f"/cases/{case.url_ref}/answer/", {"v1_status": "affected", "statement_file": upload}
    )
    assert response.status_code == 400 and not Statement.objects.filter(participant=acme).exists()


def test_a_file_statement_keeps_its_bytes(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    client = login(Client(), setup["acme_member"])
    raw = b"line one\r\nline two\n\tend \xc3\xa9"
    upload = SimpleUploadedFile("statement.txt", raw, "text/plain")
    response = client.post(
        f"/cases/{case.url_ref}/answer/", {"v1_status": "unknown", "statement_file": upload}
    )
    assert response.status_code == 302
    assert Statement.objects.get(participant=acme).text_bytes == raw


def test_an_analyst_records_an_answer_on_the_vendors_behalf(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    client = login(Client(), world.analyst)
    url = f"{vendors_url(case)}{acme.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "v1_status": "not_affected",
            "v1_justification": "component_not_present",
            "statement_text": "By phone: not affected.",
        },
    )
    assert response.status_code == 302
    statement = Statement.objects.get(participant=acme)
    assert statement.on_behalf and statement.recorded_by == world.analyst
    label = f"recorded by {world.analyst.display_name} for the vendor"
    assert label in client.get(vendors_url(case)).content.decode()
    client.post(url + "addendum/", {"text": "Confirmed with the PSIRT lead."})
    vendor_page = login(Client(), setup["acme_member"]).get(f"/cases/{case.url_ref}/").content.decode()
    assert label in vendor_page and "The coordinator's addendum" in vendor_page
    assert "Confirmed with the PSIRT lead." in vendor_page


def test_an_anonymous_vendor_appears_to_others_by_alias_only(world: World, setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    acme, beta = _accepted(world, setup, anonymous=True)
    case = setup["case"]
    key = make_key(tmp_path / "gpg", "psirt@acme.test")
    vendor_actions.upload_key(setup["acme"], key.public, by=world.analyst)
    signed = key.clearsign(b"Acme is affected; a fix follows.\n")
    acme_client = login(Client(), setup["acme_member"])
    response = acme_client.post(
        f"/cases/{case.url_ref}/answer/",
        {"v1_status": "affected", "statement_text": signed.decode(), "share": "on"},
    )
    assert response.status_code == 302
    statement = Statement.objects.get(participant=acme)
    assert statement.verification == Statement.Verification.VERIFIED
    assert f"verified by {key.fingerprint}" in acme_client.get(f"/cases/{case.url_ref}/").content.decode()
    analyst_html = login(Client(), world.analyst).get(vendors_url(case)).content.decode()
    assert f"verified by {key.fingerprint}" in analyst_html
    other = login(Client(), setup["beta_member"]).get(f"/cases/{case.url_ref}/").content.decode()
    assert acme.alias in other
    assert "Acme Routers" not in other and "acme.test" not in other
    assert key.fingerprint not in other
    assert "signed; verified by the coordinator" in other


def test_an_unshared_answer_stays_hidden_from_other_vendors(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    login(Client(), setup["acme_member"]).post(
        f"/cases/{case.url_ref}/answer/", {"v1_status": "affected", "statement_text": "Private words."}
    )
    other = login(Client(), setup["beta_member"]).get(f"/cases/{case.url_ref}/").content.decode()
    assert "Private words." not in other


def test_a_vendor_admin_chooses_who_sees_a_case(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    colleague = make_user("colleague@acme.test", org=setup["acme"])
    admin = login(Client(), setup["acme_member"])
    response = admin.post("/portal/access/", {"participant": acme.pk, "members": [setup["acme_member"].pk]})
    assert response.status_code == 302
    assert login(Client(), colleague).get(f"/cases/{case.url_ref}/").status_code == 404
    admin.post("/portal/access/", {"participant": acme.pk, "everyone": "1"})
    assert login(Client(), colleague).get(f"/cases/{case.url_ref}/").status_code == 200


def test_an_analyst_approves_a_pending_claim(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    participant_actions.add_vendors(case, [setup["acme"]], by=world.analyst)
    vendor_actions.add_contact(setup["acme"], "cc@acme.test", role="cc", by=world.analyst)
    setup["acme"].memberships.all().delete()
    participant_actions.notify_vendors(
        case, list(case.participants.filter(organization=setup["acme"])), by=world.analyst
    )
    link = case.participants.get(organization=setup["acme"]).claim_links.get(email="cc@acme.test")
    claimant = make_user("cc@acme.test")
    participant_actions.claim_account(link, user=claimant)
    client = login(Client(), world.analyst)
    html = client.get(vendors_url(case)).content.decode()
    assert "cc@acme.test" in html and "Accounts waiting for approval" in html
    client.post(vendors_url(case) + "claims/approve/", {"link": link.pk})
    assert setup["acme"].memberships.filter(user=claimant).exists()


# --- Query counts ------------------------------------------------------------------------------------


def _many_vendors(case: Case, count: int, start: int) -> None:
    orgs = Organization.objects.bulk_create(
        [
            Organization(name=f"Bulk Vendor {start + i:05d}", kind=Organization.Kind.VENDOR)
            for i in range(count)
        ]
    )
    taken = case.participants.count()
    Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"Bulk {taken + i}",
                anonymous=i % 2 == 0,
                rm_state=RM.RECEIVED,
            )
            for i, org in enumerate(orgs)
        ]
    )


@pytest.mark.parametrize("path", ["vendors/", ""])
def test_the_vendor_list_and_the_case_page_cost_the_same_with_2_or_2000_vendors(  # type: ignore[no-untyped-def]
    world: World, setup, path: str, django_assert_num_queries
) -> None:
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    login(Client(), setup["acme_member"]).post(
        f"/cases/{case.url_ref}/answer/", {"v1_status": "affected", "statement_text": "Words."}
    )
    client = login(Client(), world.analyst)
    url = f"/cases/{case.url_ref}/{path}"
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    _many_vendors(case, 2000, 0)
    with django_assert_num_queries(len(two.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    print(
        f"/cases/<case>/{path} as analyst: {len(two.captured_queries)} queries with 2 and with 2000 vendors"
    )
    if path:
        assert response.context["vendors"].paginator.count >= 2000
        assert len(response.context["rows"]) == 50  # the Vendors tab's first page (50 or 100)


def test_two_thousand_vendors_in_one_request(world: World, setup) -> None:  # type: ignore[no-untyped-def]
    case = setup["case"]
    Organization.objects.bulk_create(
        [Organization(name=f"Many Vendor {i:04d}", kind=Organization.Kind.VENDOR) for i in range(2000)]
    )
    client = login(Client(), world.analyst)
    names = "\n".join(f"many vendor {i:04d}" for i in range(2000))
    response = client.post(vendors_url(case) + "add/", {"names": names, "anonymous": "on"})
    assert response.status_code == 302
    added = case.participants.filter(organization__name__startswith="Many Vendor")
    assert added.count() == 2000 and not added.filter(anonymous=False).exists()
    one_more = vendor_org("One Too Many", world.analyst)
    Organization.objects.bulk_create(
        [Organization(name=f"Extra Vendor {i:04d}", kind=Organization.Kind.VENDOR) for i in range(2000)]
    )
    too_many = "\n".join([one_more.name] + [f"Extra Vendor {i:04d}" for i in range(2000)])
    response = client.post(vendors_url(case) + "add/", {"names": too_many})
    assert response.status_code == 400 and "At most 2,000" in messages_of(response)
    assert not case.participants.filter(organization=one_more).exists()


def test_a_detached_signature_and_a_key_that_is_not_pinned(world: World, setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    acme, _ = _accepted(world, setup)
    case = setup["case"]
    pinned = make_key(tmp_path / "pinned", "psirt@acme.test")
    stranger = make_key(tmp_path / "stranger", "someone@else.test")
    vendor_actions.upload_key(setup["acme"], pinned.public, by=world.analyst)
    client = login(Client(), setup["acme_member"])
    text = b"Detached statement\r\nwith CRLF \t\n"
    response = client.post(
        f"/cases/{case.url_ref}/answer/",
        {
            "v1_status": "affected",
            "statement_file": SimpleUploadedFile("statement.txt", text, "text/plain"),
            "signature_file": SimpleUploadedFile(
                "statement.txt.asc", pinned.detach_sign(text).encode(), "text/plain"
            ),
        },
    )
    assert response.status_code == 302
    first = Statement.objects.get(participant=acme)
    assert first.text_bytes == text and first.verification == Statement.Verification.VERIFIED
    # A valid signature by a key that is not pinned for this vendor does not verify.
    other = b"Signed by a stranger.\n"
    client.post(
        f"/cases/{case.url_ref}/answer/",
        {"v1_status": "affected", "statement_text": stranger.clearsign(other).decode()},
    )
    latest = Statement.objects.filter(participant=acme).order_by("-version").first()
    assert latest is not None and latest.version == 2
    assert latest.verification == Statement.Verification.FAILED
    html = client.get(f"/cases/{case.url_ref}/").content.decode()
    assert "signature did not verify" in html and f"verified by {pinned.fingerprint}" in html
