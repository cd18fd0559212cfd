"""`accord mail_fetch` against a real IMAP server: Debian's dovecot, started here on 127.0.0.1 with
a configuration of its own (plain IMAP, a passwd-file user with uid/gid 65534, a maildir in a
temporary directory). Skipped without dovecot, except in CI (ACCORD_REQUIRE_BROWSER or CI set),
where .ci/run installs it and a missing server is a failure."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from imap_tools import MailBoxUnencrypted

from accord.mailgate.imap import ImapError, parse_url
from accord.mailgate.models import InboundMessage
from accord.testing import World
from accord.vendors.models import Contact

NOBODY = 65534
USER, PASSWORD = "cert", "imap-test-password"
CONTACT = "security@vendor-one.test"


def _required() -> bool:
    return any(
        os.environ.get(name, "").strip() not in ("", "0", "false")
        for name in ("ACCORD_REQUIRE_BROWSER", "CI")
    )


def _dovecot_binary() -> str:
    found = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None
    )
    if found is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd)"
        if _required():
            pytest.fail(f"CI needs the IMAP test, but {reason}", pytrace=False)
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = accord-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {root}/dovecot.log
default_internal_user = nobody
default_login_user = nobody
default_internal_group = nogroup
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = .
}}
"""


@dataclass
class Server:
    host: str
    port: int
    root: Path

    def url(self, folder: str = "INBOX", user: str = USER) -> str:
        return f"imap://{user}@{self.host}:{self.port}/{folder}"

    def box(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port, timeout=10).login(USER, PASSWORD, initial_folder=None)

    def append(self, *raws: bytes) -> None:
        with self.box() as box:
            for raw in raws:
                box.append(raw, "INBOX")

    def count(self, folder: str) -> int:
        with self.box() as box:
            if not box.folder.exists(folder):
                return 0
            box.folder.set(folder)
            return len(box.uids("ALL"))


@pytest.fixture
def dovecot() -> Iterator[Server]:
    binary = _dovecot_binary()
    root = Path(tempfile.mkdtemp(prefix="accord-dovecot-"))
    root.chmod(0o755)  # the mail processes run as 65534 and must reach the maildir
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    os.chown(root / "mail", NOBODY, NOBODY)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, uid=NOBODY), encoding="utf-8")
    child = subprocess.Popen(  # noqa: S603
        [binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text(errors="replace")
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    output = child.stdout.read().decode(errors="replace") if child.stdout else ""
                    pytest.fail(f"dovecot did not start: {output}\n{log}")
                time.sleep(0.02)
        yield Server("127.0.0.1", port, root)
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout:
            child.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def configured(settings, dovecot: Server, tmp_path: Path) -> Server:  # type: ignore[no-untyped-def]
    secret = tmp_path / "imap-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    settings.IMAP_URL = dovecot.url()
    settings.IMAP_PASSWORD_FILE = str(secret)
    settings.IMAP_DONE_FOLDER = "Accord.processed"
    return dovecot


def mail(subject: str, *, message_id: str, body: str = "We have a fix.") -> bytes:
    message = EmailMessage()
    message["From"] = f"Vendor PSIRT <{CONTACT}>"
    message["To"] = "cert@localhost"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes().replace(b"\n", b"\r\n")  # as IMAP servers hold mail


def fetch(*args: str) -> str:
    out = io.StringIO()
    call_command("mail_fetch", "--once", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_each_mail_is_stored_once_then_moved(
    world: World, configured: Server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    Contact.objects.create(organization=world.vendor_org, email=CONTACT, name="PSIRT")
    assert world.case is not None
    routed = mail(f"Re: [VU#{world.case.number}] fix", message_id="<imap-1@vendor>", body="Fixed in 2.2.")
    stray = mail("A question", message_id="<imap-2@vendor>")
    configured.append(routed, stray)

    with django_capture_on_commit_callbacks(execute=True):
        out = fetch()
    assert "2 stored, 0 stored before, 2 moved" in out
    rows = {row.message_id: row for row in InboundMessage.objects.all()}
    assert set(rows) == {"<imap-1@vendor>", "<imap-2@vendor>"}
    assert bytes(rows["<imap-1@vendor>"].raw) == routed  # the bytes exactly as the server held them
    assert {row.received_via for row in rows.values()} == {"imap"}
    assert rows["<imap-1@vendor>"].status == InboundMessage.Status.PROCESSED
    assert rows["<imap-2@vendor>"].status == InboundMessage.Status.TRIAGE
    assert configured.count("INBOX") == 0
    assert configured.count("Accord.processed") == 2  # created on the first pass

    # A second pass finds nothing; a new mail is stored alone.
    assert "0 stored, 0 stored before, 0 moved" in fetch()
    configured.append(mail("Another", message_id="<imap-3@vendor>"))
    assert "1 stored, 0 stored before, 1 moved" in fetch()
    assert InboundMessage.objects.count() == 3


def test_a_crash_between_storing_and_moving_stores_nothing_twice(
    world: World, configured: Server, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    configured.append(mail("First", message_id="<crash@vendor>"))

    def broken(self, uid_list, destination_folder, chunks=None):  # type: ignore[no-untyped-def]
        raise OSError("connection reset")

    with monkeypatch.context() as patched:
        patched.setattr(MailBoxUnencrypted, "move", broken)
        with pytest.raises(CommandError, match="is stored, but moving UID .* failed"):
            fetch()
    assert InboundMessage.objects.count() == 1
    assert configured.count("INBOX") == 1

    assert "0 stored, 1 stored before, 1 moved" in fetch()
    assert InboundMessage.objects.count() == 1
    assert configured.count("INBOX") == 0


def test_refused_credentials_are_a_clear_error(world: World, configured: Server, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password", encoding="utf-8")
    settings.IMAP_PASSWORD_FILE = str(wrong)
    with pytest.raises(CommandError, match="refused the login of 'cert'") as error:
        fetch()
    assert error.value.returncode != 0
    assert "not the password" not in str(error.value)


def test_a_missing_folder_is_a_clear_error(world: World, configured: Server, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMAP_URL = configured.url("Nowhere")
    with pytest.raises(CommandError, match="cannot read folder 'Nowhere'"):
        fetch()


def test_an_unreachable_server_is_a_clear_error(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "pw"
    secret.write_text("x", encoding="utf-8")
    settings.IMAP_URL = f"imap://cert@127.0.0.1:{free_port()}/INBOX"
    settings.IMAP_PASSWORD_FILE = str(secret)
    with pytest.raises(CommandError, match="cannot reach 127.0.0.1"):
        fetch()


def test_configuration_errors_are_clear(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.IMAP_URL = None
    with pytest.raises(CommandError, match="Set ACCORD_IMAP_URL"):
        fetch()
    settings.IMAP_URL = "imap://cert@localhost/INBOX"
    settings.IMAP_PASSWORD_FILE = str(tmp_path / "missing")
    with pytest.raises(CommandError, match="ACCORD_IMAP_PASSWORD_FILE: cannot read"):
        fetch()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("imap://cert@mail.test/INBOX", ("imap", "mail.test", 143, "cert", "INBOX")),
        (
            "imaps://cert%40example.org@mail.test:9993/Cases",
            ("imaps", "mail.test", 9993, "cert@example.org", "Cases"),
        ),
        ("imap+starttls://u@mail.test", ("imap+starttls", "mail.test", 143, "u", "INBOX")),
    ],
)
def test_mailbox_urls(url: str, expected: tuple[object, ...]) -> None:
    box = parse_url(url)
    assert (box.scheme, box.host, box.port, box.user, box.folder) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("pop3://cert@mail.test/", "must start with imap://"),
        ("imap://mail.test/INBOX", "names no user"),
        ("imap://cert:secret@mail.test/INBOX", "ACCORD_IMAP_PASSWORD_FILE"),
        ("imap://cert@mail.test:99999/INBOX", "not a valid URL"),
        ("imap:///INBOX", "names no host"),
    ],
)
def test_bad_mailbox_urls(url: str, reason: str) -> None:
    with pytest.raises(ImapError, match=reason):
        parse_url(url)


def test_mail_over_the_size_limit_stays_in_the_mailbox(world: World, configured: Server, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INBOUND_MAX_BYTES = 2048
    configured.append(mail("Big", message_id="<big@vendor>", body="x" * 4096))
    errors = io.StringIO()
    call_command("mail_fetch", "--once", stdout=io.StringIO(), stderr=errors)
    assert "over the limit of 2,048" in errors.getvalue()
    assert not InboundMessage.objects.exists()
    assert configured.count("INBOX") == 1  # kept for a person to look at, not lost


def test_verbose_output_names_each_mail(world: World, configured: Server) -> None:
    configured.append(mail("One", message_id="<v1@vendor>"))
    out = io.StringIO()
    call_command("mail_fetch", "--once", verbosity=2, stdout=out, stderr=io.StringIO())
    row = InboundMessage.objects.get()
    assert f"inbound {row.pk}, moved" in out.getvalue()


def test_accord_run_starts_the_poller_when_a_mailbox_is_set(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from accord.core.management.commands import run

    started: list[list[str]] = []

    class Child:
        returncode = 0

        def __init__(self, cmd: list[str], **kwargs: object) -> None:
            started.append(cmd)

        def poll(self) -> int:
            return 0  # every part "stops" at once, so run exits

        def terminate(self) -> None: ...

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(run.subprocess, "Popen", Child)
    # run installs SIGINT/SIGTERM handlers; pytest keeps its own.
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    for url, expected in ((None, False), ("imap://cert@127.0.0.1/INBOX", True)):
        started.clear()
        settings.IMAP_URL = url
        with pytest.raises(SystemExit):
            call_command("run", stdout=io.StringIO(), stderr=io.StringIO())
        assert any("mail_fetch" in cmd for cmd in started) is expected


@given(st.text(max_size=120) | st.builds(lambda s: "imap://" + s, st.text(max_size=80)))
@hsettings(max_examples=300, deadline=None)
def test_reading_a_mailbox_url_fails_only_with_a_clear_error(url: str) -> None:
    try:
        box = parse_url(url)
    except ImapError as exc:
        assert str(exc)
    else:
        assert box.host and box.user and box.folder and 0 < box.port < 65536


def test_polling_goes_on_after_a_failed_pass(world: World, configured: Server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from accord.mailgate.management.commands import mail_fetch

    waits: list[float] = []
    passwd = configured.root / "passwd"
    original = passwd.read_text(encoding="utf-8")

    class Ticks:
        """Stands in for the stop event: each wait is one interval, with something happening."""

        def set(self) -> None: ...

        def wait(self, timeout: float) -> bool:
            waits.append(timeout)
            if len(waits) == 1:  # the server refuses us for one pass (dovecot rereads the file)
                passwd.write_text(f"{USER}:{{PLAIN}}changed::::::\n", encoding="utf-8")
                time.sleep(1.1)  # dovecot looks at the file at most once a second
            elif len(waits) == 2:  # then it takes us back, with new mail
                passwd.write_text(original, encoding="utf-8")
                time.sleep(1.1)
                configured.append(mail("Later", message_id="<later@vendor>"))
            return len(waits) > 2

    monkeypatch.setattr(mail_fetch.threading, "Event", Ticks)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    out, err = io.StringIO(), io.StringIO()
    call_command("mail_fetch", "--interval", "7", stdout=out, stderr=err)
    assert waits == [7, 7, 7]
    assert "refused the login" in err.getvalue() and "trying again in 7 s" in err.getvalue()
    assert "1 stored, 0 stored before, 1 moved" in out.getvalue()
    assert InboundMessage.objects.get().message_id == "<later@vendor>"
