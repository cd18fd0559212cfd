"""The triage inbox and the mail problems page (issue 10, items 5 and 6): the actions, the pages
and the API, and what they refuse."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client

from accord.cases.models import CaseEvent, Participant, Report
from accord.cases.presenter import Viewer
from accord.conversation.models import Message
from accord.core.models import AuditEvent
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate import parse as parsing
from accord.mailgate import triage
from accord.mailgate.inbound import MAX_ATTEMPTS, process, receive
from accord.mailgate.models import InboundMessage
from accord.testing import World, login, make_world, token_client

Status = InboundMessage.Status
pytestmark = pytest.mark.django_db


def mail(
    subject: str = "Heap overflow in Widget",
    *,
    sender: str = "someone@research.test",
    body: str = "The parser overflows on long names.",
    attachment: tuple[str, bytes] | None = None,
    message_id: str = "<m1@research.test>",
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Some One <{sender}>"
    message["To"] = "cert@localhost"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment[1], maintype="text", subtype="plain", filename=attachment[0])
    return message.as_bytes()


def arrive(raw: bytes) -> InboundMessage:
    row = receive(raw, "pipe")
    process(row.pk)
    row.refresh_from_db()
    return row


def vendor_of(world: World) -> Participant:
    assert world.case is not None
    return world.case.participants.get(organization=world.vendor_org)


def analyst_client(world: World) -> Client:
    return login(Client(), world.analyst)


# --- The actions ----------------------------------------------------------------------------------


def test_link_posts_the_mail_into_the_vendors_thread(world: World) -> None:
    row = arrive(mail(sender="psirt@vendor-one.test", attachment=("trace.txt", b"stack trace")))
    assert row.status == Status.TRIAGE and "no case id" in row.problems
    participant = vendor_of(world)
    assert world.case is not None
    triage.link_to_case(row, world.case, participant, by=world.analyst)
    row.refresh_from_db()
    assert row.status == Status.PROCESSED and row.resolution == "linked"
    assert row.resolved_by == world.analyst and row.participant == participant and row.case == world.case
    message = row.posted_message
    assert message is not None and message.thread.participant_id == participant.pk
    # Written by the sender's side: the member whose address sent it.
    assert message.author == world.vendor and message.author_participant == participant
    assert "overflows" in message.body
    assert [a.name for a in message.attachments.all()] == ["trace.txt"]
    # The thread says how it came, to the coordinator: by mail, and linked by whom.
    shown = Viewer.coordinator().mail(message)
    assert shown is not None and shown.labels[0] == "by mail"
    assert shown.labels[-1] == f"linked by {world.analyst.display_name}"
    vendor_view = Viewer.of_participant(participant).mail(message)
    assert vendor_view is not None and not any(label.startswith("linked") for label in vendor_view.labels)
    event = CaseEvent.objects.get(kind="mail.linked")
    assert event.case == world.case and event.actor == world.analyst and event.data["mail"] == row.pk
    assert AuditEvent.objects.filter(kind="mail.linked", object_id=str(row.pk)).exists()


def test_link_into_the_reporters_thread(world: World) -> None:
    assert world.case is not None and world.report is not None
    row = arrive(mail(sender="finder@research.test"))
    reporter = world.case.participants.get(kind=Participant.Kind.REPORTER)
    triage.link_to_case(row, world.case, reporter, by=world.analyst)
    row.refresh_from_db()
    assert row.posted_message is not None and row.posted_message.from_reporter


def test_the_actions_refuse_what_they_cannot_do(world: World) -> None:
    assert world.case is not None
    other = make_other_case(world)
    row = arrive(mail())
    with pytest.raises(InvalidInput):
        triage.link_to_case(row, world.case, other, by=world.analyst)  # another case's participant
    coordinator = Participant.objects.filter(case=world.case, kind=Participant.Kind.COORDINATOR).first()
    if coordinator is not None:
        with pytest.raises(InvalidInput):
            triage.link_to_case(row, world.case, coordinator, by=world.analyst)
    with pytest.raises(RuleViolation):
        triage.mark_spam(row, by=world.vendor)  # analysts only
    triage.mark_spam(row, by=world.analyst)
    # Already handled: nothing happens twice.
    with pytest.raises(RuleViolation) as refused:
        triage.link_to_case(row, world.case, vendor_of(world), by=world.analyst)
    assert refused.value.rule == "mail-open" and "marked as spam" in refused.value.message
    with pytest.raises(RuleViolation):
        triage.report_from_mail(row, by=world.analyst)
    with pytest.raises(RuleViolation):
        triage.reprocess(row, by=world.analyst)  # spam is not a problem to process again
    assert not Message.objects.filter(body__contains="overflows").exists()


def make_other_case(world: World) -> Participant:
    from accord.cases import actions
    from accord.cases.actions.reports import ReportInput
    from accord.testing import add_vendor

    report, _ = actions.submit_report(ReportInput(product="Other", version="1", description="d"), by=None)
    case = actions.accept_report(report, by=world.analyst)
    return add_vendor(case, world.other_vendor_org)


def test_report_from_mail(world: World) -> None:
    row = arrive(mail(attachment=("poc.txt", b"AAAA")))
    report = triage.report_from_mail(row, by=world.analyst)
    assert report.reporter_email == "someone@research.test" and report.reporter_name == "Some One"
    assert report.product == "Heap overflow in Widget" and "overflows" in report.description
    assert report.submitted_by is None and "turned into a report by" in report.coordinator_comment
    assert [a.name for a in report.attachments.all()] == ["poc.txt"]
    row.refresh_from_db()
    assert row.status == Status.PROCESSED and row.resolution == "report" and row.report == report
    assert CaseEvent.objects.filter(kind="mail.report", report=report, actor=world.analyst).exists()


def test_reprocess_a_flagged_mail(world: World, monkeypatch, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    real = parsing.parse

    def crash(raw: bytes, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the parser fell over")

    monkeypatch.setattr(parsing, "parse", crash)
    row = receive(mail(), "pipe")
    for _ in range(MAX_ATTEMPTS):
        process(row.pk)
    row.refresh_from_db()
    assert row.status == Status.FLAGGED
    monkeypatch.setattr(parsing, "parse", real)
    with django_capture_on_commit_callbacks(execute=True):
        triage.reprocess(row, by=world.analyst)
    row.refresh_from_db()
    assert row.status == Status.TRIAGE and row.attempts == 1 and row.resolution == "reprocessed"
    assert AuditEvent.objects.filter(kind="mail.reprocessed", object_id=str(row.pk)).exists()


def test_a_non_participant_mail_for_a_case_is_marked(world: World) -> None:
    assert world.case is not None
    row = arrive(mail(f"Re: [VU#{world.case.number}] more", sender="who@elsewhere.test"))
    assert row.status == Status.TRIAGE and row.case == world.case and triage.from_non_participant(row)
    page = analyst_client(world).get("/mail/triage/").content.decode()
    assert f"for {world.case.label} from a non-participant" in page
    dashboard = analyst_client(world).get("/dashboard/").content.decode()
    assert (
        "Mail waiting for triage" in dashboard
        and f"for {world.case.label} from a non-participant" in dashboard
    )
    triage.mark_spam(row, by=world.analyst)
    assert CaseEvent.objects.filter(kind="mail.spam", case=world.case).exists()


# --- The pages ------------------------------------------------------------------------------------


def test_the_pages_link_a_mail_in_two_steps(world: World) -> None:
    assert world.case is not None
    row = arrive(mail(body="<script>alert(1)</script> overflow"))
    client = analyst_client(world)
    assert 'href="/mail/triage/"' in client.get("/dashboard/").content.decode()  # coordinator tools
    assert 'href="/mail/triage/"' in client.get("/triage/").content.decode()  # Triage's own navigation
    inbox = client.get("/mail/triage/").content.decode()
    assert f'href="/mail/{row.pk}/"' in inbox and "someone@research.test" in inbox and "no case id" in inbox
    page = client.get(f"/mail/{row.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Where it most likely belongs" not in page  # the sender takes part in no case
    # Step 1: the case; step 2: its participants, by name for the coordinator.
    step = client.get(f"/mail/{row.pk}/link/", {"case": world.case.label})
    assert step.status_code == 200 and "Vendor One" in step.content.decode()
    participant = vendor_of(world)
    done = client.post(f"/mail/{row.pk}/link/", {"case": world.case.label, "participant": participant.pk})
    assert (
        done.status_code == 302
        and f"/messages/{row.__class__.objects.get(pk=row.pk).posted_message.thread_id}/" in done["Location"]
    )  # type: ignore[union-attr]
    thread = client.get(done["Location"]).content.decode()
    assert "&lt;script&gt;alert(1)" in thread
    assert "No mail is waiting" in client.get("/mail/triage/").content.decode()


def test_the_mail_page_suggests_the_senders_cases(world: World) -> None:
    assert world.case is not None
    row = arrive(mail(sender="psirt@vendor-one.test"))
    page = analyst_client(world).get(f"/mail/{row.pk}/").content.decode()
    participant = vendor_of(world)
    assert "Where it most likely belongs" in page
    assert f"/mail/{row.pk}/link/?case={world.case.url_ref}&amp;participant={participant.pk}" in page
    step = analyst_client(world).get(
        f"/mail/{row.pk}/link/", {"case": world.case.url_ref, "participant": participant.pk}
    )
    assert f'value="{participant.pk}" checked' in step.content.decode()


def test_the_pages_refuse_bad_input_clearly(world: World) -> None:
    assert world.case is not None
    row = arrive(mail())
    client = analyst_client(world)
    assert client.get(f"/mail/{row.pk}/link/", {"case": "VU#9999999"}).status_code == 404
    assert client.get(f"/mail/{row.pk}/link/", {"case": "nonsense"}).status_code == 404
    assert client.get(f"/mail/{row.pk}/link/", {"case": ""}).status_code == 400
    other = make_other_case(world)
    wrong = client.post(f"/mail/{row.pk}/link/", {"case": world.case.label, "participant": other.pk})
    assert wrong.status_code == 400 and "Choose a participant" in wrong.content.decode()
    assert (
        client.post(f"/mail/{row.pk}/link/", {"case": world.case.label, "participant": "x"}).status_code
        == 400
    )
    assert client.get("/mail/99999/").status_code == 404 and client.get("/mail/abc/").status_code == 404
    # Confirmation first: a GET never acts.
    assert client.get(f"/mail/{row.pk}/spam/").status_code == 200
    row.refresh_from_db()
    assert row.status == Status.TRIAGE
    assert client.post(f"/mail/{row.pk}/spam/").status_code == 302
    again = client.post(f"/mail/{row.pk}/report/")
    assert again.status_code == 409 and "marked as spam" in again.content.decode()
    assert not Report.objects.filter(product="Heap overflow in Widget").exists()


def test_report_and_reprocess_from_the_pages(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    row = arrive(mail())
    client = analyst_client(world)
    assert "Turn this mail into a report?" in client.get(f"/mail/{row.pk}/report/").content.decode()
    made = client.post(f"/mail/{row.pk}/report/")
    report = Report.objects.get(product="Heap overflow in Widget")
    assert made.status_code == 302 and made["Location"] == f"/triage/{report.pk}/"

    monkeypatch.setattr(parsing, "parse", lambda raw, **kw: (_ for _ in ()).throw(RuntimeError("boom")))
    failed = arrive(mail(message_id="<m2@research.test>"))
    assert failed.status == Status.FAILED
    problems = client.get("/mail/problems/").content.decode()
    assert "boom" in problems and f"/mail/{failed.pk}/reprocess/" in problems
    assert client.post(f"/mail/{failed.pk}/reprocess/").status_code == 302
    failed.refresh_from_db()
    assert failed.resolution == "reprocessed"


def test_the_raw_mail_downloads_as_received(world: World) -> None:
    raw = mail()
    row = arrive(raw)
    response = analyst_client(world).get(f"/mail/{row.pk}/raw")
    assert response.status_code == 200 and response.content == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment;")


def test_only_analysts(world: World) -> None:
    row = arrive(mail())
    for user in (world.vendor, world.reporter, world.outsider):
        client = login(Client(), user)
        for url in ("/mail/triage/", "/mail/problems/", f"/mail/{row.pk}/", f"/mail/{row.pk}/raw"):
            assert client.get(url).status_code == 403
        assert client.post(f"/mail/{row.pk}/spam/").status_code == 403
        assert token_client(user).post(f"/api/v1/mail/{row.pk}/spam").status_code == 403
    assert Client().get("/mail/triage/").status_code == 302
    assert Client().get("/api/v1/mail/triage").status_code == 401
    row.refresh_from_db()
    assert row.status == Status.TRIAGE


def test_the_inbox_costs_the_same_with_more_mail(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert world.case is not None
    client = analyst_client(world)
    arrive(mail(message_id="<a@x>"))
    with CaptureQueriesContext(connection) as small:
        client.get("/mail/triage/")
    for n in range(12):
        subject = f"[VU#{world.case.number}] n{n}" if n % 2 else f"n{n}"
        arrive(mail(subject, sender=f"s{n}@elsewhere.test", message_id=f"<b{n}@x>"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/mail/triage/")
    InboundMessage.objects.update(status=Status.FLAGGED)
    with CaptureQueriesContext(connection) as many:
        client.get("/mail/problems/")
    InboundMessage.objects.exclude(pk=InboundMessage.objects.first().pk).delete()  # type: ignore[union-attr]
    with django_assert_max_num_queries(len(many.captured_queries)):
        client.get("/mail/problems/")
    assert len(many.captured_queries) <= len(small.captured_queries) + 1


# --- The API --------------------------------------------------------------------------------------


def test_the_api_lists_and_acts(world: World) -> None:
    assert world.case is not None
    api = token_client(world.analyst)
    first = arrive(mail(message_id="<a@x>"))
    second = arrive(mail("Another", message_id="<b@x>"))
    listed = api.get("/api/v1/mail/triage").json()
    assert [m["id"] for m in listed["items"]] == [second.pk, first.pk] and listed["next"] is None
    assert listed["items"][0]["reason"] == "no case id in the subject"
    one = api.get(f"/api/v1/mail/{first.pk}").json()
    assert one["text"].startswith("The parser") and one["raw_url"] == f"/api/v1/mail/{first.pk}/raw"
    assert api.get(f"/api/v1/mail/{first.pk}/raw").content == bytes(first.raw)

    participant = vendor_of(world)
    bad_case = api.post(
        f"/api/v1/mail/{first.pk}/link",
        {"case": "VU#9999999", "participant": participant.pk},
        "application/json",
    )
    assert bad_case.status_code == 404
    other = make_other_case(world)
    wrong = api.post(
        f"/api/v1/mail/{first.pk}/link",
        {"case": world.case.label, "participant": other.pk},
        "application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "participant"
    for body in ({"case": world.case.label, "participant": 2**70}, {"case": "x" * 500, "participant": 1}, {}):
        assert api.post(f"/api/v1/mail/{first.pk}/link", body, "application/json").status_code == 400
    linked = api.post(
        f"/api/v1/mail/{first.pk}/link",
        {"case": world.case.label, "participant": participant.pk},
        "application/json",
    )
    assert linked.status_code == 200 and linked.json()["resolution"] == "linked" and linked.json()["message"]
    again = api.post(
        f"/api/v1/mail/{first.pk}/link",
        {"case": world.case.label, "participant": participant.pk},
        "application/json",
    )
    assert again.status_code == 409 and "mail-open" in again.json()["detail"]

    made = api.post(f"/api/v1/mail/{second.pk}/report")
    assert made.status_code == 201 and made["Location"] == f"/api/v1/reports/{made.json()['id']}"
    assert api.post(f"/api/v1/mail/{second.pk}/spam").status_code == 409
    third = arrive(mail("Buy now", message_id="<c@x>"))
    assert api.post(f"/api/v1/mail/{third.pk}/spam").json()["status"] == "spam"
    assert api.post(f"/api/v1/mail/{third.pk}/reprocess").status_code == 409
    assert api.get("/api/v1/mail/triage").json()["items"] == []
    assert api.get("/api/v1/mail/problems").json()["items"] == []
    assert api.get("/api/v1/mail/abc").status_code == 404


def test_make_world_is_usable_here() -> None:
    assert make_world().case is not None
