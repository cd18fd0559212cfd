"""Issue 8: the triage page shows the report first and the actions beside it, and offers only
what the report-management rules allow (no "Defer" on a Received report)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accord.cases import actions, ssvc
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Report
from accord.cases.states import RM, RM_TRANSITIONS
from accord.cases.views.triage import possible_actions
from accord.testing import World, login

pytestmark = pytest.mark.django_db

STEPS = ("validate", "invalidate", "defer", "accept", "duplicate", "close")


def report_in(world: World, state: str) -> Report:
    report, _ = actions.submit_report(
        ReportInput(product="Gadget", version="1", description="A flaw in the parser.", credit=False), by=None
    )
    by = world.analyst
    if state in (RM.VALID, RM.DEFERRED):
        actions.validate_report(report, by=by)
    if state == RM.DEFERRED:
        actions.defer_report(report, by=by)
    if state in (RM.INVALID, RM.CLOSED):
        actions.invalidate_report(report, by=by, reason="Not a flaw.")
    if state == RM.CLOSED:
        actions.close_report(report, by=by, reason="Done.")
    if state == RM.ACCEPTED:
        actions.accept_report(report, by=by)
    report.refresh_from_db()
    assert report.state == state
    return report


def offered(html: str, report: Report) -> set[str]:
    """The steps the page's aside offers: a form posting to the step, or a link to its page."""
    aside = html.split('id="actions"')[1].split("</aside>")[0]
    found = set()
    for step in STEPS:
        url = f"/triage/{report.pk}/{step}/"
        if f'action="{url}"' in aside or f'href="{url}"' in aside:
            found.add(step)
    return found


def expected(report: Report) -> set[str]:
    allowed = {name for name, table in RM_TRANSITIONS.items() if report.state in table} - {"receive"}
    if report.state == RM.RECEIVED:
        allowed.add("accept")  # accepting a Received report validates it first
    if report.case_id is None and report.state in (RM.RECEIVED, RM.INVALID, RM.VALID):
        allowed.add("duplicate")
    return allowed


@pytest.mark.parametrize("state", [s for s in RM.values if s != RM.START])
def test_only_the_steps_the_rules_allow_are_offered(world: World, state: str) -> None:
    report = report_in(world, state)
    html = login(Client(), world.analyst).get(f"/triage/{report.pk}/").content.decode()
    assert offered(html, report) == expected(report) == set(possible_actions(report))
    if state == RM.CLOSED:
        assert "no further step" in html


def test_a_received_report_offers_no_defer_and_no_close(world: World) -> None:
    report = report_in(world, RM.RECEIVED)
    html = login(Client(), world.analyst).get(f"/triage/{report.pk}/").content.decode()
    assert offered(html, report) == {"validate", "invalidate", "accept", "duplicate"}
    assert ">Defer<" not in html and "Close the report" not in html
    # Irreversible steps are links to their confirmation pages, not buttons that act at once.
    assert f'<a class="button secondary" href="/triage/{report.pk}/invalidate/">' in html
    assert "validates the report first" in html


def test_the_report_comes_first_and_the_actions_beside_it(world: World) -> None:
    report = report_in(world, RM.RECEIVED)
    html = login(Client(), world.analyst).get(f"/triage/{report.pk}/").content.decode()
    main = html.index('class="split-main"')
    aside = html.index('<aside class="split-aside"')
    assert main < html.index('id="report-h"') < aside  # the report, in the main column, first
    assert aside < html.index('id="ssvc-h"')  # SSVC beside it, in the aside
    # The SSVC form waits folded: it no longer pushes the report down the page.
    assert re.search(r'<details id="ssvc-form">\s*<summary>Decline, track or coordinate\?</summary>', html)
    assert html.index('id="actions-h"') < html.index('name="analyst"')  # assigning is an action too


def test_a_refused_ssvc_form_opens_with_its_errors(world: World) -> None:
    report = report_in(world, RM.RECEIVED)
    client = login(Client(), world.analyst)
    response = client.post(f"/triage/{report.pk}/ssvc/", {"report_public": "no"})
    assert response.status_code == 400
    assert '<details id="ssvc-form" open>' in response.content.decode()


def test_the_latest_ssvc_decision_shows_beside_the_report(world: World) -> None:
    report = report_in(world, RM.RECEIVED)
    values = {point.key: point.options[0].value for point in ssvc.COORDINATOR_TRIAGE.points}
    actions.record_triage(report, values, "track", by=world.analyst, rationale="Wait and see.")
    html = login(Client(), world.analyst).get(f"/triage/{report.pk}/").content.decode()
    latest = html.split('id="ssvc-latest"')[1].split("</p>")[0]
    assert "Decided <strong>track</strong>" in latest and "the table said" in latest


def test_the_reporter_reads_the_report_without_the_actions(world: World) -> None:
    assert world.report is not None
    html = login(Client(), world.reporter).get(f"/triage/{world.report.pk}/").content.decode()
    assert 'id="actions"' not in html and "split-aside" not in html
    assert "Heap overflow in the parser." in html
