"""Issue 8, the vendor's journey over HTTP: the claim link lands on the case, the vendor's home
lists what waits for it, the answer page reads as the four questions, asking for information
records no status, and a signature that did not verify says why."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accord.accounts.models import Membership, Organization, User
from accord.cases.actions import participants as participant_actions
from accord.cases.models import Case, Participant
from accord.mailgate.models import OutboundMessage
from accord.testing import PASSWORD, World, make_user
from accord.vendors import actions as vendor_actions

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long enough password 42"


def the_case(world: World) -> Case:
    assert world.case is not None
    world.case.refresh_from_db()
    return world.case


def notified_vendor(world: World, name: str, email: str, *, role: str = "to") -> Participant:
    """A vendor with an approved contact at `email` (and a "to" contact besides), notified."""
    org = Organization.objects.create(name=name, kind="vendor")
    if role != "to":
        vendor_actions.add_contact(org, f"to-{email}", role="to", by=world.analyst)
    vendor_actions.add_contact(org, email, role=role, by=world.analyst)
    participant = participant_actions.add_vendors(the_case(world), [org], by=world.analyst)[0]
    participant_actions.notify_vendors(the_case(world), [participant], by=world.analyst)
    participant.refresh_from_db()
    return participant


def claim_path(email: str) -> str:
    body = OutboundMessage.objects.filter(to_email=email).latest("id").body_text
    found = re.search(r"https?://[^/\s]+(/claim/[^/\s]+/)", body)
    assert found is not None, body
    return found.group(1)


def signed_in_as(client: Client) -> User | None:
    from django.contrib.auth import get_user

    user = get_user(client)  # type: ignore[arg-type]
    return user if user.is_authenticated else None  # type: ignore[return-value]


# --- 1. The claim link lands on the case, signed in ---------------------------------------------


def test_a_new_account_from_the_claim_link_is_signed_in_and_lands_on_the_embargo_decision(
    world: World,
) -> None:
    participant = notified_vendor(world, "Umbrella Appliances", "psirt@umbrella.test")
    case = the_case(world)
    client = Client()
    path = claim_path("psirt@umbrella.test")
    page = client.get(path)
    assert page.status_code == 200
    assert b"Create your account" in page.content and b"psirt@umbrella.test" in page.content
    response = client.post(path, {"name": "Uma", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.url_ref}/"
    user = signed_in_as(client)
    assert user is not None and user.email == "psirt@umbrella.test"
    assert Membership.objects.filter(user=user, organization=participant.organization, role="admin").exists()
    gate = client.get(response.headers["Location"])
    html = gate.content.decode()
    assert gate.status_code == 200 and "Accept the embargo" in html and "you are signed in" in html
    assert case.title not in html


def test_an_existing_account_logs_in_with_its_email_filled_in_and_returns_to_the_case(
    world: World,
) -> None:
    participant = notified_vendor(world, "Umbrella Appliances", "psirt@umbrella.test")
    case = the_case(world)
    existing = make_user("psirt@umbrella.test")
    client = Client()
    path = claim_path("psirt@umbrella.test")
    page = client.get(path).content.decode()
    assert "Log in to see" in page and 'value="psirt@umbrella.test"' in page
    assert f'name="next" value="{path}"' in page and "Create the account" not in page
    # The login form on the claim page posts to the login view, which sends the browser back.
    response = client.post(
        "/accounts/login/", {"username": "psirt@umbrella.test", "password": PASSWORD, "next": path}
    )
    assert response.status_code == 302 and response.headers["Location"] == path
    page = client.get(path).content.decode()
    assert "Add Umbrella Appliances to my account" in page
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.url_ref}/"
    assert Membership.objects.filter(user=existing, organization=participant.organization).exists()
    assert "Accept the embargo" in client.get(response.headers["Location"]).content.decode()


def test_a_claim_from_another_address_waits_and_says_so(world: World) -> None:
    participant = notified_vendor(world, "Umbrella Appliances", "cc@umbrella.test", role="cc")
    client = Client()
    path = claim_path("cc@umbrella.test")
    assert b"approves an account from this address" in client.get(path).content
    response = client.post(path, {"name": "", "password": NEW_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "only once the coordinator approves it" in response.content.decode()
    user = signed_in_as(client)
    assert user is not None and not Membership.objects.filter(organization=participant.organization).exists()
