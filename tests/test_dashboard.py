"""Issue 8: the analyst's dashboard is a work queue.

Cards with counts and links, most urgent first, for: embargo termination due, public with
vendors unaware, claims to confirm, early disclosure, target dates near or past, open
information requests, proposed embargo dates, reports in triage, pending vendor directory
changes, new statements and the analyst's own cases. Every list skips quiet (imported) cases
and costs a constant number of queries, whatever the number of vendors.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.accounts.models import Organization
from accord.answers import actions as answer_actions
from accord.answers.actions import AnswerInput, StatementInput
from accord.answers.models import Statement
from accord.cases import actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, FactReport, Participant
from accord.cases.states import EM, Fact
from accord.cases.views.dashboard import LIST_LIMIT, NEW_STATEMENT_DAYS, QUEUE_ORDER
from accord.conversation import actions as conversation
from accord.conversation.models import Message
from accord.testing import World, add_vendor, login, reporter_writes, start_embargo, write_to_reporter
from accord.vendors import actions as vendor_actions

pytestmark = pytest.mark.django_db

CARDS = re.compile(
    r'<li class="card[^"]*"><a href="#dash-(?P<key>[a-z]+)"><span class="card-count">(?P<count>[\d+]+)</span>'
    r' <span class="card-label">(?P<label>[^<]+)</span>'
)


def dashboard(client: Client) -> str:
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def cards(html: str) -> dict[str, str]:
    """{queue key: its count}, in the order the cards appear."""
    return {m["key"]: m["count"] for m in CARDS.finditer(html)}


def section(html: str, key: str) -> str:
    return html.split(f'id="dash-{key}"')[1].split("</section>")[0]


def vendor_participant(world: World) -> Participant:
    assert world.case is not None
    return world.case.participants.get(organization=world.vendor_org)


def ask(world: World, text: str = "Which firmware did the reporter test?") -> Message:
    answer_actions.submit_answer(
        vendor_participant(world), AnswerInput(need_more_information=text), by=world.vendor
    )
    return Message.objects.get(body=text, request=Message.Request.OPEN)


def test_the_cards_come_most_urgent_first_each_with_a_count_and_a_link(world: World) -> None:
    html = dashboard(login(Client(), world.analyst))
    found = cards(html)
    assert list(found) == list(QUEUE_ORDER)
    # Each card leads to its list; the empty ones share one "Nothing waiting" list.
    assert '<section aria-labelledby="dash-mine-h" id="dash-mine">' in html
    idle = section(html, "idle")
    for key in QUEUE_ORDER:
        if key != "mine":
            assert f'<li id="dash-{key}">' in idle, key
    labels = [m["label"] for m in CARDS.finditer(html)]
    for label in (
        "Embargo termination due",
        "Claims to confirm",
        "Target date near or past",
        "Open information requests",
        "Proposed embargo dates",
        "Reports waiting in triage",
        "Pending vendor changes",
        f"New statements ({NEW_STATEMENT_DAYS} days)",
        "My cases",
    ):
        assert label in labels
    assert found["mine"] == "1"  # the world's case, which the analyst owns


def test_open_information_requests_link_to_where_the_analyst_answers(world: World) -> None:
    start_embargo(world)
    request = ask(world)
    client = login(Client(), world.analyst)
    html = dashboard(client)
    assert cards(html)["requests"] == "1"
    assert '<li class="card attention"><a href="#dash-requests">' in html
    rows = section(html, "requests")
    assert world.case is not None
    thread = f"/cases/{world.case.url_ref}/messages/{request.thread_id}/"
    assert f'href="{thread}#m{request.pk}"' in rows
    assert "Which firmware did the reporter test?" in rows
    assert "Vendor One" in rows  # the coordinator sees the anonymous vendor's name
    # The link leads to the request in the vendor's private thread, where the analyst answers it
    # (a reply): it waits to be closed, then closing it drops the count.
    page = client.get(thread).content.decode()
    assert f'id="m{request.pk}"' in page and f'href="?reply={request.pk}#compose"' in page
    assert client.post(thread, {"body": "Build 7.1.4.", "reply_to": request.pk}).status_code == 302
    html = dashboard(client)
    assert cards(html)["requests"] == "1" and "Answered, to close" in section(html, "requests")
    client.post(f"{thread}{request.pk}/close/")
    request.refresh_from_db()
    assert request.request == Message.Request.CLOSED
    assert cards(dashboard(client))["requests"] == "0"


def test_the_coordinators_question_waits_for_the_reporter_then_to_be_closed(world: World) -> None:
    assert world.report is not None
    client = login(Client(), world.analyst)
    asked = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(asked, tick=False):
        question = write_to_reporter(
            world.report, "Which firmware did you test?", by=world.analyst, request=True
        )
    assert cards(dashboard(client))["requests"] == "0"  # waiting for the reporter, not for us
    with time_machine.travel(asked + dt.timedelta(days=1, hours=2), tick=False):
        reporter_writes(world.report, "Build 7.1.3.", reply_to=question)
    html = dashboard(client)
    assert cards(html)["requests"] == "1"
    rows = section(html, "requests")
    assert "Which firmware did you test?" in rows
    assert 'Answered, to close <time datetime="2026-03-03T11:00:00Z">' in rows  # when it was answered
    conversation.close_request(question, by=world.analyst)
    assert cards(dashboard(client))["requests"] == "0"


def test_new_statements_are_those_vendors_sent_in_the_last_days(world: World) -> None:
    start_embargo(world)
    participant = vendor_participant(world)
    answer_actions.submit_answer(
        participant, AnswerInput(statement=StatementInput(b"We fixed it in 2.2.")), by=world.vendor
    )
    old = Statement.objects.get()
    answer_actions.submit_answer(
        participant, AnswerInput(statement=StatementInput(b"Also fixed in 2.1.9.")), by=world.vendor
    )
    Statement.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=NEW_STATEMENT_DAYS + 1)
    )
    # One an analyst recorded for the vendor is no news to the analysts.
    answer_actions.submit_answer(
        participant, AnswerInput(statement=StatementInput(b"Recorded from a call.")), by=world.analyst
    )
    html = dashboard(login(Client(), world.analyst))
    assert cards(html)["statements"] == "1"
    rows = section(html, "statements")
    assert "Statement version 2" in rows and "version 1" not in rows and "version 3" not in rows
    assert f"/vendors/{participant.pk}/#statements" in rows


def test_pending_directory_changes_link_to_the_pending_page(world: World) -> None:
    vendor_actions.add_contact(world.vendor_org, "new@vendor-one.test", by=world.vendor)
    html = dashboard(login(Client(), world.analyst))
    assert cards(html)["directory"] == "1"
    rows = section(html, "directory")
    assert "Vendor One" in rows and "Asks to add the contact new@vendor-one.test." in rows
    assert 'href="/vendors/pending/"' in rows


def test_proposed_embargo_dates_wait_for_a_decision(world: World) -> None:
    assert world.case is not None
    end = timezone.now() + dt.timedelta(days=30)
    actions.propose_embargo(world.case, end, by=world.analyst, reason="Vendor release train.")
    html = dashboard(login(Client(), world.analyst))
    assert cards(html)["proposed"] == "1"
    rows = section(html, "proposed")
    assert world.case.label in rows and "accept, reject or counter it" in rows
    assert f'href="/cases/{world.case.url_ref}/#embargo"' in rows
    # A revision of an Active embargo is a proposed date too.
    actions.accept_embargo(world.case, by=world.analyst)
    world.case.refresh_from_db()
    actions.propose_embargo(world.case, end + dt.timedelta(days=10), by=world.analyst)
    world.case.refresh_from_db()
    assert world.case.embargo_state == EM.REVISE
    assert "A new end of the Active embargo" in section(dashboard(login(Client(), world.analyst)), "proposed")


def test_quiet_cases_stay_off_every_list(world: World) -> None:
    start_embargo(world)
    ask(world)
    assert world.report is not None  # and a question to the reporter, answered, to close
    question = write_to_reporter(world.report, "Which firmware?", by=world.analyst, request=True)
    reporter_writes(world.report, "Build 7.1.3.", reply_to=question)
    answer_actions.submit_answer(
        vendor_participant(world), AnswerInput(statement=StatementInput(b"Fixed.")), by=world.vendor
    )
    assert world.case is not None
    FactReport.objects.create(
        case=world.case, fact=Fact.P, evidence="https://x.test", reported_by=world.vendor
    )
    Case.objects.filter(pk=world.case.pk).update(
        quiet=True,
        embargo_state=EM.PROPOSED,
        embargo_proposed_ends_at=timezone.now() + dt.timedelta(days=3),
        target_publication_at=timezone.now() + dt.timedelta(days=1),
        x_at=timezone.now(),
        embargo_termination_due=True,
    )
    html = dashboard(login(Client(), world.analyst))
    assert world.case.label not in html
    for key in ("due", "claims", "early", "near", "requests", "proposed", "statements", "mine"):
        assert cards(html)[key] == "0", key


def test_a_vendor_sees_no_work_queue(world: World) -> None:
    html = dashboard(login(Client(), world.vendor))
    assert 'id="dash-cards"' not in html and "Open information requests" not in html


def test_every_list_costs_the_same_with_2_or_many_vendors(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    start_embargo(world)
    assert world.case is not None
    ask(world)
    client = login(Client(), world.analyst)
    dashboard(client)
    with CaptureQueriesContext(connection) as small:
        dashboard(client)
    # Many vendors, each with an open request, a statement and a pending contact; many cases
    # with proposals, claims and near target dates (bulk data by factories).
    soon = timezone.now() + dt.timedelta(days=2)
    for i in range(LIST_LIMIT + 10):
        org = Organization.objects.create(name=f"Bulk {i:03d}", kind=Organization.Kind.VENDOR)
        participant = add_vendor(world.case, org, accepted=True)
        conversation.post_message(
            conversation.private_thread(participant),
            f"Question {i}",
            speaker=conversation.Speaker(world.vendor, participant),
            request=True,
        )
        Statement.objects.create(participant=participant, version=1, text=b"Fixed.")
        vendor_actions.add_contact(org, f"psirt@bulk{i}.test", by=world.analyst)
        case = actions.accept_report(
            actions.submit_report(
                ReportInput(product=f"P{i}", version="1", description="d", credit=False), by=None
            )[0],
            by=world.analyst,
        )
        Case.objects.filter(pk=case.pk).update(
            embargo_state=EM.PROPOSED, embargo_proposed_ends_at=soon, target_publication_at=soon, x_at=soon
        )
        FactReport.objects.create(case=case, fact=Fact.P, evidence="https://x.test", reported_by=world.vendor)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = dashboard(client)
    found = cards(html)
    for key in ("requests", "statements", "proposed", "claims", "near", "early", "mine"):
        assert found[key] == f"{LIST_LIMIT}+", key
    print(f"dashboard: {len(small.captured_queries)} queries with 2 vendors and with {LIST_LIMIT + 12}")


def test_the_admin_finds_the_policy_editor_from_the_dashboard_and_the_header(world: World) -> None:
    admin = dashboard(login(Client(), world.admin))
    tools = admin.split('aria-label="Coordinator tools"')[1].split("</nav>")[0]
    assert 'href="/policy/edit/"' in tools
    header = admin.split('<header class="site-header">')[1].split("</header>")[0]
    assert 'href="/policy/edit/"' in header
    # Analysts and publishers have no policy editor to be led to.
    for persona in ("analyst", "publisher"):
        html = dashboard(login(Client(), world.persona(persona)))
        assert 'href="/policy/edit/"' not in html


def test_the_policy_page_leads_an_admin_to_its_editor(world: World) -> None:
    def main(client: Client) -> str:  # the page itself, not the header's account menu
        return client.get("/policy/").content.decode().split('<main id="main"')[1]

    assert 'href="/policy/edit/"' in main(login(Client(), world.admin))
    assert 'href="/policy/edit/"' not in main(login(Client(), world.analyst))
    assert 'href="/policy/edit/"' not in main(Client())


def test_a_vendor_members_dashboard_shows_what_waits_in_the_portal(world: World) -> None:
    start_embargo(world)  # the invited vendor has an embargo to accept
    html = login(Client(), world.invited_vendor).get("/dashboard/").content.decode()
    waiting = html.split('id="waiting-cards"')[1].split("</ul>")[0]
    counts = re.findall(r'class="card-count">([^<]+)<', waiting)
    labels = re.findall(r'class="card-label">([^<]+)<', waiting)
    assert dict(zip(labels, counts, strict=True))["Embargo to accept"] == "1"
    assert 'href="/portal/"' in html
    # An analyst's dashboard is the work queue, not the vendor's cards.
    assert 'id="waiting-cards"' not in login(Client(), world.analyst).get("/dashboard/").content.decode()
