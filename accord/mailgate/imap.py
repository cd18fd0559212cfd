"""The IMAP poller behind `accord mail_fetch`: each mail of a mailbox is stored (inbound.receive,
raw first), then moved to a "done" folder.

Idempotent by construction: a mail leaves the mailbox only after it is stored, and storing the
same bytes again returns the row stored before (same Message-ID, same hash). So a crash between
the two steps stores nothing twice; the next pass only moves the mail.

The bytes are fetched with BODY.PEEK[] through imap-tools' connection (its MailMessage keeps
only a parsed copy, and the hash must be of the bytes as the server holds them).
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError

from accord.mailgate import parse
from accord.mailgate.inbound import receive
from accord.mailgate.models import InboundMessage

log = logging.getLogger(__name__)

SCHEMES = {"imap": 143, "imap+starttls": 143, "imaps": 993}
# What a failing server or connection raises (ssl.SSLError is an OSError).
TROUBLE = (OSError, imaplib.IMAP4.error, ImapToolsError)


class ImapError(Exception):
    """The mailbox cannot be used: a bad URL, an unreachable server, refused credentials."""


@dataclass(frozen=True)
class Mailbox:
    scheme: str
    host: str
    port: int
    user: str
    folder: str

    def __str__(self) -> str:  # never with the password
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_url(url: str) -> Mailbox:
    """`imap://user@host:port/FOLDER` (also imap+starttls://, imaps://). A user name holding
    "@" is written %40. The password never goes in the URL: it comes from a file."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise ImapError(f"ACCORD_IMAP_URL is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ImapError("ACCORD_IMAP_URL must start with imap://, imap+starttls:// or imaps://")
    if not parts.hostname:
        raise ImapError("ACCORD_IMAP_URL names no host")
    if not parts.username:
        raise ImapError("ACCORD_IMAP_URL names no user (imap://user@host/INBOX)")
    if parts.password is not None:
        raise ImapError("Put the IMAP password in ACCORD_IMAP_PASSWORD_FILE, not in ACCORD_IMAP_URL")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return Mailbox(scheme, parts.hostname, port or SCHEMES[scheme], unquote(parts.username), folder)


@dataclass
class Pass:
    """What one pass did."""

    stored: int = 0  # new rows
    again: int = 0  # stored before (a pass that died before moving them)
    moved: int = 0
    skipped: list[str] = field(default_factory=list)  # why a mail was left in the mailbox

    def summary(self) -> str:
        text = f"{self.stored} stored, {self.again} stored before, {self.moved} moved"
        return text + (f", {len(self.skipped)} left in the mailbox" if self.skipped else "")


def connect(box: Mailbox, password: str, *, timeout: float) -> MailBox:
    kinds = {"imap": MailBoxUnencrypted, "imap+starttls": MailBoxStartTls, "imaps": MailBox}
    try:
        client = kinds[box.scheme](box.host, box.port, timeout=timeout)
    except TROUBLE as exc:
        raise ImapError(f"cannot reach {box.host}:{box.port}: {exc}") from None
    try:
        client.login(box.user, password, initial_folder=None)
    except MailboxLoginError:
        _logout(client)
        raise ImapError(f"the IMAP server refused the login of {box.user!r}") from None
    except TROUBLE as exc:
        _logout(client)
        raise ImapError(f"login to {box.host}:{box.port} failed: {exc}") from None
    return client


def _logout(client: MailBox) -> None:
    try:
        client.logout()
    except Exception:  # the connection is already gone; nothing to tidy
        log.debug("IMAP logout failed", exc_info=True)


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _sizes(client: MailBox, uids: list[str]) -> dict[str, int]:
    if not uids:
        return {}
    status, data = client.client.uid("FETCH", ",".join(uids), "(UID RFC822.SIZE)")
    sizes: dict[str, int] = {}
    for item in data if status == "OK" else []:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes):
            uid, size = re.search(rb"UID (\d+)", line), _SIZE.search(line)
            if uid and size:
                sizes[uid.group(1).decode()] = int(size.group(1))
    return sizes


def _raw(client: MailBox, uid: str) -> bytes | None:
    """The mail's bytes exactly as the server holds them, without setting \\Seen."""
    status, data = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def ensure_folder(client: MailBox, folder: str) -> None:
    if not client.folder.exists(folder):
        client.folder.create(folder)
        log.info("created IMAP folder %s", folder)


def fetch_once(
    box: Mailbox,
    password: str,
    *,
    done_folder: str,
    max_bytes: int,
    timeout: float,
    progress: Callable[[str], None] | None = None,
) -> Pass:
    """One pass over the mailbox. Raises ImapError when the mailbox cannot be used; database
    errors propagate (the mail stays in the mailbox for the next pass)."""
    if done_folder == box.folder:
        raise ImapError("ACCORD_IMAP_DONE_FOLDER must differ from the folder polled")
    client = connect(box, password, timeout=timeout)
    result = Pass()
    try:
        try:
            ensure_folder(client, done_folder)
            client.folder.set(box.folder)
            # Not mail marked deleted: a client-side move that died before EXPUNGE left it copied.
            uids = client.uids("UNDELETED")
            sizes = _sizes(client, uids)
        except TROUBLE as exc:
            raise ImapError(f"cannot read folder {box.folder!r} on {box.host}: {exc}") from None
        for uid in uids:
            if sizes.get(uid, 0) > max_bytes:
                result.skipped.append(f"UID {uid}: {sizes[uid]:,} bytes, over the limit of {max_bytes:,}")
                continue
            try:
                raw = _raw(client, uid)
            except TROUBLE as exc:
                raise ImapError(f"fetching UID {uid} failed: {exc}") from None
            if raw is None:  # expunged meanwhile by another client
                result.skipped.append(f"UID {uid}: gone before it could be read")
                continue
            before = _known(raw)
            row = receive(raw, "imap")
            if before:
                result.again += 1
            else:
                result.stored += 1
            try:
                client.move(uid, done_folder)
            except TROUBLE as exc:
                raise ImapError(f"inbound {row.pk} is stored, but moving UID {uid} failed: {exc}") from None
            result.moved += 1
            if progress is not None:
                progress(f"UID {uid}: inbound {row.pk}{' (stored before)' if before else ''}, moved")
    finally:
        _logout(client)
    for reason in result.skipped:
        log.warning("IMAP mail left in %s: %s", box.folder, reason)
    return result


def _known(raw: bytes) -> bool:
    """Whether these bytes are stored already (for the summary only: receive decides)."""
    return InboundMessage.objects.filter(
        message_id=parse.message_id_of(raw), sha256=hashlib.sha256(raw).hexdigest()
    ).exists()
