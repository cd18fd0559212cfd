"""Throw-away OpenPGP keys for tests, made with gpg in a temporary home (fast ed25519/cv25519)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class TestKey:
    home: Path
    fingerprint: str
    public: str

    def _gpg(self, *args: str, data: bytes = b"") -> bytes:
        return subprocess.run(
            [
                "gpg",
                "--homedir",
                str(self.home),
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--local-user",
                self.fingerprint,
                *args,
            ],
            input=data,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout

    def clearsign(self, text: bytes) -> bytes:
        return self._gpg("--clearsign", data=text)

    def detach_sign(self, data: bytes) -> str:
        return self._gpg("--armor", "--detach-sign", data=data).decode()


def make_key(home: Path, email: str) -> TestKey:
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    base = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(
        [*base, "--quick-gen-key", f"Test <{email}>", "ed25519", "sign", "never"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    listing = subprocess.run(
        [*base, "--with-colons", "--list-keys", email], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    subprocess.run(
        [*base, "--quick-add-key", fingerprint, "cv25519", "encr", "never"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    public = subprocess.run(
        [*base, "--armor", "--export", fingerprint], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return TestKey(home, fingerprint, public)
