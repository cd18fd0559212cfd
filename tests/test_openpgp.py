"""accord.lib.openpgp against real gpg, with keys generated once per session in a temporary GNUPGHOME."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.lib import openpgp
from accord.lib.openpgp import OpenPGPError

GPG = "/usr/bin/gpg"
PASSPHRASE = "correct horse battery staple"
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TRICKY = (
    b"Line one\r\n"
    b"trailing spaces   \n"
    b"\ttabbed\tline\t\n"
    + "non-ASCII: \u00e9 \u00fc \u4e2d\n".encode()
    + b"<script>alert(1)</script> **bold**\n"
    b"- dash line\n"
    b"no final newline"
)


@dataclass
class Key:
    fingerprint: str
    public: str
    secret: str = ""
    public_binary: bytes = b""


class Keyring:
    """A scratch GnuPG home for making keys and signatures the module is then tested against."""

    def __init__(self, home: Path):
        self.home = home
        home.chmod(0o700)
        (home / "gpg-agent.conf").write_text("s2k-count 65536\n")

    def gpg(self, *args: str, data: bytes = b"", faked: str | None = None, check: bool = True) -> bytes:
        cmd = [GPG, "--homedir", str(self.home), "--batch", "--no-tty", "--pinentry-mode", "loopback"]
        if faked:
            # Frozen ("!"): each gpg call starts the clock again, so on a loaded machine a key made
            # one second into the faked time would be "in the future" for the next call.
            cmd += ["--faked-system-time", faked if faked.endswith("!") else faked + "!"]
        proc = subprocess.run([*cmd, *args], input=data, capture_output=True, timeout=60, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(proc.stderr.decode())
        return proc.stdout

    def generate(
        self,
        uid: str,
        algo: str = "ed25519",
        usage: str = "sign",
        expire: str = "never",
        *,
        subkey: str | None = "cv25519",
        subkey_expire: str | None = None,
        signing_subkey: bool = False,
        passphrase: str = "",
        faked: str | None = None,
    ) -> Key:
        secret_args = ["--passphrase", passphrase]
        self.gpg(*secret_args, "--quick-gen-key", uid, algo, usage, expire, faked=faked)
        listing = self.gpg("--with-colons", "--list-keys", "--", uid).decode()
        fingerprint = re.search(r"^fpr:+([0-9A-F]+):", listing, re.M).group(1)  # type: ignore[union-attr]
        if subkey:
            until = subkey_expire or expire
            self.gpg(*secret_args, "--quick-add-key", fingerprint, subkey, "encr", until, faked=faked)
        if signing_subkey:
            self.gpg(*secret_args, "--quick-add-key", fingerprint, "ed25519", "sign", expire, faked=faked)
        return self.export(fingerprint, passphrase)

    def export(self, fingerprint: str, passphrase: str = "") -> Key:
        return Key(
            fingerprint=fingerprint,
            public=self.gpg("--armor", "--export", fingerprint).decode(),
            secret=self.gpg(
                "--passphrase", passphrase, "--armor", "--export-secret-keys", fingerprint
            ).decode(),
            public_binary=self.gpg("--export", fingerprint),
        )

    def detach_sign(self, fingerprint: str, data: bytes, faked: str | None = None) -> bytes:
        return self.gpg(
            "--passphrase", "", "-u", fingerprint, "--armor", "--detach-sign", data=data, faked=faked
        )

    def kill_agent(self) -> None:
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], check=False, timeout=30)


@dataclass
class Keys:
    ring: Keyring
    a: Key
    b: Key
    no_encryption: Key
    expired: Key
    revoked: Key
    weak: Key
    dsa: Key
    protected: Key
    stale: Key  # valid primary key, expired encryption subkey
    expired_signature: bytes  # by `expired`, made while it was valid
    revoked_signature: bytes  # by `revoked`, made before it was revoked


SIGNED_TEXT = b"Hello\r\nWe are not affected.  \n-----BEGIN PGP SIGNED MESSAGE-----\nfrom inside\n"


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keys]:
    ring = Keyring(tmp_path_factory.mktemp("gnupg"))
    a = ring.generate("Vendor A (S\u00e9curit\u00e9: PSIRT) <psirt@a.example>")
    b = ring.generate("Vendor B <psirt@b.example>", signing_subkey=True)
    no_encryption = ring.generate("Signing Only <sign@c.example>", subkey=None)
    ring.gpg("--passphrase", "", "--quick-add-uid", no_encryption.fingerprint, "Former <former@c.example>")
    ring.gpg("--passphrase", "", "--quick-revoke-uid", no_encryption.fingerprint, "Former <former@c.example>")
    no_encryption = ring.export(no_encryption.fingerprint)
    expired = ring.generate("Expired <old@d.example>", expire="1y", faked="20200101T000000")
    expired_signature = ring.detach_sign(expired.fingerprint, b"old statement", faked="20200601T000000")
    revoked = ring.generate("Revoked <gone@e.example>")
    revoked_signature = ring.detach_sign(revoked.fingerprint, b"statement")
    certificate = (ring.home / "openpgp-revocs.d" / f"{revoked.fingerprint}.rev").read_text()
    ring.gpg("--import", data=certificate.replace(":-----BEGIN", "-----BEGIN").encode())
    revoked = ring.export(revoked.fingerprint)
    weak = ring.generate("Weak <weak@f.example>", "rsa1024", "sign,encr", subkey=None)
    dsa = ring.generate("Old DSA <dsa@g.example>", "dsa1024", subkey="elg1024")
    protected = ring.generate("Protected <p@h.example>", passphrase=PASSPHRASE)
    stale = ring.generate("Stale <stale@i.example>", subkey_expire="1y", faked="20200101T000000")
    yield Keys(
        ring,
        a,
        b,
        no_encryption,
        expired,
        revoked,
        weak,
        dsa,
        protected,
        stale,
        expired_signature,
        revoked_signature,
    )
    ring.kill_agent()


@pytest.fixture(scope="session")
def clearsigned(keys: Keys) -> bytes:
    return keys.ring.gpg("--passphrase", "", "-u", keys.a.fingerprint, "--clearsign", data=SIGNED_TEXT)


@pytest.fixture(scope="session")
def tricky_signature(keys: Keys) -> str:
    return openpgp.sign_detached(TRICKY, keys.a.secret)


def packets(data: bytes | str, tmp_path: Path) -> str:
    home = Path(tempfile.mkdtemp(prefix="listing-", dir=tmp_path))
    raw = data.encode() if isinstance(data, str) else data
    proc = subprocess.run(
        [GPG, "--homedir", str(home), "--batch", "--list-packets"],
        input=raw,
        capture_output=True,
        timeout=30,
        check=False,
    )
    return proc.stdout.decode()


# ------------------------------------------------------------------------------------------------
# inspect_key


def assert_aware_utc(value: datetime) -> None:
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


def test_inspect_vendor_key(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.a.public)
    assert info.fingerprint == keys.a.fingerprint
    assert re.fullmatch(r"[0-9A-F]{40}", info.fingerprint)
    assert info.user_ids == ["Vendor A (S\u00e9curit\u00e9: PSIRT) <psirt@a.example>"]
    assert info.algorithm == "EdDSA"
    assert info.bits == 255
    assert_aware_utc(info.created_at)
    assert abs(datetime.now(UTC) - info.created_at) < timedelta(hours=1)
    assert info.expires_at is None
    assert (info.revoked, info.expired, info.weak) == (False, False, False)
    assert info.can_encrypt and info.can_sign
    assert info.problems == []
    assert info.armored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in info.armored
    assert openpgp.fingerprint_of(info.armored) == keys.a.fingerprint


def test_inspect_binary_key(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.b.public_binary)
    assert info.fingerprint == keys.b.fingerprint
    assert info.armored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_inspect_key_embedded_in_text_and_as_bytes(keys: Keys) -> None:
    text = f"Here is our key:\n\n{keys.b.public}\nRegards\n".encode()
    assert openpgp.inspect_key(text).fingerprint == keys.b.fingerprint


def test_inspect_key_without_encryption_subkey(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.no_encryption.public)
    assert info.can_sign and not info.can_encrypt
    assert info.problems == ["no encryption subkey"]
    assert not info.weak and not info.expired and not info.revoked
    assert info.user_ids == ["Signing Only <sign@c.example>"]  # the revoked user ID is left out


def test_inspect_key_whose_encryption_subkey_expired(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.stale.public)
    assert not info.expired and info.expires_at is None
    assert info.can_sign and not info.can_encrypt
    assert info.problems == ["no usable encryption subkey: each one is expired or revoked"]
    with pytest.raises(OpenPGPError, match="no usable encryption subkey"):
        openpgp.encrypt(b"x", keys.stale.public)


def test_inspect_expired_key(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.expired.public)
    assert info.expired and not info.revoked
    assert info.created_at == datetime(2020, 1, 1, tzinfo=UTC)
    assert info.expires_at == datetime(2020, 12, 31, tzinfo=UTC)
    assert_aware_utc(info.expires_at)
    assert "expired on 2020-12-31" in info.problems
    assert not info.can_encrypt and not info.can_sign


def test_inspect_revoked_key(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.revoked.public)
    assert info.revoked and not info.expired
    assert "revoked" in info.problems
    assert info.user_ids == ["Revoked <gone@e.example>"]
    assert not info.can_encrypt and not info.can_sign


def test_inspect_weak_rsa_key(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.weak.public)
    assert (info.algorithm, info.bits) == ("RSA", 1024)
    assert info.weak
    assert "weak: RSA 1024 bits" in info.problems
    assert info.can_encrypt and info.can_sign  # weak, but gpg still uses it: the caller decides


def test_inspect_weak_dsa_key_with_weak_elgamal_subkey(keys: Keys) -> None:
    info = openpgp.inspect_key(keys.dsa.public)
    assert (info.algorithm, info.bits) == ("DSA", 1024)
    assert info.weak
    assert "weak: DSA 1024 bits" in info.problems
    assert "weak subkey: ElGamal 1024 bits" in info.problems


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "No key was given"),
        ("   \n\t", "No key was given"),
        (b"hello, this is not a key", "This is not an OpenPGP public key"),
        (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n",
            "not an OpenPGP",
        ),
        (b"\x99\x01\x0d" + b"\x00" * 40, "This is not an OpenPGP public key"),
        (b"A" * (1024 * 1024 + 1), "1 MiB"),
    ],
)
def test_inspect_refuses_non_keys(data: bytes | str, message: str) -> None:
    with pytest.raises(OpenPGPError, match=message):
        openpgp.inspect_key(data)


def test_inspect_refuses_two_keys(keys: Keys) -> None:
    with pytest.raises(OpenPGPError, match="Upload one key at a time"):
        openpgp.inspect_key(keys.a.public + keys.b.public)
    with pytest.raises(OpenPGPError, match="Upload one key at a time"):
        openpgp.inspect_key(keys.a.public_binary + keys.b.public_binary)


def test_inspect_refuses_secret_key_without_importing_it(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_import(*args: object, **kwargs: object) -> None:
        raise AssertionError("a secret key was imported")

    monkeypatch.setattr(openpgp.gnupg.GPG, "import_keys", no_import)
    for secret in (keys.a.secret, keys.protected.secret, keys.a.public + keys.b.secret):
        with pytest.raises(OpenPGPError, match="This is a secret key: upload the public key only"):
            openpgp.inspect_key(secret)


@FUZZ
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=2000)))
def test_inspect_arbitrary_input_raises_only_openpgp_error(data: bytes | str) -> None:
    try:
        openpgp.inspect_key(data)
    except OpenPGPError as error:
        assert str(error)
        assert "Traceback" not in str(error) and "gpg:" not in str(error)


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_inspect_damaged_key_raises_only_openpgp_error(keys: Keys, position: int, value: int) -> None:
    raw = bytearray(keys.a.public_binary)
    raw[position % len(raw)] = value
    try:
        info = openpgp.inspect_key(bytes(raw))
    except OpenPGPError:
        return
    assert info.fingerprint  # a harmless change (e.g. in a signature's unhashed area) may still import


# ------------------------------------------------------------------------------------------------
# Clearsigned texts


def test_looks_clearsigned(clearsigned: bytes) -> None:
    assert openpgp.looks_clearsigned(clearsigned)
    assert openpgp.looks_clearsigned(b"\r\n  \n" + clearsigned)
    assert not openpgp.looks_clearsigned(b"Hi\n" + clearsigned)
    assert not openpgp.looks_clearsigned(b"")
    assert not openpgp.looks_clearsigned(b"-----BEGIN PGP SIGNATURE-----\n")


def test_clearsigned_verified_against_its_key(keys: Keys, clearsigned: bytes) -> None:
    result = openpgp.verify_clearsigned(clearsigned, [keys.a.public])
    assert result.status == "verified"
    assert result.fingerprint == keys.a.fingerprint
    assert result.detail == f"Good signature by {keys.a.fingerprint}"
    assert result.signed_at is not None
    assert_aware_utc(result.signed_at)
    assert abs(datetime.now(UTC) - result.signed_at) < timedelta(hours=1)
    both = openpgp.verify_clearsigned(clearsigned, [keys.b.public, keys.a.public])
    assert both.status == "verified" and both.fingerprint == keys.a.fingerprint


def test_clearsigned_against_another_vendors_key_fails(keys: Keys, clearsigned: bytes) -> None:
    for pinned in ([keys.b.public], [], [keys.b.public_binary.hex()]):
        result = openpgp.verify_clearsigned(clearsigned, pinned)
        assert result.status == "failed"
        assert result.fingerprint is None and result.signed_at is None
        assert "not pinned" in result.detail


def test_tampered_clearsigned_text_fails(keys: Keys, clearsigned: bytes) -> None:
    tampered = clearsigned.replace(b"not affected", b"not affectec")
    assert tampered != clearsigned
    result = openpgp.verify_clearsigned(tampered, [keys.a.public])
    assert result.status == "failed"
    assert result.detail == "The text was changed after it was signed"


def test_clearsigned_with_text_outside_the_signed_part_fails(keys: Keys, clearsigned: bytes) -> None:
    before = openpgp.verify_clearsigned(b"We ARE affected.\n" + clearsigned, [keys.a.public])
    assert before.status == "failed" and "before the signed part" in before.detail
    after = openpgp.verify_clearsigned(clearsigned + b"\nP.S. we are affected\n", [keys.a.public])
    assert after.status == "failed" and "after the signature" in after.detail
    twice = openpgp.verify_clearsigned(clearsigned + clearsigned, [keys.a.public])
    assert twice.status == "failed"
    # Only whitespace around the message is fine.
    padded = openpgp.verify_clearsigned(b"\n\n" + clearsigned + b"\n\n", [keys.a.public])
    assert padded.status == "verified"


def test_clearsigned_with_spliced_signature_block_fails(keys: Keys, clearsigned: bytes) -> None:
    # Put a signed *message* ("We are affected", signed by A) where the signature belongs.
    inline = keys.ring.gpg(
        "--passphrase", "", "-u", keys.a.fingerprint, "--armor", "--sign", data=b"We are affected\n"
    ).decode()
    block = inline.split("\n\n", 1)[1].split("-----END")[0]
    head = clearsigned.split(b"-----BEGIN PGP SIGNATURE-----")[0]
    spliced = head + b"-----BEGIN PGP SIGNATURE-----\n\n" + block.encode() + b"-----END PGP SIGNATURE-----\n"
    assert openpgp.verify_clearsigned(spliced, [keys.a.public]).status == "failed"


def test_clearsigned_with_damaged_signature_block_fails(keys: Keys, clearsigned: bytes) -> None:
    head = clearsigned.split(b"-----BEGIN PGP SIGNATURE-----")[0]
    damaged = head + b"-----BEGIN PGP SIGNATURE-----\n\nbm9wZQ==\n-----END PGP SIGNATURE-----\n"
    result = openpgp.verify_clearsigned(damaged, [keys.a.public])
    assert result.status == "failed"
    assert result.detail == "The signature is damaged or is not an OpenPGP signature"
    unfinished = openpgp.verify_clearsigned(head, [keys.a.public])
    assert unfinished.status == "failed" and "damaged" in unfinished.detail


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=500),
        st.binary(max_size=500).map(lambda b: b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + b),
    )
)
def test_verify_clearsigned_arbitrary_input_never_raises(keys: Keys, data: bytes) -> None:
    result = openpgp.verify_clearsigned(data, [keys.a.public])
    assert result.status in ("failed", "unsigned")
    assert result.detail


@FUZZ
@given(st.binary(max_size=500))
def test_verify_detached_arbitrary_signature_never_raises(keys: Keys, signature: bytes) -> None:
    result = openpgp.verify_detached(TRICKY, signature, [keys.a.public])
    assert result.status in ("failed", "unsigned")


def test_unsigned_text_is_unsigned(keys: Keys) -> None:
    result = openpgp.verify_clearsigned(b"We are not affected.\n", [keys.a.public])
    assert result == openpgp.Verification("unsigned", None, None, "No signature")


def test_clearsigned_body(clearsigned: bytes) -> None:
    body = openpgp.clearsigned_body(clearsigned)
    # Dash-escaping undone; the line break before the signature is not part of the text.
    assert body == SIGNED_TEXT.rstrip(b"\n")
    crlf = b"\n" + clearsigned.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert openpgp.clearsigned_body(crlf) == body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with pytest.raises(OpenPGPError):
        openpgp.clearsigned_body(b"just text")
    with pytest.raises(OpenPGPError):
        openpgp.clearsigned_body(clearsigned + b"unsigned postscript")


def test_clearsigned_with_crlf_line_endings_still_verifies(keys: Keys, clearsigned: bytes) -> None:
    # OpenPGP canonicalises line endings of clearsigned text, as mail transport changes them.
    crlf = clearsigned.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert openpgp.verify_clearsigned(crlf, [keys.a.public]).status == "verified"


# ------------------------------------------------------------------------------------------------
# Detached signatures


def test_detached_signature_over_tricky_bytes(keys: Keys, tricky_signature: str) -> None:
    assert tricky_signature.startswith("-----BEGIN PGP SIGNATURE-----")
    result = openpgp.verify_detached(TRICKY, tricky_signature, [keys.a.public])
    assert result.status == "verified"
    assert result.fingerprint == keys.a.fingerprint
    assert result.signed_at is not None
    assert_aware_utc(result.signed_at)
    # A binary (non-armoured) signature of the same bytes.
    binary = keys.ring.gpg("--passphrase", "", "-u", keys.a.fingerprint, "--detach-sign", data=TRICKY)
    assert openpgp.verify_detached(TRICKY, binary, [keys.a.public]).status == "verified"


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.replace(b"\r\n", b"\n", 1),
        lambda b: b.replace(b"spaces   \n", b"spaces\n"),
        lambda b: b.replace(b"\t", b"    ", 1),
        lambda b: b.replace("\u00e9".encode(), b"e"),
        lambda b: b.replace(b"<script>", b"<scripT>"),
        lambda b: b + b"\n",
        lambda b: b[:-1],
        lambda b: b"\xef\xbb\xbf" + b,
    ],
    ids=["crlf", "trailing-spaces", "tab", "non-ascii", "html", "appended", "truncated", "bom"],
)
def test_detached_signature_over_changed_bytes_fails(keys: Keys, tricky_signature: str, change) -> None:  # type: ignore[no-untyped-def]
    changed = change(TRICKY)
    assert changed != TRICKY
    result = openpgp.verify_detached(changed, tricky_signature, [keys.a.public])
    assert result.status == "failed"
    assert result.detail == "The text was changed after it was signed"


@FUZZ
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_detached_signature_any_single_byte_change_fails(
    keys: Keys, tricky_signature: str, position: int, flip: int
) -> None:
    changed = bytearray(TRICKY)
    changed[position % len(changed)] ^= flip
    assert openpgp.verify_detached(bytes(changed), tricky_signature, [keys.a.public]).status == "failed"


def test_signature_by_signing_subkey_names_the_primary_key(keys: Keys, tmp_path: Path) -> None:
    signature = openpgp.sign_detached(b"statement", keys.b.secret)
    issuer = re.search(r":signature packet: algo \d+, keyid ([0-9A-F]{16})", packets(signature, tmp_path))
    assert issuer and issuer.group(1) != keys.b.fingerprint[-16:]  # made by the signing subkey
    result = openpgp.verify_detached(b"statement", signature, [keys.b.public])
    assert result.status == "verified"
    assert result.fingerprint == keys.b.fingerprint


def test_detached_signature_by_unpinned_key_fails(keys: Keys, tricky_signature: str) -> None:
    result = openpgp.verify_detached(TRICKY, tricky_signature, [keys.b.public])
    assert result.status == "failed"
    assert result.detail == "The signature was made by a key that is not pinned for this organisation"


@pytest.mark.parametrize(
    "signature",
    [
        "garbage",
        b"\x00\x01\x02garbage",
        "-----BEGIN PGP SIGNATURE-----\n\nbm9wZQ==\n-----END PGP SIGNATURE-----\n",
    ],
)
def test_garbage_detached_signature_fails(keys: Keys, signature: str | bytes) -> None:
    result = openpgp.verify_detached(TRICKY, signature, [keys.a.public])
    assert result.status == "failed"
    assert result.detail == "The signature is damaged or is not an OpenPGP signature"


def test_inline_signed_message_is_not_a_detached_signature(keys: Keys) -> None:
    inline = keys.ring.gpg("--passphrase", "", "-u", keys.a.fingerprint, "--armor", "--sign", data=b"other")
    result = openpgp.verify_detached(TRICKY, inline, [keys.a.public])
    assert result.status == "failed"


def test_missing_detached_signature_is_unsigned(keys: Keys) -> None:
    for signature in ("", b"", "  \n"):
        assert openpgp.verify_detached(TRICKY, signature, [keys.a.public]).status == "unsigned"


def test_signature_by_expired_key_fails(keys: Keys) -> None:
    result = openpgp.verify_detached(b"old statement", keys.expired_signature, [keys.expired.public])
    assert result.status == "failed"
    assert result.detail == f"The signing key {keys.expired.fingerprint} has expired"


def test_signature_by_revoked_key_fails(keys: Keys) -> None:
    result = openpgp.verify_detached(b"statement", keys.revoked_signature, [keys.revoked.public])
    assert result.status == "failed"
    assert result.detail == f"The signing key {keys.revoked.fingerprint} has been revoked"


def test_pinned_secret_key_is_refused(keys: Keys, tricky_signature: str) -> None:
    with pytest.raises(OpenPGPError, match="secret key"):
        openpgp.verify_detached(TRICKY, tricky_signature, [keys.a.secret])


# ------------------------------------------------------------------------------------------------
# Encryption, decryption and signing


def test_encrypt_then_decrypt_round_trip(keys: Keys, tmp_path: Path) -> None:
    ciphertext = openpgp.encrypt(TRICKY, keys.a.public)
    assert ciphertext.startswith(b"-----BEGIN PGP MESSAGE-----")
    assert openpgp.decrypt(ciphertext, keys.a.secret) == TRICKY
    # Exactly one recipient: A's encryption subkey.
    listing = packets(ciphertext, tmp_path)
    recipients = re.findall(r":pubkey enc packet: version \d, algo \d+, keyid ([0-9A-F]{16})", listing)
    subkeys = re.findall(
        r"^sub:[^:]*:[^:]*:[^:]*:([0-9A-F]{16}):",
        keys.ring.gpg("--with-colons", "--list-keys", keys.a.fingerprint).decode(),
        re.M,
    )
    assert recipients == subkeys


def test_encrypt_and_sign(keys: Keys) -> None:
    ciphertext = openpgp.encrypt(b"case details", keys.a.public, sign_with=keys.b.secret)
    assert openpgp.decrypt(ciphertext, keys.a.secret) == b"case details"
    status = keys.ring.gpg("--status-fd", "1", "--decrypt", data=ciphertext).decode()
    validsig = [line for line in status.splitlines() if line.startswith("[GNUPG:] VALIDSIG ")]
    assert len(validsig) == 1 and validsig[0].split()[-1] == keys.b.fingerprint  # primary key of B


def test_encrypt_with_protected_signing_key(keys: Keys) -> None:
    ciphertext = openpgp.encrypt(b"x", keys.a.public, sign_with=keys.protected.secret, passphrase=PASSPHRASE)
    assert openpgp.decrypt(ciphertext, keys.a.secret) == b"x"
    with pytest.raises(OpenPGPError, match="passphrase"):
        openpgp.encrypt(b"x", keys.a.public, sign_with=keys.protected.secret, passphrase="wrong")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no_encryption", "no encryption subkey"),
        ("expired", "expired on 2020-12-31"),
        ("revoked", "revoked"),
    ],
)
def test_encrypt_refuses_unusable_recipient(keys: Keys, name: str, message: str) -> None:
    key: Key = getattr(keys, name)
    with pytest.raises(OpenPGPError, match=f"Cannot encrypt to key {key.fingerprint}: .*{message}"):
        openpgp.encrypt(b"secret", key.public)


def test_encrypt_refuses_several_or_secret_recipients(keys: Keys) -> None:
    with pytest.raises(OpenPGPError, match="one key"):
        openpgp.encrypt(b"secret", keys.a.public + keys.b.public)
    with pytest.raises(OpenPGPError, match="secret key"):
        openpgp.encrypt(b"secret", keys.a.secret)
    with pytest.raises(OpenPGPError, match="not an OpenPGP public key"):
        openpgp.encrypt(b"secret", "nonsense")


def test_decrypt_failures(keys: Keys) -> None:
    ciphertext = openpgp.encrypt(b"secret", keys.a.public)
    with pytest.raises(OpenPGPError, match="not encrypted to this key"):
        openpgp.decrypt(ciphertext, keys.b.secret)
    with pytest.raises(OpenPGPError, match="not an encrypted OpenPGP message"):
        openpgp.decrypt(b"plain text", keys.a.secret)
    with pytest.raises(OpenPGPError, match="not an OpenPGP secret key"):
        openpgp.decrypt(ciphertext, keys.a.public)
    damaged = bytearray(ciphertext)
    middle = len(damaged) // 2
    damaged[middle] = ord("A") if damaged[middle] != ord("A") else ord("B")
    with pytest.raises(OpenPGPError):
        openpgp.decrypt(bytes(damaged), keys.a.secret)


def test_decrypt_verify_judges_the_inner_signature(keys: Keys) -> None:
    signed = openpgp.encrypt(b"case details", keys.a.public, sign_with=keys.b.secret)
    out = openpgp.decrypt_verify(signed, keys.a.secret, None, [keys.b.public])
    assert out.data == b"case details"
    assert out.verification.verified and out.verification.fingerprint == keys.b.fingerprint
    # Another organisation's keys: decrypted all the same, the signature does not count.
    other = openpgp.decrypt_verify(signed, keys.a.secret, None, [keys.protected.public])
    assert other.data == b"case details"
    assert other.verification.status == "failed" and other.verification.detail == openpgp.NOT_PINNED
    plain = openpgp.decrypt_verify(openpgp.encrypt(b"x", keys.a.public), keys.a.secret, None, [])
    assert plain.data == b"x" and plain.verification.status == "unsigned"
    with pytest.raises(OpenPGPError, match="not encrypted to this key"):
        openpgp.decrypt_verify(signed, keys.b.secret, None, [keys.b.public])
    with pytest.raises(OpenPGPError, match="not an encrypted OpenPGP message"):
        openpgp.decrypt_verify(b"plain text", keys.a.secret, None, [])


def test_protected_secret_key(keys: Keys) -> None:
    signature = openpgp.sign_detached(b"data", keys.protected.secret, PASSPHRASE)
    result = openpgp.verify_detached(b"data", signature, [keys.protected.public])
    assert result.status == "verified" and result.fingerprint == keys.protected.fingerprint
    with pytest.raises(OpenPGPError, match="passphrase of the secret key is wrong"):
        openpgp.sign_detached(b"data", keys.protected.secret, "wrong")
    with pytest.raises(OpenPGPError, match="protected by a passphrase, and none was given"):
        openpgp.sign_detached(b"data", keys.protected.secret)
    with pytest.raises(OpenPGPError, match="protected by a passphrase, and none was given"):
        openpgp.decrypt(openpgp.encrypt(b"x", keys.protected.public), keys.protected.secret, "")
    with pytest.raises(OpenPGPError, match="line breaks"):
        openpgp.sign_detached(b"data", keys.protected.secret, "pass\nword")


def test_sign_refuses_public_key_and_expired_key(keys: Keys) -> None:
    with pytest.raises(OpenPGPError, match="not an OpenPGP secret key"):
        openpgp.sign_detached(b"data", keys.a.public)
    with pytest.raises(OpenPGPError, match="could not sign"):
        openpgp.sign_detached(b"data", keys.expired.secret)


# ------------------------------------------------------------------------------------------------
# The temporary homes: gpg binary, time limit, no leftovers


def test_explicit_gpg_binary_and_missing_binary(keys: Keys) -> None:
    assert openpgp.fingerprint_of(keys.a.public, gpg_binary=GPG) == keys.a.fingerprint
    with pytest.raises(OpenPGPError, match="could not be started"):
        openpgp.inspect_key(keys.a.public, gpg_binary="/nonexistent/gpg")
    with pytest.raises(OpenPGPError, match="could not be started"):
        openpgp.verify_detached(b"x", "sig", [], gpg_binary="/nonexistent/gpg")


def test_gpg_that_hangs_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hanging = tmp_path / "gpg"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    hanging.chmod(0o755)
    monkeypatch.setattr(openpgp, "TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(openpgp._TimedGPG, "timeout", 0.5)
    started = time.monotonic()
    with pytest.raises(OpenPGPError, match="did not finish"):
        openpgp.inspect_key(b"key", gpg_binary=str(hanging))
    with pytest.raises(OpenPGPError, match="did not finish"):
        openpgp.verify_detached(b"x", "sig", [], gpg_binary=str(hanging))
    assert time.monotonic() - started < 10


def agents_in(homes: list[str]) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "gpg-agent" in cmdline and any(home in cmdline for home in homes):
            found.append(cmdline)
    return found


def assert_no_agents(homes: list[str]) -> None:
    deadline = time.monotonic() + 5
    while agents_in(homes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert agents_in(homes) == []


@pytest.fixture
def recorded_homes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths of the homes made during the test, which starts without kept signer homes."""
    openpgp.close_signer_homes()
    monkeypatch.setattr(openpgp, "_INSPECTED", OrderedDict())
    homes: list[str] = []
    enter = openpgp._Home.__enter__

    def recording_enter(self: openpgp._Home) -> openpgp._Home:
        home = enter(self)
        assert os.stat(home.path).st_mode & 0o777 == 0o700
        homes.append(home.path)
        return home

    monkeypatch.setattr(openpgp._Home, "__enter__", recording_enter)
    yield homes
    openpgp.close_signer_homes()


def kept_signers() -> list[openpgp._Signer]:
    return [signer for homes in openpgp._SIGNERS.idle.values() for signer in homes]


def public_keys_in(home: openpgp._Home) -> list[str]:
    listing = subprocess.run(
        [GPG, "--homedir", home.path, "--batch", "--with-colons", "--list-keys"],
        capture_output=True,
        timeout=30,
        check=True,
    ).stdout.decode()
    return re.findall(r"^pub:.*\nfpr:+([0-9A-F]+):", listing, re.M)


def recipient_key_ids(ciphertext: bytes, tmp_path: Path) -> list[str]:
    return re.findall(
        r":pubkey enc packet: version \d, algo \d+, keyid ([0-9A-F]{16})", packets(ciphertext, tmp_path)
    )


def encryption_subkey_ids(keys: Keys, key: Key) -> list[str]:
    listing = keys.ring.gpg("--with-colons", "--list-keys", key.fingerprint).decode()
    return re.findall(
        r"^sub:[^:]*:[^:]*:[^:]*:([0-9A-F]{16}):[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:e", listing, re.M
    )


def test_temporary_homes_are_removed_and_agents_stopped(keys: Keys, recorded_homes: list[str]) -> None:
    signature = openpgp.sign_detached(b"data", keys.a.secret)
    openpgp.decrypt(openpgp.encrypt(b"data", keys.a.public), keys.a.secret)
    openpgp.verify_detached(b"data", signature, [keys.a.public])
    # a's signer home (kept, used twice), the recipient's inspection, the unsigned encryption, the check.
    assert len(recorded_homes) == 4
    kept = [signer.home.path for signer in kept_signers()]
    assert kept == [recorded_homes[0]]
    assert not any(os.path.exists(home) for home in recorded_homes[1:])
    assert_no_agents(recorded_homes[1:])
    openpgp.close_signer_homes()
    assert not os.path.exists(kept[0]) and kept_signers() == []
    assert_no_agents(kept)


# ------------------------------------------------------------------------------------------------
# The signer's home, kept between calls


def test_one_signer_imports_its_secret_key_once(
    keys: Keys, recorded_homes: list[str], tmp_path: Path
) -> None:
    signer = keys.no_encryption  # a valid signing key that is nobody's recipient here
    before = openpgp._SIGNERS.imports
    first = openpgp.encrypt(b"to A", keys.a.public, sign_with=signer.secret)
    [home] = kept_signers()
    assert public_keys_in(home.home) == [signer.fingerprint]
    second = openpgp.encrypt(b"to B", keys.b.public, sign_with=signer.secret)
    assert public_keys_in(home.home) == [signer.fingerprint]
    openpgp.sign_mime(b"signed\r\n", signer.secret)
    assert openpgp._SIGNERS.imports - before == 1 and kept_signers() == [home]
    # Each message is for its recipient alone, and names exactly its key.
    assert openpgp.decrypt(first, keys.a.secret) == b"to A"
    assert openpgp.decrypt(second, keys.b.secret) == b"to B"
    with pytest.raises(OpenPGPError, match="not encrypted to this key"):
        openpgp.decrypt(second, keys.a.secret)
    assert recipient_key_ids(first, tmp_path) == encryption_subkey_ids(keys, keys.a)
    assert recipient_key_ids(second, tmp_path) == encryption_subkey_ids(keys, keys.b)
    out = openpgp.decrypt_verify(second, keys.b.secret, None, [signer.public])
    assert out.verification.verified and out.verification.fingerprint == signer.fingerprint


def test_decrypt_verify_leaves_only_the_secret_key_in_its_home(keys: Keys, recorded_homes: list[str]) -> None:
    signed = openpgp.encrypt(b"report", keys.a.public, sign_with=keys.b.secret)
    for _ in range(2):
        out = openpgp.decrypt_verify(signed, keys.a.secret, None, [keys.b.public, keys.protected.public])
        assert out.verification.verified and out.verification.fingerprint == keys.b.fingerprint
        [home] = kept_signers()
        assert public_keys_in(home.home) == [keys.a.fingerprint]
    path = home.home.path
    # The coordinator's own key among the pinned ones: merged into its key, so that home is not kept.
    out = openpgp.decrypt_verify(signed, keys.a.secret, None, [keys.a.public])
    assert out.data == b"report" and out.verification.detail == openpgp.NOT_PINNED
    assert kept_signers() == [] and not os.path.exists(path)


def test_failed_deletion_discards_the_home(
    keys: Keys, recorded_homes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = openpgp.encrypt(b"report", keys.a.public, sign_with=keys.b.secret)
    run = openpgp._Home.run

    def no_delete(
        self: openpgp._Home, args: list[str], data: bytes = b""
    ) -> subprocess.CompletedProcess[bytes]:
        return run(self, ["--list-keys"] if "--delete-keys" in args else args, data)

    monkeypatch.setattr(openpgp._Home, "run", no_delete)
    out = openpgp.decrypt_verify(signed, keys.a.secret, None, [keys.b.public])
    assert out.verification.verified
    assert kept_signers() == []
    assert not any(os.path.exists(home) for home in recorded_homes)
    assert_no_agents(recorded_homes)


def test_wrong_passphrase_after_a_right_one(keys: Keys, recorded_homes: list[str]) -> None:
    key = keys.protected
    assert (
        openpgp.decrypt(
            openpgp.encrypt(b"x", keys.a.public, sign_with=key.secret, passphrase=PASSPHRASE), keys.a.secret
        )
        == b"x"
    )
    # The agent of the kept home has the key unlocked: another passphrase must not ride on that.
    with pytest.raises(OpenPGPError, match="The passphrase of the secret key is wrong"):
        openpgp.encrypt(b"x", keys.a.public, sign_with=key.secret, passphrase="wrong")
    with pytest.raises(OpenPGPError, match="protected by a passphrase, and none was given"):
        openpgp.sign_mime(b"x", key.secret)
    with pytest.raises(OpenPGPError, match="The passphrase of the secret key is wrong"):
        openpgp.decrypt(openpgp.encrypt(b"x", key.public), key.secret, "wrong")
    assert kept_signers() == []  # the homes of failed passphrases are not kept (and dropped the right one)
    openpgp.sign_detached(b"x", key.secret, PASSPHRASE)
    assert len(kept_signers()) == 1


def test_a_replaced_key_signs_with_the_new_key(keys: Keys, recorded_homes: list[str]) -> None:
    old = openpgp.sign_mime(b"data", keys.a.secret)
    assert openpgp.verify_detached(b"data", old.armored, [keys.a.public]).verified
    [old_home] = [signer.home.path for signer in kept_signers()]
    new = openpgp.sign_mime(b"data", keys.b.secret)
    verified = openpgp.verify_detached(b"data", new.armored, [keys.b.public])
    assert verified.verified and verified.fingerprint == keys.b.fingerprint
    assert openpgp.verify_detached(b"data", new.armored, [keys.a.public]).detail == openpgp.NOT_PINNED
    # The old key's home is gone with its agent.
    assert [signer.fingerprint for signer in kept_signers()] == [keys.b.fingerprint]
    assert not os.path.exists(old_home)
    assert_no_agents([old_home])


def test_threads_encrypting_to_different_recipients(
    keys: Keys, recorded_homes: list[str], tmp_path: Path
) -> None:
    recipients = [keys.a, keys.b, keys.protected]
    jobs = [(i, recipients[i % 3]) for i in range(12)]

    def work(job: tuple[int, Key]) -> bytes:
        i, key = job
        return openpgp.encrypt(f"message {i}".encode(), key.public, sign_with=keys.no_encryption.secret)

    with ThreadPoolExecutor(max_workers=4) as pool:
        messages = list(pool.map(work, jobs))
    for (i, key), message in zip(jobs, messages, strict=True):
        passphrase = PASSPHRASE if key is keys.protected else None
        out = openpgp.decrypt_verify(message, key.secret, passphrase, [keys.no_encryption.public])
        assert out.data == f"message {i}".encode() and out.verification.verified
        assert recipient_key_ids(message, tmp_path) == encryption_subkey_ids(keys, key)
    signers = [s for s in kept_signers() if s.fingerprint == keys.no_encryption.fingerprint] or kept_signers()
    for signer in kept_signers():
        assert public_keys_in(signer.home) == [signer.fingerprint]
    assert 1 <= len(signers) <= 4


def test_closing_waits_for_a_lent_out_home(keys: Keys, recorded_homes: list[str]) -> None:
    with openpgp._signer_home(GPG, keys.a.secret, None) as signer:
        openpgp.close_signer_homes()  # another thread's call is not pulled from under it
        path = signer.home.path
        assert os.path.isdir(path)
        assert openpgp._signed(signer.home, b"data", signer.fingerprint, None).fingerprint
    assert not os.path.exists(path) and kept_signers() == []
    assert_no_agents([path])
