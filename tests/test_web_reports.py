"""The report pages through HTTP: the public form, the follow link, "My reports" and triage."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.cases import actions, ssvc
from accord.cases.actions.reports import ReportInput, follow_key
from accord.cases.models import Case, CaseEvent, Report, ReportAttachment, SsvcDecision
from accord.cases.states import RM
from accord.conversation.models import Message
from accord.mailgate.models import OutboundMessage
from accord.testing import World, login, write_to_reporter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "files"


FORM = {
    "reporter_name": "Ada Finder",
    "reporter_email": "ada@research.test",
    "credit": "on",
    "product": "Gizmo Router",
    "version": "4.2",
    "description": "The admin page takes a path and reads any file.",
    "impact": "Read every file on the device.",
}


def submit(client: Client, follow: bool = False, **changes):  # type: ignore[no-untyped-def]
    address = changes.pop("REMOTE_ADDR", "192.0.2.10")
    return client.post("/report/", {**FORM, **changes}, REMOTE_ADDR=address, follow=follow)


def new_report(world: World, product: str = "Gadget", **fields) -> Report:  # type: ignore[no-untyped-def]
    report, _ = actions.submit_report(
        ReportInput(product=product, version="1.0", description="A flaw.", credit=False, **fields), by=None
    )
    return report


# --- The public form ---------------------------------------------------------------------------


def test_the_form_groups_every_field_in_fieldsets(world: World) -> None:
    page = Client().get("/report/")
    assert page.status_code == 200
    html = page.content.decode()
    for legend in (
        "About you",
        "Vendor contact so far",
        "The vulnerability",
        "Is it public or exploited?",
        "Your disclosure plans",
        "Attachments",
        "A private comment for the coordinator",
    ):
        assert f"<legend>{legend}</legend>" in html
    # The vulnerability comes first: it is all a minimal report needs.
    assert html.index("<legend>The vulnerability</legend>") < html.index("<legend>About you</legend>")
    assert "leave them empty to report anonymously" in html
    assert 'type="file"' in html and "multiple" in html
    assert 'maxlength="300"' in html  # the product's limit from LIMITS
    # The honeypot is out of sight, out of the tab order and out of the accessibility tree.
    assert re.search(r'<div class="hp" aria-hidden="true">', html)
    assert re.search(r'<input[^>]*name="website"[^>]*tabindex="-1"', html)
    assert "Coordinate with all affected vendors" not in html


def test_vendor_members_may_ask_to_coordinate_with_all_vendors(world: World) -> None:
    client = login(Client(), world.vendor)
    html = client.get("/report/").content.decode()
    assert "Coordinate with all affected vendors" in html
    assert "Stay anonymous towards the other vendors" in html
    response = submit(client, coordinate_all_vendors="on", anonymous_to_vendors="on")
    assert response.status_code == 302
    report = Report.objects.get(product="Gizmo Router")
    assert report.coordinate_all_vendors and report.anonymous_to_vendors
    assert report.submitted_by_org == world.vendor_org
    # An outsider cannot set them by posting the fields anyway.
    submit(login(Client(), world.outsider), product="Other", coordinate_all_vendors="on")
    assert not Report.objects.get(product="Other").coordinate_all_vendors


def test_submitting_stores_the_report_and_mails_an_acknowledgement(world: World) -> None:
    before = Report.objects.count()
    client = Client()
    response = submit(
        client,
        vendor_contacted="on",
        vendor_contacted_on="2026-01-05",
        is_public="on",
        public_references="https://blog.example/post",
    )
    assert response.status_code == 302 and response["Location"] == "/report/thanks/"
    response = client.get(response["Location"])
    assert Report.objects.count() == before + 1
    report = Report.objects.get(product="Gizmo Router")
    assert report.state == RM.RECEIVED
    assert report.vendor_contacted and str(report.vendor_contacted_on) == "2026-01-05"
    assert report.is_public and report.credit and report.submitted_by is None
    html = response.content.decode()
    assert report.pk in html
    link = re.search(r'id="follow-link" href="([^"]+)"', html)
    assert link is not None
    assert response["Cache-Control"] == "no-store"
    mail = OutboundMessage.objects.get(to_email="ada@research.test")
    assert report.pk in mail.subject and report.pk in mail.body_text
    assert "/report/follow/" in mail.body_text
    # The link on the page opens the follow page.
    follow = Client().get(link.group(1).replace("http://testserver", ""))
    assert follow.status_code == 200
    assert "Received" in follow.content.decode()


def test_the_thank_you_page_shows_the_id_and_link_once_and_a_reload_files_nothing(world: World) -> None:
    """Post/redirect/get: the form redirects, and the thank-you page shows its secret once."""
    client = Client()
    posted = submit(client)
    assert posted.status_code == 302 and posted["Location"] == "/report/thanks/"
    report = Report.objects.get(product="Gizmo Router")
    key = follow_key(report.pk)
    # The secret is in no URL but the follow link, and not in the session either.
    assert key not in posted["Location"]
    assert key not in str(dict(client.session)) and report.pk in str(dict(client.session))
    first = client.get("/report/thanks/")
    html = first.content.decode()
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    assert f'id="report-id">{report.pk}<' in html
    assert f'id="follow-link" href="http://testserver/report/follow/{key}/"' in html
    assert "we also sent it to ada@research.test" in html
    again = client.get("/report/thanks/")
    html = again.content.decode()
    assert again.status_code == 200
    assert report.pk not in html and key not in html
    assert "shows a new report's id and private link only once" in html
    assert Report.objects.filter(product="Gizmo Router").count() == 1
    # The follow page's own form redirects too.
    answer = client.post(f"/report/follow/{key}/", {"body": "More."})
    assert answer.status_code == 302 and answer["Location"] == f"/report/follow/{key}/"


def test_without_an_email_the_thank_you_page_says_to_look_at_the_page(world: World) -> None:
    client = Client()
    submit(client, reporter_email="")
    html = client.get("/report/thanks/").content.decode()
    assert "we cannot tell you when we write to you" in html
    assert re.search(
        r'<input type="text" id="follow-link-text" value="http://testserver/report/follow/', html
    )


def test_missing_fields_and_action_refusals_show_on_the_form(world: World) -> None:
    response = submit(Client(), product="", description="")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    # The action's own check (a public flaw needs its references) shows on its field.
    response = submit(Client(), is_public="on", public_references="")
    assert response.status_code == 400
    assert "Give the references where it is public." in response.content.decode()
    assert not Report.objects.filter(product="Gizmo Router").exists()


def test_a_minimal_anonymous_report_goes_through_with_credit_me_left_ticked(world: World) -> None:
    """Only the required fields, an email and no name: "credit me" (ticked by default) does not block it."""
    form = Client().get("/report/").content.decode()
    assert re.search(r'<input[^>]*name="credit"[^>]*checked', form)
    response = Client().post(
        "/report/",
        {"product": "Acme Gateway", "version": "7.1", "description": "Anyone becomes admin.", "credit": "on"},
        follow=True,
    )
    assert response.status_code == 200
    report = Report.objects.get(product="Acme Gateway")
    assert report.credit and report.reporter_name == "" and report.credit_name == ""
    assert report.pk in response.content.decode()
    html = login(Client(), world.analyst).get(f"/triage/{report.pk}/").content.decode()
    assert "yes, as an anonymous reporter (no name given)" in html


def test_errors_are_summed_up_at_the_top_with_links_to_the_fields(world: World) -> None:
    response = submit(Client(), product="", description="   ", reporter_email="not an address")
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary is not None
    # Focus goes to the summary, before the form.
    assert re.search(r'<div class="error-summary" id="error-summary" tabindex="-1" autofocus', html)
    assert html.index('id="error-summary"') < html.index("<form")
    links = re.findall(r'<a href="#(id_\w+)">([^<]+)</a>', summary.group(1))
    assert [target for target, _ in links] == ["id_product", "id_description", "id_reporter_email"]
    assert links[0][1] == "Product: This field is required."
    for target, _ in links:
        assert re.search(rf'aria-describedby="[^"]*\b{target}_error"[^>]* id="{target}"', html), target
        assert f'id="{target}_error"' in html


def test_after_an_error_the_form_says_the_files_must_be_chosen_again(world: World) -> None:
    notes = SimpleUploadedFile("notes.txt", b"fine", content_type="text/plain")
    response = Client().post("/report/", {**FORM, "description": "", "attachments": [notes]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Your files were not kept: choose them again (notes.txt)." in html
    assert '<a href="#id_attachments">Files: Your files were not kept' in html
    assert not Report.objects.filter(product="Gizmo Router").exists()
    # Without files there is nothing to say about them.
    assert "not kept" not in submit(Client(), description="").content.decode()


def test_the_honeypot_shows_thanks_and_stores_nothing(world: World) -> None:
    before = (Report.objects.count(), OutboundMessage.objects.count(), CaseEvent.objects.count())
    response = submit(Client(), website="http://spam.example", follow=True)
    assert response.status_code == 200
    assert "Thank you for your report" in response.content.decode()
    assert (Report.objects.count(), OutboundMessage.objects.count(), CaseEvent.objects.count()) == before


def test_the_rate_limit_answers_429(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REPORT_RATE_LIMIT = 2
    client = Client()
    assert submit(client, product="One").status_code == 302
    assert submit(client, product="Two").status_code == 302
    refused = submit(client, product="Three")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Too many reports" in refused.content.decode()
    assert not Report.objects.filter(product="Three").exists()
    # Another client is not affected.
    assert submit(client, product="Four", REMOTE_ADDR="198.51.100.7").status_code == 302


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("payload.exe", b"MZ", "payload.exe: this type of file is not accepted"),
        ("huge.txt", b"x" * 2049, "huge.txt: larger than the limit"),
    ],
)
def test_a_bad_attachment_is_refused_by_name_and_nothing_is_stored(  # type: ignore[no-untyped-def]
    world: World, settings, name, content, problem
) -> None:
    settings.REPORT_MAX_ATTACHMENT_BYTES = 2048
    before = (Report.objects.count(), ReportAttachment.objects.count(), OutboundMessage.objects.count())
    good = SimpleUploadedFile("notes.txt", b"fine", content_type="text/plain")
    bad = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = Client().post("/report/", {**FORM, "attachments": [good, bad]})
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert (
        Report.objects.count(),
        ReportAttachment.objects.count(),
        OutboundMessage.objects.count(),
    ) == before


def test_attachments_are_stored_and_downloaded_as_files(world: World) -> None:
    poc = SimpleUploadedFile("poc.html", b"<script>alert(1)</script>", content_type="text/html")
    log = SimpleUploadedFile("trace.log", b"trace", content_type="text/plain")
    client = login(Client(), world.reporter)
    assert client.post("/report/", {**FORM, "attachments": [poc, log]}).status_code == 302
    report = Report.objects.get(product="Gizmo Router")
    attachments = list(report.attachments.order_by("name"))
    assert [a.name for a in attachments] == ["poc.html", "trace.log"]
    url = f"/triage/{report.pk}/attachments/{attachments[0].pk}/"
    for user in (world.analyst, world.reporter):
        response = login(Client(), user).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="poc.html"' in response["Content-Disposition"]
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"  # type: ignore[attr-defined]
    assert login(Client(), world.vendor).get(url).status_code == 404
    analyst_page = login(Client(), world.analyst).get(f"/triage/{report.pk}/").content.decode()
    assert url in analyst_page


# --- The follow link and "My reports" ----------------------------------------------------------


def test_the_follow_page_shows_the_state_and_the_conversation(world: World) -> None:
    assert world.report is not None
    url = f"/report/follow/{world.report_key}/"
    question = write_to_reporter(world.report, "Which firmware build?", by=world.analyst, request=True)
    page = Client().get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Accepted" in html and world.case is not None and world.case.label in html
    assert "Which firmware build?" in html and "coordinator</span>" in html
    assert f'href="?reply={question.pk}#compose"' in html  # "Answer this request"
    assert page["Referrer-Policy"] == "same-origin"
    answer = Client().post(url, {"body": "Build 1234, from the vendor site.", "reply_to": question.pk})
    assert answer.status_code == 302
    note = Message.objects.get(body="Build 1234, from the vendor site.")
    assert note.from_reporter and note.author is None and note.reply_to == question
    question.refresh_from_db()
    assert question.request == Message.Request.ANSWERED
    kinds = ["message.request", "message.request_answered"]
    assert (
        sorted(CaseEvent.objects.filter(kind__in=kinds, case=world.case).values_list("kind", flat=True))
        == kinds
    )
    assert "Build 1234" in Client().get(url).content.decode()
    empty = Client().post(url, {"body": "   "})
    assert empty.status_code == 400
    assert Client().get("/report/follow/not-a-key/").status_code == 404


def test_the_follow_page_keeps_its_address_on_this_site_and_accepts_its_form(world: World) -> None:
    """`no-referrer` made browsers send `Origin: null` with the reply, which the CSRF check refuses.

    "same-origin" sends the secret address only back to this site; the CSP loads nothing from
    elsewhere.
    """
    url = f"/report/follow/{world.report_key}/"
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cache-Control"] == "no-store" and "noindex" in page["X-Robots-Tag"]
    assert "default-src 'self'" in page["Content-Security-Policy"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    answer = client.post(
        url, {"body": "More details.", "csrfmiddlewaretoken": token.group(1)}, HTTP_ORIGIN="http://testserver"
    )
    assert answer.status_code == 302 and answer["Referrer-Policy"] == "same-origin"
    assert Message.objects.filter(body="More details.", from_reporter=True).exists()


def test_my_reports_lists_only_the_users_reports(world: World) -> None:
    new_report(world, product="Not mine")
    html = login(Client(), world.reporter).get("/reports/mine/").content.decode()
    assert world.report is not None and world.report.pk in html
    assert "Not mine" not in html
    assert "not submitted a report" in login(Client(), world.outsider).get("/reports/mine/").content.decode()


def test_the_reporter_sees_a_read_only_report_page(world: World) -> None:
    assert world.report is not None
    html = login(Client(), world.reporter).get(f"/triage/{world.report.pk}/").content.decode()
    assert "Heap overflow in the parser." in html
    assert "Validate" not in html and "SSVC" not in html
    assert login(Client(), world.reporter).get("/triage/").status_code == 403


# --- Triage ------------------------------------------------------------------------------------


def test_the_triage_queue_filters_and_searches(world: World) -> None:
    alpha = new_report(world, product="Alpha Camera")
    beta = new_report(world, product="Beta Lock")
    actions.assign_report(beta, world.analyst, by=world.analyst)
    client = login(Client(), world.analyst)
    html = client.get("/triage/").content.decode()
    assert alpha.pk in html and beta.pk in html
    assert world.report is not None and world.report.pk not in html  # Accepted: not open
    assert world.report.pk in client.get("/triage/?state=all").content.decode()
    assert world.report.pk in client.get("/triage/?state=accepted").content.decode()
    mine = client.get("/triage/?assigned=me").content.decode()
    assert beta.pk in mine and alpha.pk not in mine
    unassigned = client.get("/triage/?assigned=none").content.decode()
    assert alpha.pk in unassigned and beta.pk not in unassigned
    found = client.get("/triage/?q=camera").content.decode()
    assert alpha.pk in found and beta.pk not in found


def test_the_triage_queue_runs_a_constant_number_of_queries(  # type: ignore[no-untyped-def]
    world: World, django_assert_num_queries
) -> None:
    client = login(Client(), world.analyst)
    for n in range(2):
        actions.assign_report(new_report(world, product=f"P{n}"), world.analyst, by=world.analyst)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/triage/?state=all&q=report").status_code == 200
    for n in range(30):
        actions.assign_report(new_report(world, product=f"Q{n}"), world.analyst, by=world.analyst)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/triage/?state=all&q=report").status_code == 200


def test_assigning_a_report(world: World) -> None:
    report = new_report(world)
    client = login(Client(), world.analyst)
    response = client.post(f"/triage/{report.pk}/assign/", {"analyst": world.publisher.pk})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.assigned_to == world.publisher
    client.post(f"/triage/{report.pk}/assign/", {"analyst": ""})
    report.refresh_from_db()
    assert report.assigned_to is None
    # Only analysts are offered, and a vendor member cannot be assigned.
    client.post(f"/triage/{report.pk}/assign/", {"analyst": world.vendor.pk})
    report.refresh_from_db()
    assert report.assigned_to is None


def messages_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m) for m in response.context["messages"])


def act(client: Client, report: Report, action: str, **data):  # type: ignore[no-untyped-def]
    return client.post(f"/triage/{report.pk}/{action}/", data, follow=True)


def test_every_report_action_button_works(world: World) -> None:
    client = login(Client(), world.analyst)
    html = client.get(f"/triage/{new_report(world).pk}/").content.decode()
    # A Received report offers only what the report-management rules allow (issue 8).
    for action in ("validate", "accept", "duplicate"):
        assert 'action="/triage/' in html and f"/{action}/" in html
    assert "/invalidate/" in html  # a link to its confirmation page
    assert "/defer/" not in html and "/close/" not in html

    one = new_report(world, product="One")
    confirmed = {"confirm": "yes"}
    act(client, one, "invalidate", reason="Not a vulnerability: intended behaviour.", **confirmed)
    one.refresh_from_db()
    assert one.state == RM.INVALID
    assert CaseEvent.objects.get(report=one, kind="report.invalidate").data["reason"].startswith("Not a")
    act(client, one, "validate")
    one.refresh_from_db()
    assert one.state == RM.VALID
    act(client, one, "defer", reason="Out of scope for now.")
    one.refresh_from_db()
    assert one.state == RM.DEFERRED
    act(client, one, "close", reason="Done.", **confirmed)
    one.refresh_from_db()
    assert one.state == RM.CLOSED

    two = new_report(world, product="Two")
    response = act(client, two, "accept")
    two.refresh_from_db()
    assert two.state == RM.ACCEPTED and two.case is not None
    assert response.redirect_chain[-1][0] == f"/cases/{two.case.url_ref}/"
    assert f"accepted as case {two.case.label}" in messages_of(response)
    # Accepting a Received report validates it first: both are on the timeline.
    assert list(CaseEvent.objects.filter(report=two).values_list("kind", flat=True)) == [
        "report.received",
        "report.validate",
        "report.accept",
    ]

    three = new_report(world, product="Three")
    assert world.case is not None
    act(client, three, "duplicate", case=f"VU#{world.case.number}")
    three.refresh_from_db()
    assert three.is_duplicate and three.case == world.case and three.state == RM.VALID
    wrong = act(client, new_report(world), "duplicate", case="VU#99")
    assert "There is no case VU#99." in messages_of(wrong)


def test_a_refused_report_action_shows_the_rule(world: World) -> None:
    client = login(Client(), world.analyst)
    report = new_report(world)
    act(client, report, "validate")
    before = CaseEvent.objects.count()
    # The confirmation page says it is not possible now, and offers no form.
    page = client.get(f"/triage/{report.pk}/close/").content.decode()
    assert "Not possible now" in page and 'name="confirm"' not in page
    response = act(client, report, "close", confirm="yes", reason="Done.")
    report.refresh_from_db()
    assert report.state == RM.VALID
    assert CaseEvent.objects.count() == before
    text = messages_of(response)
    assert "Refused:" in text and "(rule: rm-close)" in text
    assert response.status_code == 200


def test_non_analysts_cannot_act_on_reports(world: World) -> None:
    assert world.report is not None
    response = login(Client(), world.reporter).post(f"/triage/{world.report.pk}/close/")
    assert response.status_code == 403


def test_the_ssvc_triage_form_records_a_decision(world: World) -> None:
    client = login(Client(), world.analyst)
    report = new_report(world)
    html = client.get(f"/triage/{report.pk}/").content.decode()
    for point in ssvc.COORDINATOR_TRIAGE.points:
        assert f"<legend>{point.name}" in html
        for option in point.options:
            assert f'name="{point.key}" value="{option.value}"' in html
    values = {
        "report_public": "no",
        "supplier_contacted": "yes",
        "report_credibility": "credible",
        "supplier_cardinality": "multiple",
        "supplier_engagement": "active",
        "utility": "super effective",
        "public_safety_impact": "significant",
    }
    expected = ssvc.triage_outcome(values)
    response = client.post(f"/triage/{report.pk}/ssvc/", {**values, "chosen": ""}, follow=True)
    decision = SsvcDecision.objects.get(report=report)
    assert decision.values == values and decision.outcome == expected and decision.chosen == expected
    assert f"The table says: {ssvc.COORDINATOR_TRIAGE.outcome(expected).label}" in messages_of(response)
    event = CaseEvent.objects.get(report=report, kind="ssvc.triage")
    assert event.data["outcome"] == expected
    # The analyst's own choice is kept next to the table's outcome.
    client.post(f"/triage/{report.pk}/ssvc/", {**values, "chosen": "track", "rationale": "Wait for more."})
    latest = SsvcDecision.objects.filter(report=report).first()
    assert latest is not None and latest.outcome == expected and latest.chosen == "track"
    # A missing decision point is a form error, and nothing is recorded.
    partial = dict(values)
    del partial["utility"]
    refused = client.post(f"/triage/{report.pk}/ssvc/", partial)
    assert refused.status_code == 400
    assert SsvcDecision.objects.filter(report=report).count() == 2


def test_the_ssvc_outcome_preview(world: World) -> None:
    client = login(Client(), world.analyst)
    query = {
        "table": "coordinator_publish",
        "supplier_involvement": "fix ready",
        "exploitation": "none",
        "public_value_added": "precedence",
    }
    assert client.get("/ssvc/outcome/", query).content.decode().strip() == "Publish"
    assert (
        "every decision point"
        in client.get("/ssvc/outcome/", {"table": "coordinator_triage"}).content.decode()
    )


def test_analyst_messages_reach_the_follow_page(world: World) -> None:
    assert world.report is not None
    client = login(Client(), world.analyst)
    response = client.post(f"/triage/{world.report.pk}/note/", {"body": "Can you share the PoC?"})
    assert response.status_code == 302
    assert "Can you share the PoC?" in Client().get(f"/report/follow/{world.report_key}/").content.decode()


def test_other_users_get_404_for_a_report(world: World) -> None:
    """The report page is the access gate's: another vendor gets the same 404 as for nothing."""
    assert world.report is not None
    client = login(Client(), world.other_vendor)
    assert client.get(f"/triage/{world.report.pk}/").status_code == 404
    assert client.get("/triage/REPORT-0-NOPE/").status_code == 404


def test_case_creation_from_a_vendor_report_carries_its_anonymity(world: World) -> None:
    client = login(Client(), world.vendor)
    submit(client, product="Shared lib", coordinate_all_vendors="on", anonymous_to_vendors="on")
    report = Report.objects.get(product="Shared lib")
    act(login(Client(), world.analyst), report, "accept")
    case = Case.objects.get(reports=report)
    vendor = case.participants.get(organization=world.vendor_org)
    assert vendor.anonymous
