"""Inbound mail, raw first: the SMTP receiver, the MTA pipe, processing, routing by VU#, retries."""

from __future__ import annotations

import datetime as dt
import io
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accord.conversation.models import Message
from accord.core import schedule
from accord.mailgate import inbound
from accord.mailgate import parse as parsing
from accord.mailgate.inbound import process, receive, retry_inbound
from accord.mailgate.models import InboundMessage, OutboundMessage
from accord.mailgate.smtp import controller, with_message_id
from accord.testing import World, make_world
from accord.vendors.models import Contact

Status = InboundMessage.Status
DONE = {Status.PROCESSED, Status.TRIAGE, Status.FLAGGED}
CONTACT = "security@vendor-one.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mail(
    subject: str,
    *,
    sender: str = CONTACT,
    body: str = "We have a fix.",
    message_id: str | None = "<a1@vendor>",
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Vendor PSIRT <{sender}>"
    message["To"] = "cert@localhost"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def with_contact(world: World) -> World:
    Contact.objects.create(organization=world.vendor_org, email=CONTACT, name="PSIRT")
    return world


@pytest.fixture
def vendor_world(world: World) -> World:
    return with_contact(world)


@pytest.fixture
def live_world(transactional_db) -> World:  # type: ignore[no-untyped-def]
    """Committed data, for the SMTP receiver, which stores from its own thread."""
    return with_contact(make_world())


@pytest.fixture
def smtp(settings) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = controller("127.0.0.1", port, recipients=["cert@localhost"], max_bytes=64 * 1024)
    server.start()
    try:
        yield "127.0.0.1", port
    finally:
        server.stop()


def send(address: tuple[str, int], raw: bytes, to: str = "cert@localhost") -> None:
    with smtplib.SMTP(*address, timeout=10) as client:
        client.sendmail(CONTACT, [to], raw)


def private_messages(world: World) -> list[Message]:
    participant = world.case.participants.get(organization=world.vendor_org)  # type: ignore[union-attr]
    return list(Message.objects.filter(thread__participant=participant))


# --- The SMTP receiver ------------------------------------------------------------------------------


def test_a_vendor_reply_with_the_case_id_lands_in_its_private_thread(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    case = live_world.case
    assert case is not None
    send(smtp, mail(f"Re: [VU#{case.number}] Heap overflow", body="Patched in 2.2."))
    row = InboundMessage.objects.get()
    assert row.status == Status.PROCESSED, row.problems or row.last_error
    assert row.received_via == "smtp" and row.case == case
    (message,) = private_messages(live_world)
    assert message.body == "Patched in 2.2."
    assert message.author_participant == row.participant
    assert message.author is None  # a contact address, not a member's account
    assert message.inbound_mail == row
    # The case's analysts hear of it, neutrally (process.md "Mail and confidentiality").
    told = OutboundMessage.objects.filter(to_email=live_world.analyst.email)
    assert told.exists()
    assert all("Patched" not in m.body_text for m in told)


def test_the_case_owner_is_notified_first(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    """process.md "Routing inbound mail" step 4: the owner first, then the other analysts."""
    from accord.cases.actions.cases import assign_analysts
    from accord.testing import make_user

    case = live_world.case
    assert case is not None
    owner = make_user("owner@coordinator.test", staff_role="analyst")  # made last: the highest id
    assign_analysts(case, [live_world.analyst, live_world.publisher], owner=owner, by=live_world.analyst)
    send(smtp, mail(f"Re: [VU#{case.number}] fix", body="Patched."))
    staff = [
        m.to_email for m in OutboundMessage.objects.order_by("id") if m.to_email.endswith("@coordinator.test")
    ]
    assert staff[0] == owner.email
    assert set(staff) == {owner.email, live_world.analyst.email, live_world.publisher.email}


def test_the_receiving_servers_verdict_is_recorded_and_shown(live_world: World, smtp, settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from accord.testing import login

    settings.MAIL_AUTHSERV_ID = "mx.cert.test"
    case = live_world.case
    assert case is not None
    raw = mail(f"Re: [VU#{case.number}] fix", body="Unsigned.", message_id="<auth@vendor>")
    verdict = b"Authentication-Results: mx.cert.test;\r\n spf=fail smtp.mailfrom=vendor-one.test;\r\n dmarc=fail\r\n"
    forged = b"Authentication-Results: elsewhere.test; dmarc=pass\r\n"
    send(smtp, verdict + forged + raw)
    row = InboundMessage.objects.get()
    assert row.status == Status.PROCESSED and row.sender_authenticated is False
    assert "spf=fail" in row.authentication_results and "elsewhere" not in row.authentication_results
    (message,) = private_messages(live_world)
    page = login(Client(), live_world.analyst).get(f"/cases/{case.url_ref}/messages/{message.thread_id}/")
    html = page.content.decode()
    assert "by mail" in html and "not encrypted" in html and "sender not authenticated" in html


def test_a_member_sending_is_the_author(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    send(smtp, mail(f"[VU#{live_world.case.number}] status", sender=live_world.vendor.email))  # type: ignore[union-attr]
    (message,) = private_messages(live_world)
    assert message.author == live_world.vendor


def test_mail_without_a_case_id_waits_in_triage(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    send(smtp, mail("Re: Heap overflow"))
    row = InboundMessage.objects.get()
    assert row.status == Status.TRIAGE
    assert "no case id" in row.problems
    assert row.subject == "Re: Heap overflow" and row.from_address == CONTACT
    assert not private_messages(live_world)


def test_a_stranger_naming_the_case_goes_to_triage(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    send(smtp, mail(f"[VU#{live_world.case.number}] hello", sender="who@elsewhere.test"))  # type: ignore[union-attr]
    row = InboundMessage.objects.get()
    assert row.status == Status.TRIAGE and row.case == live_world.case
    assert "not a vendor contact" in row.problems
    assert not private_messages(live_world)


def test_a_mail_delivered_twice_is_stored_once(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    raw = mail(f"Re: [VU#{live_world.case.number}] fix", message_id="<twice@vendor>")  # type: ignore[union-attr]
    send(smtp, raw)
    send(smtp, raw)
    assert InboundMessage.objects.count() == 1
    assert len(private_messages(live_world)) == 1
    # The same Message-ID with other bytes is another mail.
    send(smtp, mail("Other", message_id="<twice@vendor>"))
    assert InboundMessage.objects.count() == 2


def test_a_mail_without_message_id_gets_one_and_is_still_stored_once(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    raw = mail("No id", message_id=None)
    send(smtp, raw)
    send(smtp, raw)
    row = InboundMessage.objects.get()
    assert row.message_id.endswith("@accord.inbound>")
    first, rest = bytes(row.raw).split(b"\n", 1)
    assert first.startswith(b"Message-ID: <") and rest.startswith(b"From: Vendor PSIRT")


def test_relaying_is_refused(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp, mail("spam"), to="victim@example.org")
    assert refused.value.recipients["victim@example.org"][0] == 550
    assert not InboundMessage.objects.exists()


def test_mail_over_the_size_limit_is_refused(live_world: World, smtp) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(smtplib.SMTPException) as refused:
        send(smtp, mail("big", body="x" * 100 * 1024))
    assert "552" in str(refused.value)
    assert not InboundMessage.objects.exists()


def test_the_receiver_answers_451_when_it_cannot_store(live_world: World) -> None:
    def broken(raw: bytes) -> None:
        raise OperationalError("database is locked")

    port = free_port()
    server = controller("127.0.0.1", port, recipients=["cert@localhost"], max_bytes=65536, store=broken)
    server.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(("127.0.0.1", port), mail("x"))
    finally:
        server.stop()
    assert refused.value.smtp_code == 451


def test_with_message_id_keeps_an_existing_one() -> None:
    raw = mail("x", message_id="<keep@vendor>")
    assert with_message_id(raw) == raw


# --- The pipe ---------------------------------------------------------------------------------------


def test_ingest_mail_stores_stdin(vendor_world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    raw = mail(f"Re: [VU#{vendor_world.case.number}] fix")  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest_mail", stdin=io.BytesIO(raw))
    row = InboundMessage.objects.get()
    assert row.received_via == "pipe" and bytes(row.raw) == raw
    assert row.status == Status.PROCESSED


def test_ingest_mail_exit_codes(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError) as empty:
        call_command("ingest_mail", stdin=io.BytesIO(b"  \n"))
    assert empty.value.returncode == 65

    def unavailable(raw: bytes, via: str) -> None:
        raise OperationalError("unable to open database file")

    monkeypatch.setattr("accord.mailgate.management.commands.ingest_mail.receive", unavailable)
    with pytest.raises(CommandError) as down:
        call_command("ingest_mail", stdin=io.BytesIO(mail("x")))
    assert down.value.returncode == 75
    assert not InboundMessage.objects.exists()


# --- Crash safety -----------------------------------------------------------------------------------


def test_a_failed_run_keeps_the_mail_and_the_retry_processes_it_once(
    vendor_world: World,
    monkeypatch,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    real_parse = parsing.parse
    calls = {"n": 0}

    def crash_once(raw: bytes, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the parser fell over")
        return real_parse(raw, **kwargs)

    monkeypatch.setattr(parsing, "parse", crash_once)
    raw = mail(f"Re: [VU#{vendor_world.case.number}] fix")  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(raw, "pipe")
    row.refresh_from_db()
    assert row.status == Status.FAILED and "the parser fell over" in row.last_error
    assert bytes(row.raw) == raw and row.attempts == 1
    assert not private_messages(vendor_world)

    # Not due yet: the retry job leaves it alone.
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_inbound.call() == 0
    with time_machine.travel(timezone.now() + inbound.backoff(1) + dt.timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert retry_inbound.call() == 1
        row.refresh_from_db()
        assert row.status == Status.PROCESSED and row.attempts == 2
        assert process(row.pk) == ""  # done: another run does nothing
        assert retry_inbound.call() == 0
    assert len(private_messages(vendor_world)) == 1


def test_a_run_that_died_is_taken_up_again_after_its_lease(
    vendor_world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    row = receive(mail(f"[VU#{vendor_world.case.number}] x"), "pipe")  # type: ignore[union-attr]
    InboundMessage.objects.filter(pk=row.pk).update(status=Status.PROCESSING)  # a worker died mid-run
    assert process(row.pk) == ""  # its lease still holds
    later = timezone.now() + inbound.LEASE + dt.timedelta(seconds=1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert retry_inbound.call() == 1
    row.refresh_from_db()
    assert row.status == Status.PROCESSED
    assert len(private_messages(vendor_world)) == 1


def test_a_mail_that_keeps_failing_is_flagged(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def crash(raw: bytes, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("always")

    monkeypatch.setattr(parsing, "parse", crash)
    row = receive(mail("x"), "pipe")
    for _ in range(inbound.MAX_ATTEMPTS):
        process(row.pk)
    row.refresh_from_db()
    assert row.status == Status.FLAGGED and "always" in row.problems


def test_the_scheduler_runs_the_retry_job() -> None:
    assert any(job.task == "accord.mailgate.inbound.retry_inbound" for job in schedule.JOBS)


# --- The parser -------------------------------------------------------------------------------------


def test_the_parser_prefers_plain_text_and_falls_back_from_html() -> None:
    message = EmailMessage()
    message["From"] = "A <A@Vendor.test>"
    message["Subject"] = "s"
    message["In-Reply-To"] = "<x@accord>"
    message["References"] = "<w@accord> <x@accord>"
    message.set_content("plain words")
    message.add_alternative("<p>html <b>words</b></p>", subtype="html")
    message.add_attachment(
        b"\x00\x01data", maintype="application", subtype="octet-stream", filename="poc.bin"
    )
    parsed = parsing.parse(message.as_bytes())
    assert parsed.text.strip() == "plain words"
    assert parsed.from_address == "a@vendor.test" and parsed.in_reply_to == "<x@accord>"
    assert parsed.references == ("<w@accord>", "<x@accord>")
    (attachment,) = parsed.attachments
    assert attachment.name == "poc.bin" and attachment.size == 6 and len(attachment.sha256) == 64

    html_only = EmailMessage()
    html_only["From"] = "a@vendor.test"
    html_only.set_content(
        "<html><head><style>p{}</style></head><body><p>Hello</p><p>World &amp; co</p></body></html>",
        subtype="html",
    )
    assert parsing.parse(html_only.as_bytes()).text == "Hello\n\nWorld & co"


def test_attachments_over_the_limit_are_listed_without_content() -> None:
    message = EmailMessage()
    message["From"] = "a@vendor.test"
    message.set_content("see attached")
    message.add_attachment(b"x" * 2000, maintype="application", subtype="zip", filename="big.zip")
    parsed = parsing.parse(message.as_bytes(), max_attachment_bytes=1000)
    (attachment,) = parsed.attachments
    assert not attachment.kept and attachment.content == b"" and attachment.size == 2000
    assert any("big.zip" in problem for problem in parsed.problems)


def test_attachments_reach_the_thread(vendor_world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    message = EmailMessage()
    message["From"] = CONTACT
    message["Subject"] = f"[VU#{vendor_world.case.number}] logs"  # type: ignore[union-attr]
    message.set_content("logs attached")
    message.add_attachment(b"log line", maintype="text", subtype="plain", filename="crash.log")
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(message.as_bytes(), "pipe")
    row.refresh_from_db()
    (posted,) = private_messages(vendor_world)
    assert posted.body == "logs attached"
    assert [a.name for a in posted.attachments.all()] == ["crash.log"]


# --- Robustness: nothing raises out of the gateway -------------------------------------------------


def _boundary_broken() -> bytes:
    return (
        b"From: security@vendor-one.test\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="abc"\r\n\r\n--abd\r\nContent-Type: text/plain\r\n\r\n'
        b"text without its boundary\r\n--abc\r\nContent-Type: text/plain\r\n\r\nhalf a part"
    )


def _unknown_charset() -> bytes:
    return (
        b"From: security@vendor-one.test\r\nSubject: =?x-klingon?q?qapla?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xff\xfe caf\xe9\r\n"
    )


def _deeply_nested(depth: int = 300) -> bytes:
    head = b"From: security@vendor-one.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\r\n\r\ndeep" + closing


def _huge_body() -> bytes:
    return mail(
        "[VU#999999] huge", body=("A" * 76 + "\n") * (10 * 1024 * 1024 // 77), message_id="<huge@vendor>"
    )


def _bad_headers() -> bytes:
    return (
        b"From: <<<@@@>>>\r\nSubject: \xff\xfe\r\nMessage-ID: <<>>\r\nContent-Type: text/plain; charset=\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    )


def _broken_armour() -> bytes:
    return mail(
        "[VU#999999] secret",
        body="-----BEGIN PGP MESSAGE-----\n\nhQ!!!not armour at all\n-----END PGP MESSAGE-----\n",
        message_id="<armour@vendor>",
    )


def _encrypted_without_its_part() -> bytes:
    return (
        b"From: security@vendor-one.test\r\nSubject: enc\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"\r\n\r\n'
        b"--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--e--\r\n"
    )


@pytest.mark.parametrize(
    "make_raw",
    [
        _boundary_broken,
        _unknown_charset,
        _deeply_nested,
        _huge_body,
        _bad_headers,
        lambda: b"\x00" * 10,
        _broken_armour,
        _encrypted_without_its_part,
    ],
    ids=[
        "broken-boundary",
        "unknown-charset",
        "deeply-nested",
        "10MB-body",
        "bad-headers",
        "nul-bytes",
        "broken-armour",
        "encrypted-without-its-part",
    ],
)
def test_malformed_mail_is_stored_and_processed_or_flagged(
    vendor_world: World,
    make_raw,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    raw = make_raw()
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(raw, "pipe")
    row.refresh_from_db()
    assert bytes(row.raw) == raw
    assert row.status in DONE, row.last_error
    if row.status == Status.FLAGGED:
        assert row.problems
    if make_raw in (_broken_armour, _encrypted_without_its_part):  # kept, flagged with the reason
        assert row.status == Status.FLAGGED and row.decryption == "failed"
        assert row.problems.startswith("could not be decrypted: "), row.problems


def test_malformed_mail_from_a_vendor_still_reaches_the_thread(
    vendor_world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    raw = _unknown_charset().replace(b"=?x-klingon?q?qapla?=", f"Re: VU#{vendor_world.case.number}".encode())  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(raw, "pipe")
    row.refresh_from_db()
    assert row.status == Status.PROCESSED
    assert "unknown charset" in row.problems
    (posted,) = private_messages(vendor_world)
    assert "caf" in posted.body


def test_a_10mb_body_from_a_vendor_is_cut_in_the_thread(
    vendor_world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    raw = _huge_body().replace(b"[VU#999999]", f"[VU#{vendor_world.case.number}]".encode())  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(raw, "pipe")
    row.refresh_from_db()
    assert row.status == Status.PROCESSED
    (posted,) = private_messages(vendor_world)
    assert "full text is kept" in posted.body


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.one_of(
        st.binary(min_size=1, max_size=2000),
        st.builds(
            lambda headers, body: headers + b"\r\n\r\n" + body,
            st.binary(max_size=300).map(
                lambda b: b"From: x@y.test\r\nContent-Type: multipart/mixed; boundary=q\r\n" + b
            ),
            st.binary(max_size=600),
        ),
        st.text(max_size=1000).map(lambda t: ("Subject: [VU#1] " + t).encode("utf-8", "surrogatepass")),
    )
)
def test_generated_bytes_never_raise(db, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    row = receive(raw, "pipe")
    assert process(row.pk) in DONE | {""}
    row.refresh_from_db()
    assert row.status in DONE, row.last_error
