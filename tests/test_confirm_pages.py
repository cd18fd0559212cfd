"""Issue 8: irreversible actions ask for confirmation on a page of their own (no JavaScript).

GET shows what will happen, that it cannot be undone, a reason field and a Cancel link; the
POST from that page (confirm=yes) acts; a POST without the confirmation (an old inline form)
only shows the page; a blank reason is refused on the page with nothing changed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accord.accounts.models import Membership
from accord.cases import actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import CaseEvent, Report
from accord.cases.states import EM, RM
from accord.testing import World, login, make_user, start_embargo
from accord.vendors import actions as vendor_actions
from accord.vendors.models import Contact

pytestmark = pytest.mark.django_db


def new_report() -> Report:
    report, _ = actions.submit_report(
        ReportInput(product="Gadget", version="1", description="A flaw.", credit=False), by=None
    )
    return report


def assert_confirmation_page(
    html: str, *, cancel: str, button: str, undone: str = "This cannot be undone."
) -> None:
    assert "What will happen" in html
    assert undone in html
    assert f'<a href="{cancel}">Cancel</a>' in html
    assert f'<button type="submit" class="danger">{button}</button>' in html
    assert 'name="confirm" value="yes"' in html and 'name="reason"' in html
    assert "<script" not in html.split("<main")[1]  # no JavaScript needed


# --- Terminating the embargo -------------------------------------------------------------------


def test_terminating_the_embargo_asks_for_confirmation_and_a_reason(world: World) -> None:
    case = start_embargo(world)
    analyst = login(Client(), world.analyst)
    url = f"/cases/{case.url_ref}/embargo/terminate/"
    page = analyst.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert_confirmation_page(html, cancel=f"/cases/{case.url_ref}/#embargo", button="Terminate the embargo")
    assert f"Terminate the embargo of {case.label}?" in html
    assert "No new embargo can be proposed or agreed" in html

    # The old inline form (a POST without the confirmation) only shows the page, reason kept.
    unconfirmed = analyst.post(url, {"reason": "Typed on the case page."})
    assert unconfirmed.status_code == 200 and "Typed on the case page." in unconfirmed.content.decode()
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE

    # A blank reason is refused on the page itself; nothing changes.
    refused = analyst.post(url, {"confirm": "yes", "reason": "  "})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Nothing was done yet" in text and "Give the reason to terminate the embargo" in text
    assert 'aria-invalid="true"' in text
    case.refresh_from_db()
    assert (
        case.embargo_state == EM.ACTIVE and not CaseEvent.objects.filter(kind="embargo.terminated").exists()
    )

    done = analyst.post(url, {"confirm": "yes", "reason": "The vendor published its fix."}, follow=True)
    assert done.redirect_chain[-1][0] == f"/cases/{case.url_ref}/#embargo"
    case.refresh_from_db()
    assert case.embargo_state == EM.EXITED
    assert "The vendor published its fix." in done.content.decode()  # on the case's timeline

    # Nothing is left to terminate: the page says so and offers no form.
    again = analyst.get(url).content.decode()
    assert "Not possible now" in again and 'name="confirm"' not in again


def test_only_analysts_reach_the_termination_page(world: World) -> None:
    case = start_embargo(world)
    for persona in ("vendor", "co_vendor", "reporter", "other_vendor"):
        client = login(Client(), world.persona(persona))
        assert client.get(f"/cases/{case.url_ref}/embargo/terminate/").status_code == 403
        assert (
            client.post(
                f"/cases/{case.url_ref}/embargo/terminate/", {"confirm": "yes", "reason": "x"}
            ).status_code
            == 403
        )
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE


# --- Invalidating and closing a report -----------------------------------------------------------


def test_invalidating_a_report_asks_for_confirmation_and_says_it_can_be_validated_again(world: World) -> None:
    report = new_report()
    analyst = login(Client(), world.analyst)
    url = f"/triage/{report.pk}/invalidate/"
    html = analyst.get(url).content.decode()
    assert_confirmation_page(
        html,
        cancel=f"/triage/{report.pk}/#actions",
        button="Mark it invalid",
        undone="You can still validate the report later",
    )
    assert analyst.post(url, {"confirm": "yes", "reason": ""}).status_code == 400
    report.refresh_from_db()
    assert report.state == RM.RECEIVED
    analyst.post(url, {"confirm": "yes", "reason": "Documented behaviour."})
    report.refresh_from_db()
    assert report.state == RM.INVALID


def test_closing_a_report_asks_for_confirmation_and_cannot_be_undone(world: World) -> None:
    assert world.report is not None and world.case is not None
    analyst = login(Client(), world.analyst)
    url = f"/triage/{world.report.pk}/close/"
    html = analyst.get(url).content.decode()
    assert_confirmation_page(html, cancel=f"/triage/{world.report.pk}/#actions", button="Close the report")
    # The report is the case's own: the page says what closing it does to the case.
    assert f"Case {world.case.label} stays open and its embargo is not touched" in html
    assert analyst.post(url, {"reason": "Closed."}).status_code == 200  # unconfirmed: only the page
    world.report.refresh_from_db()
    assert world.report.state == RM.ACCEPTED
    analyst.post(url, {"confirm": "yes", "reason": "Published and done."})
    world.report.refresh_from_db()
    assert world.report.state == RM.CLOSED


def test_non_analysts_cannot_invalidate_or_close(world: World) -> None:
    assert world.report is not None
    reporter = login(Client(), world.reporter)
    for step in ("invalidate", "close"):
        assert reporter.get(f"/triage/{world.report.pk}/{step}/").status_code == 403
        assert (
            reporter.post(f"/triage/{world.report.pk}/{step}/", {"confirm": "yes", "reason": "x"}).status_code
            == 403
        )


# --- Removing a vendor's contact -------------------------------------------------------------------


def test_removing_a_contact_asks_for_confirmation(world: World) -> None:
    contact = vendor_actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    analyst = login(Client(), world.analyst)
    detail = analyst.get(f"/vendors/{world.vendor_org.pk}/").content.decode()
    url = f"/vendors/{world.vendor_org.pk}/contacts/{contact.pk}/remove/"
    assert f'href="{url}"' in detail  # a link to the confirmation page, not an instant button
    html = analyst.get(url).content.decode()
    assert_confirmation_page(
        html,
        cancel=f"/vendors/{world.vendor_org.pk}/",
        button="Remove the contact",
        undone="This cannot be undone: to use the address again, add it as a new contact.",
    )
    assert "has no address left that notifications reach" in html
    assert analyst.post(url, {"confirm": "yes", "reason": ""}).status_code == 400
    assert Contact.objects.filter(pk=contact.pk).exists()
    analyst.post(url, {"confirm": "yes", "reason": "The mailbox bounces."})
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_a_vendor_admin_asks_to_remove_a_contact_with_a_reason(world: World) -> None:
    contact = vendor_actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    admin = login(Client(), world.vendor)
    url = f"/vendors/{world.vendor_org.pk}/contacts/{contact.pk}/remove/"
    html = admin.get(url).content.decode()
    assert "until an analyst approves, notifications still go to it" in html
    assert "Ask to remove the contact" in html
    admin.post(url, {"confirm": "yes", "reason": "Our PSIRT moved."})
    contact.refresh_from_db()
    assert contact.removal_requested_at is not None and contact.status == "active"
    # Asked once: the page now says it waits.
    assert "it waits for the coordinator&#x27;s approval" in admin.get(url).content.decode()


def test_withdrawing_a_pending_contact_needs_no_confirmation(world: World) -> None:
    asked = vendor_actions.add_contact(world.vendor_org, "new@vendor-one.test", by=world.vendor)
    admin = login(Client(), world.vendor)
    response = admin.post(f"/vendors/{world.vendor_org.pk}/contacts/{asked.pk}/remove/", follow=True)
    assert response.status_code == 200
    assert not Contact.objects.filter(pk=asked.pk).exists()


# --- Removing an organisation's member ----------------------------------------------------------------


def test_removing_a_member_asks_for_confirmation(world: World) -> None:
    user = make_user("dev@vendor-one.test", org=world.vendor_org)
    membership = Membership.objects.get(user=user)
    admin = login(Client(), world.vendor)
    org_page = admin.get(f"/accounts/organizations/{world.vendor_org.pk}/").content.decode()
    url = f"/accounts/organizations/{world.vendor_org.pk}/members/{membership.pk}/remove/"
    assert f'href="{url}"' in org_page
    html = admin.get(url).content.decode()
    assert_confirmation_page(
        html,
        cancel=f"/accounts/organizations/{world.vendor_org.pk}/",
        button="Remove the member",
        undone="This cannot be undone: to come back, they need a new invitation.",
    )
    assert admin.post(url, {"confirm": "yes", "reason": " "}).status_code == 400
    assert Membership.objects.filter(pk=membership.pk).exists()
    admin.post(url, {"confirm": "yes", "reason": "Left the team."})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_plain_member_sees_that_only_admins_remove_members(world: World) -> None:
    user = make_user("dev@vendor-one.test", org=world.vendor_org)
    theirs = Membership.objects.get(user=world.vendor)
    html = (
        login(Client(), user)
        .get(f"/accounts/organizations/{world.vendor_org.pk}/members/{theirs.pk}/remove/")
        .content.decode()
    )
    assert "Only the organisation&#x27;s admins or an analyst can remove members." in html
    assert 'name="confirm"' not in html
