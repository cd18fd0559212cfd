"""Vendors in a case: aliases, notification without details, claim links, joining the embargo."""

import re

import pytest

from accord.accounts.models import Membership, Organization
from accord.cases.actions import participants as actions
from accord.cases.models import CaseEvent, CaseMemberAccess, ClaimLink, Participant
from accord.cases.states import EM, RM
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate.models import OutboundMessage
from accord.testing import make_user
from accord.vendors import actions as vendor_actions


def vendor(name: str, email: str | None = None, *, by) -> Organization:  # type: ignore[no-untyped-def]
    org = Organization.objects.create(name=name, kind="vendor")
    if email:
        vendor_actions.add_contact(org, email, role="to", by=by)
    return org


def test_aliases_run_like_spreadsheet_columns():
    assert [actions.alias_letters(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_add_vendors_gives_each_a_free_alias_and_writes_one_event(world):
    orgs = [vendor(f"Maker {i}", by=world.analyst) for i in range(3)]
    before = CaseEvent.objects.count()
    added = actions.add_vendors(world.case, orgs, by=world.analyst, anonymous=True)
    assert len({p.alias for p in added}) == 3
    assert all(p.anonymous and p.rm_state == RM.START for p in added)
    assert CaseEvent.objects.count() == before + 1


def test_add_vendors_refuses_twice_and_non_vendors_and_too_many(world):
    with pytest.raises(RuleViolation) as twice:
        actions.add_vendors(world.case, [world.vendor_org], by=world.analyst)
    assert twice.value.rule == "one-participation"
    with pytest.raises(InvalidInput):
        actions.add_vendors(world.case, [world.coordinator], by=world.analyst)
    with pytest.raises(RuleViolation):
        actions.add_vendors(world.case, [world.other_vendor_org], by=world.vendor)


def test_two_thousand_vendors_in_one_call(world):
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Bulk {i:04d}", kind="vendor") for i in range(2000)]
    )
    added = actions.add_vendors(world.case, orgs, by=world.analyst)
    assert len(added) == 2000
    assert Participant.objects.filter(case=world.case, kind="vendor").count() == 2003  # the world has three


def test_notification_carries_no_details_and_starts_the_clock(world):
    org = vendor("Keyless Corp", "psirt@keyless.test", by=world.analyst)
    vendor_actions.add_contact(org, "cc@keyless.test", role="cc", by=world.analyst)
    participant = actions.add_vendors(world.case, [org], by=world.analyst)[0]
    world.case.refresh_from_db()
    assert world.case.target_publication_at is None
    result = actions.notify_vendors(world.case, [participant], by=world.analyst)
    assert result["notified"] == [participant]
    mails = list(OutboundMessage.objects.filter(organization=org).order_by("id"))
    # One notification to the organisation, all its contacts on it; then each contact's own claim link.
    assert [(m.kind, m.to_email, m.also_to) for m in mails] == [
        ("notification", "psirt@keyless.test", ["cc@keyless.test"]),
        ("claim_link", "psirt@keyless.test", []),
        ("claim_link", "cc@keyless.test", []),
    ]
    assert all(m.case_id == world.case.pk for m in mails)
    for mail in mails:
        text = mail.subject + mail.body_text
        assert world.case.label in mail.subject
        for secret in ("Widget Server", "Heap overflow", world.case.title, "2.1"):
            assert secret not in text
        assert "/policy/" in mail.body_text and ("/claim/" in mail.body_text) == (mail.kind == "claim_link")
    participant.refresh_from_db()
    world.case.refresh_from_db()
    assert participant.v_at and participant.first_contact_at and participant.rm_state == RM.RECEIVED
    assert world.case.embargo_state == EM.ACTIVE
    assert world.case.target_publication_at == world.case.embargo_ends_at
    assert CaseEvent.objects.filter(case=world.case, kind="vendors.notified").count() == 1
    assert not CaseEvent.objects.filter(case=world.case, kind="contact.attempt").exists()


def test_a_vendor_without_an_address_is_reported_not_notified(world):
    org = vendor("Silent Corp", by=world.analyst)
    participant = actions.add_vendors(world.case, [org], by=world.analyst)[0]
    result = actions.notify_vendors(world.case, [participant], by=world.analyst)
    assert result["unreachable"] == [participant] and not result["notified"]
    participant.refresh_from_db()
    assert participant.v_at is None


def _claim_secret(email: str) -> str:
    body = OutboundMessage.objects.filter(to_email=email).latest("id").body_text
    return re.search(r"/claim/([^/\s]+)/", body).group(1)  # type: ignore[union-attr]


def test_claim_from_the_to_address_is_ready_at_once_and_works_once(world):
    org = vendor("Claimable", "psirt@claimable.test", by=world.analyst)
    participant = actions.add_vendors(world.case, [org], by=world.analyst)[0]
    actions.notify_vendors(world.case, [participant], by=world.analyst)
    link = actions.find_claim(_claim_secret("psirt@claimable.test"))
    assert link is not None
    user = actions.claim_account(link, password="a long enough password 42")
    assert Membership.objects.filter(user=user, organization=org, role="admin").exists()
    assert actions.find_claim(_claim_secret("psirt@claimable.test")) is None


def test_claim_from_a_cc_address_waits_for_an_analyst(world):
    org = vendor("Cc Corp", "psirt@cc.test", by=world.analyst)
    vendor_actions.add_contact(org, "other@cc.test", role="cc", by=world.analyst)
    participant = actions.add_vendors(world.case, [org], by=world.analyst)[0]
    actions.notify_vendors(world.case, [participant], by=world.analyst)
    link = actions.find_claim(_claim_secret("other@cc.test"))
    user = actions.claim_account(link, password="a long enough password 42")  # type: ignore[arg-type]
    assert not Membership.objects.filter(user=user, organization=org).exists()
    actions.approve_claim(ClaimLink.objects.get(pk=link.pk), by=world.analyst)  # type: ignore[union-attr]
    assert Membership.objects.filter(user=user, organization=org).exists()


def _notified_claim(world, email: str = "psirt@stale.test"):  # type: ignore[no-untyped-def]
    org = vendor("Stale Corp", email, by=world.analyst)
    participant = actions.add_vendors(world.case, [org], by=world.analyst)[0]
    actions.notify_vendors(world.case, [participant], by=world.analyst)
    return org, _claim_secret(email)


def test_a_claim_link_expires_after_the_configured_days(world, settings, time_machine, client):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    settings.CLAIM_LINK_DAYS = 30
    _, secret = _notified_claim(world)
    link = actions.find_claim(secret)
    assert link is not None
    time_machine.move_to(timezone.now() + dt.timedelta(days=29, hours=23))
    assert actions.find_claim(secret) is not None
    time_machine.move_to(timezone.now() + dt.timedelta(days=1))
    with pytest.raises(RuleViolation) as refused:
        actions.find_claim(secret)
    assert refused.value.rule == "claim-link-expired" and "valid for 30 days" in refused.value.message
    with pytest.raises(RuleViolation, match="expired"):
        actions.claim_account(link, password="a long enough password 42")  # a link fetched in time
    page = client.get(f"/claim/{secret}/")
    assert page.status_code == 410
    assert b"This link expired on" in page.content and b"Ask the coordinator for a new one" in page.content
    assert not ClaimLink.objects.filter(used_at__isnull=False).exists()


def test_a_claim_link_dies_with_its_address(world, client):  # type: ignore[no-untyped-def]
    org, secret = _notified_claim(world)
    link = actions.find_claim(secret)
    vendor_actions.remove_contact(
        org.vendor_contacts.get(email="psirt@stale.test"), by=world.analyst, reason="Bounces."
    )
    with pytest.raises(RuleViolation) as refused:
        actions.find_claim(secret)
    assert refused.value.rule == "claim-contact-removed"
    with pytest.raises(RuleViolation, match="no longer a contact address"):
        actions.claim_account(link, password="a long enough password 42")  # type: ignore[arg-type]
    page = client.get(f"/claim/{secret}/")
    assert page.status_code == 410
    assert b"psirt@stale.test is no longer a contact address of this vendor" in page.content
    assert world.case.title.encode() not in page.content
    page = client.post(f"/claim/{secret}/", {"name": "X", "password": "a long enough password 42"})
    assert page.status_code == 410 and not Membership.objects.filter(organization=org).exists()


def test_a_pending_claim_is_not_approved_once_its_address_was_removed(world):  # type: ignore[no-untyped-def]
    org = vendor("Cc Stale", "psirt@ccstale.test", by=world.analyst)
    vendor_actions.add_contact(org, "other@ccstale.test", role="cc", by=world.analyst)
    participant = actions.add_vendors(world.case, [org], by=world.analyst)[0]
    actions.notify_vendors(world.case, [participant], by=world.analyst)
    link = actions.find_claim(_claim_secret("other@ccstale.test"))
    user = actions.claim_account(link, password="a long enough password 42")  # type: ignore[arg-type]
    vendor_actions.remove_contact(
        org.vendor_contacts.get(email="other@ccstale.test"), by=world.analyst, reason="Bounces."
    )
    with pytest.raises(RuleViolation) as refused:
        actions.approve_claim(ClaimLink.objects.get(pk=link.pk), by=world.analyst)  # type: ignore[union-attr]
    assert refused.value.rule == "claim-contact-removed"
    assert not Membership.objects.filter(user=user, organization=org).exists()


def test_joining_an_active_embargo_once_and_declining_hides_the_case(world):
    from accord.cases.access import cases_visible_to

    vendor_actions.add_contact(world.vendor_org, "psirt@vendor-one.test", role="to", by=world.analyst)
    actions.notify_vendors(world.case, list(world.case.participants.filter(kind="vendor")), by=world.analyst)
    vendor_actions.add_contact(world.other_vendor_org, "psirt@vendor-two.test", role="to", by=world.analyst)
    other = actions.add_vendors(world.case, [world.other_vendor_org], by=world.analyst)[0]
    participant = Participant.objects.get(case=world.case, organization=world.vendor_org)
    actions.answer_embargo(participant, accept=True, by=world.vendor)
    with pytest.raises(RuleViolation):
        actions.answer_embargo(participant, accept=False, by=world.vendor)
    with pytest.raises(RuleViolation):
        actions.answer_embargo(participant, accept=True, by=world.other_vendor)
    assert cases_visible_to(world.other_vendor).filter(pk=world.case.pk).exists()
    actions.answer_embargo(other, accept=False, by=world.other_vendor)
    assert not cases_visible_to(world.other_vendor).filter(pk=world.case.pk).exists()
    assert OutboundMessage.objects.filter(subject__contains="declined the embargo").exists()


def test_first_visit_is_recorded_once(world):
    participant = Participant.objects.get(case=world.case, organization=world.vendor_org)
    assert actions.mark_seen(participant, by=world.vendor) is True
    participant.refresh_from_db()
    assert actions.mark_seen(participant, by=world.vendor) is False
    assert CaseEvent.objects.filter(kind="participant.seen").count() == 1


def test_vendor_admin_narrows_who_sees_a_case(world):
    from accord.cases.access import cases_visible_to

    colleague = make_user("colleague@vendor-one.test", org=world.vendor_org)
    participant = Participant.objects.get(case=world.case, organization=world.vendor_org)
    assert cases_visible_to(colleague).filter(pk=world.case.pk).exists()
    actions.set_member_access(participant, [world.vendor], by=world.vendor)
    assert not cases_visible_to(colleague).filter(pk=world.case.pk).exists()
    assert cases_visible_to(world.vendor).filter(pk=world.case.pk).exists()
    with pytest.raises(RuleViolation):
        actions.set_member_access(participant, [], by=colleague)
    actions.set_member_access(participant, [], by=world.vendor)
    assert not CaseMemberAccess.objects.exists()
    assert cases_visible_to(colleague).filter(pk=world.case.pk).exists()


def test_tracking_id_is_the_vendors_own(world):
    participant = Participant.objects.get(case=world.case, organization=world.vendor_org)
    actions.set_tracking_id(participant, "PSIRT-4711", by=world.vendor)
    participant.refresh_from_db()
    assert participant.tracking_id == "PSIRT-4711"
    with pytest.raises(RuleViolation):
        actions.set_tracking_id(participant, "X", by=world.other_vendor)
