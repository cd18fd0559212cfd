"""security.txt discovery (RFC 9116) with a guarded fetcher.

`discover(domain)` fetches https://<domain>/.well-known/security.txt, then
https://<domain>/security.txt, parses what it finds with `sectxt`, and proposes what an
analyst may accept: contact addresses, key URLs, policy, expiry.

The fetcher guards the server it runs on (SSRF):
- https only, on the default port; http and explicit ports only when
  ACCORD_SECURITY_TXT_ALLOW_LOOPBACK is on (tests), and then only to loopback;
- the host name is resolved once and every address checked: private, loopback,
  link-local, multicast, reserved, unspecified and other non-global addresses are
  refused (loopback only when the setting allows it), and so are IPv6 addresses that
  lead to such an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64); the connection then
  goes to the checked address, so a second DNS answer cannot redirect it;
- at most 3 redirects, each target checked the same way;
- one deadline (ACCORD_SECURITY_TXT_TIMEOUT seconds) for the whole fetch, redirects
  included, and at most 64 KiB read, in chunks.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import sectxt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

MAX_BYTES = 64 * 1024
MAX_KEY_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
CHUNK = 8192
USER_AGENT = "Accord security.txt discovery (+https://www.rfc-editor.org/rfc/rfc9116)"
PATHS = ("/.well-known/security.txt", "/security.txt")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class DiscoveryError(Exception):
    """Discovery failed; `str()` is a sentence for the analyst."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Refused(DiscoveryError):
    """The address or URL is not one Accord fetches from (private ranges, http, odd ports)."""


class NotFound(DiscoveryError):
    """The server answered with an HTTP error status (404 and the like)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


@dataclass
class Fetched:
    url: str
    body: bytes
    content_type: str
    redirects: list[str] = field(default_factory=list)


# --- Checking addresses -----------------------------------------------------------------------------


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "SECURITY_TXT_ALLOW_LOOPBACK", False))


def _timeout() -> float:
    return float(getattr(settings, "SECURITY_TXT_TIMEOUT", 10))


# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _wrapped(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address leads to (6to4, Teredo, NAT64), each to be checked.

    Python's tables call a 6to4 address wrapping 127.0.0.1 global, so the range of the IPv6
    address alone says nothing about where a relay would deliver the request.
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    wrapped = []
    if ip.sixtofour is not None:
        wrapped.append(("a 6to4 address", ip.sixtofour))
    if ip.teredo is not None:
        server, client = ip.teredo
        wrapped += [("a Teredo address", server), ("a Teredo address", client)]
    if ip in _NAT64:
        wrapped.append(("a NAT64 address", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return wrapped


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `ip` is not a public address (loopback is checked apart), or None."""
    for test, words in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return words
    return None


def check_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address if Accord may connect to it; Refused naming the range otherwise."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, inner in _wrapped(ip):
        problem = "a loopback address" if inner.is_loopback else _not_public(inner)
        if problem:
            raise Refused(
                f"{ip} is {kind} wrapping {inner}, {problem}: Accord fetches only from public addresses."
            )
    if ip.is_loopback:
        if _loopback_allowed():
            return ip
        raise Refused(f"{ip} is a loopback address: Accord does not fetch from its own machine.")
    problem = _not_public(ip)
    if problem:
        raise Refused(f"{ip} is {problem}: Accord fetches only from public addresses.")
    return ip


def _hostname(host: str) -> str:
    """A host name in ASCII (IDNA), or an IP literal; Refused for anything else."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused(f"{host!r} is not a domain name such as example.com.")
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise Refused(f"{host!r} is not a domain name such as example.com.")
    return ascii_host


def parse_target(url: str) -> tuple[Target, str]:
    """Check a URL's scheme, host and port; returns the target and the path with its query."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused(f"{url!r} is not a URL Accord can fetch.")
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise Refused(f"{url!r}: Accord fetches only https URLs.")
    if scheme == "http" and not _loopback_allowed():
        raise Refused(f"{url!r}: Accord fetches only https URLs, never plain http.")
    if parts.username or parts.password:
        raise Refused(f"{url!r}: a URL with a user name or password is not fetched.")
    if not parts.hostname:
        raise Refused(f"{url!r} has no host.")
    default = 443 if scheme == "https" else 80
    if port not in (None, default) and not _loopback_allowed():
        raise Refused(f"{url!r}: Accord fetches only from the default https port.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, _hostname(parts.hostname), port or default), path


def target_for(domain: str) -> Target:
    """What an analyst typed ("example.com", "https://example.com/") as a fetch target."""
    text = (domain or "").strip()
    if not text:
        raise Refused("Enter a domain name such as example.com.")
    if "://" not in text:
        bracketed = text.startswith("[") and text.endswith("]")
        if "/" in text or "@" in text or (":" in text and not bracketed):
            raise Refused(f"{text!r} is not a domain name such as example.com.")
        text = "https://" + text
    target, _ = parse_target(text)
    return target


def _resolve(target: Target, deadline: float) -> str:
    """One checked address of the target's host (every address it has must pass)."""
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        return str(check_address(str(literal)))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(socket.getaddrinfo, target.host, target.port, type=socket.SOCK_STREAM)
        infos = future.result(timeout=max(0.1, deadline - time.monotonic()))
    except concurrent.futures.TimeoutError:
        raise DiscoveryError(f"Looking up {target.host} took too long.")
    except (socket.gaierror, UnicodeError, OSError):
        raise DiscoveryError(f"{target.host} does not resolve to an address.")
    finally:
        pool.shutdown(wait=False)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise DiscoveryError(f"{target.host} does not resolve to an address.")
    for address in addresses:
        try:
            check_address(address)
        except Refused as exc:
            raise Refused(f"{target.host} resolves to {exc.message}")
    return addresses[0]


# --- Fetching -----------------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked in advance, whatever DNS says later."""

    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _size(limit: int) -> str:
    return f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MiB"


def _left(deadline: float, url: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DiscoveryError(f"{url} did not answer within {_timeout():g} seconds.")
    return remaining


def fetch(url: str, *, max_bytes: int = MAX_BYTES) -> Fetched:
    """GET a public https URL under the guards above. Raises DiscoveryError (Refused, NotFound)."""
    deadline = time.monotonic() + _timeout()
    redirects: list[str] = []
    current = url
    while True:
        target, path = parse_target(current)
        address = _resolve(target, deadline)
        cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = cls(target, address, timeout=_left(deadline, current))
        try:
            connection.request(
                "GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/plain, */*;q=0.1"}
            )
            sock = connection.sock  # kept: the response may detach it from the connection
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise DiscoveryError(f"{current} redirects without saying where.")
                if len(redirects) >= MAX_REDIRECTS:
                    raise DiscoveryError(f"{url} redirects more than {MAX_REDIRECTS} times.")
                redirects.append(current)
                current = urljoin(current, location)
                continue
            if response.status != 200:
                raise NotFound(f"{current} answered HTTP {response.status}.")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise DiscoveryError(f"{current} is larger than {_size(max_bytes)}; it was not read.")
            body = bytearray()
            while True:
                if sock is not None:
                    sock.settimeout(_left(deadline, current))
                chunk = response.read1(CHUNK)  # one read at most: a slow sender meets the deadline
                if not chunk:
                    break
                body += chunk
                if len(body) > max_bytes:
                    raise DiscoveryError(f"{current} is larger than {_size(max_bytes)}; reading stopped.")
                _left(deadline, current)
            return Fetched(
                url=current,
                body=bytes(body),
                content_type=response.getheader("Content-Type", ""),
                redirects=redirects,
            )
        except TimeoutError:
            raise DiscoveryError(f"{current} did not answer within {_timeout():g} seconds.")
        except ssl.SSLError as exc:
            reason = getattr(exc, "verify_message", None) or exc.reason or "TLS failed"
            raise DiscoveryError(f"{target.host}'s TLS certificate could not be verified ({reason}).")
        except (http.client.HTTPException, OSError) as exc:
            raise DiscoveryError(f"{current} could not be fetched ({type(exc).__name__}).")
        finally:
            connection.close()


# --- Discovery ----------------------------------------------------------------------------------------


@dataclass
class Finding:
    """What a security.txt says, as proposals for the analyst."""

    url: str
    text: str
    contacts: list[str]  # email addresses from Contact: mailto: (proposed as "to" contacts)
    other_contacts: list[str]  # Contact: URLs and tel: numbers, shown for information
    encryption: list[str]  # Encryption: URLs (a key to fetch) and other forms
    policy: list[str]
    canonical: list[str]
    expires: dt.datetime | None
    expired: bool
    errors: list[str]
    recommendations: list[str]
    tried: list[str]

    @property
    def fetchable_keys(self) -> list[str]:
        return [url for url in self.encryption if url.lower().startswith(("https://", "http://"))]


def _values(parser: Any, name: str) -> list[str]:
    return [
        str(line["value"])
        for line in parser.lines
        if line.get("type") == "field" and line.get("field_name") == name
    ]


def _email_of(value: str) -> str | None:
    if not value.lower().startswith("mailto:"):
        return None
    address = value[7:].split("?", 1)[0].strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def _expires(values: list[str]) -> dt.datetime | None:
    for value in values:
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
    return None


def _message(item: dict[str, Any]) -> str:
    line = item.get("line")
    return f"line {line}: {item['message']}" if line else str(item["message"])


def parse(body: bytes, url: str, content_type: str = "", tried: list[str] | None = None) -> Finding:
    """Parse a fetched security.txt with sectxt's parser (sectxt's own fetching is never used)."""
    errors: list[str] = []
    recommendations: list[str] = []
    fields: dict[str, list[str]] = {}
    try:
        parser = sectxt.Parser(body, urls=url)
    except Exception as exc:  # a parser bug must not take the page down
        errors.append(f"The file could not be parsed ({type(exc).__name__}).")
    else:
        errors += [_message(e) for e in parser.errors]
        recommendations += [_message(r) for r in parser.recommendations]
        for name in ("contact", "encryption", "policy", "canonical", "expires"):
            fields[name] = _values(parser, name)
    media = content_type.split(";", 1)[0].strip().lower()
    if content_type and media != "text/plain":
        errors.append(f"The file is served as {media or 'an unknown type'}, not text/plain.")
    if not url.startswith("https://"):
        errors.append("The file was not served over https.")
    if not url.endswith("/.well-known/security.txt"):
        errors.append("The file is not at /.well-known/security.txt, where RFC 9116 puts it.")
    contacts: list[str] = []
    others: list[str] = []
    for value in fields.get("contact", []):
        email = _email_of(value)
        if email is None:
            others.append(value)
        elif email not in contacts:
            contacts.append(email)
    expires = _expires(fields.get("expires", []))
    return Finding(
        url=url,
        text=body.decode("utf-8", "replace"),
        contacts=contacts,
        other_contacts=others,
        encryption=fields.get("encryption", []),
        policy=fields.get("policy", []),
        canonical=fields.get("canonical", []),
        expires=expires,
        expired=expires is not None and expires <= timezone.now(),
        errors=errors,
        recommendations=recommendations,
        tried=list(tried or []),
    )


def discover(domain: str) -> Finding:
    """Find and parse the domain's security.txt: /.well-known/ first, then the legacy /security.txt.

    Raises Refused for a domain or address Accord does not fetch from, and DiscoveryError
    (naming every URL tried) when no file can be read.
    """
    target = target_for(domain)
    tried: list[str] = []
    failures: list[str] = []
    for path in PATHS:
        url = target.origin + path
        tried.append(url)
        try:
            fetched = fetch(url)
        except NotFound as exc:
            failures.append(exc.message)
            continue
        return parse(fetched.body, fetched.url, fetched.content_type, tried)
    raise DiscoveryError("No security.txt found: " + " ".join(failures))


def fetch_key(url: str) -> str | bytes:
    """An OpenPGP public key from an Encryption: URL, through the same guarded fetcher.

    Armoured text is returned as text, a binary key as bytes; the key upload action checks it.
    """
    fetched = fetch(url, max_bytes=MAX_KEY_BYTES)
    if b"-----BEGIN PGP" in fetched.body:
        return fetched.body.decode("utf-8", "replace")
    if fetched.body[:1] in (b"\x98", b"\x99", b"\xc6"):  # a binary public-key packet
        return fetched.body
    raise DiscoveryError(f"{fetched.url} does not hold an OpenPGP public key.")
