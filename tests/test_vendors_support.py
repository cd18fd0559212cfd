"""Helpers for the vendor-directory tests (no tests here): OpenPGP keys made once per run with
gpg in a temporary GNUPGHOME, and a local HTTP server for security.txt discovery.
"""

from __future__ import annotations

import atexit
import contextlib
import http.server
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

GPG = ["gpg", "--batch", "--no-tty", "--passphrase", "", "--pinentry-mode", "loopback"]


@dataclass(frozen=True)
class Keys:
    good: str  # ed25519 signing primary + cv25519 encryption subkey, no expiry
    good_fpr: str
    good_renewed: str  # the same key after its expiry was set: same fingerprint, new armour
    other: str  # a second good key
    other_fpr: str
    sign_only: str  # no encryption subkey
    expired: str  # expired in 2021 (it had an encryption subkey)
    expired_fpr: str
    revoked: str
    revoked_fpr: str
    weak: str  # RSA 1024 with an RSA 1024 encryption subkey
    weak_fpr: str
    secret: str  # the secret key of `good`


class _Gpg:
    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="accord-test-gpg-"))
        self.home.chmod(0o700)
        atexit.register(self.close)

    def run(self, *args: str, data: bytes | None = None) -> str:
        done = subprocess.run(
            [*GPG, "--homedir", str(self.home), *args],
            input=data,
            capture_output=True,
            check=True,
            timeout=120,
        )
        return done.stdout.decode()

    def fingerprint(self, uid: str) -> str:
        listing = self.run("--with-colons", "--list-keys", uid)
        return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))

    def make(
        self, uid: str, algo: str = "ed25519", sub: str = "cv25519", expire: str = "never", *extra: str
    ) -> str:
        self.run(*extra, "--quick-gen-key", uid, algo, "sign", expire)
        fpr = self.fingerprint(uid)
        if sub:
            self.run(*extra, "--quick-add-key", fpr, sub, "encr", expire)
        return fpr

    def export(self, fpr: str) -> str:
        return self.run("--armor", "--export", fpr)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            subprocess.run(
                ["gpgconf", "--homedir", str(self.home), "--kill", "all"], capture_output=True, timeout=10
            )
        shutil.rmtree(self.home, ignore_errors=True)


@cache
def make_keys() -> Keys:
    gpg = _Gpg()
    good = gpg.make("Vendor One PSIRT <psirt@vendor-one.test>")
    good_armor = gpg.export(good)
    secret = gpg.run("--armor", "--export-secret-keys", good)
    gpg.run("--quick-set-expire", good, "3y")
    gpg.run("--quick-set-expire", good, "3y", "*")
    renewed = gpg.export(good)
    other = gpg.make("Other Security <security@other.test>")
    sign_only = gpg.make("Sign Only <sign@vendor.test>", sub="")
    expired = gpg.make(
        "Old Key <old@vendor.test>",
        "ed25519",
        "cv25519",
        "2021-01-01",
        "--faked-system-time",
        "20200101T000000",
    )
    revoked = gpg.make("Revoked Key <revoked@vendor.test>")
    certificate = (gpg.home / "openpgp-revocs.d" / f"{revoked}.rev").read_text()
    gpg.run("--import", data=certificate.replace(":-----BEGIN", "-----BEGIN").encode())
    weak = gpg.make("Weak Key <weak@vendor.test>", "rsa1024", "rsa1024")
    return Keys(
        good=good_armor,
        good_fpr=good,
        good_renewed=renewed,
        other=gpg.export(other),
        other_fpr=other,
        sign_only=gpg.export(sign_only),
        expired=gpg.export(expired),
        expired_fpr=expired,
        revoked=gpg.export(revoked),
        revoked_fpr=revoked,
        weak=gpg.export(weak),
        weak_fpr=weak,
        secret=secret,
    )


# --- A local HTTP server ---------------------------------------------------------------------------------

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


class LocalServer:
    """A real HTTP server on 127.0.0.1 in a thread. `routes` maps a path to a handler."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[str] = []
        server = self

        class RequestHandler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                handler = server.routes.get(self.path)
                if handler is None:
                    self.send_error(404)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handler(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def text(self, path: str, body: str | bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        data = body.encode() if isinstance(body, str) else body

        def handle(request: http.server.BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)

        self.routes[path] = handle

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        def handle(request: http.server.BaseHTTPRequestHandler) -> None:
            request.send_response(status)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()

        self.routes[path] = handle

    def stream(self, path: str, chunk: bytes, count: int, pause: float = 0.0) -> None:
        """A body sent in `count` chunks without Content-Length (so size is found by reading)."""

        def handle(request: http.server.BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", "text/plain")
            request.end_headers()
            for _ in range(count):
                request.wfile.write(chunk)
                request.wfile.flush()
                if pause:
                    time.sleep(pause)

        self.routes[path] = handle

    def slow(self, path: str, delay: float) -> None:
        def handle(request: http.server.BaseHTTPRequestHandler) -> None:
            time.sleep(delay)
            request.send_response(200)
            request.send_header("Content-Type", "text/plain")
            request.send_header("Content-Length", "0")
            request.end_headers()

        self.routes[path] = handle

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def local_server() -> Iterator[LocalServer]:
    server = LocalServer()
    try:
        yield server
    finally:
        server.close()


def security_txt(
    *,
    contacts: list[str],
    encryption: list[str] = (),
    expires: str = "2099-01-01T00:00:00Z",
    policy: str = "",
) -> str:  # type: ignore[assignment]
    lines = [f"Contact: {c}" for c in contacts]
    lines += [f"Encryption: {url}" for url in encryption]
    if policy:
        lines.append(f"Policy: {policy}")
    lines.append(f"Expires: {expires}")
    return "\n".join(lines) + "\n"


def vendor_samples(world: Any) -> dict[str, str]:
    """Path values for the vendor routes in the authorization matrix (all in world.vendor_org)."""
    from accord.vendors import actions

    contact = actions.add_contact(world.vendor_org, "matrix@vendor-one.test", by=world.analyst)
    key = actions.upload_key(world.vendor_org, make_keys().good, by=world.analyst)
    pending = actions.add_contact(world.vendor_org, "pending@vendor-one.test", by=world.vendor)
    return {
        "contact_id": str(contact.pk),
        "key_id": str(key.pk),
        "kind": "contact",
        "item_id": str(pending.pk),
    }
