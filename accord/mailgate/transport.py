"""Delivery of rendered mail: SMTP (plain, STARTTLS or TLS) or a directory of .eml files."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Transport:
    scheme: str
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = ""
    directory: Path | None = None


def parse_smtp_url(url: str) -> Transport:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. "smtp://[::1" (an unclosed IPv6 address)
        raise ImproperlyConfigured(f"ACCORD_SMTP_URL is not a URL: {exc}")
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured("ACCORD_SMTP_URL file:// needs a directory path")
        return Transport("file", directory=Path(unquote(parts.path)))
    defaults = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
    if parts.scheme not in defaults:
        raise ImproperlyConfigured(
            f"ACCORD_SMTP_URL scheme {parts.scheme!r} is not one of smtp, smtp+starttls, smtps, file"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("ACCORD_SMTP_URL needs a host name")
    try:
        port = parts.port or defaults[parts.scheme]
    except ValueError:
        raise ImproperlyConfigured("ACCORD_SMTP_URL has a port that is not a number")
    return Transport(
        parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every SMTP connection, made once: loading the system's CA certificates
    costs about 20 ms, and a fan-out to 2,000 vendors sends thousands of mails. (A changed CA store is
    read at the next start.)"""
    return ssl.create_default_context()


def deliver(
    transport: Transport,
    sender: str,
    recipients: str | Sequence[str],
    data: bytes,
    *,
    name: str,
    timeout: int,
) -> None:
    """Send `data` to `recipients` (one organisation's addresses) or raise. `name` names the file
    in the file sink."""
    to = [recipients] if isinstance(recipients, str) else list(recipients)
    if transport.scheme == "file":
        assert transport.directory is not None
        transport.directory.mkdir(parents=True, exist_ok=True)
        target = transport.directory / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a reader never sees half a message
        return
    client: smtplib.SMTP
    if transport.scheme == "smtps":
        client = smtplib.SMTP_SSL(transport.host, transport.port, timeout=timeout, context=tls_context())
    else:
        client = smtplib.SMTP(transport.host, transport.port, timeout=timeout)
    with client:
        if transport.scheme == "smtp+starttls":
            client.starttls(context=tls_context())
        if transport.username:
            client.login(transport.username, transport.password)
        client.sendmail(sender, to, data)
