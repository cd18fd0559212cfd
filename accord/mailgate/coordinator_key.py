"""The coordinator's own OpenPGP key: set up with `accord keys`, used to sign every outbound mail, and
published at /.well-known/openpgpkey.asc and on the policy page.

Where it lives, and why: two files in ``settings.OPENPGP_DIR`` (``ACCORD_DATA_DIR/openpgp``, mode 0700),

- ``coordinator-secret.asc``: the armoured secret key, mode 0600, still protected by its passphrase;
- ``coordinator-public.asc``: gpg's export of the public part, which the web pages serve as it is.

Not the database: a dump or backup of the database must not carry the secret key, and every Accord
process (web, worker, scheduler) already shares the data directory. The passphrase is never stored by
Accord: it is read from the file named by ``ACCORD_OPENPGP_PASSPHRASE_FILE`` each time the key is used.
The public file is written from the same key as the secret one, so the two never disagree; the secret
file is written last, and it alone decides whether a key is set up.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from accord.lib import openpgp

SECRET_NAME = "coordinator-secret.asc"
PUBLIC_NAME = "coordinator-public.asc"


class KeyProblem(Exception):
    """The coordinator's key cannot be used. ``str(error)`` is a sentence a person can act on."""


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str
    armored: str
    user_ids: list[str]


def _directory() -> Path:
    return Path(settings.OPENPGP_DIR)


def is_set_up() -> bool:
    return (_directory() / SECRET_NAME).is_file()


def passphrase() -> str | None:
    """The passphrase from ACCORD_OPENPGP_PASSPHRASE_FILE, or None when that is unset."""
    path = settings.OPENPGP_PASSPHRASE_FILE
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyProblem(f"ACCORD_OPENPGP_PASSPHRASE_FILE: cannot read {path}: {exc.strerror}")
    except UnicodeDecodeError:
        raise KeyProblem(f"ACCORD_OPENPGP_PASSPHRASE_FILE: {path} is not UTF-8 text")
    value = text.rstrip("\r\n")  # the line break an editor adds is not part of the passphrase
    if not value:
        raise KeyProblem(f"ACCORD_OPENPGP_PASSPHRASE_FILE: {path} is empty")
    return value


def public_key() -> PublicKey | None:
    """The published key, or None when no key is set up. Reads files only: no gpg."""
    if not is_set_up():
        return None
    try:
        armored = (_directory() / PUBLIC_NAME).read_text(encoding="ascii")
        fingerprint, *user_ids = (
            (_directory() / (PUBLIC_NAME + ".info")).read_text(encoding="utf-8").splitlines()
        )
    except (OSError, ValueError):
        return None
    return PublicKey(fingerprint=fingerprint, armored=armored, user_ids=user_ids)


def signing_key() -> tuple[str, str | None] | None:
    """(armoured secret key, passphrase) to sign with, or None when no key is set up."""
    if not is_set_up():
        return None
    try:
        secret = (_directory() / SECRET_NAME).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(f"The coordinator's secret key cannot be read: {exc}")
    return secret, passphrase()


def _write(path: Path, text: str, mode: int) -> None:
    """Write atomically (a temporary file renamed over the old one) with these permissions."""
    temporary = path.with_name(path.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def install(secret_key: str | bytes, passphrase_value: str | None) -> openpgp.SecretKey:
    """Check a secret key (it must sign with this passphrase) and make it the coordinator's key.

    With a passphrase configured, a key without one is refused: the file on disk would not be
    protected, whatever the setting suggests. gpg runs here: call it outside any database transaction.
    """
    checked = openpgp.inspect_secret_key(secret_key, passphrase_value)
    if passphrase_value and not checked.protected:
        raise KeyProblem(
            "This secret key has no passphrase, but ACCORD_OPENPGP_PASSPHRASE_FILE names one: protect"
            f" the key with it first (gpg --edit-key {checked.info.fingerprint} passwd), or unset the variable"
        )
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    info = checked.info
    _write(directory / PUBLIC_NAME, info.armored, 0o644)
    _write(directory / (PUBLIC_NAME + ".info"), "\n".join([info.fingerprint, *info.user_ids]) + "\n", 0o644)
    _write(directory / SECRET_NAME, checked.armored_secret, 0o600)
    return checked
