"""Routing inbound mail (process.md "Routing inbound mail"): the VU#, then the report id in the
subject, then In-Reply-To/References of mail Accord sent; mail from a non-participant waits for
the case's analysts. Bounces (RFC 3464 delivery status notifications) mark the mail and the
vendor contact. Hand-written, Postfix-like DSN samples."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accord.cases import actions as case_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Participant, Report
from accord.conversation.models import Message
from accord.lib.ids import find_report_id
from accord.mailgate import bounce
from accord.mailgate.inbound import process, receive
from accord.mailgate.models import InboundMessage, OutboundMessage
from accord.mailgate.parse import ParsedMail, parse
from accord.mailgate.route import find_route
from accord.testing import World, login, token_client
from accord.vendors.models import Contact

Status = InboundMessage.Status
CONTACT = "security@vendor-one.test"
FINDER = "finder@research.test"


def mail(
    subject: str,
    *,
    sender: str = CONTACT,
    body: str = "We have a fix.",
    message_id: str = "<m1@sender.test>",
    in_reply_to: str = "",
    references: str = "",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "cert@localhost"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(body)
    return message.as_bytes()


def deliver(raw: bytes) -> InboundMessage:
    row = receive(raw, "smtp")
    process(row.pk)
    row.refresh_from_db()
    return row


@pytest.fixture
def contact(world: World) -> Contact:
    return Contact.objects.create(organization=world.vendor_org, email=CONTACT, name="PSIRT")


def sent_to(world: World, to: str, message_id: str, **fields: object) -> OutboundMessage:
    return OutboundMessage.objects.create(
        to_email=to,
        subject=f"[{world.case.label}] New message",  # type: ignore[union-attr]
        body_text="Something new awaits you.",
        message_id=message_id,
        status=OutboundMessage.Status.SENT,
        **fields,
    )


def new_report(world: World) -> Report:
    report, _ = case_actions.submit_report(
        ReportInput(
            product="Gadget",
            version="1.0",
            description="Stack overflow.",
            reporter_name="Finder",
            reporter_email=FINDER,
        ),
        by=None,
    )
    return report


# --- The report id in the subject -------------------------------------------------------------------


def test_report_ids_are_found_in_subjects() -> None:
    assert find_report_id("Re: [REPORT-2026-ABCD2345] more") == "REPORT-2026-ABCD2345"
    assert find_report_id("re: report-2026-abcd2345") == "REPORT-2026-ABCD2345"
    assert find_report_id("REPORT-2026-ABCD23456") is None  # nine characters
    assert find_report_id("REPORT-2026-ABCD0345") is None  # 0 is not in the alphabet
    assert find_report_id("XREPORT-2026-ABCD2345") is None


def test_the_reporter_answering_about_a_report_lands_in_its_thread(world: World) -> None:
    report = new_report(world)
    row = deliver(
        mail(f"Re: {report.pk} your questions", sender=f"Finder <{FINDER}>", body="Version 1.0 only.")
    )
    assert row.status == Status.PROCESSED, row.problems
    assert row.report == report and row.case is None
    message = row.posted_message
    assert message is not None and message.body == "Version 1.0 only."
    assert message.from_reporter and message.thread.report == report and message.thread.case is None


def test_the_reporter_answering_about_an_accepted_report_lands_in_its_thread_on_the_case(
    world: World,
) -> None:
    report = world.report
    assert report is not None and world.case is not None
    row = deliver(mail(f"Re: {report.pk}", sender=FINDER, body="Any news?"))
    assert row.status == Status.PROCESSED, row.problems
    message = row.posted_message
    assert message is not None and message.from_reporter
    reporter = Participant.objects.get(case=world.case, kind=Participant.Kind.REPORTER)
    assert message.thread.participant == reporter and message.thread.case == world.case
    assert message.author == world.reporter  # the reporter's account sent it


def test_someone_else_naming_a_report_waits_in_triage(world: World) -> None:
    report = new_report(world)
    row = deliver(mail(f"Re: {report.pk}", sender="who@elsewhere.test"))
    assert row.status == Status.TRIAGE and row.report == report
    assert f"names report {report.pk}, but the sender is not its reporter" in row.problems
    assert not Message.objects.filter(thread__report=report).exists()


def test_an_unknown_report_id_waits_in_triage(world: World) -> None:
    row = deliver(mail("Re: REPORT-2026-ZZZZZZZZ", sender=FINDER))
    assert row.status == Status.TRIAGE and row.report is None
    assert "REPORT-2026-ZZZZZZZZ, which does not exist" in row.problems


def test_the_reporter_naming_the_case_lands_in_its_thread(world: World) -> None:
    row = deliver(mail(f"[{world.case.label}] more detail", sender=FINDER))  # type: ignore[union-attr]
    assert row.status == Status.PROCESSED, row.problems
    assert row.participant is not None and row.participant.kind == Participant.Kind.REPORTER
    assert row.posted_message is not None and row.posted_message.from_reporter


# --- Replies to mail Accord sent ------------------------------------------------------------------


def test_a_reply_to_accords_mail_routes_to_the_case_and_the_senders_participant(
    world: World, contact: Contact
) -> None:
    sent_to(world, CONTACT, "<n1@accord.test>", case=world.case, organization=world.vendor_org)
    row = deliver(mail("Re: New message", in_reply_to="<n1@accord.test>", body="Fixed."))
    assert row.status == Status.PROCESSED, row.problems
    assert row.case == world.case and row.participant is not None
    assert row.participant.organization == world.vendor_org
    assert row.posted_message is not None and row.posted_message.thread.participant == row.participant


def test_references_route_too_the_latest_known_first(world: World, contact: Contact) -> None:
    sent_to(world, CONTACT, "<old@accord.test>", case=world.case, organization=world.vendor_org)
    row = deliver(
        mail("Re: Re: hello", references="<unknown@elsewhere.test> <old@accord.test> <later@elsewhere.test>")
    )
    assert row.status == Status.PROCESSED and row.case == world.case


def test_a_subject_naming_no_existing_case_falls_back_to_the_reply(world: World, contact: Contact) -> None:
    sent_to(world, CONTACT, "<n2@accord.test>", case=world.case, organization=world.vendor_org)
    row = deliver(mail("Re: [VU#999999] typo", in_reply_to="<n2@accord.test>"))
    assert row.status == Status.PROCESSED and row.case == world.case


def test_a_reply_from_a_non_participant_waits_for_the_cases_analysts(world: World) -> None:
    sent_to(world, CONTACT, "<n3@accord.test>", case=world.case, organization=world.vendor_org)
    row = deliver(mail("Re: New message", sender="forwarded@elsewhere.test", in_reply_to="<n3@accord.test>"))
    assert row.status == Status.TRIAGE and row.case == world.case and row.participant is None
    assert row.problems.startswith("from a non-participant")


def test_a_reply_to_mail_about_a_report_routes_to_the_reporters_thread(world: World) -> None:
    report = new_report(world)
    sent_to(world, FINDER, "<r1@accord.test>", report=report)
    row = deliver(mail("Re: your report", sender=FINDER, in_reply_to="<r1@accord.test>"))
    assert row.status == Status.PROCESSED and row.report == report
    assert row.posted_message is not None and row.posted_message.thread.report == report


# --- Mail naming a case from a non-participant -------------------------------------------------------


def test_mail_naming_a_case_from_a_non_participant_goes_to_its_analysts_only(world: World) -> None:
    case = world.case
    assert case is not None
    case.owner = world.analyst
    case.save(update_fields=["owner"])
    before = set(OutboundMessage.objects.values_list("pk", flat=True))
    row = deliver(
        mail(f"[{case.label}] I found this too", sender="stranger@elsewhere.test", body="Secret PoC")
    )
    assert row.status == Status.TRIAGE and row.case == case and row.participant is None
    assert row.problems.startswith("from a non-participant")
    assert row.posted_message is None
    # The analysts alone hear of it, and the plaintext says only that something awaits.
    told = list(OutboundMessage.objects.exclude(pk__in=before))
    assert [m.to_email for m in told] == [world.analyst.email]
    assert "non-participant" in told[0].subject and "Secret PoC" not in told[0].body_text


# --- Bounces -----------------------------------------------------------------------------------------


def postfix_dsn(
    *,
    recipient: str = CONTACT,
    original_id: str = "<n1@accord.test>",
    action: str = "failed",
    status: str = "5.1.1",
    returned: str = "text/rfc822-headers",
    original_recipient: bool = True,
) -> bytes:
    """A bounce as Postfix writes it (RFC 3464), returning the headers of the original."""
    boundary = "8A1C2C3D4E.1700000000/mail.accord.test"
    original_headers = (
        "Return-Path: <accord@accord.test>\r\n"
        f"Message-ID: {original_id}\r\n"
        "From: accord@accord.test\r\n"
        f"To: {recipient}\r\n"
        "Subject: [VU#123456] New message\r\n"
    )
    returned_body = original_headers + (
        "\r\nSomething new awaits you.\r\n" if returned == "message/rfc822" else ""
    )
    orig = f"Original-Recipient: rfc822;{recipient}\r\n" if original_recipient else ""
    return (
        "Return-Path: <>\r\n"
        "Received: by mail.accord.test (Postfix) id 8A1C2C3D4E; Mon, 30 Nov 2026 06:00:00 +0000 (UTC)\r\n"
        "Date: Mon, 30 Nov 2026 06:00:00 +0000 (UTC)\r\n"
        "From: MAILER-DAEMON@mail.accord.test (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "To: accord@accord.test\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="{boundary}"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n"
        "Message-Id: <20261130060000.8A1C2C3D4E@mail.accord.test>\r\n"
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mail.accord.test.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "\r\n"
        f"<{recipient}>: host mx.vendor-one.test[192.0.2.25] said: 550 5.1.1\r\n"
        "    <security@vendor-one.test>: Recipient address rejected: User unknown\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mail.accord.test\r\n"
        "X-Postfix-Queue-ID: 8A1C2C3D4E\r\n"
        "X-Postfix-Sender: rfc822; accord@accord.test\r\n"
        "Arrival-Date: Mon, 30 Nov 2026 05:59:58 +0000 (UTC)\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"{orig}"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mx.vendor-one.test\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address\r\n"
        "    rejected: User unknown in virtual mailbox table\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        f"Content-Type: {returned}\r\n"
        "\r\n"
        f"{returned_body}"
        "\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def test_a_dsn_is_read() -> None:
    dsn = bounce.read_dsn(postfix_dsn())
    assert dsn is not None
    assert dsn.original_message_id == "<n1@accord.test>"
    assert dsn.reporting_mta == "mail.accord.test"
    (recipient,) = dsn.recipients
    assert recipient.final == recipient.original == CONTACT
    assert recipient.failed and recipient.status == "5.1.1"
    assert recipient.diagnostic.endswith("rejected: User unknown in virtual mailbox table")  # folded line
    returned = bounce.read_dsn(postfix_dsn(returned="message/rfc822"))
    assert returned is not None and returned.original_message_id == "<n1@accord.test>"


def test_ordinary_mail_is_not_a_dsn() -> None:
    assert bounce.read_dsn(mail("Undelivered Mail Returned to Sender")) is None
    assert (
        bounce.read_dsn(
            postfix_dsn().replace(b"report-type=delivery-status", b"report-type=disposition-notification")
        )
        is None
    )


def test_a_bounce_marks_the_mail_and_the_contact(world: World, contact: Contact) -> None:
    sent = sent_to(world, CONTACT, "<n1@accord.test>", case=world.case, organization=world.vendor_org)
    other = Contact.objects.create(
        organization=world.co_vendor_org, email=CONTACT.upper(), name="Same address"
    )
    row = deliver(postfix_dsn())
    assert row.status == Status.BOUNCE, row.problems or row.last_error
    assert row.case == world.case and row.posted_message is None
    assert row.from_address == "mailer-daemon@mail.accord.test"
    assert row.subject == "Undelivered Mail Returned to Sender"
    assert "bounced" in row.problems
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.BOUNCED and "5.1.1" in sent.last_error
    for c in (contact, other):
        c.refresh_from_db()
        assert c.bouncing_since is not None
        assert c.bounce_reason.startswith("5.1.1 smtp; 550 5.1.1")
    # A later bounce keeps the first date.
    first = contact.bouncing_since
    sent_to(world, CONTACT, "<n9@accord.test>", case=world.case, organization=world.vendor_org)
    deliver(postfix_dsn(original_id="<n9@accord.test>", status="5.2.1"))
    contact.refresh_from_db()
    assert contact.bouncing_since == first and contact.bounce_reason.startswith("5.2.1")


def test_a_bounce_rewritten_by_a_forwarder_still_names_its_mail(world: World, contact: Contact) -> None:
    sent = sent_to(world, CONTACT, "<n4@accord.test>", case=world.case, organization=world.vendor_org)
    row = deliver(
        postfix_dsn(
            recipient="psirt@internal.vendor-one.test",
            original_id="<n4@accord.test>",
            original_recipient=False,
        )
    )
    assert row.status == Status.BOUNCE
    sent.refresh_from_db()
    contact.refresh_from_db()
    assert sent.status == OutboundMessage.Status.BOUNCED and contact.bouncing_since is not None


def test_a_delay_notice_marks_nothing(world: World, contact: Contact) -> None:
    sent = sent_to(world, CONTACT, "<n5@accord.test>", case=world.case, organization=world.vendor_org)
    row = deliver(postfix_dsn(original_id="<n5@accord.test>", action="delayed", status="4.4.1"))
    assert row.status == Status.BOUNCE and "no recipient failed" in row.problems
    sent.refresh_from_db()
    contact.refresh_from_db()
    assert sent.status == OutboundMessage.Status.SENT and contact.bouncing_since is None


def test_a_bounce_naming_no_mail_accord_sent_marks_nothing(world: World, contact: Contact) -> None:
    row = deliver(postfix_dsn(original_id="<forged@elsewhere.test>"))
    assert row.status == Status.BOUNCE and "names no mail Accord sent" in row.problems
    contact.refresh_from_db()
    assert contact.bouncing_since is None


def test_the_directory_shows_a_bouncing_contact_to_staff_and_the_vendor(
    client, world: World, contact: Contact
) -> None:  # type: ignore[no-untyped-def]
    Contact.objects.filter(pk=contact.pk).update(
        bouncing_since=timezone.make_aware(dt.datetime(2026, 11, 2, 12, 0)),
        bounce_reason="5.1.1 User unknown",
    )
    for user in (world.analyst, world.vendor):
        page = login(client, user).get(f"/vendors/{world.vendor_org.pk}/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "bouncing since 2026-11-02" in text and "5.1.1 User unknown" in text
        client.logout()
    listing = login(client, world.analyst).get("/vendors/")
    assert "bouncing since 2026-11-02" in listing.content.decode()
    client.logout()
    assert login(client, world.other_vendor).get(f"/vendors/{world.vendor_org.pk}/").status_code in (403, 404)
    api = token_client(world.vendor).get(f"/api/v1/vendors/{world.vendor_org.pk}")
    assert api.status_code == 200
    (shown,) = [c for c in api.json()["contacts"] if c["email"] == CONTACT]
    assert shown["bouncing_since"].startswith("2026-11-02") and shown["bounce_reason"] == "5.1.1 User unknown"


# --- Robustness --------------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
_field = st.sampled_from(
    ["Final-Recipient", "Original-Recipient", "Action", "Status", "Diagnostic-Code", "Reporting-MTA", "X"]
)


@st.composite
def dsn_like(draw: st.DrawFn) -> bytes:
    blocks = draw(st.lists(st.lists(st.tuples(_field, _text), max_size=6), max_size=4))
    status = "\r\n\r\n".join("\r\n".join(f"{k}: {v}" for k, v in block) for block in blocks)
    returned = draw(
        st.sampled_from(["text/rfc822-headers", "message/rfc822", "text/plain", "message/delivery-status"])
    )
    junk = draw(_text)
    boundary = draw(st.sampled_from(["b", "b\r\n--b", ""]))
    report_type = draw(st.sampled_from(["delivery-status", "", "other", "delivery-status\r\n junk"]))
    return (
        f"From: {junk}\r\nSubject: {junk}\r\nContent-Type: multipart/report; report-type={report_type}; "
        f'boundary="{boundary}"\r\n\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n'
        f"{status}\r\n--{boundary}\r\nContent-Type: {returned}\r\n\r\nMessage-ID: {junk}\r\n\r\n{junk}\r\n--{boundary}--\r\n"
    ).encode("utf-8", "surrogateescape")


@given(st.one_of(st.binary(max_size=2000), dsn_like()))
@hsettings(max_examples=300, deadline=None)
def test_reading_a_dsn_never_raises(raw: bytes) -> None:
    dsn = bounce.read_dsn(raw)
    if dsn is not None:
        assert all(len(r.reason) <= bounce.MAX_FIELD for r in dsn.recipients)


@given(dsn=dsn_like())
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_processing_a_generated_dsn_files_it_without_raising(world: World, dsn: bytes) -> None:
    row = receive(dsn, "smtp")
    process(row.pk)
    row.refresh_from_db()
    assert row.status in (Status.BOUNCE, Status.TRIAGE, Status.FLAGGED), row.last_error


_id = st.one_of(_text, st.builds(lambda s: f"<{s}@accord.test>", st.text("abc123", min_size=1, max_size=8)))


@given(
    subject=st.one_of(
        _text,
        st.builds(lambda n, t: f"Re: [VU#{n}] {t}", st.integers(0, 10**8), _text),
        st.builds(
            lambda s, t: f"REPORT-2026-{s} {t}",
            st.text("23456789ABCDEFGHJKLMNPQRSTUVWXYZabc", min_size=8, max_size=8),
            _text,
        ),
    ),
    sender=st.one_of(st.just(""), st.just(CONTACT), st.just(FINDER), st.emails().map(str.lower)),
    in_reply_to=_id,
    references=st.lists(_id, max_size=5),
)
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_routing_never_raises(
    world: World, subject: str, sender: str, in_reply_to: str, references: list[str]
) -> None:
    parsed = ParsedMail(
        from_address=sender,
        from_name="",
        subject=subject,
        message_id="<x@y>",
        in_reply_to=in_reply_to,
        references=tuple(references),
        text="hello",
    )
    route = find_route(parsed)
    assert route.routed or route.reason


def test_parse_then_route_a_mail_with_unreadable_ids(world: World) -> None:
    raw = b"From: x@y.test\r\nSubject: Re: hi\r\nIn-Reply-To: <<<>>>\r\nReferences: \xff\xfe <\x00@a>\r\n\r\nbody\r\n"
    route = find_route(parse(raw))
    assert not route.routed and route.reason == "no case id in the subject"
