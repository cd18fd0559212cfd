"""Notification preferences, per-case mutes, notify(), the daily digest and the encrypted outbox.

Mail follows process.md "Mail and confidentiality": the plaintext says only that something new
awaits (VU#, a neutral line, a link); the full text leaves only encrypted (PGP/MIME, RFC 3156),
to the recipient's keys. Mail is captured by a real SMTP server on 127.0.0.1 (aiosmtpd).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.accounts.models import Membership, User
from accord.cases import actions as case_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, Participant
from accord.core.models import AuditEvent
from accord.core.schedule import JOBS
from accord.lib import openpgp
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import queue_mail
from accord.mailgate.tasks import send_outbound
from accord.notifications import actions
from accord.notifications.digest import send_digests as run_digests
from accord.notifications.models import CaseMute, DigestItem
from accord.notifications.send import (
    Recipient,
    notify,
    recipient_for,
    recipient_for_reporter,
    recipients_for,
)
from accord.notifications.tasks import send_digests
from accord.testing import World, login, make_user, start_embargo, token_client
from accord.vendors import actions as vendor_actions
from accord.vendors.models import PublicKey
from tests.pgp_keys import TestKey as SigningKey
from tests.pgp_keys import make_key
from tests.test_outbox import Collector, free_port

pytestmark = pytest.mark.django_db

FULL = "The heap overflow in Widget Server 2.1 is reached through the parser's length field."
Mode = User.NotifyMode


# --- Fixtures -----------------------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("notify-key"), "psirt@vendor-one.test")


@pytest.fixture(scope="module")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("notify-other-key"), "psirt@vendor-three.test")


@pytest.fixture(scope="module")
def expired_key(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A public key whose encryption subkey expired long ago (made with gpg's clock in 2020)."""
    home = tmp_path_factory.mktemp("notify-expired")
    home.chmod(0o700)
    base = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    past = ["--faked-system-time", "20200101T000000"]
    run = {"check": True, "capture_output": True, "timeout": 60}
    subprocess.run([*base, *past, "--quick-gen-key", "Old <old@vendor.test>", "ed25519", "sign", "1d"], **run)  # type: ignore[call-overload]
    listing = subprocess.run([*base, "--with-colons", "--list-keys", "old@vendor.test"], text=True, **run)  # type: ignore[call-overload]
    fingerprint = next(line.split(":")[9] for line in listing.stdout.splitlines() if line.startswith("fpr:"))
    subprocess.run([*base, *past, "--quick-add-key", fingerprint, "cv25519", "encr", "1d"], **run)  # type: ignore[call-overload]
    return subprocess.run([*base, "--armor", "--export", fingerprint], text=True, **run).stdout  # type: ignore[call-overload]


def checked(page: str, value: str) -> bool:
    radio = re.search(rf'<input type="radio" name="notify_mode" value="{value}"[^>]*>', page)
    assert radio is not None, value
    return " checked" in radio.group(0)


def secret_of(key: SigningKey) -> str:
    return key._gpg("--armor", "--export-secret-keys", key.fingerprint).decode()


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def received(server: Collector) -> list[tuple[str, bytes, EmailMessage]]:
    return [(e.rcpt_tos[0], e.original_content, parse(e.original_content)) for e in server.envelopes]


def to(server: Collector, address: str) -> list[tuple[bytes, EmailMessage]]:
    return [(raw, msg) for rcpt, raw, msg in received(server) if rcpt == address]


def opened(message: EmailMessage, key: SigningKey) -> str:
    """The full text of a PGP/MIME mail, checked for RFC 3156's structure, decrypted with `key`."""
    assert message.get_content_type() == "multipart/encrypted"
    assert message.get_param("protocol") == "application/pgp-encrypted"
    version, payload = message.get_payload()  # type: ignore[misc]
    assert version.get_content_type() == "application/pgp-encrypted"
    assert version.get_payload(decode=True).strip() == b"Version: 1"
    assert payload.get_content_type() == "application/octet-stream"
    armour = payload.get_payload(decode=True)
    assert armour.startswith(b"-----BEGIN PGP MESSAGE-----")
    inner = parse(openpgp.decrypt(armour, secret_of(key)))
    assert inner.get_content_type() == "text/plain"
    return str(inner.get_content()).replace("\r\n", "\n")  # MIME's canonical line ends


def pin(world: World, key: SigningKey | str, org=None) -> PublicKey:  # type: ignore[no-untyped-def]
    armored = key.public if isinstance(key, SigningKey) else key
    return vendor_actions.upload_key(org or world.vendor_org, armored, by=world.analyst)


def link(case: Case) -> str:
    return f"/cases/{case.url_ref}/"


def tell(case: Case, recipients: list[Recipient], text: str = FULL, neutral: str = "New message"):  # type: ignore[no-untyped-def]
    return notify(case, recipients, neutral=neutral, link=link(case), full_text_for=lambda r: text)


def ready(world: World) -> Case:
    """The world's case under its Active embargo, with an empty outbox (the world's own mail gone)."""
    case = start_embargo(world)
    OutboundMessage.objects.all().delete()
    return case


def second_case(world: World) -> Case:
    report, _ = case_actions.submit_report(
        ReportInput(product="Gadget", version="7", description="Another flaw."), by=None
    )
    return case_actions.accept_report(report, by=world.analyst)


# --- Preferences: the mode, on the profile page and PATCH /me ------------------------------------


def test_the_profile_page_offers_the_three_modes_and_saves_one(world: World) -> None:
    client = login(Client(), world.vendor)
    page = client.get("/accounts/profile/").content.decode()
    assert 'id="notifications"' in page and "Notifications" in page
    assert [checked(page, mode) for mode in ("immediate", "digest", "none")] == [True, False, False]

    response = client.post("/accounts/profile/notifications/", {"notify_mode": "digest"})
    assert response.status_code == 302 and response["Location"].endswith("/accounts/profile/#notifications")
    world.vendor.refresh_from_db()
    assert world.vendor.notify_mode == Mode.DIGEST
    assert AuditEvent.objects.filter(
        kind="user.notify_mode_changed", object_id=str(world.vendor.pk), data__new="digest"
    ).exists()
    page = client.get("/accounts/profile/", follow=True).content.decode()
    assert [checked(page, mode) for mode in ("immediate", "digest", "none")] == [False, True, False]


def test_a_mode_that_does_not_exist_is_not_saved(world: World) -> None:
    client = login(Client(), world.vendor)
    response = client.post("/accounts/profile/notifications/", {"notify_mode": "weekly"}, follow=True)
    assert "Not saved" in response.content.decode()
    world.vendor.refresh_from_db()
    assert world.vendor.notify_mode == Mode.IMMEDIATE
    assert client.get("/accounts/profile/notifications/").status_code == 405


def test_patch_me_sets_the_mode_through_the_same_action(world: World) -> None:
    api = token_client(world.co_vendor)
    assert api.get("/api/v1/me").json()["notify_mode"] == "immediate"
    response = api.patch("/api/v1/me", {"notify_mode": "none"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["notify_mode"] == "none"
    world.co_vendor.refresh_from_db()
    assert world.co_vendor.notify_mode == Mode.NONE
    assert AuditEvent.objects.filter(
        kind="user.notify_mode_changed", object_id=str(world.co_vendor.pk)
    ).exists()

    bad = api.patch("/api/v1/me", {"notify_mode": "weekly"}, content_type="application/json")
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["notify_mode"]
    world.co_vendor.refresh_from_db()
    assert world.co_vendor.notify_mode == Mode.NONE


def test_the_action_refuses_bad_modes_and_other_peoples_choices(world: World) -> None:
    with pytest.raises(InvalidInput):
        actions.set_notify_mode(world.vendor, "hourly", by=world.vendor)
    with pytest.raises(RuleViolation):
        actions.set_notify_mode(world.vendor, "none", by=world.analyst)
    world.vendor.refresh_from_db()
    assert world.vendor.notify_mode == Mode.IMMEDIATE


# --- Mutes: on the case overview and PUT /cases/{case}/mute --------------------------------------


def test_the_case_overview_mutes_and_unmutes_the_case(world: World) -> None:
    case = ready(world)
    client = login(Client(), world.vendor)
    page = client.get(f"/cases/{case.url_ref}/").content.decode()
    assert "Mute this case" in page and "Not muted" in page

    response = client.post(f"/cases/{case.url_ref}/mute/", {"muted": "1"})
    assert response.status_code == 302 and response["Location"].endswith(
        f"/cases/{case.url_ref}/#notifications"
    )
    assert CaseMute.objects.filter(user=world.vendor, case=case).exists()
    page = client.get(f"/cases/{case.url_ref}/").content.decode()
    assert "Unmute this case" in page and "Muted" in page
    # Muting is one person's choice: the co-participant still hears of the case.
    assert (
        "Mute this case" in login(Client(), world.co_vendor).get(f"/cases/{case.url_ref}/").content.decode()
    )

    client.post(f"/cases/{case.url_ref}/mute/", {"muted": "0"})
    assert not CaseMute.objects.filter(user=world.vendor, case=case).exists()
    assert AuditEvent.objects.filter(kind="user.case_muted").count() == 1
    assert AuditEvent.objects.filter(kind="user.case_unmuted").count() == 1


def test_muting_needs_the_case_through_the_gate(world: World) -> None:
    case = ready(world)
    outsider = login(Client(), world.other_vendor)
    forbidden = outsider.post(f"/cases/{case.url_ref}/mute/", {"muted": "1"})
    missing = outsider.post("/cases/VU99/mute/", {"muted": "1"})
    assert forbidden.status_code == missing.status_code == 404
    invited = login(Client(), world.invited_vendor).post(f"/cases/{case.url_ref}/mute/", {"muted": "1"})
    assert invited.status_code == 409  # accept the embargo first
    assert not CaseMute.objects.exists()


def test_the_api_mutes_and_unmutes(world: World) -> None:
    case = ready(world)
    api = token_client(world.vendor)
    url = f"/api/v1/cases/{case.url_ref}/mute"
    assert api.get(url).json() == {"case": case.label, "muted": False}
    response = api.put(url, {"muted": True}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"case": case.label, "muted": True}
    again = api.put(url, {"muted": True}, content_type="application/json")
    assert again.json()["muted"] is True and CaseMute.objects.filter(case=case).count() == 1
    assert api.get(url).json()["muted"] is True
    assert api.put(url, {"muted": False}, content_type="application/json").json()["muted"] is False
    assert not CaseMute.objects.exists()

    assert api.put(url, {}, content_type="application/json").status_code == 400
    assert api.put(url, {"muted": "maybe"}, content_type="application/json").status_code == 400
    stranger = token_client(world.other_vendor)
    forbidden = stranger.put(url, {"muted": True}, content_type="application/json")
    missing = stranger.put("/api/v1/cases/VU99/mute", {"muted": True}, content_type="application/json")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    invited = token_client(world.invited_vendor).put(url, {"muted": True}, content_type="application/json")
    assert invited.status_code == 409
    assert not CaseMute.objects.exists()


# --- Recipients ----------------------------------------------------------------------------------


def test_recipients_carry_their_organisations_usable_keys(
    world: World, vendor_key: SigningKey, other_key: SigningKey, expired_key: str
) -> None:
    assert recipient_for(world.vendor) == Recipient(world.vendor.email, world.vendor, (), world.vendor_org.pk)
    pin(world, vendor_key)
    pin(world, expired_key)  # pinned, but cannot be used: never offered for encryption
    # A key a vendor admin uploaded waits for an analyst's approval: not used either.
    vendor_actions.upload_key(world.co_vendor_org, other_key.public, by=world.co_vendor)
    analyst_member = make_user("analyst2@coordinator.test", staff_role="analyst", org=world.vendor_org)

    found = {
        r.email: r for r in recipients_for([world.vendor, world.co_vendor, world.analyst, analyst_member])
    }
    assert found[world.vendor.email].keys == (vendor_key.public,)
    assert found[world.co_vendor.email].keys == ()
    assert found[world.analyst.email].keys == ()
    assert found[analyst_member.email].keys == ()  # staff have none


def test_the_reporter_is_a_recipient_at_the_address_they_gave(world: World, vendor_key: SigningKey) -> None:
    assert world.report is not None
    recipient = recipient_for_reporter(world.report)
    assert recipient == Recipient("finder@research.test", world.reporter, ())  # filed from their account

    anonymous, _ = case_actions.submit_report(
        ReportInput(
            product="P",
            version="1",
            description="d",
            reporter_email="anon@research.test",
            reporter_pgp_key=vendor_key.public,
        ),
        by=None,
    )
    assert recipient_for_reporter(anonymous) == Recipient(
        "anon@research.test", None, (vendor_key.public.strip(),)
    )
    silent, _ = case_actions.submit_report(ReportInput(product="P", version="1", description="d"), by=None)
    assert recipient_for_reporter(silent) is None


# --- notify(): immediate, digest, none, muted, quiet ----------------------------------------------


def test_immediate_mail_is_neutral_without_keys(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    case = ready(world)
    outcome = tell(case, recipients_for([world.vendor, world.co_vendor]))
    assert (outcome.mailed, outcome.digested, outcome.skipped) == (2, 0, 0)
    rows = list(OutboundMessage.objects.order_by("to_email"))
    assert [r.to_email for r in rows] == [world.vendor.email, world.co_vendor.email]
    for row in rows:
        assert row.subject == f"[{case.label}] New message"
        assert case.label in row.body_text and f"/cases/{case.url_ref}/" in row.body_text
        assert f"{settings.SITE_URL}/cases/{case.url_ref}/" in row.body_text
        for secret in (FULL, case.title, "Widget Server", "Heap overflow"):
            assert secret not in row.body_text and secret not in row.subject
        assert row.sealed_text == "" and row.encrypt_to == []  # no keys: the full text is not even stored
        assert row.headers == {"X-Accord-Case": case.label}


def test_each_mode_and_the_mute_are_honoured(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    case = ready(world)
    actions.set_notify_mode(world.co_vendor, "digest", by=world.co_vendor)
    actions.set_notify_mode(world.publisher, "none", by=world.publisher)
    actions.set_case_muted(case, True, by=world.admin)
    rendered: list[str] = []

    def full(recipient: Recipient) -> str:
        rendered.append(recipient.email)
        return f"{FULL} (for {recipient.email})"

    people = recipients_for([world.vendor, world.co_vendor, world.publisher, world.admin, world.analyst])
    outcome = notify(case, people, neutral="New message", link=link(case), full_text_for=full)
    assert (outcome.mailed, outcome.digested, outcome.skipped) == (2, 1, 2)
    assert sorted(OutboundMessage.objects.values_list("to_email", flat=True)) == sorted(
        [world.vendor.email, world.analyst.email]
    )
    item = DigestItem.objects.get()
    assert (item.user, item.case, item.neutral, item.sent_at) == (world.co_vendor, case, "New message", None)
    assert item.full_text == f"{FULL} (for {world.co_vendor.email})"
    assert item.link == f"{settings.SITE_URL}/cases/{case.url_ref}/"
    # The full text is rendered only where it can go: the digest (no one here has keys).
    assert rendered == [world.co_vendor.email]


def test_a_quiet_case_sends_nothing(world: World) -> None:
    case = ready(world)
    Case.objects.filter(pk=case.pk).update(quiet=True)  # imported or historical
    case.refresh_from_db()
    actions.set_notify_mode(world.co_vendor, "digest", by=world.co_vendor)
    outcome = tell(case, recipients_for([world.vendor, world.co_vendor]))
    assert (outcome.mailed, outcome.digested) == (0, 0)
    assert not OutboundMessage.objects.exists() and not DigestItem.objects.exists()
    assert (
        "imported or historical"
        in login(Client(), world.vendor).get(f"/cases/{case.url_ref}/").content.decode()
    )


def test_inactive_accounts_and_duplicates_get_nothing_more(world: World) -> None:
    case = ready(world)
    User.objects.filter(pk=world.co_vendor.pk).update(is_active=False)
    people = recipients_for([world.vendor, world.co_vendor]) + [recipient_for(world.vendor)]
    outcome = tell(case, people)
    assert (outcome.mailed, outcome.skipped) == (1, 1)
    assert list(OutboundMessage.objects.values_list("to_email", flat=True)) == [world.vendor.email]


def test_the_neutral_line_is_one_line_and_required(world: World) -> None:
    case = ready(world)
    tell(case, recipients_for([world.vendor]), neutral="New\r\nBcc: evil@example.test  message")
    assert OutboundMessage.objects.get().subject == f"[{case.label}] New Bcc: evil@example.test message"
    with pytest.raises(ValueError):
        tell(case, recipients_for([world.vendor]), neutral=" \n ")


def test_each_reader_gets_only_their_own_full_text(
    world: World, vendor_key: SigningKey, other_key: SigningKey
) -> None:
    """A private message told to one participant reaches nobody else, in mail or in a digest."""
    case = ready(world)
    pin(world, vendor_key)
    pin(world, other_key, world.co_vendor_org)
    actions.set_notify_mode(world.analyst, "digest", by=world.analyst)
    private = "Only for Vendor One: the patch is in branch fix-4711."
    notify(
        case,
        recipients_for([world.vendor, world.analyst]),
        neutral="New private message",
        link=link(case),
        full_text_for=lambda r: f"{private} ({r.email})",
    )
    row = OutboundMessage.objects.get()
    assert row.to_email == world.vendor.email and row.encrypt_to == [vendor_key.public]
    assert f"{private} ({world.vendor.email})" in row.sealed_text
    assert private not in row.body_text
    assert DigestItem.objects.get().user == world.analyst
    everything = [*OutboundMessage.objects.values_list("to_email", "body_text", "sealed_text")]
    assert not any(world.co_vendor.email in fields for fields in everything)
    assert not DigestItem.objects.filter(user=world.co_vendor).exists()


def test_notify_runs_in_the_same_number_of_queries_for_10_and_500_recipients(world: World) -> None:
    case = ready(world)
    PublicKey.objects.create(  # a factory: a pinned, usable key (no gpg needed to queue)
        organization=world.vendor_org, fingerprint="A" * 40, armored="KEY", can_encrypt=True
    )

    def people(n: int, tag: str) -> list[User]:
        users = User.objects.bulk_create(
            [
                User(
                    email=f"{tag}{i}@vendor-one.test",
                    notify_mode=(Mode.IMMEDIATE, Mode.DIGEST, Mode.NONE)[i % 3],
                )
                for i in range(n)
            ]
        )
        users = list(User.objects.filter(email__startswith=tag).order_by("pk"))
        Membership.objects.bulk_create(
            [Membership(user=u, organization=world.vendor_org) for u in users[::2]]
        )
        CaseMute.objects.bulk_create([CaseMute(user=u, case=case) for u in users[::5]])
        return users

    def measure(users: list[User]) -> int:
        with CaptureQueriesContext(connection) as queries:
            outcome = tell(case, recipients_for(users))
        assert outcome.mailed and outcome.digested and outcome.skipped
        return len(queries.captured_queries)

    small, large = people(10, "small"), people(500, "large")
    before = OutboundMessage.objects.count()
    assert measure(small) == measure(large)
    assert OutboundMessage.objects.count() - before > 100  # the large fan-out really mailed
    assert OutboundMessage.objects.filter(encrypt_to=["KEY"]).exists()


# --- The outbox: PGP/MIME with keys, neutral without ---------------------------------------------


def test_a_row_with_keys_is_sent_as_pgp_mime_that_decrypts_to_the_full_text(
    world: World, smtp_server: Collector, vendor_key: SigningKey, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    full = f"{FULL}\nNon-ASCII: é ü 中\n" + "A long line " * 40 + "\n"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail(
            "psirt@vendor-one.test",
            "[VU#123456] New message",
            "New message in VU#123456: http://127.0.0.1:8000/cases/VU123456/\n",
            headers={"X-Accord-Case": "VU#123456"},
            sealed_text=full,
            encrypt_to=[vendor_key.public],
        )
    message.refresh_from_db()
    assert (message.status, message.sent_encrypted, message.last_error) == ("sent", True, "")
    [(rcpt, raw, mail)] = received(smtp_server)
    assert rcpt == "psirt@vendor-one.test"
    assert mail["Subject"] == "[VU#123456] New message"  # neutral, as without keys
    assert mail["Message-ID"] == message.message_id and mail["X-Accord-Case"] == "VU#123456"
    assert opened(mail, vendor_key) == full
    for secret in (FULL, "heap overflow", "Widget", "New message in VU#123456:"):
        assert secret.encode() not in raw  # neither the full nor the neutral text in plaintext


def test_the_first_key_that_works_is_used(
    world: World,
    smtp_server: Collector,
    vendor_key: SigningKey,
    expired_key: str,
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail(
            "v@example.test",
            "[VU#1] New",
            "neutral",
            sealed_text=FULL,
            encrypt_to=[expired_key, vendor_key.public],
        )
    message.refresh_from_db()
    assert message.sent_encrypted and message.last_error == ""
    assert opened(received(smtp_server)[0][2], vendor_key) == FULL + "\n"


def test_a_row_without_keys_sends_only_the_neutral_text(
    world: World, smtp_server: Collector, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail(
            "v@example.test", "[VU#123456] New message", "Something new awaits.\n", sealed_text=FULL
        )
    message.refresh_from_db()
    assert (message.status, message.sent_encrypted, message.sealed_text) == ("sent", False, "")
    [(_, raw, mail)] = received(smtp_server)
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().replace("\r\n", "\n") == "Something new awaits.\n"
    assert FULL.encode() not in raw


@pytest.mark.parametrize("bad", ["expired", "not a key"])
def test_when_encryption_fails_the_neutral_text_goes_out_and_the_reason_is_kept(
    world: World,
    smtp_server: Collector,
    expired_key: str,
    django_capture_on_commit_callbacks,
    bad: str,
    caplog,
) -> None:  # type: ignore[no-untyped-def]
    key = expired_key if bad == "expired" else "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail(
            "v@example.test",
            "[VU#123456] New message",
            "Something new awaits.\n",
            sealed_text=FULL,
            encrypt_to=[key],
        )
    message.refresh_from_db()
    assert (message.status, message.sent_encrypted) == ("sent", False)
    assert message.last_error.startswith("Sent without encryption, neutral text only: ")
    if bad == "expired":
        assert "expired" in message.last_error
    assert FULL not in message.last_error and FULL not in caplog.text
    [(_, raw, mail)] = received(smtp_server)
    assert mail["Subject"] == "[VU#123456] New message"
    assert mail.get_content().replace("\r\n", "\n") == "Something new awaits.\n"
    assert FULL.encode() not in raw


def test_notify_to_a_vendor_with_a_key_arrives_encrypted(
    world: World, smtp_server: Collector, vendor_key: SigningKey, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    case = ready(world)
    pin(world, vendor_key)
    with django_capture_on_commit_callbacks(execute=True):
        tell(case, recipients_for([world.vendor, world.co_vendor]))
    [(raw, encrypted)] = to(smtp_server, world.vendor.email)
    text = opened(encrypted, vendor_key)
    assert FULL in text and case.label in text and f"/cases/{case.url_ref}/" in text
    assert FULL.encode() not in raw
    [(raw, plain)] = to(smtp_server, world.co_vendor.email)
    assert plain.get_content_type() == "text/plain" and FULL.encode() not in raw
    assert case.label in plain.get_content()


# --- The daily digest -----------------------------------------------------------------------------


def test_the_daily_digest_job_is_scheduled_once_a_day() -> None:
    [job] = [j for j in JOBS if j.name == "notifications.send_digests"]
    assert job.every == dt.timedelta(days=1)
    assert import_string(job.task) is send_digests


def test_one_day_of_items_makes_one_mail_per_person_and_a_second_run_sends_nothing(
    world: World, smtp_server: Collector, time_machine, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    first = ready(world)
    second = second_case(world)
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    time_machine.move_to(start, tick=False)
    for person in (world.analyst, world.vendor):
        actions.set_notify_mode(person, "digest", by=person)
    with django_capture_on_commit_callbacks(execute=True):
        for hours, case, people in (
            (1, first, [world.analyst, world.vendor, world.co_vendor]),
            (5, first, [world.analyst, world.vendor, world.co_vendor]),
            (9, second, [world.analyst]),
            (23, first, [world.analyst]),
        ):
            time_machine.move_to(start + dt.timedelta(hours=hours), tick=False)
            tell(case, recipients_for(people), text=f"{FULL} #{hours}")
    # The co-participant chose immediate mail: two mails, at once. The others wait for the digest.
    assert len(to(smtp_server, world.co_vendor.email)) == 2
    assert not to(smtp_server, world.analyst.email) and not to(smtp_server, world.vendor.email)
    assert DigestItem.objects.filter(sent_at__isnull=True).count() == 6

    time_machine.move_to(start + dt.timedelta(days=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests.call() == 2
    [(raw, digest)] = to(smtp_server, world.analyst.email)
    assert digest["Subject"] == "[Accord] Daily digest: 4 new items in 2 cases"
    body = digest.get_content()
    assert f"Your daily digest: 3 new items in {first.label}, 1 in {second.label}." in body
    assert f"/cases/{first.url_ref}/" in body and f"/cases/{second.url_ref}/" in body
    assert "UTC" in body
    assert FULL.encode() not in raw  # the analyst has no key: the neutral list only
    [(raw, digest)] = to(smtp_server, world.vendor.email)
    assert f"Your daily digest: 2 new items in {first.label}." in digest.get_content()
    assert second.label not in digest.get_content()
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()

    envelopes = len(smtp_server.envelopes)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests.call() == 0
    assert len(smtp_server.envelopes) == envelopes


def test_items_of_a_later_day_wait_for_the_next_digest(world: World, time_machine) -> None:  # type: ignore[no-untyped-def]
    case = ready(world)
    actions.set_notify_mode(world.vendor, "digest", by=world.vendor)
    now = timezone.now()
    tell(case, recipients_for([world.vendor]))
    time_machine.move_to(now + dt.timedelta(hours=2), tick=False)
    tell(case, recipients_for([world.vendor]))
    assert run_digests(now + dt.timedelta(hours=1)) == 1
    assert DigestItem.objects.filter(sent_at__isnull=True).count() == 1
    assert run_digests(now + dt.timedelta(days=1)) == 1
    assert OutboundMessage.objects.count() == 2


def test_the_digest_is_encrypted_in_full_to_the_readers_key(
    world: World, smtp_server: Collector, vendor_key: SigningKey, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    case = ready(world)
    actions.set_notify_mode(world.vendor, "digest", by=world.vendor)
    tell(case, recipients_for([world.vendor]), text="First secret detail.")
    tell(case, recipients_for([world.vendor]), text="Second secret detail.", neutral="Request answered")
    pin(world, vendor_key)  # pinned after the items were stored: the digest reads keys when it goes out
    with django_capture_on_commit_callbacks(execute=True):
        assert run_digests() == 1
    [(raw, digest)] = to(smtp_server, world.vendor.email)
    assert digest["Subject"] == "[Accord] Daily digest: 2 new items in 1 case"
    text = opened(digest, vendor_key)
    assert "First secret detail." in text and "Second secret detail." in text and "Request answered" in text
    assert f"Your daily digest: 2 new items in {case.label}." in text
    assert b"secret detail" not in raw


def test_the_digest_drops_what_its_reader_may_no_longer_have(world: World) -> None:
    case = ready(world)
    member = make_user("member@vendor-one.test", org=world.vendor_org)
    for person in (world.vendor, world.co_vendor, world.analyst, member):
        actions.set_notify_mode(person, "digest", by=person)
    tell(case, recipients_for([world.vendor, world.co_vendor, world.analyst, member]))
    actions.set_case_muted(case, True, by=world.vendor)  # muted since
    actions.set_notify_mode(world.co_vendor, "none", by=world.co_vendor)  # chose no mail since
    from accord.accounts.actions import remove_member

    remove_member(Membership.objects.get(user=member), by=world.vendor, reason="left the company")
    assert run_digests() == 1
    assert list(OutboundMessage.objects.values_list("to_email", flat=True)) == [world.analyst.email]
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()


def test_a_participant_that_declined_gets_no_digest_of_the_case(world: World) -> None:
    case = ready(world)
    actions.set_notify_mode(world.invited_vendor, "digest", by=world.invited_vendor)
    tell(case, recipients_for([world.invited_vendor]))
    from accord.cases.actions.participants import answer_embargo

    answer_embargo(
        case.participants.get(organization=world.invited_vendor_org), accept=False, by=world.invited_vendor
    )
    assert Participant.objects.get(organization=world.invited_vendor_org).embargo_answer == "declined"
    assert run_digests() == 0
    assert not OutboundMessage.objects.filter(to_email=world.invited_vendor.email).exists()


def test_sink_files_hold_no_full_text(world: World, settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    """The default transport (a directory of .eml files) gets the same neutral bytes."""
    case = ready(world)
    with django_capture_on_commit_callbacks(execute=True):
        tell(case, recipients_for([world.vendor]))
    sink = Path(settings.SMTP_URL.removeprefix("file://"))
    [eml] = list(sink.glob("*.eml"))
    assert FULL.encode() not in eml.read_bytes() and case.label.encode() in eml.read_bytes()
    assert send_outbound.call(OutboundMessage.objects.get().pk) == "skipped"
