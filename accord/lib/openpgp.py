"""OpenPGP for Accord: the only module that calls gpg.

Every operation runs in a private temporary GnuPG home (mode 0700) that holds only the keys passed in.
Nothing reads or writes a user's keyring, and a signature is checked against exactly the pinned keys
given to the call. The module is framework-free: no Django, no settings. Each public function takes an
optional ``gpg_binary`` (default ``"gpg"``).

Which homes are reused, and why: importing a secret key costs several gpg runs, an agent start and a
passphrase unlock, far more than a signature, and Accord signs every outbound mail with one key. So the
functions that use a secret key (``encrypt(sign_with=...)``, ``sign_mime``, ``sign_detached``,
``clearsign``, ``decrypt``, ``decrypt_verify``) share one home per (gpg binary, key bytes, passphrase),
kept for the life of the process (looked up by a salted hash; the passphrase is not stored), used by
one call at a time, and removed at exit or by ``close_signer_homes()``. Between calls it holds exactly
that secret key and its public part: a recipient key is given to gpg as a file (``--recipient-file``)
and never imported, and the pinned keys ``decrypt_verify`` imports are deleted again, or the home is
discarded. A new key or passphrase gets a new home and the old key's homes are dropped. Everything else
(inspecting keys, verifying signatures, encrypting unsigned, ``inspect_secret_key``, ``generate_key``)
runs in a fresh home deleted afterwards. What gpg makes of a public key's bytes is remembered, so that a
fan-out to the same few keys inspects each once; expiry is still judged at every call.

gpg is driven through python-gnupg, with a time limit on every gpg process. Errors are ``OpenPGPError``
with a sentence a person understands; gpg's own output is never shown.

Keep all OpenPGP here, so that the engine can be swapped without touching callers.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NoReturn

import gnupg

__all__ = [
    "KeyInfo",
    "OpenPGPError",
    "Verification",
    "clearsigned_body",
    "close_signer_homes",
    "decrypt",
    "decrypt_verify",
    "Decrypted",
    "without_signatures",
    "encrypt",
    "fingerprint_of",
    "generate_key",
    "inspect_key",
    "inspect_secret_key",
    "looks_clearsigned",
    "sign_detached",
    "sign_mime",
    "SecretKey",
    "MimeSignature",
    "verify_clearsigned",
    "verify_detached",
]

DEFAULT_GPG = "gpg"
MAX_KEY_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 30.0
# Passphrase hashing (S2K) iterations. A throw-away home re-protects an imported key with the fast
# count; a key Accord stores (the coordinator's) is exported with the stored one: gpg's own calibration
# reaches 65 million on a fast machine, which costs most of a second on every mail it signs.
FAST_S2K_COUNT = 65536
STORED_S2K_COUNT = 4194304

BEGIN_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"
BEGIN_SIGNATURE = b"-----BEGIN PGP SIGNATURE-----"
END_SIGNATURE = b"-----END PGP SIGNATURE-----"

# RFC 9580 public-key algorithm ids, as gpg prints them in field 4 of --with-colons listings.
ALGORITHM_NAMES = {
    1: "RSA",
    2: "RSA",  # encrypt-only (deprecated)
    3: "RSA",  # sign-only (deprecated)
    16: "ElGamal",
    17: "DSA",
    18: "ECDH",
    19: "ECDSA",
    20: "ElGamal",  # sign and encrypt (deprecated, refused by gpg)
    22: "EdDSA",
    25: "X25519",
    26: "X448",
    27: "Ed25519",
    28: "Ed448",
}
# Algorithms whose strength depends on the key size, and the ids the RFCs deprecate.
_SIZED_ALGORITHMS = {1, 2, 3, 16, 17, 20}
_DEPRECATED_ALGORITHMS = {2: "RSA encrypt-only", 3: "RSA sign-only", 20: "ElGamal sign-and-encrypt"}
MIN_BITS = 2048


class OpenPGPError(Exception):
    """An OpenPGP operation failed. ``str(error)`` is a sentence a person can act on."""


class _NotClearsigned(OpenPGPError):
    pass


@dataclass(frozen=True)
class KeyInfo:
    """One public key as gpg sees it now. ``armored`` is gpg's own export of it (public parts only).

    ``weak``: RSA, DSA or ElGamal under 2048 bits (the primary key or a usable subkey), or an algorithm
    id the RFCs deprecate (RSA encrypt-only or sign-only, ElGamal sign-and-encrypt). ``problems`` holds
    one short sentence per problem, e.g. "expired on 2026-01-01", "revoked", "weak: RSA 1024 bits",
    "no encryption subkey". Revoked user IDs are left out of ``user_ids``.
    """

    fingerprint: str
    user_ids: list[str]
    algorithm: str
    bits: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    expired: bool
    can_encrypt: bool
    can_sign: bool
    weak: bool
    problems: list[str]
    armored: str


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a signature against pinned keys.

    "verified" only when every signature gpg found is good, made by a key that is neither expired nor
    revoked, and whose primary fingerprint is pinned; ``fingerprint`` and ``signed_at`` are set only
    then. Anything else that carries a signature is "failed", with ``detail`` saying why; "unsigned"
    means there was no signature at all.
    """

    status: str  # "verified" | "failed" | "unsigned"
    fingerprint: str | None
    signed_at: datetime | None
    detail: str

    @property
    def verified(self) -> bool:
        return self.status == "verified"


# --------------------------------------------------------------------------------------------------
# The temporary GnuPG home


class _TimedGPG(gnupg.GPG):
    """python-gnupg with a time limit: a gpg process that outlives it is killed."""

    timeout: float = TIMEOUT_SECONDS
    timed_out: bool = False

    def _collect_output(self, process: Any, result: Any, writer: Any = None, stdin: Any = None) -> Any:
        def kill() -> None:
            self.timed_out = True
            with contextlib.suppress(OSError):
                process.kill()

        timer = threading.Timer(self.timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            rc = super()._collect_output(process, result, writer, stdin)
        finally:
            timer.cancel()
        if self.timed_out:
            raise OpenPGPError(f"gpg did not finish within {self.timeout:.0f} seconds")
        return rc


class _Home:
    """A throw-away GNUPGHOME. Use as a context manager; everything in it is deleted on exit."""

    def __init__(self, gpg_binary: str = DEFAULT_GPG, *, s2k_count: int = FAST_S2K_COUNT):
        self.gpg_binary = gpg_binary
        self.s2k_count = s2k_count
        self._gpg: _TimedGPG | None = None
        self._agent_started = False
        # Not to be used again: a gpg process was killed here (a stale lock), or a key may be left over.
        self.broken = False
        self.path = ""

    def __enter__(self) -> _Home:
        # mkdtemp, not TemporaryDirectory: that one's finalizer would also run in a forked child and
        # delete a signer's home (below) that the parent still uses.
        self.path = tempfile.mkdtemp(prefix="accord-gpg-")
        os.chmod(self.path, 0o700)
        # The agent re-protects an imported secret key on first use. Its default calibrates the S2K count
        # to about 100 ms each time, costing seconds; this home is private and deleted with its copy.
        # A secret key exported from the home is protected with its s2k_count (STORED_S2K_COUNT).
        with open(os.path.join(self.path, "gpg-agent.conf"), "w", encoding="ascii") as conf:
            conf.write(f"s2k-count {self.s2k_count}\n")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if not self.path:
            return
        try:
            # gpg starts an agent only for secret keys; stop it, or it outlives its (deleted) home.
            if self._agent_started or any(n.startswith("S.gpg-agent") for n in os.listdir(self.path)):
                self._kill_agent()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = ""

    def _kill_agent(self) -> None:
        directory = os.path.dirname(self.gpg_binary)
        gpgconf = os.path.join(directory, "gpgconf") if directory else "gpgconf"
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [gpgconf, "--homedir", self.path, "--kill", "all"],
                capture_output=True,
                timeout=10,
                check=False,
            )

    def run(self, args: list[str], data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        """Run gpg directly (for listings python-gnupg does not parse the way we need)."""
        cmd = [self.gpg_binary, "--homedir", self.path, "--batch", "--no-tty", "--with-colons"]
        cmd += ["--fixed-list-mode", "--no-auto-key-retrieve", *args]
        try:
            return subprocess.run(  # noqa: S603 - fixed arguments, no shell
                cmd, input=data, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            self.broken = True
            raise OpenPGPError(f"gpg did not finish within {TIMEOUT_SECONDS:.0f} seconds")
        except OSError:
            raise OpenPGPError(f"gpg could not be started ({self.gpg_binary}); is GnuPG installed?")

    @property
    def timed_out(self) -> bool:
        return self.broken or (self._gpg is not None and self._gpg.timed_out)

    @property
    def gpg(self) -> _TimedGPG:
        if self._gpg is None:
            try:
                self._gpg = _TimedGPG(
                    gpgbinary=self.gpg_binary,
                    gnupghome=self.path,
                    # Never ask a pinentry program; never fetch keys from the network.
                    options=["--pinentry-mode", "loopback", "--no-auto-key-retrieve"],
                )
            except (OSError, ValueError):
                raise OpenPGPError(f"gpg could not be started ({self.gpg_binary}); is GnuPG installed?")
        return self._gpg

    def show_keys(self, data: bytes) -> list[_Cert]:
        """What the data holds, without importing it."""
        proc = self.run(["--show-keys"], data)
        return _parse_colons(proc.stdout.decode("utf-8", "replace"))

    def import_public(self, data: bytes) -> set[str]:
        """Import public keys (the caller has checked that the data holds no secret key), and return
        the primary fingerprints gpg reports as imported (IMPORT_OK: new or already there)."""
        result = self.gpg.import_keys(data)
        return {str(fingerprint).upper() for fingerprint in result.fingerprints}

    def import_secret(self, secret_key: str | bytes, passphrase: str | None) -> str:
        """Import one secret key into this home and return its primary fingerprint."""
        raw = _to_bytes(secret_key)
        certs = self.show_keys(raw)
        secret = [c for c in certs if c.secret]
        if not secret:
            raise OpenPGPError("This is not an OpenPGP secret key")
        if len(certs) != 1:
            raise OpenPGPError("Give exactly one secret key")
        self._agent_started = True
        self.gpg.import_keys(raw, passphrase=passphrase)
        listed = self.gpg.list_keys(secret=True)
        fingerprints = [k["fingerprint"] for k in listed]
        if secret[0].primary.fingerprint not in fingerprints:
            raise OpenPGPError("gpg could not import the secret key")
        return secret[0].primary.fingerprint


def _primary_fingerprints(gpg: _TimedGPG) -> list[str]:
    return [str(k["fingerprint"]).upper() for k in gpg.list_keys()]


def _to_bytes(data: str | bytes) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise OpenPGPError("Expected text or bytes")


def _passphrase(passphrase: str | None) -> str | None:
    # python-gnupg passes the passphrase as the first line of gpg's input. An empty one would make gpg
    # read the data as the passphrase, so "" means "no passphrase"; a line break would inject input.
    if not passphrase:
        return None
    if any(c in passphrase for c in "\r\n\x00"):
        raise OpenPGPError("A passphrase cannot contain line breaks or NUL characters")
    return passphrase


# --------------------------------------------------------------------------------------------------
# The signer's home: one secret key, imported once per process

# Importing a secret key (show-keys, import, listing, an agent start, the first S2K unlock) costs far
# more than the signature itself, and Accord signs every mail with the same key. So a home holding
# exactly that one secret key is kept for the life of the process, per (gpg binary, key bytes,
# passphrase), and lent to one call at a time. Between calls it holds nothing else: a recipient key
# is never imported (gpg reads it from a file), and the pinned keys a decrypt_verify imports are
# deleted before the home is given back; if that fails, the home is discarded.
MAX_SIGNER_KEYS = 1  # a new key or passphrase (accord keys generate --replace) drops the old key's homes
_SALT = os.urandom(16)  # the cache key is a salted hash: it must not be a test for the passphrase


class _PassphraseError(OpenPGPError):
    """A wrong or missing passphrase: the home made for it is not kept."""


@dataclass(eq=False)
class _Signer:
    home: _Home
    fingerprint: str  # the secret key's primary fingerprint
    key: bytes  # the cache key


class _Signers:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: OrderedDict[bytes, list[_Signer]] = OrderedDict()  # least recently used first
        self.live: set[_Signer] = set()  # idle or lent out, closed at exit
        self.imports = 0  # secret keys imported so far (tests count them)

    def take(self, key: bytes) -> _Signer | None:
        with self.lock:
            homes = self.idle.get(key)
            if homes is None:
                return None
            self.idle.move_to_end(key)
            return homes.pop() if homes else None

    def add(self, signer: _Signer) -> None:
        """A new home, lent out at once; older keys beyond MAX_SIGNER_KEYS lose their homes."""
        with self.lock:
            self.imports += 1
            self.live.add(signer)
            self.idle.setdefault(signer.key, [])
            self.idle.move_to_end(signer.key)
            dropped = []
            while len(self.idle) > MAX_SIGNER_KEYS:
                dropped += self.idle.popitem(last=False)[1]
        self._close(dropped)

    def give_back(self, signer: _Signer, keep: bool) -> None:
        with self.lock:
            homes = self.idle.get(signer.key)
            if keep and homes is not None and signer in self.live:
                homes.append(signer)
                return
        self._close([signer])  # discarded, or its key was dropped while it was lent out

    def close_all(self, *, lent_out: bool = False) -> None:
        """Close the idle homes now; a lent-out one is closed when it comes back (or now, at exit)."""
        with self.lock:
            dropped = [signer for homes in self.idle.values() for signer in homes]
            if lent_out:
                dropped = list(self.live)
            self.live.clear()
            self.idle.clear()
        self._close(dropped)

    def _close(self, signers: list[_Signer]) -> None:
        for signer in signers:
            with self.lock:
                self.live.discard(signer)
            signer.home.close()


_SIGNERS = _Signers()


def close_signer_homes() -> None:
    """Stop the kept signers' agents and delete their homes. The next signature imports its key again.

    For tests, and for a process that must stop using a key at once (a replaced key is dropped anyway
    when a new one is first used). A home lent to a call in another thread is closed when it returns.
    """
    _SIGNERS.close_all()


def _at_exit() -> None:
    _SIGNERS.close_all(lent_out=True)


def _forget_after_fork() -> None:
    # The child must not share the parent's homes (nor, at its exit, stop the parent's agents), and
    # a lock another thread held at the fork would never be released in the child.
    global _SIGNERS, _INSPECTED_LOCK
    _SIGNERS = _Signers()
    _INSPECTED_LOCK = threading.Lock()


atexit.register(_at_exit)
os.register_at_fork(after_in_child=_forget_after_fork)


def _cache_key(gpg_binary: str, raw: bytes, passphrase: str | None) -> bytes:
    digest = hashlib.sha256(_SALT)
    for part in (gpg_binary.encode("utf-8", "surrogateescape"), raw, (passphrase or "").encode("utf-8")):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()


@contextlib.contextmanager
def _signer_home(gpg_binary: str, secret_key: str | bytes, passphrase: str | None) -> Iterator[_Signer]:
    """Lend the home holding this secret key (importing it first if no home holds it yet)."""
    raw = _to_bytes(secret_key)
    key = _cache_key(gpg_binary, raw, passphrase)
    signer = _SIGNERS.take(key)
    if signer is None:
        home = _Home(gpg_binary).__enter__()
        try:
            signer = _Signer(home, home.import_secret(raw, passphrase), key)
        except BaseException:
            home.close()
            raise
        _SIGNERS.add(signer)
    keep = False
    try:
        yield signer
        keep = True
    except OpenPGPError as error:
        # A refused message leaves the home as it was; a wrong passphrase or a killed gpg does not.
        keep = not isinstance(error, _PassphraseError)
        raise
    finally:
        _SIGNERS.give_back(signer, keep and not signer.home.timed_out)


def _remove_imported(signer: _Signer, imported: set[str]) -> None:
    """Delete the keys a call imported, then check that the home holds only the signer's own key;
    if it holds anything else, it is not used again."""
    home = signer.home
    if others := sorted(imported - {signer.fingerprint}):
        home.run(["--yes", "--delete-keys", *others])
    if set(_primary_fingerprints(home.gpg)) != {signer.fingerprint}:
        home.broken = True


# --------------------------------------------------------------------------------------------------
# Key listings (gpg --with-colons, see gpg's doc/DETAILS)


@dataclass
class _Key:
    validity: str
    bits: int | None
    algorithm: int
    created: datetime
    expires: datetime | None
    capabilities: str
    fingerprint: str = ""

    def usable(self, now: datetime) -> bool:
        if self.validity in ("r", "e", "i", "n", "d"):
            return False
        return self.expires is None or self.expires > now


@dataclass
class _Cert:
    primary: _Key
    secret: bool
    subkeys: list[_Key] = field(default_factory=list)
    user_ids: list[tuple[str, str]] = field(default_factory=list)  # (validity, text)


_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


def _unescape(value: str) -> str:
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), value.encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "replace")


def _epoch(value: str) -> datetime | None:
    if not value:
        return None
    if "T" in value:  # ISO 8601 form, which gpg may use instead of seconds
        return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(value), UTC)


def _parse_key(fields: list[str]) -> _Key:
    fields = fields + [""] * (20 - len(fields))
    created = _epoch(fields[5]) or datetime.fromtimestamp(0, UTC)
    return _Key(
        validity=fields[1],
        bits=int(fields[2]) if fields[2].isdigit() and int(fields[2]) > 0 else None,
        algorithm=int(fields[3]) if fields[3].isdigit() else 0,
        created=created,
        expires=_epoch(fields[6]),
        capabilities=fields[11],
    )


def _parse_colons(text: str) -> list[_Cert]:
    certs: list[_Cert] = []
    last: _Key | None = None
    for line in text.splitlines():
        fields = line.split(":")
        kind = fields[0]
        if kind in ("pub", "sec"):
            last = _parse_key(fields)
            certs.append(_Cert(primary=last, secret=kind == "sec"))
        elif kind in ("sub", "ssb") and certs:
            last = _parse_key(fields)
            certs[-1].subkeys.append(last)
            certs[-1].secret = certs[-1].secret or kind == "ssb"
        elif kind == "fpr" and last is not None and not last.fingerprint and len(fields) > 9:
            last.fingerprint = fields[9].upper()
        elif kind == "uid" and certs and len(fields) > 9:
            certs[-1].user_ids.append((fields[1], _unescape(fields[9])))
            last = None
    return certs


def _algorithm_name(number: int) -> str:
    return ALGORITHM_NAMES.get(number, f"algorithm {number}")


def _weakness(key: _Key) -> str | None:
    if key.algorithm in _DEPRECATED_ALGORITHMS:
        return f"{_DEPRECATED_ALGORITHMS[key.algorithm]} is a deprecated algorithm"
    if key.algorithm in _SIZED_ALGORITHMS and (key.bits or 0) < MIN_BITS:
        return f"{_algorithm_name(key.algorithm)} {key.bits or 0} bits"
    return None


def _key_info(cert: _Cert, armored: str, now: datetime) -> KeyInfo:
    primary = cert.primary
    revoked = primary.validity == "r"
    expired = primary.validity == "e" or (primary.expires is not None and primary.expires <= now)
    alive = not revoked and not expired
    keys = [primary, *cert.subkeys]
    encrypting = [k for k in keys if "e" in k.capabilities]
    can_encrypt = alive and any(k.usable(now) for k in encrypting)
    can_sign = alive and any(k.usable(now) for k in keys if "s" in k.capabilities)

    problems: list[str] = []
    if revoked:
        problems.append("revoked")
    if expired:
        when = primary.expires.strftime("%Y-%m-%d") if primary.expires else "an unknown date"
        problems.append(f"expired on {when}")
    weak = False
    if reason := _weakness(primary):
        weak = True
        problems.append(f"weak: {reason}")
    for sub in cert.subkeys:
        if sub.usable(now) and (reason := _weakness(sub)):
            weak = True
            problems.append(f"weak subkey: {reason}")
    if not encrypting:
        problems.append("no encryption subkey")
    elif alive and not can_encrypt:
        problems.append("no usable encryption subkey: each one is expired or revoked")
    if alive and not can_sign:
        problems.append("no usable signing key")

    # Revoked user IDs are no longer claimed by the key holder; keep them only if nothing else is left.
    user_ids = [uid for validity, uid in cert.user_ids if validity != "r" or revoked]
    if not user_ids:
        user_ids = [uid for _, uid in cert.user_ids]
    return KeyInfo(
        fingerprint=primary.fingerprint,
        user_ids=user_ids,
        algorithm=_algorithm_name(primary.algorithm),
        bits=primary.bits,
        created_at=primary.created,
        expires_at=primary.expires,
        revoked=revoked,
        expired=expired,
        can_encrypt=can_encrypt,
        can_sign=can_sign,
        weak=weak,
        problems=problems,
        armored=armored,
    )


def _inspect_in(home: _Home, data: str | bytes) -> tuple[_Cert, str]:
    """The one public key in ``data`` as gpg keeps it after import (cleaned), and gpg's armoured export."""
    raw = _to_bytes(data)
    if len(raw) > MAX_KEY_BYTES:
        raise OpenPGPError("The key is larger than 1 MiB, which is far more than any public key needs")
    if not raw.strip():
        raise OpenPGPError("No key was given")
    certs = home.show_keys(raw)
    if any(cert.secret for cert in certs):
        raise OpenPGPError("This is a secret key: upload the public key only")
    if not certs:
        raise OpenPGPError("This is not an OpenPGP public key")
    if len(certs) > 1:
        raise OpenPGPError("This holds more than one key. Upload one key at a time")
    fingerprint = certs[0].primary.fingerprint
    home.import_public(raw)
    if fingerprint not in _primary_fingerprints(home.gpg):
        raise OpenPGPError("gpg could not use this key: it has no valid user ID or self-signature")
    armored = home.gpg.export_keys([fingerprint], armor=True)
    exported = home.show_keys(armored.encode("ascii"))
    if len(exported) != 1 or exported[0].primary.fingerprint != fingerprint:
        raise OpenPGPError("gpg could not use this key")
    return exported[0], armored


# What gpg makes of the same key bytes does not change, so a successful inspection is remembered: a
# fan-out encrypts to the same few vendor keys thousands of times. Only the listing is kept; whether
# the key has expired is worked out again from its dates on every call (``_key_info``).
_INSPECTED: OrderedDict[bytes, tuple[_Cert, str]] = OrderedDict()
_INSPECTED_LOCK = threading.Lock()
_INSPECTED_MAX = 512
_INSPECTED_MAX_KEY_BYTES = 64 * 1024


def _inspected(data: str | bytes, gpg_binary: str) -> KeyInfo:
    raw = _to_bytes(data)
    digest = hashlib.sha256(gpg_binary.encode("utf-8", "surrogateescape") + b"\0" + raw).digest()
    with _INSPECTED_LOCK:
        found = _INSPECTED.get(digest)
        if found is not None:
            _INSPECTED.move_to_end(digest)
    if found is None:
        with _Home(gpg_binary) as home:
            found = _inspect_in(home, raw)
        if len(raw) <= _INSPECTED_MAX_KEY_BYTES:
            with _INSPECTED_LOCK:
                _INSPECTED[digest] = found
                while len(_INSPECTED) > _INSPECTED_MAX:
                    _INSPECTED.popitem(last=False)
    return _key_info(found[0], found[1], datetime.now(UTC))


# --------------------------------------------------------------------------------------------------
# Public interface: keys


def inspect_key(data: str | bytes, *, gpg_binary: str = DEFAULT_GPG) -> KeyInfo:
    """Everything Accord needs to know about exactly one public key (armoured or binary).

    A secret key is refused without being imported anywhere.
    """
    return _inspected(data, gpg_binary)


def fingerprint_of(data: str | bytes, *, gpg_binary: str = DEFAULT_GPG) -> str:
    return inspect_key(data, gpg_binary=gpg_binary).fingerprint


# --------------------------------------------------------------------------------------------------
# Public interface: signatures


def looks_clearsigned(data: bytes) -> bool:
    return bytes(data).lstrip().startswith(BEGIN_SIGNED)


@dataclass(frozen=True)
class _Clearsigned:
    body: bytes
    trailing: bytes


def _split_clearsigned(data: bytes) -> _Clearsigned:
    """Cut a clearsigned message into its parts, refusing text the signature would not cover."""
    lines = data.split(b"\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines) or lines[i].strip() != BEGIN_SIGNED:
        if any(line.strip() == BEGIN_SIGNED for line in lines):
            raise OpenPGPError(
                "The message has text before the signed part, which the signature does not cover"
            )
        raise _NotClearsigned("This is not a clearsigned message")
    i += 1
    dash_escaped = True
    while i < len(lines) and lines[i].rstrip(b"\r \t"):  # armour headers ("Hash: SHA256"), then a blank line
        if lines[i].lower().startswith(b"notdashescaped:"):
            dash_escaped = False
        i += 1
    if i == len(lines):
        raise OpenPGPError("The signed message is damaged: it has no text part")
    i += 1
    body: list[bytes] = []
    while i < len(lines) and lines[i].rstrip(b"\r \t") != BEGIN_SIGNATURE:
        line = lines[i]
        if dash_escaped and line.startswith(b"- "):
            line = line[2:]
        body.append(line)
        i += 1
    if i == len(lines):
        raise OpenPGPError("The signed message is damaged: it has no signature block")
    while i < len(lines) and lines[i].rstrip(b"\r \t") != END_SIGNATURE:
        i += 1
    if i == len(lines):
        raise OpenPGPError("The signed message is damaged: its signature block does not end")
    trailing = b"\n".join(lines[i + 1 :])
    text = b"\n".join(body)
    if text.endswith(b"\r"):  # the line break before the signature belongs to the armour
        text = text[:-1]
    return _Clearsigned(body=text, trailing=trailing)


def clearsigned_body(data: bytes) -> bytes:
    """The signed text of a clearsigned message, dash-unescaped, for display.

    This does not verify anything: show it as signed only after ``verify_clearsigned`` said so.
    """
    parts = _split_clearsigned(bytes(data))
    if parts.trailing.strip():
        raise OpenPGPError("The message has text after the signature, which the signature does not cover")
    return parts.body


_ARMOUR_LINE = re.compile(rb"^-----(BEGIN|END) PGP ([A-Z ,/0-9]+?)-----[ \t\r]*$")
HIDDEN_BLOCK = b"[OpenPGP block not shown]"


def without_signatures(data: bytes) -> bytes:
    """The text with every OpenPGP armour removed, for readers who may not see who signed it.

    A clearsigned part keeps only its signed text (armour headers dropped, dash-escaping
    undone); its signature block, and any other armoured block (a detached signature, a key,
    a message), which carries issuer fingerprints, key ids and user ids, is dropped. Line
    endings are kept. Pure text work: nothing is verified here.
    """
    out: list[bytes] = []
    lines = bytes(data).split(b"\n")
    i = 0
    while i < len(lines):
        match = _ARMOUR_LINE.match(lines[i])
        if match is None or match.group(1) != b"BEGIN":
            out.append(lines[i])
            i += 1
            continue
        label = match.group(2)
        i += 1
        if label == b"SIGNED MESSAGE":
            while i < len(lines) and lines[i].rstrip(b"\r \t"):  # armour headers, up to a blank line
                i += 1
            i += 1
            while i < len(lines) and not _is_armour(lines[i], b"BEGIN", b"SIGNATURE"):
                line = lines[i]
                out.append(line[2:] if line.startswith(b"- ") else line)
                i += 1
            label = b"SIGNATURE"
            i += 1
            if out and out[-1].endswith(b"\r"):  # the line break before the armour is the armour's
                out[-1] = out[-1][:-1]
        else:
            out.append(HIDDEN_BLOCK)
        while i < len(lines) and not _is_armour(lines[i], b"END", label):
            i += 1
        i += 1  # the END line
    return b"\n".join(out)


def _is_armour(line: bytes, edge: bytes, label: bytes) -> bool:
    match = _ARMOUR_LINE.match(line)
    return match is not None and match.group(1) == edge and match.group(2) == label


_UNSIGNED = Verification(status="unsigned", fingerprint=None, signed_at=None, detail="No signature")
NOT_PINNED = "The signature was made by a key that is not pinned for this organisation"
CHANGED = "The text was changed after it was signed"
DAMAGED = "The signature is damaged or is not an OpenPGP signature"


def _failed(detail: str) -> Verification:
    return Verification(status="failed", fingerprint=None, signed_at=None, detail=detail)


def _status_lines(stderr: str) -> list[tuple[str, list[str]]]:
    out = []
    for line in stderr.splitlines():
        if line.startswith("[GNUPG:] "):
            words = line[9:].split()
            if words:
                out.append((words[0], words[1:]))
    return out


_SIGNATURE_STATUS = {"GOODSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "BADSIG", "ERRSIG", "VALIDSIG"}


def _judge(stderr: str, returncode: int | None, pinned: set[str]) -> Verification:
    """Turn gpg's status lines into a Verification. Anything short of a clean success fails."""
    signatures: list[dict[str, list[str]]] = []
    trouble = False
    for keyword, args in _status_lines(stderr):
        if keyword == "NEWSIG":
            signatures.append({})
        elif keyword in _SIGNATURE_STATUS:
            if not signatures:
                signatures.append({})
            signatures[-1][keyword] = args
        elif keyword in ("ERROR", "FAILURE", "UNEXPECTED", "BADARMOR", "NODATA"):
            trouble = True
    if not signatures:
        return _failed(DAMAGED)

    for sig in signatures:
        valid = sig.get("VALIDSIG", [])
        primary = valid[9].upper() if len(valid) > 9 else None
        if "BADSIG" in sig:
            return _failed(CHANGED)
        if "ERRSIG" in sig:
            errsig = sig["ERRSIG"]
            code = errsig[5] if len(errsig) > 5 else ""
            if code == "9":  # no public key: the signer is not among the pinned keys
                return _failed(NOT_PINNED)
            if code == "4":
                return _failed("The signature uses an algorithm gpg does not support")
            return _failed("The signature could not be checked")
        key = f"The signing key {primary}" if primary else "The signing key"
        if "EXPKEYSIG" in sig:
            return _failed(f"{key} has expired")
        if "REVKEYSIG" in sig:
            return _failed(f"{key} has been revoked")
        if "EXPSIG" in sig:
            return _failed("The signature has expired")
        if "GOODSIG" not in sig or primary is None:
            return _failed("The signature could not be checked")
        if primary not in pinned:
            return _failed(NOT_PINNED)
        if len(valid) > 8 and valid[8] not in ("00", "01"):
            return _failed("This is not a signature over a document")
    if trouble or returncode != 0:
        return _failed("gpg reported a problem with the signed data, so the signature does not count")

    valid = signatures[0]["VALIDSIG"]
    fingerprint = valid[9].upper()
    return Verification(
        status="verified",
        fingerprint=fingerprint,
        signed_at=_epoch(valid[2]),
        detail=f"Good signature by {fingerprint}",
    )


def _import_pinned(home: _Home, pinned_keys: Iterable[str | bytes]) -> set[str]:
    """Import the pinned keys (one at a time: armoured and binary ones do not mix in one stream), and
    return the primary fingerprints of those gpg accepted: only keys given here, whatever else the
    home holds (a signer's home holds its own key).

    A pinned entry that is not a usable public key is skipped: it simply pins nothing.
    """
    given: set[str] = set()
    accepted: set[str] = set()
    for key in pinned_keys:
        blob = _to_bytes(key)
        if not blob.strip():
            continue
        certs = home.show_keys(blob)
        if any(cert.secret for cert in certs):
            raise OpenPGPError("A pinned key is a secret key; pin public keys only")
        given |= {cert.primary.fingerprint for cert in certs}
        accepted |= home.import_public(blob)
    return given & accepted


def verify_clearsigned(
    data: bytes, pinned_keys: Iterable[str], *, gpg_binary: str = DEFAULT_GPG
) -> Verification:
    """Verify a clearsigned text against exactly the pinned (armoured public) keys.

    "verified" only if gpg finds a good signature, made by a key whose primary fingerprint is pinned,
    and the whole message is covered: text before or after the signed part makes it "failed".
    """
    data = bytes(data)
    try:
        parts = _split_clearsigned(data)
    except _NotClearsigned:
        return _UNSIGNED
    except OpenPGPError as error:
        return _failed(str(error))
    if parts.trailing.strip():
        return _failed("The message has text after the signature, which the signature does not cover")
    with _Home(gpg_binary) as home:
        pinned = _import_pinned(home, pinned_keys)
        result = home.gpg.verify(data)
        return _judge(result.stderr or "", result.returncode, pinned)


def verify_detached(
    data: bytes, signature: str | bytes, pinned_keys: Iterable[str], *, gpg_binary: str = DEFAULT_GPG
) -> Verification:
    """Verify a detached signature (armoured or binary) over exactly these bytes."""
    sig = _to_bytes(signature)
    if not sig.strip():
        return _UNSIGNED
    with _Home(gpg_binary) as home:
        pinned = _import_pinned(home, pinned_keys)
        sig_path = os.path.join(home.path, "signature")
        fd = os.open(sig_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sig)
        result = home.gpg.verify_data(sig_path, bytes(data))
        return _judge(result.stderr or "", result.returncode, pinned)


# --------------------------------------------------------------------------------------------------
# Public interface: encryption and signing


def _status_keywords(stderr: str) -> set[str]:
    return {keyword for keyword, _ in _status_lines(stderr)}


_GPG_ERR_BAD_PASSPHRASE = 11
_GPG_ERR_NO_PASSPHRASE = 177


def _passphrase_problem(stderr: str, passphrase: str | None) -> str | None:
    codes = set()
    keywords = set()
    for keyword, args in _status_lines(stderr):
        keywords.add(keyword)
        if keyword in ("ERROR", "FAILURE") and args and args[-1].isdigit():
            codes.add(int(args[-1]) & 0xFFFF)
    if _GPG_ERR_BAD_PASSPHRASE in codes or "BAD_PASSPHRASE" in keywords:
        return "The passphrase of the secret key is wrong"
    needs = "NEED_PASSPHRASE" in keywords or "MISSING_PASSPHRASE" in keywords
    if passphrase is None and (needs or _GPG_ERR_NO_PASSPHRASE in codes):
        return "The secret key is protected by a passphrase, and none was given"
    return None


def _with_passphrase(
    home: _Home, args: list[str], data: bytes, passphrase: str | None
) -> subprocess.CompletedProcess[bytes]:
    """Run gpg on ``data`` with its status lines on stderr; the passphrase, if any, goes first on
    standard input (without one, gpg reports a protected key as such instead of a wrong passphrase)."""
    args = ["--status-fd", "2", "--pinentry-mode", "loopback", *args]
    if passphrase is None:
        return home.run(args, data)
    # Encoded as python-gnupg encodes it for the other operations on the same home.
    line = passphrase.encode(home.gpg.encoding) + b"\n"
    return home.run(["--passphrase-fd", "0", *args], line + data)


def _encrypt_in(
    home: _Home, data: bytes, recipient: KeyInfo, signer: str | None, passphrase: str | None
) -> bytes:
    # --recipient-file: gpg encrypts to the key in the file without importing it, so the home never
    # holds a recipient's key and no other key can be picked by mistake.
    fd, path = tempfile.mkstemp(prefix="recipient-", suffix=".asc", dir=home.path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(recipient.armored.encode("ascii"))
        args = ["--armor", "--trust-model", "always", "--no-encrypt-to", "--no-default-recipient"]
        args += ["--recipient-file", path, "--encrypt"]
        if signer:
            args += ["--sign", "--local-user", signer]
        proc = _with_passphrase(home, args, bytes(data), passphrase if signer else None)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    stderr = proc.stderr.decode("utf-8", "replace")
    keywords = _status_keywords(stderr)
    if proc.returncode != 0 or "END_ENCRYPTION" not in keywords or (signer and "SIG_CREATED" not in keywords):
        if problem := _passphrase_problem(stderr, passphrase):
            raise _PassphraseError(problem)
        if "INV_SGNR" in keywords:
            raise OpenPGPError("The signing key cannot sign: it may be expired, revoked or not a signing key")
        raise OpenPGPError("gpg could not encrypt the message")
    return proc.stdout


def encrypt(
    data: bytes,
    recipient_key: str,
    *,
    sign_with: str | None = None,
    passphrase: str | None = None,
    gpg_binary: str = DEFAULT_GPG,
) -> bytes:
    """ASCII-armoured encryption of ``data`` to exactly one recipient key, optionally signed.

    Never several recipients: the key ids in one message would tell each recipient who the others are.
    """
    passphrase = _passphrase(passphrase)
    info = _inspected(recipient_key, gpg_binary)
    if info.revoked or info.expired or not info.can_encrypt:
        reasons = "; ".join(info.problems) or "no usable encryption subkey"
        raise OpenPGPError(f"Cannot encrypt to key {info.fingerprint}: {reasons}")
    if not sign_with:
        with _Home(gpg_binary) as home:
            return _encrypt_in(home, data, info, None, None)
    with _signer_home(gpg_binary, sign_with, passphrase) as signer:
        return _encrypt_in(signer.home, data, info, signer.fingerprint, passphrase)


def _signed(home: _Home, data: bytes, signer: str, passphrase: str | None, *, clearsign: bool = False) -> Any:
    result = home.gpg.sign(
        bytes(data), keyid=signer, detach=not clearsign, clearsign=clearsign, passphrase=passphrase
    )
    if not result.fingerprint or result.returncode != 0:
        if problem := _passphrase_problem(result.stderr or "", passphrase):
            raise _PassphraseError(problem)
        raise OpenPGPError("gpg could not sign: the key may be expired, revoked or not a signing key")
    return result


def sign_detached(
    data: bytes, secret_key: str, passphrase: str | None = None, *, gpg_binary: str = DEFAULT_GPG
) -> str:
    """An ASCII-armoured detached signature over exactly these bytes (binary mode, no newline changes)."""
    passphrase = _passphrase(passphrase)
    with _signer_home(gpg_binary, secret_key, passphrase) as signer:
        result = _signed(signer.home, data, signer.fingerprint, passphrase)
        return bytes(result.data).decode("ascii")


def decrypt(
    data: bytes, secret_key: str, passphrase: str | None = None, *, gpg_binary: str = DEFAULT_GPG
) -> bytes:
    """Decrypt an OpenPGP message (armoured or binary) with one secret key. Signatures are not checked."""
    passphrase = _passphrase(passphrase)
    with _signer_home(gpg_binary, secret_key, passphrase) as signer:
        result = signer.home.gpg.decrypt(bytes(data), passphrase=passphrase)
        keywords = _status_keywords(result.stderr or "")
        if result.ok and "DECRYPTION_OKAY" in keywords and "DECRYPTION_FAILED" not in keywords:
            return bytes(result.data)
        _decryption_error(result.stderr or "", keywords, passphrase)


@dataclass(frozen=True)
class Decrypted:
    """A decrypted message and what its inner signature (sign+encrypt in one message) says:
    "unsigned" when it carried none."""

    data: bytes
    verification: Verification


def decrypt_verify(
    data: bytes,
    secret_key: str,
    passphrase: str | None,
    pinned_keys: Iterable[str],
    *,
    gpg_binary: str = DEFAULT_GPG,
) -> Decrypted:
    """Decrypt with one secret key and judge a signature inside the message (RFC 4880 sign and
    encrypt, as mail clients do for PGP/MIME) against exactly the pinned keys, in one gpg run.
    Errors as ``decrypt``."""
    passphrase = _passphrase(passphrase)
    pinned_keys = list(pinned_keys)
    with _signer_home(gpg_binary, secret_key, passphrase) as signer:
        home = signer.home
        pinned: set[str] = set()
        try:
            pinned = _import_pinned(home, pinned_keys)
            if signer.fingerprint in pinned:  # merged into the secret key's own: do not keep this home
                home.broken = True
            result = home.gpg.decrypt(bytes(data), passphrase=passphrase)
        finally:
            if pinned_keys:
                _remove_imported(signer, pinned)
        stderr = result.stderr or ""
        keywords = _status_keywords(stderr)
        if not (result.ok and "DECRYPTION_OKAY" in keywords and "DECRYPTION_FAILED" not in keywords):
            _decryption_error(stderr, keywords, passphrase)
        if not keywords & _SIGNATURE_STATUS:
            return Decrypted(bytes(result.data), _UNSIGNED)
        # A bad or unknown signature makes gpg exit non-zero although it decrypted: judge the
        # signature by its own status lines only.
        return Decrypted(bytes(result.data), _judge(stderr, 0, pinned))


def _decryption_error(stderr: str, keywords: set[str], passphrase: str | None) -> NoReturn:
    if problem := _passphrase_problem(stderr, passphrase):
        raise _PassphraseError(problem)
    if "NO_SECKEY" in keywords:
        raise OpenPGPError("The message is not encrypted to this key")
    if "BEGIN_DECRYPTION" not in keywords and "DECRYPTION_FAILED" not in keywords:
        raise OpenPGPError("This is not an encrypted OpenPGP message")
    raise OpenPGPError("The message could not be decrypted; it may be damaged")


# --------------------------------------------------------------------------------------------------
# Public interface: a key of one's own (the coordinator's)

# RFC 4880 §9.4 hash algorithm ids, as gpg's SIG_CREATED reports them, and their RFC 3156 micalg names.
_MICALG = {"1": "pgp-md5", "2": "pgp-sha1", "3": "pgp-ripemd160", "8": "pgp-sha256", "9": "pgp-sha384"}
_MICALG |= {"10": "pgp-sha512", "11": "pgp-sha224"}
_USER_ID_FORBIDDEN = re.compile(r"[<>()\x00-\x1f\x7f]")


def _run_with_passphrase(
    home: _Home, args: list[str], passphrase: str | None
) -> subprocess.CompletedProcess[bytes]:
    """Run gpg reading the passphrase (possibly empty: no protection) from its standard input."""
    line = (passphrase or "").encode("utf-8") + b"\n"
    return home.run(["--pinentry-mode", "loopback", "--passphrase-fd", "0", *args], line)


def generate_key(
    name: str, email: str, passphrase: str | None = None, *, gpg_binary: str = DEFAULT_GPG
) -> str:
    """A new key pair, returned as the armoured secret key (which holds the public key too).

    Ed25519 for signing (the primary key) and Curve25519 for encryption (a subkey), without expiry.
    With a passphrase, the secret key is protected by it; without one, it is not.
    """
    passphrase = _passphrase(passphrase)
    name, email = name.strip(), email.strip()
    if not name or _USER_ID_FORBIDDEN.search(name):
        raise OpenPGPError("Give a name without angle brackets, parentheses or control characters")
    if not re.fullmatch(r"[^@\s<>()]+@[^@\s<>()]+", email):
        raise OpenPGPError(f"{email!r} is not an email address")
    with _Home(gpg_binary, s2k_count=STORED_S2K_COUNT) as home:
        home._agent_started = True
        made = _run_with_passphrase(
            home, ["--quick-gen-key", f"{name} <{email}>", "ed25519", "sign", "never"], passphrase
        )
        certs = _parse_colons(home.run(["--list-secret-keys"]).stdout.decode("utf-8", "replace"))
        if made.returncode != 0 or len(certs) != 1:
            raise OpenPGPError("gpg could not generate the key")
        fingerprint = certs[0].primary.fingerprint
        added = _run_with_passphrase(
            home, ["--quick-add-key", fingerprint, "cv25519", "encr", "never"], passphrase
        )
        exported = _run_with_passphrase(home, ["--armor", "--export-secret-keys", fingerprint], passphrase)
        if added.returncode != 0 or exported.returncode != 0 or not exported.stdout:
            raise OpenPGPError("gpg could not generate the key")
        return exported.stdout.decode("ascii")


def clearsign(
    text: str, secret_key: str | bytes, passphrase: str | None = None, *, gpg_binary: str = DEFAULT_GPG
) -> str:
    """The text as an OpenPGP cleartext signed message (RFC 4880 §7), for files read by people and tools
    alike, such as security.txt (RFC 9116 §2.3)."""
    passphrase = _passphrase(passphrase)
    with _signer_home(gpg_binary, secret_key, passphrase) as signer:
        result = _signed(signer.home, text.encode("utf-8"), signer.fingerprint, passphrase, clearsign=True)
        return bytes(result.data).decode("utf-8")


@dataclass(frozen=True)
class MimeSignature:
    """A detached signature for RFC 3156 multipart/signed: the armour and the ``micalg`` parameter."""

    armored: str
    micalg: str


def _sign_in(home: _Home, data: bytes, signer: str, passphrase: str | None) -> MimeSignature:
    result = _signed(home, data, signer, passphrase)
    micalg = _MICALG.get(str(result.hash_algo))
    if micalg is None:
        raise OpenPGPError(f"gpg signed with hash algorithm {result.hash_algo}, which has no RFC 3156 name")
    return MimeSignature(armored=bytes(result.data).decode("ascii"), micalg=micalg)


def sign_mime(
    data: bytes, secret_key: str | bytes, passphrase: str | None = None, *, gpg_binary: str = DEFAULT_GPG
) -> MimeSignature:
    """A detached signature over exactly these bytes (the canonical, CRLF MIME entity of RFC 3156 §5)."""
    passphrase = _passphrase(passphrase)
    with _signer_home(gpg_binary, secret_key, passphrase) as signer:
        return _sign_in(signer.home, data, signer.fingerprint, passphrase)


@dataclass(frozen=True)
class SecretKey:
    """A secret key that signed with its passphrase: its public part described, and both armoured."""

    info: KeyInfo
    armored_secret: str
    protected: bool  # every secret (sub)key is protected by a passphrase


def inspect_secret_key(
    secret_key: str | bytes, passphrase: str | None = None, *, gpg_binary: str = DEFAULT_GPG
) -> SecretKey:
    """Exactly one secret key (armoured or binary), once it has proven that it signs with this passphrase.

    Anything else (not a key, a public key only, several keys, a wrong or missing passphrase, a key that
    cannot sign or encrypt) is an ``OpenPGPError``.
    """
    raw = _to_bytes(secret_key)
    if len(raw) > MAX_KEY_BYTES:
        raise OpenPGPError("The key is larger than 1 MiB, which is far more than any key needs")
    if not raw.strip():
        raise OpenPGPError("The file is empty")
    passphrase = _passphrase(passphrase)
    with _Home(gpg_binary, s2k_count=STORED_S2K_COUNT) as home:
        certs = home.show_keys(raw)
        if not certs:
            raise OpenPGPError("This is not an OpenPGP key")
        if not any(cert.secret for cert in certs):
            raise OpenPGPError(
                "This is a public key only: give the secret key (gpg --armor --export-secret-keys)"
            )
        signer = home.import_secret(raw, passphrase)
        _sign_in(home, b"Accord checks that this key signs.\r\n", signer, passphrase)
        exported = _run_with_passphrase(home, ["--armor", "--export-secret-keys", signer], passphrase)
        if exported.returncode != 0 or not exported.stdout:
            raise OpenPGPError("gpg could not export the secret key")
        public = home.gpg.export_keys([signer], armor=True)
        packets = home.run(["--list-packets"], exported.stdout).stdout.decode("utf-8", "replace")
    secret_packets = re.findall(r"^\s*skey\[\d+\]: \[(.*)\]$", packets, re.MULTILINE)
    protected = bool(secret_packets) and all("protected" in packet for packet in secret_packets)
    info = inspect_key(public, gpg_binary=gpg_binary)
    if info.revoked or info.expired or not info.can_sign or not info.can_encrypt:
        raise OpenPGPError(f"The key {info.fingerprint} cannot be used: {'; '.join(info.problems)}")
    return SecretKey(info=info, armored_secret=exported.stdout.decode("ascii"), protected=protected)
