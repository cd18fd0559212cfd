"""Inbound OpenPGP: mail decrypted with the coordinator's key, signatures verified against the
sender's pinned keys, the receiving server's Authentication-Results, how a message that came by
mail shows, and a signed mail made the vendor's statement (issue 10, items 3 and 4).

gpg on the sending side: accord.lib.openpgp with throw-away keys. The end-to-end tests go
through the real SMTP receiver on 127.0.0.1 (tests/test_inbound_mail.py's fixtures).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accord.answers.actions import statement_from_mail
from accord.answers.models import Statement
from accord.cases.actions.cases import assign_analysts
from accord.cases.models import CaseEvent, Participant
from accord.cases.presenter import Viewer
from accord.conversation.models import Message
from accord.conversation.queries import message_rows
from accord.lib import openpgp
from accord.lib.errors import RuleViolation
from accord.mailgate import coordinator_key, unwrap
from accord.mailgate.inbound import process, receive
from accord.mailgate.models import InboundMessage, OutboundMessage
from accord.mailgate.smtp import controller
from accord.testing import World, login, make_user, make_world, token_client
from accord.vendors import actions as vendor_actions
from accord.vendors.models import ChangeStatus, Contact, PublicKey
from tests.test_inbound_mail import CONTACT, free_port, send

Status = InboundMessage.Status


@dataclass(frozen=True)
class Pair:
    secret: str
    public: str
    fingerprint: str


def _pair(name: str, email: str) -> Pair:
    secret = openpgp.generate_key(name, email)
    info = openpgp.inspect_secret_key(secret).info
    return Pair(secret, info.armored, info.fingerprint)


@pytest.fixture(scope="module")
def coordinator() -> Pair:
    return _pair("Example CERT", "cert@localhost")


@pytest.fixture(scope="module")
def vendor_key() -> Pair:
    return _pair("Vendor One PSIRT", CONTACT)


@pytest.fixture(scope="module")
def stranger_key() -> Pair:
    return _pair("Someone Else", "someone@elsewhere.test")


def _set_up(world: World, coordinator: Pair, vendor_key: Pair) -> World:
    Contact.objects.create(organization=world.vendor_org, email=CONTACT, name="PSIRT")
    vendor_actions.upload_key(world.vendor_org, vendor_key.public, by=world.analyst)
    coordinator_key.install(coordinator.secret, None)
    return world


@pytest.fixture
def pgp_world(world: World, coordinator: Pair, vendor_key: Pair) -> World:
    return _set_up(world, coordinator, vendor_key)


@pytest.fixture
def live_world(transactional_db, coordinator: Pair, vendor_key: Pair) -> World:  # type: ignore[no-untyped-def]
    return _set_up(make_world(), coordinator, vendor_key)


@pytest.fixture
def smtp(settings) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = controller("127.0.0.1", port, recipients=["cert@localhost"], max_bytes=1024 * 1024)
    server.start()
    try:
        yield "127.0.0.1", port
    finally:
        server.stop()


# --- Mail as a vendor's client writes it ----------------------------------------------------------


def headers(subject: str, message_id: str, extra: str = "") -> bytes:
    return (
        f"From: Vendor PSIRT <{CONTACT}>\r\nTo: cert@localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n{extra}MIME-Version: 1.0\r\n"
    ).encode()


def text_entity(text: str) -> bytes:
    body = base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
    return b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body


def signed_entity(entity: bytes, secret: str) -> bytes:
    """RFC 3156 §5: the entity, CRLF-canonical, and its detached signature."""
    signature = openpgp.sign_mime(entity, secret)
    return (
        f'Content-Type: multipart/signed; micalg={signature.micalg}; protocol="application/pgp-signature";'
        ' boundary="sig-b"\r\n\r\nThis is an OpenPGP/MIME signed message.\r\n--sig-b\r\n'
    ).encode() + (
        entity
        + b"\r\n--sig-b\r\nContent-Type: application/pgp-signature; name=signature.asc\r\n\r\n"
        + signature.armored.encode()
        + b"\r\n--sig-b--\r\n"
    )


def encrypted_entity(inner: bytes, to: str, sign_with: str | None = None) -> bytes:
    """RFC 3156 §4 (with sign_with: §6.2, signed and encrypted in one OpenPGP message)."""
    armour = openpgp.encrypt(inner, to, sign_with=sign_with)
    return (
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc-b"\r\n\r\n'
        b"--enc-b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
        b"--enc-b\r\nContent-Type: application/octet-stream; name=encrypted.asc\r\n\r\n"
        + armour
        + b"\r\n--enc-b--\r\n"
    )


def whole(subject: str, entity: bytes, message_id: str = "<pgp@vendor>", extra: str = "") -> bytes:
    return headers(subject, message_id, extra) + entity


def subject_of(world: World, words: str = "Heap overflow") -> str:
    assert world.case is not None
    return f"Re: [VU#{world.case.number}] {words}"


def the_message(world: World) -> Message:
    participant = world.case.participants.get(organization=world.vendor_org)  # type: ignore[union-attr]
    return message_rows().get(thread__participant=participant)


def labels(viewer: Viewer, message: Message) -> list[str]:
    shown = viewer.message(message).mail
    assert shown is not None
    return shown.labels


def stored(raw: bytes, captured) -> InboundMessage:  # type: ignore[no-untyped-def]
    with captured(execute=True):
        row = receive(raw, "pipe")
    row.refresh_from_db()
    return row


# --- End to end, through the SMTP receiver ---------------------------------------------------------


def test_an_encrypted_and_signed_reply_lands_decrypted_and_verified(
    live_world: World, smtp, vendor_key
) -> None:  # type: ignore[no-untyped-def]
    case = live_world.case
    assert case is not None
    owner = make_user("owner@coordinator.test", staff_role="analyst")
    assign_analysts(case, [live_world.analyst], owner=owner, by=live_world.analyst)
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    inner = text_entity("Patched in 2.2; the advisory follows.\n")
    send(smtp, whole(subject_of(live_world), encrypted_entity(inner, coordinator_public, vendor_key.secret)))

    row = InboundMessage.objects.get()
    assert row.status == Status.PROCESSED, row.problems or row.last_error
    assert (row.decryption, row.signature) == ("decrypted", "verified")
    assert row.signer_fingerprint == vendor_key.fingerprint
    assert row.signed_data is None  # signed inside the encryption: no bytes of its own to keep
    message = the_message(live_world)
    assert message.body.startswith("Patched in 2.2")
    assert "BEGIN PGP" not in message.body and row.subject == subject_of(live_world)
    assert labels(Viewer.coordinator(), message) == [
        "by mail",
        "decrypted",
        f"verified by {vendor_key.fingerprint}",
    ]

    # Shown so on the thread page and in the API.
    page = login(Client(), live_world.analyst).get(f"/cases/{case.url_ref}/messages/{message.thread_id}/")
    assert f"verified by {vendor_key.fingerprint}" in page.content.decode()
    assert "Make this the vendor" not in page.content.decode()  # no signed bytes of its own
    api = token_client(live_world.vendor).get(f"/api/v1/cases/{case.url_ref}/messages?thread=private").json()
    (item,) = [m for m in api["items"] if m["id"] == message.pk]
    assert item["mail"]["decrypted"] and item["mail"]["signature"] == "verified"
    assert item["mail"]["inbound_id"] is None  # the coordinator's only
    assert f"verified by {vendor_key.fingerprint}" in item["mail"]["labels"]

    # The case's analysts hear of it, the owner first, neutrally.
    told = list(OutboundMessage.objects.filter(kind="notice").order_by("id"))
    staff = [m.to_email for m in told if m.to_email.endswith("@coordinator.test")]
    assert staff[:2] == [owner.email, live_world.analyst.email], staff
    assert all("Patched" not in m.body_text for m in told)


def test_without_a_case_id_the_decrypted_mail_waits_in_triage(live_world: World, smtp, vendor_key) -> None:  # type: ignore[no-untyped-def]
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    inner = text_entity("About the heap overflow.\n")
    send(smtp, whole("Re: Heap overflow", encrypted_entity(inner, coordinator_public, vendor_key.secret)))
    row = InboundMessage.objects.get()
    assert row.status == Status.TRIAGE and "no case id" in row.problems
    assert row.decryption == "decrypted" and row.signature == "verified"
    assert row.text.startswith("About the heap overflow")


def test_a_signature_by_another_key_did_not_verify(live_world: World, smtp, stranger_key) -> None:  # type: ignore[no-untyped-def]
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    inner = text_entity("Patched.\n")
    send(
        smtp, whole(subject_of(live_world), encrypted_entity(inner, coordinator_public, stranger_key.secret))
    )
    row = InboundMessage.objects.get()
    assert row.status == Status.PROCESSED and row.signature == "not_verified"
    assert row.signature_detail == openpgp.NOT_PINNED and not row.signer_fingerprint
    message = the_message(live_world)
    why = "signature did not verify: it was made by a key that is not one of"
    assert labels(Viewer.coordinator(), message)[2].startswith(why)
    participant = message.author_participant
    assert participant is not None
    own = labels(Viewer.of_participant(participant), message)[2]
    assert own.startswith(why) and "your organisation's approved OpenPGP keys" in own
    # Anyone else (they cannot read the private thread; the presenter does not rely on it).
    co = live_world.case.participants.get(organization=live_world.co_vendor_org)  # type: ignore[union-attr]
    assert labels(Viewer.of_participant(co), message) == ["by mail", "decrypted", "signature did not verify"]


def test_an_encrypted_mail_delivered_twice_is_stored_once(live_world: World, smtp, vendor_key) -> None:  # type: ignore[no-untyped-def]
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    raw = whole(
        subject_of(live_world),
        encrypted_entity(text_entity("Once.\n"), coordinator_public, vendor_key.secret),
    )
    send(smtp, raw)
    send(smtp, raw)
    assert InboundMessage.objects.count() == 1
    assert Message.objects.filter(inbound_mail__isnull=False).count() == 1


def test_a_signed_statement_by_mail_still_verifies_once_promoted(live_world: World, smtp, vendor_key) -> None:  # type: ignore[no-untyped-def]
    case = live_world.case
    assert case is not None
    text = f"Vendor One is not affected by VU#{case.number}.\r\n- Our products do not use the library.\r\n"
    send(
        smtp, whole(subject_of(live_world, "statement"), signed_entity(text_entity(text), vendor_key.secret))
    )
    row = InboundMessage.objects.get()
    assert row.status == Status.PROCESSED and row.signature == "verified", row.signature_detail
    assert row.decryption == "" and row.detached_signature.startswith("-----BEGIN PGP SIGNATURE-----")
    message = the_message(live_world)
    assert message.body.startswith("Vendor One is not affected")
    assert not message.attachments.exists()  # the signature part is not an attachment
    assert labels(Viewer.coordinator(), message) == [
        "by mail",
        "not encrypted",
        f"verified by {vendor_key.fingerprint}",
    ]

    # The analyst's button, its confirmation, then the statement.
    client = login(Client(), live_world.analyst)
    thread_page = client.get(f"/cases/{case.url_ref}/messages/{message.thread_id}/").content.decode()
    url = f"/cases/{case.url_ref}/messages/mail/{row.pk}/statement/"
    assert url in thread_page and "Make this the vendor's statement" in thread_page
    confirm = client.get(url)
    assert confirm.status_code == 200 and "What will happen" in confirm.content.decode()
    assert not Statement.objects.exists()
    done = client.post(url, {"confirm": "yes"})
    assert done.status_code == 302
    statement = Statement.objects.get()
    assert statement.received_by_mail and statement.signature_kind == "detached"
    assert statement.verification == "verified" and statement.fingerprint == vendor_key.fingerprint
    assert statement.text_bytes == bytes(row.signed_data)  # type: ignore[arg-type]
    # Verified again from the stored bytes alone, as anyone holding the key would.
    again = openpgp.verify_detached(statement.text_bytes, statement.signature, [vendor_key.public])
    assert again.verified and again.fingerprint == vendor_key.fingerprint
    event = CaseEvent.objects.get(kind="answer.statement_by_mail")
    assert event.participant == row.participant and event.data["statement"]["version"] == 1


# --- Statements by mail: the action and the API -------------------------------------------------


def test_a_clearsigned_mail_becomes_the_statement_through_the_api(  # type: ignore[no-untyped-def]
    pgp_world: World, vendor_key, django_capture_on_commit_callbacks
) -> None:
    case = pgp_world.case
    assert case is not None
    signed = openpgp_clearsign(vendor_key, b"We fixed it in 2.2.\n- Upgrade.\n")
    raw = whole(subject_of(pgp_world, "statement"), text_entity(signed.decode()), "<clear@vendor>")
    row = stored(raw, django_capture_on_commit_callbacks)
    assert row.signature == "verified" and bytes(row.signed_data) == signed  # type: ignore[arg-type]
    api = token_client(pgp_world.analyst)
    url = f"/api/v1/cases/{case.url_ref}/mail/{row.pk}/statement"
    assert token_client(pgp_world.vendor).post(url).status_code == 403
    made = api.post(url)
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["received_by_mail"] and body["verification"] == "verified"
    assert body["signature_kind"] == "clearsigned" and body["text"] == signed.decode()
    statement = Statement.objects.get()
    assert openpgp.verify_clearsigned(statement.text_bytes, [vendor_key.public]).verified
    assert api.post(f"/api/v1/cases/{case.url_ref}/mail/999999/statement").status_code == 404


def openpgp_clearsign(pair: Pair, text: bytes) -> bytes:
    """A clearsigned text by a key given as armour (the vendor's client)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        base = ["gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
        subprocess.run([*base, "--import"], input=pair.secret.encode(), capture_output=True, check=True)
        out = subprocess.run(
            [*base, "-u", pair.fingerprint, "--clearsign"], input=text, capture_output=True, check=True
        ).stdout
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
    return out


def test_statement_from_mail_refuses_mail_without_signed_bytes(  # type: ignore[no-untyped-def]
    pgp_world: World, vendor_key, django_capture_on_commit_callbacks
) -> None:
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    combined = whole(
        subject_of(pgp_world),
        encrypted_entity(text_entity("Fixed.\n"), coordinator_public, vendor_key.secret),
    )
    row = stored(combined, django_capture_on_commit_callbacks)
    assert row.signature == "verified"
    with pytest.raises(RuleViolation, match="ask the vendor for a clearsigned statement"):
        statement_from_mail(row, by=pgp_world.analyst)
    plain = stored(
        whole(subject_of(pgp_world), text_entity("Plain.\n"), "<plain@vendor>"),
        django_capture_on_commit_callbacks,
    )
    with pytest.raises(RuleViolation, match="no signed text"):
        statement_from_mail(plain, by=pgp_world.analyst)
    triage = stored(
        whole("No case", text_entity(openpgp_clearsign(vendor_key, b"x\n").decode()), "<t@vendor>"),
        django_capture_on_commit_callbacks,
    )
    with pytest.raises(RuleViolation, match="not in the private thread of a vendor"):
        statement_from_mail(triage, by=pgp_world.analyst)
    with pytest.raises(RuleViolation, match="Only an analyst"):
        statement_from_mail(plain, by=pgp_world.vendor)
    assert not Statement.objects.exists()


# --- Decryption and signature forms ----------------------------------------------------------------


def test_signed_then_encrypted_keeps_the_signed_entity(  # type: ignore[no-untyped-def]
    pgp_world: World, vendor_key, django_capture_on_commit_callbacks
) -> None:
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    inner = signed_entity(text_entity("Signed, then encrypted.\n"), vendor_key.secret)
    row = stored(
        whole(subject_of(pgp_world), encrypted_entity(inner, coordinator_public)),
        django_capture_on_commit_callbacks,
    )
    assert (row.status, row.decryption, row.signature) == (Status.PROCESSED, "decrypted", "verified")
    assert openpgp.verify_detached(
        bytes(row.signed_data), row.detached_signature, [vendor_key.public]
    ).verified  # type: ignore[arg-type]
    assert statement_from_mail(row, by=pgp_world.analyst).verification == "verified"


def test_inline_pgp_is_decrypted(pgp_world: World, vendor_key, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    armour = openpgp.encrypt(
        "Inline: fixed in 2.2 \u2713\n".encode(), coordinator_public, sign_with=vendor_key.secret
    )
    body = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + armour + b"\r\n"
    row = stored(whole(subject_of(pgp_world), body, "<inline@vendor>"), django_capture_on_commit_callbacks)
    assert (row.status, row.decryption, row.signature) == (Status.PROCESSED, "decrypted", "verified")
    assert "Inline: fixed in 2.2 \u2713" in the_message(pgp_world).body


def test_a_signature_over_part_of_the_text_does_not_vouch_for_the_rest(  # type: ignore[no-untyped-def]
    pgp_world: World, vendor_key, django_capture_on_commit_callbacks
) -> None:
    """A vendor's old signed text, replayed under other words, must not read as "verified"."""
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    armour = openpgp.encrypt(b"Fixed in 2.2.\n", coordinator_public, sign_with=vendor_key.secret)
    around = b"Content-Type: text/plain\r\n\r\nSend the exploit to evil@example.org.\r\n" + armour
    signed = openpgp_clearsign(vendor_key, b"Fixed in 2.2.\n")
    two_parts = (
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\n'
        + text_entity("Send the exploit to evil@example.org.\n")
        + b"\r\n--m\r\n"
        + text_entity(signed.decode())
        + b"\r\n--m--\r\n"
    )
    for n, entity in enumerate((around, two_parts)):
        row = stored(
            whole(subject_of(pgp_world), entity, f"<replay{n}@vendor>"), django_capture_on_commit_callbacks
        )
        assert row.signature == "not_verified" and row.signature_detail == unwrap.OUTSIDE, n
        (message,) = message_rows().filter(inbound_mail=row)
        assert labels(Viewer.coordinator(), message)[2] == (
            "signature did not verify: the mail has text outside the signed part, which the signature"
            " does not cover"
        )
    # An attached text file is not text of the mail: a clearsigned body with it still verifies.
    attached = (
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\n'
        + text_entity(signed.decode())
        + b"\r\n--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\nlog\r\n--m--\r\n"
    )
    row = stored(
        whole(subject_of(pgp_world), attached, "<attached@vendor>"), django_capture_on_commit_callbacks
    )
    assert row.signature == "verified", row.signature_detail


def test_a_key_waiting_for_approval_is_named(  # type: ignore[no-untyped-def]
    pgp_world: World, stranger_key, django_capture_on_commit_callbacks
) -> None:
    PublicKey.objects.create(
        organization=pgp_world.vendor_org,
        fingerprint=stranger_key.fingerprint,
        armored=stranger_key.public,
        status=ChangeStatus.PENDING,
    )
    signed = openpgp_clearsign(stranger_key, b"Statement.\n")
    row = stored(
        whole(subject_of(pgp_world), text_entity(signed.decode())), django_capture_on_commit_callbacks
    )
    assert row.signature == "not_verified" and "waits for the coordinator's approval" in row.signature_detail
    assert "waiting for the coordinator's approval" in labels(Viewer.coordinator(), the_message(pgp_world))[2]


# --- Mail that cannot be decrypted: kept and flagged with the reason --------------------------------


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown key", "not encrypted to this key"),
        ("broken armour", "could not be decrypted"),
        ("no coordinator key", "no coordinator key is set up"),
        ("empty", "holds no OpenPGP message"),
    ],
)
def test_undecryptable_mail_is_kept_and_flagged(  # type: ignore[no-untyped-def]
    pgp_world: World, stranger_key, settings, tmp_path, django_capture_on_commit_callbacks, case, reason
) -> None:
    coordinator_public = coordinator_key.public_key().armored  # type: ignore[union-attr]
    if case == "unknown key":
        entity = encrypted_entity(text_entity("x"), stranger_key.public)
    elif case == "broken armour":
        good = encrypted_entity(text_entity("x"), coordinator_public)
        start = good.index(b"-----BEGIN PGP MESSAGE-----") + 40
        entity = good[:start] + b"*&^%$ not base64 at all\n" + good[start + 60 :]
    elif case == "no coordinator key":
        settings.OPENPGP_DIR = tmp_path / "nothing"
        entity = encrypted_entity(text_entity("x"), coordinator_public)
    else:
        entity = encrypted_entity(text_entity("x"), coordinator_public).replace(
            b"-----BEGIN PGP MESSAGE", b"-----BEGIN NOTHING"
        )
        entity = entity.split(b"encrypted.asc\r\n\r\n")[0] + b"encrypted.asc\r\n\r\n\r\n--enc-b--\r\n"
    raw = whole(subject_of(pgp_world), entity)
    row = stored(raw, django_capture_on_commit_callbacks)
    assert row.status == Status.FLAGGED and row.decryption == "failed"
    assert reason in row.problems.splitlines()[0], row.problems
    assert bytes(row.raw) == raw and not Message.objects.filter(inbound_mail=row).exists()
    assert row.case == pgp_world.case  # what could be read is kept for the analyst


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from(
        [
            b"",
            b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n',
            b'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary="b"\r\n\r\n',
            b"Content-Type: text/plain\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\n",
            b"Authentication-Results: mx; dkim=pass (\r\n\r\n",
        ]
    ),
    body=st.binary(max_size=400),
)
def test_unwrap_never_raises(prefix: bytes, body: bytes) -> None:
    raw = b"From: a@b.test\r\n" + prefix + body.replace(b"b", b"--b\r\n")
    out = unwrap.unwrap(raw, unwrap.Keys(coordinator=None))
    assert isinstance(out.raw, bytes) and out.decryption in ("", "failed")


# --- Authentication-Results (RFC 8601) --------------------------------------------------------------


def auth_mail(*results: str) -> bytes:
    extra = "".join(f"Authentication-Results: {r}\r\n" for r in results)
    return whole("x", text_entity("Hello.\n"), extra=extra)


@pytest.mark.parametrize(
    ("results", "authserv_id", "verdict"),
    [
        (["mx.cert.test; spf=pass smtp.mailfrom=v.test; dkim=pass header.d=v.test; dmarc=pass"], "", True),
        (["mx.cert.test; dkim=pass header.d=v.test (good); spf=fail"], "", True),
        (["mx.cert.test; spf=fail smtp.mailfrom=v.test; dkim=fail; dmarc=fail (p=reject)"], "", False),
        (["mx.cert.test; spf=softfail (dkim=pass in a comment) smtp.mailfrom=v.test"], "", False),
        (["mx.cert.test; none"], "", None),
        ([], "", None),
        # Only the topmost header counts by default: the sender may have written the ones below.
        (["mx.cert.test; dmarc=fail", "forged.test; dmarc=pass"], "", False),
        # With an authserv-id, only its headers count, wherever they are.
        (["forged.test; dmarc=pass", "mx.cert.test 1; dmarc=fail"], "mx.cert.test", False),
        (["forged.test; dmarc=pass"], "mx.cert.test", None),
        (["MX.Cert.Test; dkim=pass"], "mx.cert.test", True),
    ],
)
def test_authentication_results(results: list[str], authserv_id: str, verdict: bool | None) -> None:
    text, found = unwrap.authentication(auth_mail(*results), authserv_id)
    assert found is verdict
    assert bool(text) == (verdict is not None or results == ["mx.cert.test; none"])


def test_an_unsigned_mail_from_an_unauthenticated_sender_says_so(  # type: ignore[no-untyped-def]
    pgp_world: World, vendor_key, settings, django_capture_on_commit_callbacks
) -> None:
    settings.MAIL_AUTHSERV_ID = "mx.cert.test"
    failed = "Authentication-Results: mx.cert.test; spf=fail smtp.mailfrom=vendor-one.test; dmarc=fail\r\n"
    raw = whole(subject_of(pgp_world), text_entity("Unsigned.\n"), "<u@vendor>", extra=failed)
    row = stored(raw, django_capture_on_commit_callbacks)
    assert row.sender_authenticated is False and "spf=fail" in row.authentication_results
    (message,) = message_rows().filter(inbound_mail=row)
    assert labels(Viewer.coordinator(), message) == ["by mail", "not encrypted", "sender not authenticated"]
    # A signature verified by the pinned key outranks the server's verdict.
    signed = openpgp_clearsign(vendor_key, b"Signed.\n")
    raw = whole(subject_of(pgp_world), text_entity(signed.decode()), "<s@vendor>", extra=failed)
    row = stored(raw, django_capture_on_commit_callbacks)
    (message,) = message_rows().filter(inbound_mail=row)
    assert row.sender_authenticated is False
    assert labels(Viewer.coordinator(), message) == [
        "by mail",
        "not encrypted",
        f"verified by {vendor_key.fingerprint}",
    ]


def test_an_anonymous_vendors_key_is_not_shown_to_others(  # type: ignore[no-untyped-def]
    pgp_world: World, vendor_key, django_capture_on_commit_callbacks
) -> None:
    signed = openpgp_clearsign(vendor_key, b"Signed.\n")
    stored(whole(subject_of(pgp_world), text_entity(signed.decode())), django_capture_on_commit_callbacks)
    message = the_message(pgp_world)
    anon = message.author_participant
    assert anon is not None and anon.anonymous
    co = Participant.objects.get(case=pgp_world.case, organization=pgp_world.co_vendor_org)
    assert labels(Viewer.of_participant(co), message)[2] == "signed; verified by the coordinator"
    assert labels(Viewer.of_participant(anon), message)[2] == f"verified by {vendor_key.fingerprint}"


def test_reprocessing_is_not_needed_for_plain_mail(
    pgp_world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    row = stored(
        whole(subject_of(pgp_world), text_entity("Plain.\n"), "<p@vendor>"),
        django_capture_on_commit_callbacks,
    )
    assert (row.status, row.decryption, row.signature, row.sender_authenticated) == (
        Status.PROCESSED,
        "",
        "",
        None,
    )
    assert labels(Viewer.coordinator(), the_message(pgp_world)) == ["by mail", "not encrypted"]
    assert process(row.pk) == ""


def test_the_thread_reads_mail_state_in_constant_queries(  # type: ignore[no-untyped-def]
    pgp_world: World, vendor_key, django_capture_on_commit_callbacks
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = pgp_world.case
    assert case is not None
    failed = "Authentication-Results: mx; dmarc=fail\r\n"

    def deliver(start: int, count: int) -> None:
        for i in range(start, start + count):
            entity = text_entity(
                openpgp_clearsign(vendor_key, b"Signed.\n").decode() if i % 2 else "Plain.\n"
            )
            stored(
                whole(subject_of(pgp_world), entity, f"<q{i}@vendor>", extra=failed),
                django_capture_on_commit_callbacks,
            )

    def count(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    deliver(0, 2)
    thread_id = the_messages_thread(pgp_world)
    web, api = login(Client(), pgp_world.analyst), token_client(pgp_world.analyst)
    urls = [
        (web, f"/cases/{case.url_ref}/messages/{thread_id}/"),
        (api, f"/api/v1/cases/{case.url_ref}/messages?thread=private&limit=50"),
    ]
    for client, url in urls:
        count(client, url)  # a first visit marks the thread read
    small = [count(client, url) for client, url in urls]
    deliver(2, 6)
    large = [count(client, url) for client, url in urls]
    assert small == large
    items = api.get(urls[1][1]).json()["items"]
    assert len([m for m in items if m["mail"]]) == 8
    assert {m["mail"]["signed_statement"] for m in items if m["mail"]} == {True, False}


def the_messages_thread(world: World) -> int:
    participant = world.case.participants.get(organization=world.vendor_org)  # type: ignore[union-attr]
    return Message.objects.filter(thread__participant=participant).values_list("thread_id", flat=True)[0]


# --- Unwrapping, without the database ----------------------------------------------------------------


def _keys(coordinator: Pair, vendor_key: Pair) -> unwrap.Keys:
    return unwrap.Keys(coordinator=(coordinator.secret, None), pinned=[vendor_key.public])


def test_a_signed_mail_delivered_with_bare_line_feeds_still_verifies(
    coordinator: Pair, vendor_key: Pair
) -> None:
    """An MTA's pipe hands mail over with LF line ends; RFC 3156 signs the CRLF form."""
    raw = whole("x", signed_entity(text_entity("Line one.\nLine two.\n"), vendor_key.secret))
    for form in (raw, raw.replace(b"\r\n", b"\n")):
        out = unwrap.unwrap(form, _keys(coordinator, vendor_key))
        assert out.signature == "verified", out.signature_detail
        assert out.signed_data is not None and b"\r\n" in out.signed_data and b"\n\n" not in out.signed_data
        assert b"application/pgp-signature" not in out.raw  # the parser reads the signed entity alone
    # A changed byte in the signed part: it did not verify, and says why.
    changed = unwrap.unwrap(
        raw.replace(b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: BASE64"),
        _keys(coordinator, vendor_key),
    )
    assert changed.signature == "not_verified" and changed.signature_detail == openpgp.CHANGED


def test_the_outer_headers_are_kept_over_the_decrypted_entity(coordinator: Pair, vendor_key: Pair) -> None:
    extra = "In-Reply-To: <sent@accord>\r\nReferences: <a@accord> <sent@accord>\r\nAuthentication-Results: mx; dkim=pass\r\n"
    raw = whole(
        "Re: [VU#123456] x",
        encrypted_entity(
            text_entity("Inner.\n"), openpgp.inspect_secret_key(coordinator.secret).info.armored
        ),
        extra=extra,
    )
    out = unwrap.unwrap(raw, _keys(coordinator, vendor_key))
    assert out.decryption == "decrypted" and out.signature == "" and out.sender_authenticated is True
    head, body = unwrap.split_entity(out.raw)
    for header in (
        b"From: Vendor PSIRT",
        b"Subject: Re: [VU#123456] x",
        b"Message-ID: <pgp@vendor>",
        b"In-Reply-To: <sent@accord>",
        b"References: <a@accord>",
        b"Authentication-Results: mx",
    ):
        assert header in head
    assert b"multipart/encrypted" not in out.raw and b"text/plain" in head


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_encrypted_mail_never_raises(
    coordinator: Pair, vendor_key: Pair, data: st.DataObject
) -> None:
    raw = bytearray(ENCRYPTED_SAMPLE.setdefault("raw", _sample(coordinator, vendor_key)))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    out = unwrap.unwrap(bytes(raw), _keys(coordinator, vendor_key))
    assert out.decryption in ("", "decrypted", "failed")
    if out.decryption == "failed":
        assert out.problems and out.raw == bytes(raw)


ENCRYPTED_SAMPLE: dict[str, bytes] = {}


def _sample(coordinator: Pair, vendor_key: Pair) -> bytes:
    public = openpgp.inspect_secret_key(coordinator.secret).info.armored
    return whole("x", encrypted_entity(text_entity("Secret.\n"), public, vendor_key.secret))
