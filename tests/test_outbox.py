"""The outbox: every mail is a row first, then a job sends it to a file sink or a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import smtplib
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.utils import timezone

from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import queue_mail
from accord.mailgate.tasks import BACKOFF, MAX_ATTEMPTS, requeue_outbox, requeue_stuck, send_outbound

pytestmark = pytest.mark.django_db


def sink() -> Path:
    assert settings.SMTP_URL.startswith("file://")
    return Path(settings.SMTP_URL.removeprefix("file://"))


def eml_of(message: OutboundMessage) -> Path:
    return sink() / f"{message.pk:08d}.eml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Collector:
    """An aiosmtpd handler keeping every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):  # type: ignore[no-untyped-def]
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.SMTP_URL = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield collector
    finally:
        controller.stop()


def test_queue_mail_stores_a_row_and_sends_it_at_commit(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = queue_mail("vendor@example.test", "Réunion: VU#123456 — ü", "Hello,\n\nFrom here on.\n")
        # Nothing leaves before the transaction commits.
        assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.QUEUED
        assert not eml_of(message).exists()
    assert len(callbacks) == 1

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.last_error == ""

    data = eml_of(message).read_bytes()
    assert b"\r\n" in data
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["To"] == "vendor@example.test"
    assert parsed["From"] == settings.DEFAULT_FROM_EMAIL
    assert parsed["Subject"] == "Réunion: VU#123456 — ü"
    assert parsed["Message-ID"] == message.message_id
    assert parsed["Auto-Submitted"] == "auto-generated"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "Hello,\n\nFrom here on.\n"
    assert not list(sink().glob("*.part"))


def test_message_ids_are_unique_and_in_our_domain(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEFAULT_FROM_EMAIL = "cert@accord.example.org"
    ids = {queue_mail(f"r{i}@example.test", "s", "b").message_id for i in range(5)}
    assert len(ids) == 5
    assert all(i.startswith("<") and i.endswith("@accord.example.org>") for i in ids)


def test_extra_headers_are_sent(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail("v@example.test", "s", "b", headers={"X-Accord-Case": "VU#123456"})
    parsed = email.message_from_bytes(eml_of(message).read_bytes(), policy=email.policy.default)
    assert parsed["X-Accord-Case"] == "VU#123456"


def test_mail_goes_out_over_real_smtp(smtp_server: Collector, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail("psirt@vendor.example", "Case VU#654321 needs you", "Please look.\n")
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT, message.last_error
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.rcpt_tos == ["psirt@vendor.example"]
    assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "Case VU#654321 needs you"
    assert received["Message-ID"] == message.message_id


def test_each_recipient_gets_their_own_mail(
    smtp_server: Collector, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Two people", "Body", None, ["one@example.test", "two@example.test"])
    assert sorted(tuple(e.rcpt_tos) for e in smtp_server.envelopes) == [
        ("one@example.test",),
        ("two@example.test",),
    ]
    for envelope in smtp_server.envelopes:
        # No recipient learns about the other.
        received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert received["To"] == envelope.rcpt_tos[0]
        assert received["Cc"] is None


def test_a_closed_smtp_port_retries_with_backoff_then_fails_and_keeps_it(
    settings, time_machine, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    start = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    settings.SMTP_URL = f"smtp://127.0.0.1:{free_port()}"
    settings.SMTP_TIMEOUT = 5
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail("vendor@example.test", "Will not arrive", "…")
    message.refresh_from_db()
    # A failed delivery goes back to the queue with a backoff, its reason kept.
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.attempts == 1
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    assert message.next_attempt_at == start + BACKOFF[0]
    assert message.sent_at is None
    assert requeue_outbox.call() == 0  # not due yet
    waited = start
    for attempt in range(2, MAX_ATTEMPTS + 1):
        waited += BACKOFF[attempt - 2]
        time_machine.move_to(waited, tick=False)
        assert requeue_outbox.call() == 1
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert message.status == OutboundMessage.Status.QUEUED
            assert message.next_attempt_at == waited + BACKOFF[attempt - 1]
    # After the last attempt it is failed for good, kept with its reason, and never tried again.
    assert message.status == OutboundMessage.Status.FAILED
    assert message.next_attempt_at is None
    assert "refused" in message.last_error.lower() or "Connection" in message.last_error
    assert OutboundMessage.objects.filter(pk=message.pk, body_text="…").exists()
    time_machine.move_to(waited + dt.timedelta(days=1), tick=False)
    assert requeue_outbox.call() == 0
    assert send_outbound.call(message.pk) == "skipped"


def test_sending_a_sent_message_again_does_nothing(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail("vendor@example.test", "Once", "Only once.")
    message.refresh_from_db()
    sent_at = message.sent_at
    eml_of(message).unlink()

    assert send_outbound.call(message.pk) == "skipped"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (OutboundMessage.Status.SENT, 1, sent_at)
    assert not eml_of(message).exists()


def test_sending_a_missing_message_does_nothing() -> None:
    assert send_outbound.call(987654) == "skipped"
    assert not sink().exists() or not list(sink().iterdir())


def test_a_failed_message_is_sent_when_tried_again(settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    file_sink = settings.SMTP_URL
    settings.SMTP_URL = f"smtp://127.0.0.1:{free_port()}"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail("vendor@example.test", "Later", "b")
    settings.SMTP_URL = file_sink
    assert send_outbound.call(message.pk) == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboundMessage.Status.SENT, 2, "")
    assert eml_of(message).exists()


def test_requeue_stuck_sends_queued_mail_older_than_five_minutes() -> None:
    now = timezone.now()
    old = OutboundMessage.objects.create(
        to_email="old@example.test",
        subject="stuck",
        body_text="b",
        message_id="<old@test>",
        created_at=now - dt.timedelta(minutes=6),
    )
    recent = OutboundMessage.objects.create(
        to_email="new@example.test",
        subject="recent",
        body_text="b",
        message_id="<new@test>",
        created_at=now - dt.timedelta(minutes=4),
    )
    assert requeue_stuck.call() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == OutboundMessage.Status.SENT
    assert eml_of(old).exists()
    assert recent.status == OutboundMessage.Status.QUEUED
    assert not eml_of(recent).exists()
    # Nothing is stuck any more.
    assert requeue_stuck.call() == 0


def test_requeue_stuck_with_time_passing(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC), tick=False)
    message = queue_mail("later@example.test", "queued, job lost", "b")  # on_commit never runs here
    assert requeue_stuck.call() == 0
    time_machine.move_to(dt.datetime(2026, 1, 5, 12, 5, 1, tzinfo=dt.UTC), tick=False)
    assert requeue_stuck.call() == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT


def test_djangos_send_mail_goes_through_the_outbox_one_row_per_recipient() -> None:
    assert settings.EMAIL_BACKEND == "accord.mailgate.backend.OutboxBackend"
    sent = send_mail("Hello", "Body text", None, ["a@example.test", "b@example.test"])
    assert sent == 2
    rows = list(OutboundMessage.objects.order_by("to_email"))
    assert [r.to_email for r in rows] == ["a@example.test", "b@example.test"]
    assert all((r.subject, r.body_text, r.status) == ("Hello", "Body text", "queued") for r in rows)


def test_cc_and_bcc_recipients_get_their_own_rows() -> None:
    EmailMessage("S", "B", None, ["to@example.test"], bcc=["bcc@example.test"], cc=["cc@example.test"]).send()
    assert sorted(OutboundMessage.objects.values_list("to_email", flat=True)) == [
        "bcc@example.test",
        "cc@example.test",
        "to@example.test",
    ]


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made by the openssl command, and its key."""
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_starttls_delivers_with_tls_settings_made_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A real STARTTLS server on 127.0.0.1; the client trusts its certificate through the shared
    # TLS settings, which are made once for all mail (loading the CA store per mail cost ~20 ms).
    import ssl

    from accord.mailgate import transport

    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    collector = Collector()
    controller = Controller(
        collector, hostname="127.0.0.1", port=free_port(), tls_context=server_context, require_starttls=True
    )
    controller.start()
    made = []
    real = ssl.create_default_context

    def trusting() -> ssl.SSLContext:
        made.append(1)
        return real(cafile=str(cert))

    monkeypatch.setattr(transport.ssl, "create_default_context", lambda: trusting())
    transport.tls_context.cache_clear()
    try:
        target = transport.parse_smtp_url(f"smtp+starttls://127.0.0.1:{controller.port}")
        for n in range(3):
            transport.deliver(
                target,
                "cert@accord.test",
                ["psirt@vendor.test"],
                b"Subject: %d\r\n\r\nHi\r\n" % n,
                name="x",
                timeout=10,
            )
    finally:
        controller.stop()
        transport.tls_context.cache_clear()
    assert len(collector.envelopes) == 3 and made == [1]
    # Without STARTTLS such a server refuses the mail: the TLS path really ran above.
    strict = Controller(
        Collector(), hostname="127.0.0.1", port=free_port(), tls_context=server_context, require_starttls=True
    )
    strict.start()
    try:
        with pytest.raises(smtplib.SMTPException):
            plain = transport.parse_smtp_url(f"smtp://127.0.0.1:{strict.port}")
            transport.deliver(
                plain,
                "cert@accord.test",
                ["psirt@vendor.test"],
                b"Subject: x\r\n\r\nHi\r\n",
                name="x",
                timeout=10,
            )
    finally:
        strict.stop()
