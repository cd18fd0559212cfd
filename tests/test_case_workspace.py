"""Issue 8, journey 4, through HTTP: the case page as a workspace with tabs, a header on every
tab, only the actions the rules allow, and the Vendors tab's filters, counts and pages (the same
filters in the API), with constant query counts and nothing leaked through a count."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.answers.actions import AnswerInput, StatusInput, submit_answer
from accord.cases import actions, policy
from accord.cases.models import Case
from accord.cases.states import EM, Fact
from accord.core.templatetags.accord import relative_words
from accord.lib.time import format_utc
from accord.testing import World, join_embargo, login, start_embargo
from tests.test_api_vendor_filters import answered_world, bulk_vendors

pytestmark = pytest.mark.django_db

TABS = ("", "vendors/", "timeline/")


def get(client: Client, case: Case, tab: str = "", status: int = 200) -> str:
    response = client.get(f"/cases/{case.url_ref}/{tab}")
    assert response.status_code == status, response.content.decode()[:500]
    return response.content.decode()


def the_case(world: World) -> Case:
    assert world.case is not None
    world.case.refresh_from_db()
    return world.case


# --- The header and the tabs ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["analyst", "vendor", "co_vendor", "reporter"])
@pytest.mark.parametrize("tab", TABS)
def test_every_tab_has_the_header_for_everyone_who_reads_the_case(
    world: World, persona: str, tab: str
) -> None:
    case = start_embargo(world)
    html = get(login(Client(), world.persona(persona)), case, tab)
    header = html[html.index('class="page-header case-header"') : html.index('aria-label="Case sections"')]
    assert f'<span id="case-id">{case.label}</span>: {case.title}' in header
    assert 'id="embargo-state">Active<' in header
    assert case.embargo_ends_at is not None and case.target_publication_at is not None
    assert format_utc(case.embargo_ends_at) in header and format_utc(case.target_publication_at) in header
    # The time left, in words.
    assert re.search(r'id="time-left">in (45|44) days<', header), header
    # The tabs: the current one is marked, each names its count.
    tabs = html[html.index('aria-label="Case sections"') :]
    tabs = tabs[: tabs.index("</nav>")]
    current = {"": "Overview", "vendors/": "Vendors", "timeline/": "Timeline"}[tab]
    assert re.search(rf'aria-current="page">{current}\b', tabs)
    assert tabs.count("aria-current") == 1
    assert 'Vendors <span class="count">3</span>' in tabs


def test_the_header_says_when_no_vendor_was_contacted_and_the_time_past(world: World) -> None:
    case = the_case(world)
    client = login(Client(), world.analyst)
    html = get(client, case)
    assert '<span id="target-date">no vendor contacted yet</span>' in html
    assert 'id="embargo-state">None<' in html and "no embargo is proposed or in force" in html
    # A target in the past reads "N days ago".
    Case.objects.filter(pk=case.pk).update(target_publication_at=timezone.now() - dt.timedelta(days=12))
    assert 'id="time-left">12 days ago<' in get(client, case)


def test_time_left_in_words() -> None:
    now = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    assert relative_words(now + dt.timedelta(days=31), now) == "in 31 days"
    assert relative_words(now + dt.timedelta(days=30, hours=20), now) == "in 31 days"
    assert relative_words(now - dt.timedelta(days=12), now) == "12 days ago"
    assert relative_words(now + dt.timedelta(hours=5), now) == "in 5 hours"
    assert relative_words(now + dt.timedelta(hours=47), now) == "in 47 hours"
    assert relative_words(now - dt.timedelta(minutes=1), now) == "1 minute ago"
    assert relative_words(now + dt.timedelta(seconds=20), now) == "now"


@pytest.mark.parametrize("tab", TABS)
def test_the_invited_vendor_sees_only_the_terms_on_every_tab(world: World, tab: str) -> None:
    case = start_embargo(world)
    html = get(login(Client(), world.invited_vendor), case, tab, status=200 if tab == "" else 409)
    assert "Accept the embargo" in html
    for secret in (case.title, "Vendor One", "Vendor Three", "Vendor 1", "Vendor 2"):
        assert secret not in html


def test_outsiders_get_404_on_every_tab(world: World) -> None:
    case = start_embargo(world)
    for tab in TABS:
        get(login(Client(), world.other_vendor), case, tab, status=404)
        get(login(Client(), world.outsider), case, tab, status=404)


# --- Only the actions the rules allow ----------------------------------------------------------------


def test_no_embargo_yet_offers_a_proposal_but_nothing_to_decide_or_end(world: World) -> None:
    case = the_case(world)
    html = get(login(Client(), world.analyst), case)
    assert "Propose an embargo" in html
    for absent in (
        "Accept the proposal",
        "Reject the proposal",
        "Terminate the embargo",
        "Apply it to this case",
    ):
        assert absent not in html


def test_a_proposal_offers_accept_and_reject_and_a_counter(world: World) -> None:
    case = the_case(world)
    actions.propose_embargo(case, timezone.now() + dt.timedelta(days=30), by=world.analyst, reason="r")
    html = get(login(Client(), world.analyst), case)
    assert "Accept the proposal" in html and "Reject the proposal" in html and "Counter the proposal" in html
    assert "Terminate the embargo" not in html


def test_an_active_embargo_offers_termination_as_a_link_to_confirm(world: World) -> None:
    case = start_embargo(world)
    html = get(login(Client(), world.analyst), case)
    href = f'href="/cases/{case.url_ref}/embargo/terminate/"'
    assert re.search(rf'<a class="button danger" {href}>Terminate the embargo</a>', html)
    assert 'id="terminate-reason"' not in html  # the reason is asked on the confirmation page
    assert "Propose a different end date" in html
    assert "Accept the proposal" not in html
    # Participants never see the analysts' decisions.
    vendor_html = get(login(Client(), world.vendor), case)
    assert "Terminate the embargo" not in vendor_html and "Accept the proposal" not in vendor_html
    assert "Propose a different end date" in vendor_html


def test_once_public_no_embargo_is_offered_and_only_open_facts_are(world: World) -> None:
    case = start_embargo(world)
    actions.report_fact(case, Fact.P, "https://blog.example/post", by=world.analyst)
    case.refresh_from_db()
    assert case.embargo_state == EM.EXITED
    html = get(login(Client(), world.analyst), case)
    assert "Propose a new end" not in html and "Propose an embargo" not in html
    assert "no embargo can be proposed any more" in html
    assert 'value="P"' not in html and 'value="X"' in html and 'value="A"' in html
    for fact in (Fact.X, Fact.A):
        actions.report_fact(case, fact, "https://example.test/evidence", by=world.analyst)
    html = get(login(Client(), world.analyst), case)
    assert "Report that it is public" not in html  # every fact is already true


def test_apply_the_policy_is_offered_only_when_it_would_change_something(world: World) -> None:
    case = start_embargo(world)
    client = login(Client(), world.analyst)
    assert "Apply it to this case" not in get(client, case)
    policy.set_policy("disclosure_days", 60, by=world.admin)
    html = get(client, case)
    assert "The policy is now 60 days to publication." in html and "Apply it to this case" in html


def test_the_overview_reads_first_and_keeps_the_analysts_forms_folded(world: World) -> None:
    case = start_embargo(world)
    actions.update_case(case, by=world.analyst, summary="# Overview\n\nA **heap overflow**.")
    html = get(login(Client(), world.analyst), case)
    main = html[html.index('<main id="main"') :]
    # The summary as Markdown, headings demoted below the page's h2 sections.
    assert "<h3>Overview</h3>" in main and "<strong>heap overflow</strong>" in main
    assert main.index('id="summary-h"') < main.index('id="vulns-h"') < main.index('id="dates-h"')
    # Every editing form is inside a closed <details>.
    for action in ("edit/", "analysts/", "vulnerabilities/add/", "contact/", "embargo/propose/"):
        form_at = main.index(f'action="/cases/{case.url_ref}/{action}"')
        opened = main.rfind("<details", 0, form_at)
        closed = main.rfind("</details>", 0, form_at)
        assert opened > closed, f"the {action} form is not folded"
    # The participants table and the timeline moved to their tabs.
    assert 'id="vendor-table"' not in main and '<ol class="timeline">' not in main


# --- The Vendors tab: filters, counts and pages ---------------------------------------------------------


def _facet(html: str, label: str) -> int:
    match = re.search(rf'>{re.escape(label)} <span class="count">([\d,]+)</span>', html)
    assert match, f"no filter {label!r}"
    return int(match.group(1).replace(",", ""))


def test_the_analyst_filters_by_status_answer_and_notification_with_counts(world: World) -> None:
    case, vendor, co_vendor = answered_world(world)
    client = login(Client(), world.analyst)
    html = get(client, case, "vendors/")
    assert _facet(html, "Affected") == 1 and _facet(html, "Fixed") == 1
    assert _facet(html, "Unknown") == 1  # the invited vendor gave no status
    assert _facet(html, "Answered") == 2 and _facet(html, "Not answered") == 1
    # The contact attempt was made outside Accord: no notification reached a vendor yet.
    assert _facet(html, "Notified") == 0 and _facet(html, "Not notified") == 3
    assert "Not shared" not in html  # the coordinator sees every answer
    affected = client.get(f"/cases/{case.url_ref}/vendors/", {"status": "affected"})
    assert [r["p"].pk for r in affected.context["rows"]] == [vendor.pk]
    waiting = client.get(f"/cases/{case.url_ref}/vendors/", {"answered": "no"})
    assert [r["p"].organization for r in waiting.context["rows"]] == [world.invited_vendor_org]
    # The other filters' counts follow the chosen one: among the not answered, none is fixed.
    assert _facet(waiting.content.decode(), "Fixed") == 0
    assert _facet(waiting.content.decode(), "Unknown") == 1
    both = client.get(f"/cases/{case.url_ref}/vendors/", {"answered": "yes", "status": "fixed"})
    assert [r["p"].pk for r in both.context["rows"]] == [co_vendor.pk]
    assert "<strong>1</strong> of 3 vendors matches" in both.content.decode()


def test_a_status_for_one_vulnerability(world: World) -> None:
    case, vendor, _ = answered_world(world)
    actions.add_vulnerability(case, by=world.analyst, title="Second")
    submit_answer(
        vendor,
        AnswerInput(
            statuses=[
                StatusInput(vulnerability="1", status="affected"),
                StatusInput(vulnerability="2", status="fixed", fixed_version="2.2"),
            ]
        ),
        by=world.vendor,
    )
    client = login(Client(), world.analyst)
    second = client.get(f"/cases/{case.url_ref}/vendors/", {"vulnerability": "2", "status": "fixed"})
    assert [r["p"].pk for r in second.context["rows"]] == [vendor.pk]
    html = second.content.decode()
    assert _facet(html, "Unknown") == 2  # nobody else gave a status for .2
    first = client.get(f"/cases/{case.url_ref}/vendors/", {"vulnerability": "1", "status": "fixed"})
    assert len(first.context["rows"]) == 1  # the co-vendor's "fixed" for .1


def test_participants_see_the_table_and_counts_only_of_what_was_shared(world: World) -> None:
    case, vendor, co_vendor = answered_world(world)
    client = login(Client(), world.co_vendor)
    html = get(client, case, "vendors/")
    # The anonymous vendor's unshared "affected" is not counted, nor shown, nor named.
    assert _facet(html, "Affected") == 0
    assert _facet(html, "Fixed") == 1
    assert _facet(html, "Unknown") == 0  # the invited vendor's answer is not visible either
    assert _facet(html, "Not shared") == 2
    assert _facet(html, "Answered") == 2 and _facet(html, "Not notified") == 3
    assert "Vendor One" not in html and vendor.alias in html
    table = html[html.index('id="vendor-table"') :]
    assert "affected" not in table
    assert f"{case.label}.1: fixed" in table  # the shared answer
    assert "(you)" in table
    hidden = client.get(f"/cases/{case.url_ref}/vendors/", {"status": "affected"})
    assert list(hidden.context["participant_rows"]) == []
    unshared = client.get(f"/cases/{case.url_ref}/vendors/", {"status": "not_shared"})
    assert {r["p"].pk for r in unshared.context["participant_rows"]} == {
        vendor.pk,
        case.participants.get(organization=world.invited_vendor_org).pk,
    }
    # The vendor itself sees its own answer.
    own = get(login(Client(), world.vendor), case, "vendors/")
    assert _facet(own, "Affected") == 1 and _facet(own, "Not shared") == 1


def test_a_search_never_finds_an_anonymous_vendor_by_its_name(world: World) -> None:
    case, vendor, _ = answered_world(world)
    co_client = login(Client(), world.co_vendor)
    by_name = co_client.get(f"/cases/{case.url_ref}/vendors/", {"q": "Vendor One"})
    assert list(by_name.context["participant_rows"]) == []
    by_alias = co_client.get(f"/cases/{case.url_ref}/vendors/", {"q": vendor.alias})
    assert [r["p"].pk for r in by_alias.context["participant_rows"]] == [vendor.pk]
    own = login(Client(), world.vendor).get(f"/cases/{case.url_ref}/vendors/", {"q": "vendor one"})
    assert [r["p"].pk for r in own.context["participant_rows"]] == [vendor.pk]
    staff = login(Client(), world.analyst).get(f"/cases/{case.url_ref}/vendors/", {"q": "vendor one"})
    assert [r["p"].pk for r in staff.context["rows"]] == [vendor.pk]


def test_pages_of_50_or_100_keep_the_filters(world: World) -> None:
    case = start_embargo(world)
    bulk_vendors(case, 230)
    client = login(Client(), world.analyst)
    first = client.get(f"/cases/{case.url_ref}/vendors/", {"answered": "no"})
    assert len(first.context["rows"]) == 50
    html = first.content.decode()
    assert _facet(html, "Not answered") == 233
    assert 'href="?answered=no&amp;page=2">Next</a>' in html
    second = client.get(f"/cases/{case.url_ref}/vendors/", {"answered": "no", "page": "2"})
    assert second.context["vendors"].number == 2 and second.context["filters"].answered is False
    assert 'href="?answered=no&amp;page=1">Previous</a>' in second.content.decode()
    wide = client.get(f"/cases/{case.url_ref}/vendors/", {"answered": "no", "per": "100", "page": "3"})
    assert len(wide.context["rows"]) == 33
    assert 'href="?answered=no&amp;per=100&amp;page=2">Previous</a>' in wide.content.decode()
    # Each filter link starts again at page 1 and keeps the page size.
    assert 'href="?answered=yes&amp;per=100"' in wide.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"status": "bogus", "answered": "maybe", "per": "7", "page": "x"},
        {"vulnerability": "99999999999999999999", "q": "\x00" * 3},
        {"vulnerability": "-1", "status": "unknown", "q": "x" * 5000},
        {"page": "99999", "per": "100"},
    ],
)
def test_crafted_filters_are_ignored_never_an_error(world: World, query: dict[str, str]) -> None:
    case = start_embargo(world)
    for persona in ("analyst", "co_vendor"):
        response = login(Client(), world.persona(persona)).get(f"/cases/{case.url_ref}/vendors/", query)
        assert response.status_code == 200


@pytest.mark.parametrize("persona", ["analyst", "co_vendor"])
def test_the_filtered_vendors_tab_costs_the_same_with_2_or_250_vendors(  # type: ignore[no-untyped-def]
    world: World, persona: str, django_assert_max_num_queries
) -> None:
    case, _, _ = answered_world(world)
    client = login(Client(), world.persona(persona))
    url = f"/cases/{case.url_ref}/vendors/?answered=no&notified=yes&status=unknown&q=Vendor&page=1"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    bulk_vendors(case, 250, prefix="Vendor")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    print(f"filtered Vendors tab as {persona}: {len(few.captured_queries)} queries with 3 and 253 vendors")


def test_the_overview_cards_link_to_the_filtered_vendors(world: World) -> None:
    case, _, _ = answered_world(world)
    html = get(login(Client(), world.analyst), case)
    cards = html[html.index('id="vendor-cards"') :]
    cards = cards[: cards.index("</ul>")]
    assert f'href="/cases/{case.url_ref}/vendors/?answered=no"><span class="card-count">1</span>' in cards


# --- The Timeline tab ---------------------------------------------------------------------------------------


def test_the_timeline_tab_pages_and_keeps_its_filter(world: World) -> None:
    case = start_embargo(world)
    for n in range(105):
        actions.update_case(case, by=world.analyst, title=f"Title {n}")
    client = login(Client(), world.analyst)
    html = get(client, case, "timeline/?kind=case.updated")
    assert "105 events, page 1 of 2" in html
    assert 'href="?kind=case.updated&amp;page=2">Next</a>' in html
    html = get(client, case, "timeline/?kind=case.updated&page=2")
    assert html.count("<strong>Case edited</strong>") == 5
    # An unknown kind shows everything rather than an error.
    assert get(client, case, "timeline/?kind=nothing.such").count('<li><span class="when">') == 100


def test_the_timeline_tab_shows_participants_only_their_events(world: World) -> None:
    case = start_embargo(world)
    actions.assign_analysts(case, [world.analyst], by=world.analyst)
    assert "Analysts assigned" in get(login(Client(), world.analyst), case, "timeline/")
    html = get(login(Client(), world.co_vendor), case, "timeline/")
    assert "Analysts assigned" not in html and "Contact attempt" in html


def test_join_embargo_helper_keeps_the_world_readable(world: World) -> None:
    # The co-vendor reads the Vendors tab only after accepting: before, it gets the terms (409).
    case = the_case(world)
    actions.record_contact_attempt(case, by=world.analyst, outside=True)
    get(login(Client(), world.co_vendor), case, "vendors/", status=409)
    join_embargo(world)
    get(login(Client(), world.co_vendor), case, "vendors/")
