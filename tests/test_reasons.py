"""Issue 8: irreversible actions require a reason, which goes on the timeline or the history.

Terminating an embargo, invalidating or closing a report, removing a vendor's contact and
removing an organisation's member: the action itself refuses a blank reason (InvalidInput
naming "reason"), so the pages and the API are held to it alike, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accord.accounts import actions as account_actions
from accord.accounts.models import Membership
from accord.cases import actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import CaseEvent, Report
from accord.cases.states import EM, RM
from accord.core.models import AuditEvent
from accord.lib.errors import InvalidInput
from accord.testing import World, login, make_user, start_embargo, token_client
from accord.vendors import actions as vendor_actions
from accord.vendors.models import Contact
from tests.rule_helpers import assert_refused

pytestmark = pytest.mark.django_db

BLANKS = ("", "   \n\t")


def new_report() -> Report:
    report, _ = actions.submit_report(
        ReportInput(product="Gadget", version="1", description="A flaw.", credit=False), by=None
    )
    return report


def contact_of(world: World) -> Contact:
    return vendor_actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)


def member_of(world: World) -> Membership:
    user = make_user("dev@vendor-one.test", org=world.vendor_org)
    return Membership.objects.get(user=user)


# --- The actions refuse a blank reason and change nothing ------------------------------------------


@pytest.mark.parametrize("blank", BLANKS)
def test_terminating_an_embargo_needs_a_reason(world: World, blank: str) -> None:
    case = start_embargo(world)
    error = assert_refused(
        lambda: actions.terminate_embargo(case, by=world.analyst, reason=blank),
        InvalidInput,
        case,
        field="reason",
    )
    assert "to terminate the embargo" in str(error)
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE
    actions.terminate_embargo(case, by=world.analyst, reason="  The vendor published its fix.  ")
    event = CaseEvent.objects.filter(case=case, kind="embargo.terminated").get()
    assert event.data["reason"] == "The vendor published its fix."


@pytest.mark.parametrize("blank", BLANKS)
def test_invalidating_and_closing_a_report_need_a_reason(world: World, blank: str) -> None:
    report = new_report()
    assert_refused(
        lambda: actions.invalidate_report(report, by=world.analyst, reason=blank),
        InvalidInput,
        report,
        field="reason",
    )
    actions.invalidate_report(report, by=world.analyst, reason="Documented behaviour.")
    assert_refused(
        lambda: actions.close_report(report, by=world.analyst, reason=blank),
        InvalidInput,
        report,
        field="reason",
    )
    actions.close_report(report, by=world.analyst, reason="Nothing to coordinate.")
    reasons = dict(CaseEvent.objects.filter(report=report).values_list("kind", "data__reason"))
    assert reasons["report.invalidate"] == "Documented behaviour."
    assert reasons["report.close"] == "Nothing to coordinate."


def test_a_rule_is_named_before_the_reason_is_asked_for(world: World) -> None:
    """A step the rules refuse names its rule, whatever the reason: the reason is the last check."""
    report = new_report()
    actions.validate_report(report, by=world.analyst)
    assert_refused(lambda: actions.close_report(report, by=world.analyst), "rm-close", report)
    assert world.case is not None
    assert_refused(
        lambda: actions.terminate_embargo(world.case, by=world.analyst), "em-terminate", world.case
    )


def test_a_reason_longer_than_the_limit_is_refused_not_cut(world: World) -> None:
    report = new_report()
    assert_refused(
        lambda: actions.invalidate_report(report, by=world.analyst, reason="x" * 2001),
        InvalidInput,
        report,
        field="reason",
    )


@pytest.mark.parametrize("who", ["analyst", "vendor"])
def test_removing_an_active_contact_needs_a_reason(world: World, who: str) -> None:
    contact = contact_of(world)
    by = world.persona(who)
    with pytest.raises(InvalidInput) as refused:
        vendor_actions.remove_contact(contact, by=by, reason=" ")
    assert refused.value.field == "reason"
    contact.refresh_from_db()
    assert contact.removal_requested_at is None
    vendor_actions.remove_contact(contact, by=by, reason="The person left.")
    kind = "vendor.contact_removed" if who == "analyst" else "vendor.contact_removal_requested"
    event = AuditEvent.objects.get(kind=kind)
    assert event.data["reason"] == "The person left." and event.data["email"] == "psirt@vendor-one.test"


def test_withdrawing_a_pending_request_needs_no_reason(world: World) -> None:
    asked = vendor_actions.add_contact(world.vendor_org, "new@vendor-one.test", by=world.vendor)
    assert vendor_actions.remove_contact(asked, by=world.vendor) is None
    assert AuditEvent.objects.filter(kind="vendor.contact_request_withdrawn").exists()


def test_removing_a_member_needs_a_reason(world: World) -> None:
    membership = member_of(world)
    with pytest.raises(InvalidInput) as refused:
        account_actions.remove_member(membership, by=world.vendor)
    assert refused.value.field == "reason"
    assert Membership.objects.filter(pk=membership.pk).exists()
    account_actions.remove_member(membership, by=world.vendor, reason="Left the team.")
    event = AuditEvent.objects.get(kind="membership.removed")
    # On the organisation's own record, which outlives the membership row.
    assert (event.object_type, event.object_id) == ("accounts.organization", str(world.vendor_org.pk))
    assert event.data["reason"] == "Left the team." and event.data["email"] == "dev@vendor-one.test"


# --- The API routes take and require the reason ----------------------------------------------------


def _api_cases(world: World) -> list[tuple[str, str, str, Callable[[], Any]]]:
    """(method, url, what, is_done) for each irreversible API route, set up to succeed."""
    case = start_embargo(world)
    received, received_too = new_report(), new_report()
    actions.invalidate_report(received_too, by=world.analyst, reason="Spam.")
    contact = contact_of(world)
    membership = member_of(world)

    def case_done() -> bool:
        case.refresh_from_db()
        return case.embargo_state == EM.EXITED

    def state_of(report: Report) -> str:
        report.refresh_from_db()
        return report.state

    return [
        ("post", f"/api/v1/cases/{case.url_ref}/embargo/terminate", "terminate", case_done),
        (
            "post",
            f"/api/v1/reports/{received.pk}/invalidate",
            "invalidate",
            lambda: state_of(received) == RM.INVALID,
        ),
        (
            "post",
            f"/api/v1/reports/{received_too.pk}/close",
            "close",
            lambda: state_of(received_too) == RM.CLOSED,
        ),
        (
            "delete",
            f"/api/v1/vendors/{world.vendor_org.pk}/contacts/{contact.pk}",
            "contact",
            lambda: not Contact.objects.filter(pk=contact.pk).exists(),
        ),
        (
            "delete",
            f"/api/v1/organizations/{world.vendor_org.pk}/members/{membership.pk}",
            "member",
            lambda: not Membership.objects.filter(pk=membership.pk).exists(),
        ),
    ]


def test_the_api_routes_require_the_reason(world: World) -> None:
    api = token_client(world.analyst)
    for method, url, what, done in _api_cases(world):
        call = getattr(api, method)
        for body in (None, {}, {"reason": ""}, {"reason": "  "}):
            response = call(url, body, content_type="application/json") if body is not None else call(url)
            assert response.status_code == 400, (what, body, response.content)
            if body is not None:  # (no body at all: "The request body is not valid JSON.")
                assert [e["field"] for e in response.json()["errors"]] == ["reason"], (what, body)
            assert not done(), (what, body)
        response = call(url, {"reason": "Why, in a sentence."}, content_type="application/json")
        assert response.status_code in (200, 204), (what, response.content)
        assert done(), what


def test_the_openapi_document_marks_the_reason_required(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = {
        ("/api/v1/cases/{case}/embargo/terminate", "post"),
        ("/api/v1/reports/{report_id}/invalidate", "post"),
        ("/api/v1/reports/{report_id}/close", "post"),
        ("/api/v1/vendors/{org_id}/contacts/{contact_id}", "delete"),
        ("/api/v1/organizations/{org_id}/members/{membership_id}", "delete"),
    }
    for path, method in paths:
        body = schema["paths"][path][method]["requestBody"]
        assert body["required"], path
        ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert "reason" in schema["components"]["schemas"][ref]["required"], path


# --- The reason shows where people look ------------------------------------------------------------


def test_the_reasons_show_on_the_timelines_and_histories(world: World) -> None:
    case = start_embargo(world)
    actions.terminate_embargo(case, by=world.analyst, reason="The vendor published its fix.")
    report = new_report()
    actions.invalidate_report(report, by=world.analyst, reason="Documented behaviour, not a flaw.")
    contact = contact_of(world)
    vendor_actions.remove_contact(contact, by=world.analyst, reason="The mailbox bounces.")
    account_actions.remove_member(member_of(world), by=world.analyst, reason="Left the team in May.")

    analyst = login(Client(), world.analyst)
    assert "The vendor published its fix." in analyst.get(f"/cases/{case.url_ref}/").content.decode()
    # Participants read it too (the event's audience allows "reason").
    vendor = login(Client(), world.vendor)
    assert "The vendor published its fix." in vendor.get(f"/cases/{case.url_ref}/").content.decode()
    assert "Documented behaviour, not a flaw." in analyst.get(f"/triage/{report.pk}/").content.decode()
    assert "The mailbox bounces." in analyst.get(f"/vendors/{world.vendor_org.pk}/").content.decode()
    members = vendor.get(f"/accounts/organizations/{world.vendor_org.pk}/").content.decode()
    assert "Removed members" in members and "Left the team in May." in members
    # Staff appear to the vendor by name, never by email.
    assert world.analyst.email not in members.split('id="removed"')[1]


def test_a_pending_removal_shows_its_reason_to_the_approving_analyst(world: World) -> None:
    contact = contact_of(world)
    vendor_actions.remove_contact(contact, by=world.vendor, reason="Our PSIRT moved to a new address.")
    html = login(Client(), world.analyst).get("/vendors/pending/").content.decode()
    assert "Our PSIRT moved to a new address." in html
