"""The case page, its forms, the analyst dashboard and the disclosure policy pages, through HTTP."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.accounts import actions as account_actions
from accord.accounts.models import Organization
from accord.cases import actions, policy, ssvc
from accord.cases.actions import participants as participant_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, FactReport, Participant, SsvcDecision
from accord.cases.states import EM, RM, Fact
from accord.lib.time import format_utc
from accord.testing import World, add_vendor, join_embargo, login, write_to_reporter

pytestmark = pytest.mark.django_db


def page(client: Client, case: Case, query: str = "") -> str:
    response = client.get(f"/cases/{case.url_ref}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def messages_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m) for m in response.context["messages"])


def the_case(world: World) -> Case:
    assert world.case is not None
    world.case.refresh_from_db()
    return world.case


# --- What the case page shows ------------------------------------------------------------------


def test_the_case_page_shows_the_id_and_no_target_before_contact(world: World) -> None:
    case = the_case(world)
    client = login(Client(), world.analyst)
    html = page(client, case)
    assert f"VU#{case.number}" in html
    assert "no vendor contacted yet" in html
    assert "Analyst" in html  # the owner
    # Every spelling of the id opens the page.
    assert client.get(f"/cases/{case.number}/").status_code == 200
    assert client.get(f"/cases/VU%23{case.number}/").status_code == 200
    assert client.get("/cases/VU99/").status_code == 404


def test_a_contact_attempt_sets_the_target_date_and_the_embargo(world: World) -> None:
    case = the_case(world)
    account_actions.set_timezone(world.analyst, "America/New_York", by=world.analyst)
    client = login(Client(), world.analyst)
    zone = zoneinfo.ZoneInfo("America/New_York")
    local = (timezone.now() - dt.timedelta(hours=2)).astimezone(zone).replace(second=0, microsecond=0)
    response = client.post(
        f"/cases/{case.url_ref}/contact/",
        {"at": local.strftime("%Y-%m-%dT%H:%M"), "note": "Phone call to the PSIRT."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    # The datetime-local value was read in the analyst's own zone.
    assert case.first_contact_at == local.astimezone(dt.UTC)
    target = local.astimezone(dt.UTC) + dt.timedelta(days=45)
    assert case.target_publication_at == target
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == target
    html = page(client, case)
    assert format_utc(target) in html
    assert "(America/New_York)" in html
    assert 'id="embargo-state">Active<' in html
    event = CaseEvent.objects.get(case=case, kind="contact.attempt")
    assert event.data["outside_accord"] is True


def test_a_contact_attempt_in_the_future_is_refused_on_the_form(world: World) -> None:
    case = the_case(world)
    client = login(Client(), world.analyst)
    later = (timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/cases/{case.url_ref}/contact/", {"at": later})
    assert response.status_code == 400
    assert "A contact attempt cannot be in the future." in response.content.decode()
    case.refresh_from_db()
    assert case.first_contact_at is None


def test_vulnerabilities_with_cvss_and_products(world: World) -> None:
    case = the_case(world)
    client = login(Client(), world.analyst)
    bad = client.post(
        f"/cases/{case.url_ref}/vulnerabilities/add/",
        {"title": "Second flaw", "cvss3_vector": "CVSS:3.1/AV:X/AC:L"},
    )
    assert bad.status_code == 400
    assert "Not a valid CVSS 3.1 vector" in bad.content.decode()
    assert case.vulnerabilities.count() == 1
    good = client.post(
        f"/cases/{case.url_ref}/vulnerabilities/add/",
        {
            "title": "Second flaw",
            "cve": "cve-2026-12345",
            "cwe": "79",
            "cvss3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "cvss4_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        },
    )
    assert good.status_code == 302
    second = case.vulnerabilities.get(seq=2)
    assert second.cve == "CVE-2026-12345" and second.cwe == "CWE-79"
    assert str(second.cvss3_score) == "9.8" and second.cvss4_score is not None
    product = client.post(
        f"/cases/{case.url_ref}/products/add/",
        {"seq": "2", "name": "Widget Server", "version_range": "< 2.2", "purl": "pkg:pypi/widget@2.1"},
    )
    assert product.status_code == 302
    edit = client.post(
        f"/cases/{case.url_ref}/vulnerabilities/edit/",
        {"seq": "1", "title": "Heap overflow", "cve": "CVE-26-1"},
    )
    assert edit.status_code == 400
    assert "is not a CVE id" in edit.content.decode()
    html = page(client, case)
    for text in (
        f"VU#{case.number}.1",
        f"VU#{case.number}.2",
        "CVE-2026-12345",
        "CWE-79",
        "9.8",
        "CVSS:4.0/AV:N",
        "pkg:pypi/widget@2.1",
    ):
        assert text in html


def test_title_summary_and_analysts(world: World) -> None:
    case = the_case(world)
    client = login(Client(), world.analyst)
    client.post(f"/cases/{case.url_ref}/edit/", {"title": "Widget Server heap overflow", "summary": "Short."})
    client.post(
        f"/cases/{case.url_ref}/analysts/",
        {"analysts": [world.analyst.pk, world.publisher.pk], "owner": world.publisher.pk},
    )
    case.refresh_from_db()
    assert case.title == "Widget Server heap overflow" and case.summary == "Short."
    assert case.owner == world.publisher
    assert set(case.analysts.all()) == {world.analyst, world.publisher}
    refused = client.post(f"/cases/{case.url_ref}/edit/", {"title": ""})
    assert refused.status_code == 400
    # Vendors cannot edit; the rule is the role's (403), whatever the case.
    assert (
        login(Client(), world.vendor).post(f"/cases/{case.url_ref}/edit/", {"title": "x"}).status_code == 403
    )


# --- Embargo -----------------------------------------------------------------------------------


def test_embargo_negotiation_from_the_page(world: World) -> None:
    case = the_case(world)
    vendor = login(Client(), world.vendor)
    analyst = login(Client(), world.analyst)
    end = (timezone.now() + dt.timedelta(days=60)).replace(second=0, microsecond=0)
    response = vendor.post(
        f"/cases/{case.url_ref}/embargo/propose/",
        {"ends_at": end.strftime("%Y-%m-%dT%H:%M"), "reason": "Our release train."},
        follow=True,
    )
    assert "The embargo proposal is recorded" in messages_of(response)
    case.refresh_from_db()
    assert case.embargo_state == EM.PROPOSED and case.embargo_proposed_ends_at == end
    # The vendor sees the proposal but not the analysts' buttons.
    html = page(vendor, case)
    assert "Our release train." in html and "Accept the proposal" not in html
    assert login(Client(), world.vendor).post(f"/cases/{case.url_ref}/embargo/accept/").status_code == 403
    html = page(analyst, case)
    assert "Accept the proposal" in html
    analyst.post(f"/cases/{case.url_ref}/embargo/accept/")
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == end
    # A refused step names its rule.
    refused = analyst.post(f"/cases/{case.url_ref}/embargo/accept/", follow=True)
    assert "(rule: em-accept)" in messages_of(refused)
    analyst.post(
        f"/cases/{case.url_ref}/embargo/terminate/", {"reason": "Published by the vendor.", "confirm": "yes"}
    )
    case.refresh_from_db()
    assert case.embargo_state == EM.EXITED
    # An outsider gets the same 404 as for a case that does not exist.
    outsider = login(Client(), world.other_vendor)
    assert outsider.post(f"/cases/{case.url_ref}/embargo/propose/").status_code == 404


def test_a_proposal_without_an_end_is_refused(world: World) -> None:
    case = the_case(world)
    response = login(Client(), world.vendor).post(f"/cases/{case.url_ref}/embargo/propose/", {"reason": "x"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.embargo_state == EM.NONE


# --- Case state and early disclosure -----------------------------------------------------------


def test_claims_confirmation_and_early_disclosure(world: World) -> None:
    case = the_case(world)
    actions.record_contact_attempt(case, by=world.analyst, outside=True)
    join_embargo(world)
    vendor = login(Client(), world.vendor)
    analyst = login(Client(), world.analyst)
    response = vendor.post(
        f"/cases/{case.url_ref}/facts/",
        {"fact": "A", "evidence": "https://intel.example/campaign"},
        follow=True,
    )
    assert "is a claim now" in messages_of(response)
    case.refresh_from_db()
    assert case.a_at is None and case.embargo_state == EM.ACTIVE
    claim = FactReport.objects.get(case=case, fact=Fact.A)
    html = page(analyst, case)
    assert "Claims waiting for an analyst" in html and "https://intel.example/campaign" in html
    analyst.post(f"/cases/{case.url_ref}/claims/confirm/", {"claim": claim.pk})
    case.refresh_from_db()
    assert case.a_at is not None
    html = page(analyst, case)
    assert "Early disclosure" in html and "SSVC coordinator publish" in html
    for point in ssvc.COORDINATOR_PUBLISH.points:
        assert f"<legend>{point.name}" in html
    values = {
        "supplier_involvement": "cooperative",
        "exploitation": "active",
        "public_value_added": "ampliative",
    }
    analyst.post(f"/cases/{case.url_ref}/ssvc/", {**values, "chosen": ""})
    decision = SsvcDecision.objects.get(case=case, table=SsvcDecision.Table.PUBLISH)
    assert decision.outcome == "publish" and decision.chosen == "publish"
    # Confirming twice is refused by its rule.
    again = analyst.post(f"/cases/{case.url_ref}/claims/confirm/", {"claim": claim.pk}, follow=True)
    assert "(rule: claim-open)" in messages_of(again)


def test_an_analyst_report_of_x_takes_effect_and_ends_the_embargo(world: World) -> None:
    case = the_case(world)
    actions.record_contact_attempt(case, by=world.analyst, outside=True)
    analyst = login(Client(), world.analyst)
    analyst.post(f"/cases/{case.url_ref}/facts/", {"fact": "X", "evidence": "https://exploit-db.example/1"})
    case.refresh_from_db()
    assert case.x_at is not None and case.p_at is not None
    assert case.embargo_state == EM.EXITED
    dismissed = FactReport.objects.create(case=case, fact=Fact.A, evidence="rumour", reported_by=world.vendor)
    analyst.post(f"/cases/{case.url_ref}/claims/dismiss/", {"claim": dismissed.pk, "reason": "No evidence."})
    dismissed.refresh_from_db()
    assert dismissed.dismissed_at is not None


# --- Participants, anonymity and the timeline --------------------------------------------------


def test_anonymous_participants_show_only_their_alias_to_others(world: World) -> None:
    case = the_case(world)
    hidden_org = Organization.objects.create(name="Secretive Systems", kind=Organization.Kind.VENDOR)
    add_vendor(case, hidden_org, anonymous=True)
    assert "Secretive Systems" in page(login(Client(), world.analyst), case, "vendors/")
    vendor_html = page(login(Client(), world.vendor), case, "vendors/")
    assert "Secretive Systems" not in vendor_html
    assert "Vendor 2" in vendor_html
    assert "Vendor One" in vendor_html  # not anonymous


def test_the_timeline_is_filterable_by_kind(world: World) -> None:
    case = the_case(world)
    actions.update_case(case, by=world.analyst, title="Renamed case")
    actions.record_contact_attempt(case, by=world.analyst, outside=True)
    client = login(Client(), world.analyst)
    html = page(client, case, "timeline/")
    timeline = html[html.index('<ol class="timeline">') :]
    assert "Case edited" in timeline and "Contact attempt" in timeline and "Report accepted" in timeline
    # Newest first.
    assert (
        timeline.index("Report accepted") > timeline.index("Case edited") > timeline.index("Contact attempt")
    )
    only = page(client, case, "timeline/?kind=contact.attempt")
    timeline = only[only.index('id="timeline-h"') :]
    assert "Contact attempt" in timeline and "Case edited</strong>" not in timeline


def test_the_reporter_reads_the_case_but_not_internal_events(world: World) -> None:
    case = the_case(world)
    assert world.report is not None
    # Messages are no events; an internal event is one for the coordinator's staff only.
    write_to_reporter(world.report, "internal-ish note", by=world.analyst)
    actions.assign_analysts(case, [world.analyst], by=world.analyst)
    assert "Analysts assigned" in page(login(Client(), world.analyst), case, "timeline/")
    html = page(login(Client(), world.reporter), case)
    assert case.label in html
    assert "Analysts assigned" not in html
    assert "Analysts assigned" not in page(login(Client(), world.reporter), case, "timeline/")
    assert "Record a contact attempt" not in html


def _vendors(case: Case, count: int) -> None:
    orgs = Organization.objects.bulk_create(
        [
            Organization(name=f"Bulk Vendor {case.number}-{n}", kind=Organization.Kind.VENDOR)
            for n in range(count)
        ]
    )
    Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"Bulk {n}",
                anonymous=n % 2 == 0,
                rm_state=RM.RECEIVED,
                first_contact_at=timezone.now(),
            )
            for n, org in enumerate(orgs)
        ]
    )


def _case_with_vendors(world: World, count: int) -> Case:
    report, _ = actions.submit_report(
        ReportInput(product=f"P{count}", version="1", description="d", credit=False), by=None
    )
    case = actions.accept_report(report, by=world.analyst)
    _vendors(case, count)
    actions.record_contact_attempt(case, by=world.analyst, outside=True)
    FactReport.objects.create(case=case, fact=Fact.P, evidence="https://example/p", reported_by=world.vendor)
    return case


@pytest.mark.parametrize("tab", ["", "vendors/", "timeline/"])
@pytest.mark.parametrize("persona", ["analyst", "vendor"])
def test_the_case_page_costs_the_same_queries_with_2_or_2000_participants(  # type: ignore[no-untyped-def]
    world: World, persona: str, tab: str, django_assert_num_queries
) -> None:
    small = _case_with_vendors(world, 2)
    large = _case_with_vendors(world, 2000)
    if persona == "vendor":
        for case in (small, large):
            # The contact attempt started the embargo: the vendor accepts it to see the details.
            joined = add_vendor(case, world.vendor_org)
            participant_actions.answer_embargo(joined, accept=True, by=world.vendor)
    client = login(Client(), world.persona(persona))
    client.get(f"/cases/{small.url_ref}/")  # warm up the session and the user
    client.get(f"/cases/{large.url_ref}/")  # a vendor's first visit records "seen": not measured
    with CaptureQueriesContext(connection) as two:
        html = page(client, small, tab)
    if tab == "vendors/":
        assert "Bulk 1" in html
    with django_assert_num_queries(len(two.captured_queries)):
        html = page(client, large, tab)
    # Every tab's header counts the vendors: 2,000 (and ours).
    assert '<span class="count">2,00' in html
    print(f"case tab {tab!r} as {persona}: {len(two.captured_queries)} queries with 2 and with 2000 vendors")


# --- The dashboard -----------------------------------------------------------------------------


def test_the_analyst_dashboard_lists_what_needs_attention(  # type: ignore[no-untyped-def]
    world: World, django_assert_max_num_queries
) -> None:
    case = the_case(world)
    actions.record_contact_attempt(
        case, by=world.analyst, at=timezone.now() - dt.timedelta(days=40), outside=True
    )
    FactReport.objects.create(
        case=case, fact=Fact.X, evidence="https://poc.example", reported_by=world.vendor
    )
    waiting, _ = actions.submit_report(
        ReportInput(product="Waiting Thing", version="1", description="d", credit=False), by=None
    )
    quiet = actions.accept_report(
        actions.submit_report(
            ReportInput(product="Old", version="1", description="d", credit=False), by=None
        )[0],
        by=world.analyst,
    )
    Case.objects.filter(pk=quiet.pk).update(quiet=True, x_at=timezone.now())
    client = login(Client(), world.analyst)
    client.get("/dashboard/")
    with django_assert_max_num_queries(20):
        html = client.get("/dashboard/").content.decode()
    for heading in (
        "My cases",
        "Target date within 7 days or past",
        "Embargoes with termination due",
        "Claims waiting for confirmation",
        "Reports waiting in triage",
        "Early disclosure",
    ):
        assert heading in html
    assert waiting.pk in html
    assert html.count(case.label) >= 3  # my cases, target near, claims
    assert quiet.label not in html
    assert (
        "Reports waiting in triage" not in login(Client(), world.vendor).get("/dashboard/").content.decode()
    )


# --- The disclosure policy ---------------------------------------------------------------------


def test_the_policy_page_shows_the_live_values(world: World) -> None:
    html = Client().get("/policy/").content.decode()
    assert "45 days" in html
    assert "{disclosure_days}" not in html
    assert "Yes, at once" in html


def test_an_admin_edits_the_policy_and_an_analyst_may_not(world: World) -> None:
    admin = login(Client(), world.admin)
    form = admin.get("/policy/edit/")
    assert form.status_code == 200
    response = admin.post(
        "/policy/edit/",
        {
            "disclosure_days": "60",
            "draft_share_days": "10",
            "page": "# Our policy\n\nWe publish after {disclosure_days} days. {unknown} stays.",
        },
    )
    assert response.status_code == 302
    assert policy.current("disclosure_days") == 60
    assert policy.current("exit_embargo_on_attacks") is False
    html = Client().get("/policy/").content.decode()
    assert "We publish after 60 days. {unknown} stays." in html
    assert "Not by themselves" in html
    history = admin.get("/policy/edit/").content.decode()
    assert "disclosure_days" in history and "Admin" in history
    assert login(Client(), world.analyst).get("/policy/edit/").status_code == 403
    assert login(Client(), world.analyst).post("/policy/edit/", {"disclosure_days": "1"}).status_code == 403
    assert policy.current("disclosure_days") == 60


def test_markdown_in_the_policy_cannot_inject_script(world: World) -> None:
    admin = login(Client(), world.admin)
    values = policy.snapshot()
    admin.post(
        "/policy/edit/",
        {
            "disclosure_days": values["disclosure_days"],
            "exit_embargo_on_attacks": "on",
            "draft_share_days": values["draft_share_days"],
            "page": (
                "Hello <script>alert(1)</script>\n\n"
                '<img src=x onerror="alert(2)">\n\n'
                "[click](javascript:alert(3)) [ok](https://example.org/)"
            ),
        },
    )
    html = Client().get("/policy/").content.decode()
    body = html[html.index('class="policy-text"') :]
    assert "<script>alert(1)" not in body and "<img" not in body
    assert 'href="javascript' not in body
    assert '<a href="https://example.org/" rel="noopener noreferrer nofollow">ok</a>' in body


def test_vendors_see_the_reporter_only_by_alias(world: World) -> None:
    case = the_case(world)
    vendor_html = page(login(Client(), world.vendor), case, "vendors/")
    participants = vendor_html[vendor_html.index('id="others"') :]
    assert "Reporter" in participants and "Finder" not in participants
    reporter_html = page(login(Client(), world.reporter), case, "vendors/")
    assert "Finder (Reporter) (you)" in reporter_html
