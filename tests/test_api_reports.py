"""The reports API: intake (anonymous, honeypot, rate limit), visibility, search and triage actions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from accord.api.case_schemas import ReportCreate
from accord.cases import actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Report, SsvcDecision
from accord.cases.states import RM
from accord.mailgate.models import OutboundMessage
from accord.testing import World, login, write_to_reporter

pytestmark = pytest.mark.django_db

REPORT = {
    "product": "Gadget Router",
    "version": "4.0 to 4.2",
    "description": "A xylophone-shaped stack overflow in the admin page.",
    "reporter_name": "Ada",
    "reporter_email": "ada@research.test",
}


def call(client: Client, method: str, url: str, body: Any = None, **headers: str) -> Any:
    kwargs: dict[str, Any] = {"headers": headers} if headers else {}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(url, **kwargs)


def submit(data: dict[str, Any] | None = None, client: Client | None = None) -> Any:
    return call(client or Client(), "POST", "/api/v1/reports", {**REPORT, **(data or {})})


def new_report(description: str = "Use after free in the widget.") -> Report:
    report, _ = actions.submit_report(
        ReportInput(product="Widget", version="1", description=description, credit=False), by=None
    )
    return report


def fields_of(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def assert_refused(client: Client, url: str, body: Any, *objects: Any) -> dict[str, Any]:
    """409 naming the rule, no event written, nothing changed."""
    before = [fields_of(o) for o in objects]
    events = CaseEvent.objects.count()
    response = call(client, "POST", url, body)
    assert response.status_code == 409, response.content
    detail = response.json()["detail"]
    assert "rule:" in detail
    assert CaseEvent.objects.count() == events
    for obj, old in zip(objects, before, strict=True):
        obj.refresh_from_db()
        assert fields_of(obj) == old
    return response.json()


# --- Intake ---------------------------------------------------------------------------------------


def test_body_field_names_are_the_forms_without_attachments() -> None:
    form_fields = set(ReportInput.__dataclass_fields__) - {"attachments"}
    assert set(ReportCreate.model_fields) == form_fields | {"website"}


def test_anonymous_submission_answers_201_and_acknowledges_by_mail(db: None) -> None:
    response = submit()
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"REPORT-\d{4}-[A-Z0-9]+", body["id"])
    assert "/report/follow/" in body["follow_url"]
    assert response["Cache-Control"] == "no-store"
    report = Report.objects.get(pk=body["id"])
    assert report.submitted_by is None
    assert report.state == RM.RECEIVED
    assert report.product == REPORT["product"]
    mail = OutboundMessage.objects.get(to_email="ada@research.test")
    assert body["id"] in mail.subject + mail.body_text
    assert body["follow_url"] in mail.body_text
    assert "xylophone" not in mail.body_text
    assert "xylophone" not in mail.subject


def test_a_minimal_report_needs_no_name_even_with_credit(db: None) -> None:
    body = {"product": "Gadget", "version": "1", "description": "A flaw."}
    response = call(Client(), "POST", "/api/v1/reports", body)
    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["id"])
    assert report.credit and not report.reporter_name and not report.reporter_email


def test_logged_in_submission_is_the_users_own(world: World) -> None:
    client = login(Client(), world.outsider)
    response = submit(client=client)
    assert response.status_code == 201
    assert Report.objects.get(pk=response.json()["id"]).submitted_by == world.outsider
    listed = call(client, "GET", "/api/v1/reports").json()["items"]
    assert [r["id"] for r in listed] == [response.json()["id"]]


def test_the_honeypot_rejects_and_stores_nothing(db: None) -> None:
    response = submit({"website": "http://spam.test"})
    assert response.status_code == 400
    assert "rejected" in response.json()["detail"]
    assert not Report.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_the_rate_limit_answers_429_with_retry_after(db: None, settings: Any) -> None:
    settings.REPORT_RATE_LIMIT = 2
    assert submit().status_code == 201
    assert submit().status_code == 201
    response = submit()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"]
    assert Report.objects.count() == 2


def test_no_rate_limit_when_set_to_zero(db: None, settings: Any) -> None:
    settings.REPORT_RATE_LIMIT = 0
    for _ in range(3):
        assert submit().status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": None}, "product"),  # missing (removed below)
        ({"description": "   "}, "description"),  # blank: the action's own check
        ({"product": "x" * 301}, "product"),
        ({"vendor_contacted_on": "last tuesday"}, "vendor_contacted_on"),
        ({"credit": "maybe"}, "credit"),
        ({"colour": "blue"}, "colour"),
        ({"reporter_email": "not an address"}, "reporter_email"),
        ({"is_public": True, "public_references": ""}, "public_references"),
    ],
)
def test_a_bad_body_answers_400_naming_the_field(db: None, change: dict[str, Any], field: str) -> None:
    data = {**REPORT, **change}
    data = {k: v for k, v in data.items() if v is not None}
    response = call(Client(), "POST", "/api/v1/reports", data)
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in [e["field"] for e in body["errors"]]
    assert body["detail"]
    assert not Report.objects.exists()


def test_a_body_that_is_not_json_answers_400(db: None) -> None:
    response = call(Client(), "POST", "/api/v1/reports", "{not json")
    assert response.status_code == 400
    assert response.json()["detail"]


# --- Visibility ------------------------------------------------------------------------------------


def test_listing_shows_analysts_all_and_others_their_own(world: World) -> None:
    other = new_report()
    analyst = {
        r["id"] for r in call(login(Client(), world.analyst), "GET", "/api/v1/reports").json()["items"]
    }
    assert {world.report.pk, other.pk} <= analyst  # type: ignore[union-attr]
    reporter = call(login(Client(), world.reporter), "GET", "/api/v1/reports").json()
    assert [r["id"] for r in reporter["items"]] == [world.report.pk]  # type: ignore[union-attr]
    assert reporter["next"] is None
    assert call(login(Client(), world.other_vendor), "GET", "/api/v1/reports").json()["items"] == []
    assert call(Client(), "GET", "/api/v1/reports").status_code == 401


def test_someone_elses_report_looks_exactly_like_a_missing_one(world: World) -> None:
    client = login(Client(), world.other_vendor)
    forbidden = call(client, "GET", f"/api/v1/reports/{world.report.pk}")  # type: ignore[union-attr]
    missing = call(client, "GET", "/api/v1/reports/REPORT-2026-NOSUCH")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


def test_the_submitter_reads_their_report_with_notes(world: World) -> None:
    report = world.report
    assert report is not None
    question = write_to_reporter(report, "Which firmware exactly?", by=world.analyst, request=True)
    client = login(Client(), world.reporter)
    response = call(
        client,
        "POST",
        f"/api/v1/reports/{report.pk}/notes",
        {"text": "Build 7.1.3.", "reply_to": question.pk},
    )
    assert response.status_code == 201
    assert response.json()["from_reporter"] is True and response.json()["request"] is None
    detail = call(client, "GET", f"/api/v1/reports/{report.pk}").json()
    assert detail["case"] == world.case.label  # type: ignore[union-attr]
    assert [n["text"] for n in detail["notes"]] == ["Which firmware exactly?", "Build 7.1.3."]
    assert [n["request"] for n in detail["notes"]] == ["answered", None]  # the reply answered it
    assert detail["notes"][0]["author"] in ("Analyst", "Coordinator")  # a name, never a staff email
    assert "@coordinator.test" not in json.dumps(detail)
    assert detail["assigned_to"] is None
    # Someone else cannot add notes to it.
    other = call(
        login(Client(), world.outsider), "POST", f"/api/v1/reports/{report.pk}/notes", {"text": "hi"}
    )
    assert other.status_code == 404


def test_full_text_search_finds_a_report_by_a_word_of_its_description(world: World) -> None:
    found = submit().json()["id"]
    new_report("Nothing to see in this one.")
    client = login(Client(), world.analyst)
    items = call(client, "GET", "/api/v1/reports?q=xylophone").json()["items"]
    assert [r["id"] for r in items] == [found]
    # Search only ever narrows what the caller may see.
    assert call(login(Client(), world.reporter), "GET", "/api/v1/reports?q=xylophone").json()["items"] == []


def test_filters_by_state_and_assignee(world: World) -> None:
    report = new_report()
    actions.assign_report(report, world.analyst, by=world.analyst)
    client = login(Client(), world.analyst)
    received = call(client, "GET", "/api/v1/reports?state=received").json()["items"]
    assert [r["id"] for r in received] == [report.pk]
    mine = call(client, "GET", "/api/v1/reports?assigned_to=me").json()["items"]
    assert [r["id"] for r in mine] == [report.pk]
    by_id = call(client, "GET", f"/api/v1/reports?assigned_to={world.publisher.pk}").json()["items"]
    assert by_id == []
    bad = call(client, "GET", "/api/v1/reports?assigned_to=someone")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "assigned_to"
    assert call(client, "GET", "/api/v1/reports?state=bogus").status_code == 400


def test_paging_through_reports(world: World) -> None:
    created = {new_report().pk for _ in range(4)}
    client = login(Client(), world.analyst)
    seen: list[str] = []
    url = "/api/v1/reports?limit=2"
    while url:
        page = call(client, "GET", url).json()
        assert len(page["items"]) <= 2
        seen += [r["id"] for r in page["items"]]
        url = f"/api/v1/reports?limit=2&cursor={page['next']}" if page["next"] else ""
    assert len(seen) == len(set(seen)) == 5
    assert created | {world.report.pk} == set(seen)  # type: ignore[union-attr]
    assert call(client, "GET", "/api/v1/reports?cursor=garbage").status_code == 400
    assert call(client, "GET", "/api/v1/reports?limit=501").status_code == 400


# --- Triage actions ----------------------------------------------------------------------------------


def test_accept_answers_201_with_the_new_case(world: World) -> None:
    report = new_report()
    client = login(Client(), world.analyst)
    response = call(client, "POST", f"/api/v1/reports/{report.pk}/accept")
    assert response.status_code == 201, response.content
    case = response.json()
    assert re.fullmatch(r"VU#\d{6}", case["id"])
    assert case["target_publication_at"] is None
    assert case["embargo"]["state"] == "none"
    assert case["embargo"]["ends_at"] is None
    assert case["vulnerabilities"][0]["id"] == case["id"] + ".1"
    assert case["vulnerabilities"][0]["products"][0]["name"] == "Widget"
    assert response["ETag"]
    assert response["Location"].endswith(f"/cases/VU{case['number']}")
    # It is the case GET /cases/{case} gives.
    assert call(client, "GET", f"/api/v1/cases/{case['number']}").json() == case
    report.refresh_from_db()
    assert report.state == RM.ACCEPTED
    assert report.case == Case.objects.get(number=case["number"])


def test_the_report_actions(world: World) -> None:
    client = login(Client(), world.analyst)
    report = new_report()
    url = f"/api/v1/reports/{report.pk}"
    assert call(client, "POST", f"{url}/invalidate", {"reason": "not a bug"}).json()["state"] == "invalid"
    assert call(client, "POST", f"{url}/validate").json()["state"] == "valid"
    assert call(client, "POST", f"{url}/defer", {"reason": "later"}).json()["state"] == "deferred"
    assert call(client, "POST", f"{url}/close", {"reason": "done"}).json()["state"] == "closed"
    kinds = list(CaseEvent.objects.filter(report=report).values_list("kind", flat=True))
    assert kinds == [
        "report.received",
        "report.invalidate",
        "report.validate",
        "report.defer",
        "report.close",
    ]
    assert CaseEvent.objects.get(report=report, kind="report.invalidate").data["reason"] == "not a bug"

    duplicate = new_report()
    response = call(client, "POST", f"/api/v1/reports/{duplicate.pk}/duplicate", {"case": world.case.label})  # type: ignore[union-attr]
    assert response.status_code == 200
    assert response.json()["state"] == "valid"
    assert response.json()["case"] == world.case.label  # type: ignore[union-attr]
    assert response.json()["is_duplicate"] is True
    unknown = call(client, "POST", f"/api/v1/reports/{new_report().pk}/duplicate", {"case": "VU#999"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "case"

    assigned = call(client, "POST", f"{url}/assign", {"analyst": world.publisher.pk})
    assert assigned.json()["assigned_to"] == world.publisher.pk
    assert call(client, "POST", f"{url}/assign", {"analyst": None}).json()["assigned_to"] is None
    not_analyst = call(client, "POST", f"{url}/assign", {"analyst": world.vendor.pk})
    assert not_analyst.status_code == 400
    assert not_analyst.json()["errors"][0]["field"] == "analyst"


def test_triage_answers_201_with_values_outcome_and_choice(world: World) -> None:
    report = new_report()
    values = {
        "report_public": "no",
        "supplier_contacted": "yes",
        "report_credibility": "credible",
        "supplier_cardinality": "one",
        "supplier_engagement": "active",
        "utility": "efficient",
        "public_safety_impact": "minimal",
    }
    client = login(Client(), world.analyst)
    url = f"/api/v1/reports/{report.pk}/triage"
    response = call(client, "POST", url, {"values": values, "chosen": "coordinate", "rationale": "why not"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["values"] == values
    assert body["outcome"] in ("decline", "track", "coordinate")
    assert body["chosen"] == "coordinate"
    decision = SsvcDecision.objects.get(report=report)
    assert decision.outcome == body["outcome"]
    assert CaseEvent.objects.filter(report=report, kind="ssvc.triage").count() == 1
    bad = call(client, "POST", url, {"values": {**values, "utility": "huge"}, "chosen": "track"})
    assert bad.status_code == 400
    assert "utility" in json.dumps(bad.json())
    assert call(client, "POST", url, {"values": values, "chosen": "maybe"}).status_code == 400


def test_analyst_routes_check_the_role_before_reading_the_body(world: World) -> None:
    client = login(Client(), world.reporter)
    report = world.report
    assert report is not None
    for action in ("validate", "duplicate", "assign", "triage", "accept"):
        response = call(client, "POST", f"/api/v1/reports/{report.pk}/{action}", "not json at all")
        assert response.status_code == 403, action
    response = call(Client(), "POST", f"/api/v1/reports/{report.pk}/validate")
    assert response.status_code == 401


def test_report_actions_on_a_missing_report_answer_404(world: World) -> None:
    client = login(Client(), world.analyst)
    assert call(client, "POST", "/api/v1/reports/REPORT-0-NOPE/validate").status_code == 404
    assert call(client, "GET", "/api/v1/reports/REPORT-0-NOPE").status_code == 404


# --- Refused by a process rule: 409, no event, no change ------------------------------------------


def test_closing_a_valid_report_is_refused(world: World) -> None:
    report = new_report()
    actions.validate_report(report, by=world.analyst)
    report.refresh_from_db()
    body = assert_refused(
        login(Client(), world.analyst), f"/api/v1/reports/{report.pk}/close", {"reason": "done"}, report
    )
    assert "rm-close" in body["detail"]


def test_invalidating_an_accepted_report_is_refused(world: World) -> None:
    report = world.report
    assert report is not None and report.state == RM.ACCEPTED
    body = assert_refused(
        login(Client(), world.analyst), f"/api/v1/reports/{report.pk}/invalidate", {"reason": "x"}, report
    )
    assert "rm-invalidate" in body["detail"]


def test_accepting_a_closed_report_is_refused(world: World) -> None:
    report = new_report()
    actions.invalidate_report(report, by=world.analyst, reason="spam")
    actions.close_report(report, by=world.analyst, reason="spam")
    report.refresh_from_db()
    cases = Case.objects.count()
    body = assert_refused(login(Client(), world.analyst), f"/api/v1/reports/{report.pk}/accept", None, report)
    assert "rm-accept" in body["detail"]
    assert Case.objects.count() == cases


def test_marking_a_closed_report_duplicate_is_refused(world: World) -> None:
    report = new_report()
    actions.invalidate_report(report, by=world.analyst, reason="spam")
    actions.close_report(report, by=world.analyst, reason="spam")
    report.refresh_from_db()
    assert_refused(
        login(Client(), world.analyst),
        f"/api/v1/reports/{report.pk}/duplicate",
        {"case": world.case.label},  # type: ignore[union-attr]
        report,
    )
