"""The reporter as a participant without an account (issue 9, item 3).

A reporter who gave no name and no email files a report, follows it with the private link and,
once the report is a case, reads the vendor statements that were shared, proposes another
publication date and changes their credit preference: on the follow page, and through the API
with the follow link's secret as the credential (`Authorization: Bearer <secret>`), which reaches
that report and its case only. An anonymous vendor ("Vendor One" in `make_world()`) is never
named to them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import zoneinfo
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions
from accord.cases.access import ReporterKey, access_case, reporter_key
from accord.cases.actions.participants import answer_embargo
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Participant, Report
from accord.cases.states import EM
from accord.lib.errors import RuleViolation
from accord.mailgate.models import OutboundMessage
from accord.testing import World, add_vendor, login, token_client

pytestmark = pytest.mark.django_db

SHARED = "Fixed in 2.2. Upgrade now."
UNSHARED = "Our own notes: the fix slips to March."


@dataclass
class Scene:
    world: World
    report: Report
    secret: str
    case: Case
    anon: Participant  # Vendor One, anonymous, shared its answer
    co: Participant  # Vendor Three, did not share


def future(days: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(second=0, microsecond=0)


def follower(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def anonymous_report() -> tuple[Report, str]:
    return actions.submit_report(
        ReportInput(product="Acme Gateway", version="7.1", description="Anyone becomes admin."), by=None
    )


def make_scene(world: World) -> Scene:
    """An anonymous reporter's report, accepted into a case under Accord's default embargo,
    with the anonymous Vendor One (which shared its answer) and Vendor Three (which did not)."""
    report, secret = anonymous_report()
    case = actions.accept_report(report, by=world.analyst)
    anon = add_vendor(case, world.vendor_org, anonymous=True)
    co = add_vendor(case, world.co_vendor_org)
    case = actions.record_contact_attempt(case, by=world.analyst, outside=True)
    answer_embargo(anon, accept=True, by=world.vendor)
    answer_embargo(co, accept=True, by=world.co_vendor)
    submit_answer(
        anon,
        AnswerInput(
            statuses=[StatusInput("1", "fixed", fixed_version="2.2")],
            statement=StatementInput(SHARED.encode()),
            share=True,
        ),
        by=world.vendor,
    )
    submit_answer(
        co,
        AnswerInput(statuses=[StatusInput("1", "affected")], statement=StatementInput(UNSHARED.encode())),
        by=world.co_vendor,
    )
    report.refresh_from_db()
    return Scene(world, report, secret, Case.objects.get(pk=case.pk), anon, co)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


# --- Filing and following with no name and no email ---------------------------------------------------


def test_a_report_with_no_name_and_no_email_is_filed_and_followed_on_the_page(world: World) -> None:
    client = Client()
    response = client.post(
        "/report/",
        {"product": "Acme Gateway", "version": "7.1", "description": "Anyone becomes admin.", "credit": "on"},
        follow=True,
    )
    assert response.status_code == 200
    report = Report.objects.get(product="Acme Gateway")
    assert report.reporter_name == "" and report.reporter_email == "" and report.credit
    assert report.submitted_by is None
    link = response.context["link"]
    assert "/report/follow/" in link
    page = client.get(link.split("testserver", 1)[1])
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert f"Report {report.pk}" in html
    assert "we thank you in the published note as an anonymous reporter" in html
    assert not OutboundMessage.objects.filter(subject__contains=report.pk).exists()  # no address, no mail


def test_a_report_with_no_name_and_no_email_is_filed_and_followed_through_the_api(world: World) -> None:
    created = Client().post(
        "/api/v1/reports",
        {"product": "Acme Gateway", "version": "7.1", "description": "Anyone becomes admin."},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["follow_url"].rstrip("/").rsplit("/", 1)[1]
    got = follower(secret).get(f"/api/v1/reports/{body['id']}")
    assert got.status_code == 200, got.content
    assert got.json()["id"] == body["id"] and got.json()["reporter_email"] == ""


# --- The follow secret reaches its report and its case, and nothing else --------------------------------


def test_the_follow_secret_reaches_its_report_and_case_only(scene: Scene) -> None:
    world, client = scene.world, follower(scene.secret)
    assert client.get(f"/api/v1/reports/{scene.report.pk}").status_code == 200
    assert client.get(f"/api/v1/cases/{scene.case.url_ref}").status_code == 200
    # Another report, another case: exactly as missing ones.
    other_report = client.get(f"/api/v1/reports/{world.report.pk}")  # type: ignore[union-attr]
    missing_report = client.get("/api/v1/reports/REPORT-0-X")
    assert other_report.status_code == missing_report.status_code == 404
    assert other_report.json() == missing_report.json()
    other_case = client.get(f"/api/v1/cases/{world.case.url_ref}")  # type: ignore[union-attr]
    missing_case = client.get("/api/v1/cases/VU99")
    assert other_case.status_code == missing_case.status_code == 404
    assert other_case.json() == missing_case.json()
    for route in ("participants", "answers", "events"):
        assert client.get(f"/api/v1/cases/{world.case.url_ref}/{route}").status_code == 404  # type: ignore[union-attr]
    # Routes a reporter does not use take no follow secret: 401, as without credentials.
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/reports").status_code == 401
    assert client.get(f"/api/v1/cases/{scene.case.url_ref}/answer").status_code == 401
    assert client.patch(
        f"/api/v1/cases/{scene.case.url_ref}", {"title": "x"}, content_type="application/json"
    ).status_code in (401, 403)
    assert client.post(f"/api/v1/reports/{scene.report.pk}/accept").status_code in (401, 403)


@pytest.mark.parametrize(
    "secret",
    ["accord_" + "A" * 40, "not-the-secret", "", "x" * 500],
    ids=["token-shaped", "wrong", "empty", "long"],
)
def test_a_bad_follow_secret_is_refused_with_401(scene: Scene, secret: str) -> None:
    client = follower(secret)
    for url in (f"/api/v1/reports/{scene.report.pk}", f"/api/v1/cases/{scene.case.url_ref}"):
        response = client.get(url)
        assert response.status_code == 401, (url, response.content)
        assert response.json()["detail"]


def test_an_api_token_is_never_taken_for_a_follow_secret(scene: Scene) -> None:
    """Accord's tokens start with accord_; the follow secret of a report never does."""
    assert not scene.secret.startswith("accord_")
    assert reporter_key("accord_" + scene.secret) is None
    # A real token still works on the same routes, for its own user.
    client = token_client(scene.world.analyst)
    assert client.get(f"/api/v1/reports/{scene.report.pk}").status_code == 200


def test_the_follow_secret_is_never_request_user(scene: Scene) -> None:
    response = follower(scene.secret).get(f"/api/v1/cases/{scene.case.url_ref}")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert isinstance(response.wsgi_request.auth, ReporterKey)  # type: ignore[attr-defined]


def test_before_acceptance_and_for_a_duplicate_the_secret_reaches_no_case(scene: Scene) -> None:
    twin, twin_secret = anonymous_report()
    assert follower(twin_secret).get(f"/api/v1/reports/{twin.pk}").status_code == 200
    assert follower(twin_secret).get(f"/api/v1/cases/{scene.case.url_ref}").status_code == 404
    actions.mark_duplicate(twin, scene.case, by=scene.world.analyst)
    assert follower(twin_secret).get(f"/api/v1/cases/{scene.case.url_ref}").status_code == 404
    page = Client().get(f"/report/follow/{twin_secret}/").content.decode()
    assert "Vendor statements" not in page and SHARED not in page


def test_the_reporter_participant_is_tied_to_its_report(scene: Scene) -> None:
    reporter = scene.case.participants.get(kind=Participant.Kind.REPORTER)
    assert reporter.report_id == scene.report.pk and reporter.user is None
    standing = access_case(ReporterKey(scene.report), scene.case.number)
    assert standing.own_ids == {reporter.pk} and not standing.staff and standing.user is not None
    assert not standing.user.is_authenticated
    with pytest.raises(Exception):  # noqa: B017 - Http404: analysts' needs are not the reporter's
        access_case(ReporterKey(scene.report), scene.case.number, need="write")


def test_the_migration_ties_existing_reporter_participants_to_their_reports(scene: Scene) -> None:
    world = scene.world
    Participant.objects.filter(kind=Participant.Kind.REPORTER).update(report=None)
    migration = importlib.import_module("accord.cases.migrations.0005_participant_report")
    migration.tie_reporters_to_their_reports(apps, None)
    # The anonymous reporter's case and the signed-in reporter's case each get their own report.
    assert scene.case.participants.get(kind=Participant.Kind.REPORTER).report_id == scene.report.pk
    assert world.case.participants.get(kind=Participant.Kind.REPORTER).report_id == world.report.pk  # type: ignore[union-attr]


# --- What the reporter sees: shared statements, never an anonymous vendor's name --------------------------


def test_the_api_shows_the_shared_statement_and_never_the_anonymous_vendors_name(scene: Scene) -> None:
    client = follower(scene.secret)
    ref = scene.case.url_ref
    answers = client.get(f"/api/v1/cases/{ref}/answers").json()["items"]
    assert [a["participant"] for a in answers] == [scene.anon.pk]
    assert answers[0]["statement"]["text"] == SHARED
    assert answers[0]["name"] is None and answers[0]["alias"] == scene.anon.alias
    participants = client.get(f"/api/v1/cases/{ref}/participants").json()["items"]
    shown = {p["id"]: p for p in participants}
    assert shown[scene.anon.pk]["name"] is None and shown[scene.anon.pk]["organization"] is None
    assert shown[scene.co.pk]["name"] == "Vendor Three" and shown[scene.co.pk]["rm_state"] is None
    bodies = [
        client.get(url).content.decode()
        for url in (
            f"/api/v1/cases/{ref}",
            f"/api/v1/cases/{ref}/participants",
            f"/api/v1/cases/{ref}/answers",
            f"/api/v1/cases/{ref}/events?limit=500",
            f"/api/v1/reports/{scene.report.pk}",
        )
    ]
    for body in bodies:
        assert "Vendor One" not in body and "vendor-one.test" not in body
        assert UNSHARED not in body


def test_the_follow_page_shows_the_shared_statement_and_never_the_anonymous_vendors_name(
    scene: Scene,
) -> None:
    page = Client().get(f"/report/follow/{scene.secret}/")
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    assert "Vendor statements" in html and SHARED in html and scene.anon.alias in html
    assert UNSHARED not in html and "Vendor One" not in html and "vendor-one.test" not in html
    # The target date with its time zone, and the form to propose another.
    assert "Target publication" in html and " UTC" in html
    assert 'action="/report/follow/' in html and "Propose this date" in html


# --- Proposing a date -------------------------------------------------------------------------------------


def _mails_to(email: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(to_email=email).order_by("id"))


def test_the_reporter_proposes_a_date_through_the_api(scene: Scene) -> None:
    world = scene.world
    before = len(_mails_to(world.analyst.email))
    ends = future(60)
    response = follower(scene.secret).post(
        f"/api/v1/cases/{scene.case.url_ref}/embargo/propose",
        {"ends_at": ends.isoformat(), "reason": "The vendors need a release cycle."},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["embargo"]["state"] == "revise"
    case = Case.objects.get(pk=scene.case.pk)
    assert case.embargo_state == EM.REVISE and case.embargo_proposed_ends_at == ends
    assert case.embargo_proposed_by is None
    assert case.embargo_proposer == scene.case.participants.get(kind=Participant.Kind.REPORTER)
    event = CaseEvent.objects.filter(case=case, kind="embargo.proposed").get()
    assert event.actor is None and event.participant == case.embargo_proposer
    assert event.data["reason"] == "The vendors need a release cycle."
    # On the timeline as the reporter's, and the analysts are mailed, as for a vendor's proposal.
    timeline = login(Client(), world.analyst).get(
        f"/api/v1/cases/{case.url_ref}/events?kind=embargo.proposed"
    )
    assert timeline.json()["items"][0]["actor"] == "the reporter"
    mails = _mails_to(world.analyst.email)[before:]
    assert [m.subject for m in mails] == [f"[{case.label}] Embargo negotiation: a new proposal"]
    assert "Acme" not in mails[0].body_text
    # The analyst reads who proposed; the vendor reads "another participant", never a name.
    page = login(Client(), world.analyst).get(f"/cases/{case.url_ref}/").content.decode()
    assert "by Reporter" in page
    vendor_page = login(Client(), world.co_vendor).get(f"/cases/{case.url_ref}/").content.decode()
    assert "proposed by another participant" in vendor_page
    dashboard = login(Client(), world.analyst).get("/dashboard/").content.decode()
    assert "proposed by Reporter" in dashboard


def test_the_reporter_proposes_a_date_on_the_follow_page(scene: Scene) -> None:
    ends = future(61)
    paris = ends.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    client = Client()
    response = client.post(
        f"/report/follow/{scene.secret}/embargo/",
        {"zone": "Europe/Paris", "ends_at": paris.strftime("%Y-%m-%dT%H:%M"), "reason": "Later"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#embargo")
    assert response["Cache-Control"] == "no-store"
    case = Case.objects.get(pk=scene.case.pk)
    # The time typed was read in the zone the form named.
    assert case.embargo_state == EM.REVISE and case.embargo_proposed_ends_at == ends
    event = CaseEvent.objects.filter(case=case, kind="embargo.proposed").get()
    assert (
        event.actor is None and event.participant == case.embargo_proposer and event.data["reason"] == "Later"
    )
    page = client.get(f"/report/follow/{scene.secret}/").content.decode()
    assert "Your proposal is recorded" in page and "proposed by you" in page


def test_a_refused_proposal_names_its_rule_on_the_page_and_in_the_api(scene: Scene) -> None:
    actions.report_fact(scene.case, "P", "https://blog.example/post", by=scene.world.analyst)
    api = follower(scene.secret).post(
        f"/api/v1/cases/{scene.case.url_ref}/embargo/propose",
        {"ends_at": future(60).isoformat()},
        content_type="application/json",
    )
    assert api.status_code == 409 and "em-after-public" in api.json()["detail"]
    page = Client().get(f"/report/follow/{scene.secret}/").content.decode()
    assert "Propose this date" not in page and "no embargo can be proposed" in page
    posted = Client().post(
        f"/report/follow/{scene.secret}/embargo/",
        {"zone": "UTC", "ends_at": future(60).strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "em-after-public" in posted.content.decode()


def test_a_bad_date_on_the_follow_page_is_a_form_error(scene: Scene) -> None:
    response = Client().post(
        f"/report/follow/{scene.secret}/embargo/", {"zone": "UTC", "ends_at": "2001-01-01T00:00"}
    )
    assert response.status_code == 400
    assert "The end instant must be in the future." in response.content.decode()
    assert Case.objects.get(pk=scene.case.pk).embargo_state == EM.ACTIVE


def test_a_proposal_with_an_idempotency_key_is_replayed_for_the_same_secret(scene: Scene) -> None:
    client = follower(scene.secret)
    url = f"/api/v1/cases/{scene.case.url_ref}/embargo/propose"
    body = json.dumps({"ends_at": future(60).isoformat()})
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert CaseEvent.objects.filter(case=scene.case, kind="embargo.proposed").count() == 1


def test_the_follow_secret_proposes_only_for_its_own_case(scene: Scene) -> None:
    world = scene.world
    key = ReporterKey(scene.report)
    with pytest.raises(RuleViolation):
        actions.propose_embargo(world.case, future(60), by=key)  # type: ignore[arg-type]
    response = follower(scene.secret).post(
        f"/api/v1/cases/{world.case.url_ref}/embargo/propose",  # type: ignore[union-attr]
        {"ends_at": future(60).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 404


# --- Credit -------------------------------------------------------------------------------------------


def test_the_reporter_changes_credit_through_the_api(scene: Scene) -> None:
    world = scene.world
    url = f"/api/v1/reports/{scene.report.pk}/credit"
    response = follower(scene.secret).patch(
        url, {"credit_name": "  Night  Owl "}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["credit"] is True and response.json()["credit_name"] == "Night Owl"
    response = follower(scene.secret).patch(url, {"credit": False}, content_type="application/json")
    assert response.json()["credit"] is False and response.json()["credit_name"] == "Night Owl"
    report = Report.objects.get(pk=scene.report.pk)
    assert not report.credit and report.credit_name == "Night Owl"
    events = list(CaseEvent.objects.filter(kind="report.credit").order_by("id"))
    assert len(events) == 2 and events[0].actor is None and events[0].case_id == scene.case.pk
    assert events[1].data == {
        "old": {"credit": True, "credit_name": "Night Owl"},
        "new": {"credit": False, "credit_name": "Night Owl"},
    }
    # Sending nothing new changes nothing and records nothing.
    assert follower(scene.secret).patch(url, {}, content_type="application/json").status_code == 200
    assert CaseEvent.objects.filter(kind="report.credit").count() == 2
    # Bad input is a 400 naming the field.
    long = follower(scene.secret).patch(url, {"credit_name": "x" * 201}, content_type="application/json")
    assert long.status_code == 400 and long.json()["errors"][0]["field"].endswith("credit_name")
    # Another report's credit is not the secret's to change.
    other = follower(scene.secret).patch(
        f"/api/v1/reports/{world.report.pk}/credit",
        {"credit": False},
        content_type="application/json",  # type: ignore[union-attr]
    )
    assert other.status_code == 404
    # A pseudonym is the coordinator's and the reporter's: the vendors never read it.
    for member in (world.vendor, world.co_vendor):
        client = login(Client(), member)
        assert (
            "Night Owl"
            not in client.get(f"/api/v1/cases/{scene.case.url_ref}/events?limit=500").content.decode()
        )
        assert "Night Owl" not in client.get(f"/cases/{scene.case.url_ref}/timeline/").content.decode()
    analyst_view = login(Client(), world.analyst).get(
        f"/api/v1/cases/{scene.case.url_ref}/events?kind=report.credit"
    )
    assert analyst_view.json()["items"][0]["data"]["new"]["credit_name"] == "Night Owl"
    # The reporter reads the change on their own page.
    assert "Credit preference changed" in Client().get(f"/report/follow/{scene.secret}/").content.decode()


def test_a_signed_in_reporter_changes_credit_with_the_session_or_a_token(world: World) -> None:
    url = f"/api/v1/reports/{world.report.pk}/credit"  # type: ignore[union-attr]
    session = login(Client(), world.reporter)
    response = session.patch(url, {"credit_name": "Finder"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["credit_name"] == "Finder"
    response = token_client(world.reporter).patch(url, {"credit": False}, content_type="application/json")
    assert response.status_code == 200 and response.json()["credit"] is False
    event = CaseEvent.objects.filter(kind="report.credit").order_by("id").last()
    assert event is not None and event.actor == world.reporter
    # Nobody else but an analyst (recording it for the reporter).
    assert (
        login(Client(), world.vendor)
        .patch(url, {"credit": True}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        login(Client(), world.analyst)
        .patch(url, {"credit": True}, content_type="application/json")
        .status_code
        == 200
    )
    with pytest.raises(RuleViolation):
        actions.set_credit(world.report, True, "", by=world.vendor)  # type: ignore[arg-type]
    other, _ = anonymous_report()
    with pytest.raises(RuleViolation):
        actions.set_credit(other, True, "", by=ReporterKey(world.report))  # type: ignore[arg-type]


def test_the_reporter_changes_credit_on_the_follow_page(scene: Scene) -> None:
    client = Client()
    response = client.post(
        f"/report/follow/{scene.secret}/credit/", {"credit_name": "Night Owl", "credit": "on"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#credit")
    report = Report.objects.get(pk=scene.report.pk)
    assert report.credit and report.credit_name == "Night Owl"
    page = client.get(f"/report/follow/{scene.secret}/").content.decode()
    assert "we thank you in the published note as Night Owl" in page
    client.post(f"/report/follow/{scene.secret}/credit/", {"credit_name": ""})
    report.refresh_from_db()
    assert not report.credit and report.credit_name == ""
    assert "we do not name or thank you" in client.get(f"/report/follow/{scene.secret}/").content.decode()
    too_long = client.post(
        f"/report/follow/{scene.secret}/credit/", {"credit": "on", "credit_name": "x" * 201}
    )
    assert too_long.status_code == 400 and too_long["Cache-Control"] == "no-store"


def test_the_follow_page_forms_need_a_real_secret(scene: Scene) -> None:
    for path in ("embargo/", "credit/"):
        assert Client().post(f"/report/follow/not-a-secret/{path}", {}).status_code == 404
        assert Client().get(f"/report/follow/{scene.secret}/{path}").status_code == 405
