"""The SMTP receiver of `accord mail_serve` (aiosmtpd): mail for Accord's own addresses only.

It refuses other recipients (550: no relaying) and mail over the size limit (552), gives a mail
without a Message-ID one derived from its bytes (so that a mail delivered twice is still stored
once), and stores what it accepts through `receive` before answering 250. When storing fails
it answers 451, so that the sending server tries again later.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from aiosmtpd.controller import Controller
from django import db

log = logging.getLogger(__name__)

_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:", re.IGNORECASE | re.MULTILINE)


def header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(separator)
        if index >= 0:
            return raw[:index]
    return raw


def with_message_id(raw: bytes, domain: str = "accord.inbound") -> bytes:
    """`raw` with a Message-ID header first, when it has none; the id is the bytes' hash."""
    if _MESSAGE_ID.search(header_block(raw)):
        return raw
    first = raw.find(b"\n")
    line_end = b"\r\n" if first > 0 and raw[first - 1 : first] == b"\r" else b"\n"
    digest = hashlib.sha256(raw).hexdigest()[:40]
    return b"Message-ID: <" + digest.encode() + b"@" + domain.encode() + b">" + line_end + raw


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) as a pair."""
    host, _, port = value.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def _store(raw: bytes) -> None:
    from accord.mailgate.inbound import receive

    try:
        receive(raw, "smtp")
    finally:
        db.connections.close_all()  # this executor thread's connections only


class IntakeHandler:
    def __init__(
        self, recipients: Iterable[str], max_bytes: int, store: Callable[[bytes], None] = _store
    ) -> None:
        self.recipients = {address.lower() for address in recipients}
        self.max_bytes = max_bytes
        self.store = store

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.lower() not in self.recipients:
            return "550 5.7.1 Relaying denied: not a local recipient"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > self.max_bytes:
            return "552 5.3.4 Message too big"
        if not envelope.rcpt_tos:
            return "554 5.5.1 No valid recipients"
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.store, with_message_id(raw))
        except Exception:
            log.exception("inbound mail could not be stored")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 2.0.0 Message accepted"


def controller(
    host: str,
    port: int,
    *,
    recipients: Iterable[str],
    max_bytes: int,
    store: Callable[[bytes], None] = _store,
) -> Controller:
    """A started-on-demand aiosmtpd controller for Accord's handler."""
    return Controller(
        IntakeHandler(recipients, max_bytes, store),
        hostname=host,
        port=port,
        data_size_limit=max_bytes,
        decode_data=False,
    )
