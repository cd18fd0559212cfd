"""The coordinator's OpenPGP key (issue 10, item 1; the signing of item 7): `accord keys`, its
publication (/.well-known/openpgpkey.asc, the policy page, security.txt) and signed outbound mail,
checked with gpg on the receiving side."""

from __future__ import annotations

import email
import email.policy
import stat
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from sectxt import Parser

from accord import cli
from accord.lib import openpgp
from accord.mailgate import coordinator_key
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import queue_mail
from tests.pgp_keys import TestKey as SigningKey
from tests.pgp_keys import make_key
from tests.test_outbox import Collector, free_port

FULL = "The heap overflow in Widget Server 2.1 is reached through the parser's length field."
NEUTRAL = "Something new awaits in VU#123456: http://127.0.0.1:8000/cases/VU123456/\n"
SITE = "https://accord.example.org"


# --- Fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coordinator_secret() -> str:
    """One generated coordinator key for the module, protected by the passphrase "correct horse"."""
    return openpgp.generate_key("Example CERT", "cert@example.org", "correct horse")


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("coordinator-vendor-key"), "psirt@vendor-one.test")


@pytest.fixture
def passphrase_file(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "passphrase"
    path.write_text("correct horse\n", encoding="utf-8")
    settings.OPENPGP_PASSPHRASE_FILE = str(path)
    return path


@pytest.fixture
def installed(coordinator_secret: str, passphrase_file: Path) -> openpgp.KeyInfo:
    return coordinator_key.install(coordinator_secret, "correct horse").info


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


def accord(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """Run the `accord` console script in-process: (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["accord", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def gpg(home: Path, *args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """gpg on the receiving side, in its own home, with machine-readable status lines on stdout."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--status-fd", "1", "--pinentry-mode", "loopback",
         "--passphrase", "", *args],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )  # fmt: skip


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def received(server: Collector) -> list[tuple[bytes, EmailMessage]]:
    return [(e.original_content, parse(e.original_content)) for e in server.envelopes]


def published_key(client: Client) -> bytes:
    response = client.get("/.well-known/openpgpkey.asc")
    assert response.status_code == 200
    return response.content


# --- accord keys ----------------------------------------------------------------------------------


def test_generate_then_show(settings, monkeypatch, capsys, passphrase_file: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = accord(monkeypatch, capsys, "keys", "show")
    assert code == 1 and "No coordinator key is set up" in err and "Traceback" not in err

    code, out, err = accord(
        monkeypatch, capsys, "keys", "generate", "--name", "Example CERT", "--email", "cert@example.org"
    )
    assert (code, err) == (0, ""), err
    assert "protected by the passphrase" in out
    key = coordinator_key.public_key()
    assert key is not None and key.user_ids == ["Example CERT <cert@example.org>"]
    assert key.fingerprint in out

    # Where it is kept: the secret key readable by Accord's user only, still passphrase-protected.
    directory = Path(settings.OPENPGP_DIR)
    secret = directory / coordinator_key.SECRET_NAME
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert "BEGIN PGP PRIVATE KEY BLOCK" in secret.read_text()
    with pytest.raises(openpgp.OpenPGPError, match="none was given"):
        openpgp.sign_mime(b"x", secret.read_text(), None)
    assert "correct horse" not in secret.read_text()

    code, out, err = accord(monkeypatch, capsys, "keys", "show")
    assert code == 0
    assert f"Fingerprint: {key.fingerprint}" in out
    assert "-----BEGIN PGP PUBLIC KEY BLOCK-----" in out and "PRIVATE" not in out
    assert openpgp.fingerprint_of(out[out.index("-----BEGIN") :]) == key.fingerprint

    # A second key only on purpose.
    code, out, err = accord(
        monkeypatch, capsys, "keys", "generate", "--name", "B", "--email", "b@example.org"
    )
    assert code == 1 and "already set up" in err and "--replace" in err
    assert coordinator_key.public_key() == key


def test_generate_refuses_a_bad_user_id(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = accord(monkeypatch, capsys, "keys", "generate", "--name", "A <b>", "--email", "a@b.org")
    assert code == 1 and "angle brackets" in err and "Traceback" not in err
    code, _, err = accord(monkeypatch, capsys, "keys", "generate", "--name", "A", "--email", "nobody")
    assert code == 1 and "not an email address" in err
    assert not coordinator_key.is_set_up()


def test_import_a_secret_key(
    settings, monkeypatch, capsys, tmp_path: Path, coordinator_secret: str, passphrase_file: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "secret.asc"
    path.write_text(coordinator_secret)
    code, out, err = accord(monkeypatch, capsys, "keys", "import", str(path))
    assert (code, err) == (0, ""), err
    key = coordinator_key.public_key()
    assert key is not None and key.fingerprint in out
    assert key.fingerprint == openpgp.inspect_secret_key(coordinator_secret, "correct horse").info.fingerprint


@pytest.mark.parametrize(
    "case, message",
    [
        ("not a key", "This is not an OpenPGP key"),
        ("empty", "The file is empty"),
        ("public only", "This is a public key only"),
        ("wrong passphrase", "The passphrase of the secret key is wrong"),
        ("no passphrase", "protected by a passphrase, and none was given"),
        ("missing file", "cannot read it"),
        ("unreadable passphrase file", "ACCORD_OPENPGP_PASSPHRASE_FILE: cannot read"),
        ("unprotected key with a passphrase", "has no passphrase, but ACCORD_OPENPGP_PASSPHRASE_FILE"),
    ],
)
def test_import_refuses_bad_input_with_one_clear_line(
    settings, monkeypatch, capsys, tmp_path: Path, coordinator_secret: str, case: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "key.asc"
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse\n")
    settings.OPENPGP_PASSPHRASE_FILE = str(passphrase)
    if case == "not a key":
        path.write_text("hello, this is no key\n")
    elif case == "empty":
        path.write_text("")
    elif case == "public only":
        path.write_text(openpgp.inspect_secret_key(coordinator_secret, "correct horse").info.armored)
    elif case == "wrong passphrase":
        passphrase.write_text("battery staple\n")
        path.write_text(coordinator_secret)
    elif case == "no passphrase":
        settings.OPENPGP_PASSPHRASE_FILE = None
        path.write_text(coordinator_secret)
    elif case == "unreadable passphrase file":
        settings.OPENPGP_PASSPHRASE_FILE = str(tmp_path / "nowhere")
        path.write_text(coordinator_secret)
    elif case == "unprotected key with a passphrase":
        path.write_text(openpgp.generate_key("Open", "open@example.org", None))
    code, out, err = accord(monkeypatch, capsys, "keys", "import", str(path))
    assert code == 1, (out, err)
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not coordinator_key.is_set_up()


def test_the_command_line_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    """The real console script, in its own process: what an operator sees."""
    (tmp_path / "bad.asc").write_text("not a key")
    env = {"ACCORD_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    run = subprocess.run(
        [sys.executable, "-m", "accord.cli", "keys", "import", str(tmp_path / "bad.asc")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip() == "CommandError: This is not an OpenPGP key"


# --- Publication ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_key_the_well_known_key_is_a_clear_404(client: Client) -> None:
    response = client.get("/.well-known/openpgpkey.asc")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert b"No OpenPGP key is published here yet" in response.content
    assert "Encryption:" not in client.get("/.well-known/security.txt").content.decode()
    assert "coordinator-fingerprint" not in client.get("/policy/").content.decode()


@pytest.mark.django_db
def test_the_public_key_is_published_and_shown_on_the_policy_page(
    client: Client, installed: openpgp.KeyInfo
) -> None:
    response = client.get("/.well-known/openpgpkey.asc")
    assert response["Content-Type"] == "application/pgp-keys"
    assert openpgp.fingerprint_of(response.content) == installed.fingerprint
    assert b"PRIVATE" not in response.content
    assert client.post("/.well-known/openpgpkey.asc").status_code in (403, 405)
    page = client.get("/policy/").content.decode()
    grouped = " ".join(installed.fingerprint[i : i + 4] for i in range(0, 40, 4))
    assert f'<code id="coordinator-fingerprint">{grouped}</code>' in page
    assert 'href="/.well-known/openpgpkey.asc"' in page and 'href="/.well-known/security.txt"' in page


@pytest.mark.django_db
def test_security_txt_validates_with_sectxt(settings, client: Client, installed: openpgp.KeyInfo) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "cert@example.org"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    parser = Parser(response.content, urls=[f"{SITE}/.well-known/security.txt"])
    assert parser.is_valid(), parser.errors
    assert parser.errors == []
    assert parser.recommendations == []  # signed, as RFC 9116 §2.3 recommends
    body = openpgp.clearsigned_body(response.content).decode()
    fields = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(": ")
            fields.setdefault(name, []).append(value)
    assert fields["Contact"][0] == "mailto:cert@example.org"
    assert fields["Encryption"] == [f"{SITE}/.well-known/openpgpkey.asc"]
    assert fields["Policy"] == [f"{SITE}/policy/"]
    assert fields["Canonical"] == [f"{SITE}/.well-known/security.txt"]
    assert fields["Preferred-Languages"] == ["en"]


@pytest.mark.django_db
def test_security_txt_is_clearsigned_with_the_published_key(
    client: Client, installed: openpgp.KeyInfo, tmp_path: Path
) -> None:
    text = client.get("/.well-known/security.txt").content
    assert text.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----")
    assert openpgp.verify_clearsigned(text, [installed.armored]).status == "verified"
    # gpg on the reader's side, with the key from /.well-known/openpgpkey.asc, agrees.
    home = tmp_path / "reader"
    assert gpg(home, "--import", data=published_key(client)).returncode == 0
    checked = gpg(home, "--verify", data=text)
    assert checked.returncode == 0 and f"VALIDSIG {installed.fingerprint}".encode() in checked.stdout
    # Served again the same day, it is the same bytes (signed once, not per request).
    assert client.get("/.well-known/security.txt").content == text


@pytest.mark.django_db
def test_security_txt_is_served_unsigned_when_the_key_cannot_sign(
    client: Client, installed: openpgp.KeyInfo, passphrase_file: Path
) -> None:
    from accord.core import views

    views._signed.clear()
    passphrase_file.write_text("not the passphrase\n")
    text = client.get("/.well-known/security.txt").content.decode()
    assert text.startswith("# How to report") and "Contact: mailto:" in text


@pytest.mark.django_db
def test_security_txt_expires_within_a_year_from_any_day(settings, client: Client, time_machine) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = SITE
    time_machine.move_to("2030-02-03T22:00:00Z")
    text = client.get("/.well-known/security.txt").content.decode()
    assert "Expires: 2030-08-02T00:00:00Z" in text  # 180 days from the day it was fetched


# --- Signed outbound mail -------------------------------------------------------------------------


def signed_parts(raw: bytes, mail: EmailMessage) -> tuple[bytes, bytes]:
    """The signed entity exactly as it travelled (RFC 3156 §5) and the detached signature."""
    assert mail.get_content_type() == "multipart/signed"
    assert mail.get_param("protocol") == "application/pgp-signature"
    assert mail.get_param("micalg") == "pgp-sha256"
    boundary = mail.get_boundary()
    assert boundary
    body = raw.split(b"\r\n\r\n", 1)[1]
    # A delimiter is CRLF, "--", the boundary: the CRLF before it is not part of the signed entity.
    preamble, first, *_ = body.split(b"\r\n--" + boundary.encode())
    assert first.startswith(b"\r\n")
    first = first[2:]
    _, signature_part = mail.get_payload()  # type: ignore[misc]
    assert signature_part.get_content_type() == "application/pgp-signature"
    return first, signature_part.get_payload(decode=True)


@pytest.mark.django_db
def test_a_neutral_mail_is_pgp_mime_signed_and_verifies_with_gpg(
    client: Client,
    installed: openpgp.KeyInfo,
    smtp_server: Collector,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    text = NEUTRAL + "Ünïcode, trailing spaces   \nFrom the start of a line\n" + "long " * 40 + "\n"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail("psirt@vendor-one.test", "[VU#123456] New message", text)
    message.refresh_from_db()
    assert (message.status, message.last_error) == ("sent", "")
    [(raw, mail)] = received(smtp_server)
    assert mail["Subject"] == "[VU#123456] New message" and mail["Message-ID"] == message.message_id
    signed, signature = signed_parts(raw, mail)
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))  # 7-bit, short lines: relays leave it alone
    assert max(raw) < 128
    entity = parse(signed)
    assert entity.get_content_type() == "text/plain"
    assert entity.get_content().replace("\r\n", "\n") == text

    home = tmp_path / "receiver"
    assert gpg(home, "--import", data=published_key(client)).returncode == 0
    (tmp_path / "signature.asc").write_bytes(signature)
    (tmp_path / "signed").write_bytes(signed)
    verified = gpg(home, "--verify", str(tmp_path / "signature.asc"), str(tmp_path / "signed"))
    assert verified.returncode == 0, verified.stderr
    assert f"VALIDSIG {installed.fingerprint}".encode() in verified.stdout
    assert b"GOODSIG" in verified.stdout

    (tmp_path / "signed").write_bytes(signed.replace(b"VU#123456", b"VU#654321"))
    tampered = gpg(home, "--verify", str(tmp_path / "signature.asc"), str(tmp_path / "signed"))
    assert tampered.returncode != 0 and b"BADSIG" in tampered.stdout


@pytest.mark.django_db
def test_an_encrypted_mail_is_signed_inside_and_decrypts_and_verifies_with_gpg(
    client: Client,
    installed: openpgp.KeyInfo,
    smtp_server: Collector,
    vendor_key: SigningKey,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail(
            "psirt@vendor-one.test",
            "[VU#123456] New message",
            NEUTRAL,
            sealed_text=FULL,
            encrypt_to=[vendor_key.public],
        )
    message.refresh_from_db()
    assert (message.status, message.sent_encrypted, message.last_error) == ("sent", True, "")
    [(raw, mail)] = received(smtp_server)
    assert mail.get_content_type() == "multipart/encrypted"
    assert FULL.encode() not in raw and b"heap overflow" not in raw
    _, payload = mail.get_payload()  # type: ignore[misc]
    armour = payload.get_payload(decode=True)

    home = tmp_path / "vendor"
    secret = vendor_key._gpg("--armor", "--export-secret-keys", vendor_key.fingerprint)
    assert gpg(home, "--import", data=secret).returncode == 0
    assert gpg(home, "--import", data=published_key(client)).returncode == 0
    opened = gpg(home, "--output", str(tmp_path / "entity"), "--decrypt", data=armour)
    assert opened.returncode == 0, opened.stderr
    status = opened.stdout
    assert b"DECRYPTION_OKAY" in status and b"GOODSIG" in status
    assert f"VALIDSIG {installed.fingerprint}".encode() in status
    entity = parse((tmp_path / "entity").read_bytes())
    assert entity.get_content().replace("\r\n", "\n") == FULL + "\n"


@pytest.mark.django_db
def test_a_mail_that_cannot_be_signed_is_not_sent(
    installed: openpgp.KeyInfo,
    passphrase_file: Path,
    smtp_server: Collector,
    vendor_key: SigningKey,
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    passphrase_file.write_text("battery staple\n")
    with django_capture_on_commit_callbacks(execute=True):
        plain = queue_mail("a@example.test", "[VU#1] New", NEUTRAL)
        sealed = queue_mail(
            "b@example.test", "[VU#1] New", NEUTRAL, sealed_text=FULL, encrypt_to=[vendor_key.public]
        )
    for message in (plain, sealed):
        message.refresh_from_db()
        assert message.status == OutboundMessage.Status.FAILED
        assert "cannot sign" in message.last_error and "passphrase" in message.last_error
    assert smtp_server.envelopes == []

    passphrase_file.unlink()
    with django_capture_on_commit_callbacks(execute=True):
        lost = queue_mail("a@example.test", "[VU#1] New", NEUTRAL)
    lost.refresh_from_db()
    assert lost.status == OutboundMessage.Status.FAILED
    assert "ACCORD_OPENPGP_PASSPHRASE_FILE: cannot read" in lost.last_error
    assert smtp_server.envelopes == []


@pytest.mark.django_db
def test_without_a_coordinator_key_mail_goes_unsigned(
    smtp_server: Collector, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_mail("a@example.test", "[VU#1] New", NEUTRAL)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    [(raw, mail)] = received(smtp_server)
    assert mail.get_content_type() == "text/plain" and b"PGP" not in raw


@pytest.mark.django_db
def test_a_notification_to_a_vendor_with_a_key_is_encrypted_and_signed_and_to_one_without_signed_only(
    world,  # type: ignore[no-untyped-def]
    client: Client,
    installed: openpgp.KeyInfo,
    smtp_server: Collector,
    vendor_key: SigningKey,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:
    from tests.test_notifications import FULL as CASE_TEXT
    from tests.test_notifications import pin, ready, recipients_for, tell

    case = ready(world)
    pin(world, vendor_key)
    with django_capture_on_commit_callbacks(execute=True):
        tell(case, recipients_for([world.vendor, world.co_vendor]))
    mails = {e.rcpt_tos[0]: e.original_content for e in smtp_server.envelopes}
    home = tmp_path / "receiver"
    assert gpg(home, "--import", data=published_key(client)).returncode == 0
    secret = vendor_key._gpg("--armor", "--export-secret-keys", vendor_key.fingerprint)
    assert gpg(home, "--import", data=secret).returncode == 0

    encrypted = parse(mails[world.vendor.email])
    assert encrypted.get_content_type() == "multipart/encrypted"
    _, payload = encrypted.get_payload()  # type: ignore[misc]
    opened = gpg(
        home, "--output", str(tmp_path / "entity"), "--decrypt", data=payload.get_payload(decode=True)
    )
    assert f"VALIDSIG {installed.fingerprint}".encode() in opened.stdout and b"GOODSIG" in opened.stdout
    assert CASE_TEXT in parse((tmp_path / "entity").read_bytes()).get_content().replace("\r\n", "\n")

    raw = mails[world.co_vendor.email]
    signed, signature = signed_parts(raw, parse(raw))
    assert CASE_TEXT.encode() not in raw and case.label in parse(signed).get_content()
    (tmp_path / "signature.asc").write_bytes(signature)
    (tmp_path / "signed").write_bytes(signed)
    verified = gpg(home, "--verify", str(tmp_path / "signature.asc"), str(tmp_path / "signed"))
    assert f"VALIDSIG {installed.fingerprint}".encode() in verified.stdout and verified.returncode == 0
