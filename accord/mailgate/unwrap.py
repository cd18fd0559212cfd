"""Unwrapping a stored mail before it is parsed (process.md "Routing inbound mail", steps 2-3):
decrypt it with the coordinator's key, verify its signature against the pinned keys of the
sender's organisations, and read the receiving MTA's Authentication-Results.

`unwrap(raw, ...)` returns the mail as the parser should read it (the decrypted entity, or the
signed entity of a PGP/MIME signed mail, in place of the body, under the outer headers) and what
OpenPGP said. It never raises on bad input: mail that cannot be decrypted comes back as it was,
with `decryption="failed"` and the reason. gpg runs here: call it outside any transaction.

Forms read: PGP/MIME encrypted (RFC 3156 §4) and signed (§5), both nested (§6.1) or in one
OpenPGP message (§6.2, "combined"); inline PGP messages and clearsigned text in a text part.
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from email.message import Message

from accord.lib import openpgp

BEGIN_MESSAGE = b"-----BEGIN PGP MESSAGE-----"
END_MESSAGE = b"-----END PGP MESSAGE-----"
MAX_INLINE_BLOCKS = 5  # inline PGP messages decrypted in one mail; the rest are left as they are
MAX_WALK = 500

OUTSIDE = "The mail has text outside the signed part, which the signature does not cover"

# Verify `check(keys)` against the pinned keys; when only a key the organisation uploaded but the
# coordinator has not approved (or refused) made it, say so (accord.answers.signatures).
Checker = Callable[[list[str]], openpgp.Verification]


@dataclass(frozen=True)
class Keys:
    """What unwrapping needs from the database, read before gpg runs."""

    coordinator: tuple[str, str | None] | None = None  # (armoured secret key, passphrase)
    coordinator_problem: str = ""  # why there is no coordinator key to decrypt with
    pinned: list[str] = field(default_factory=list)  # the sender's organisations' active keys
    unapproved: Callable[[Checker], str | None] = lambda check: None


@dataclass(frozen=True)
class Unwrapped:
    raw: bytes  # for the parser
    decryption: str = ""  # "" | "decrypted" | "failed"
    signature: str = ""  # "" | "verified" | "not_verified"
    signer_fingerprint: str = ""
    signature_detail: str = ""
    signed_data: bytes | None = None  # the signed bytes, exactly (CRLF-canonical for PGP/MIME)
    detached_signature: str = ""
    authentication_results: str = ""
    sender_authenticated: bool | None = None
    problems: tuple[str, ...] = ()


# --- Bytes of MIME entities -----------------------------------------------------------------------


def split_entity(data: bytes) -> tuple[bytes, bytes]:
    """(header block with its last line break, body) of an entity, cut at the first empty line."""
    if data.startswith((b"\r\n", b"\n")):
        return b"", data[2 if data.startswith(b"\r\n") else 1 :]
    found = [(i, sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := data.find(sep)) >= 0]
    if not found:
        return data, b""
    index, sep = min(found)
    half = len(sep) // 2
    return data[: index + half], data[index + len(sep) :]


def _headers_of(block: bytes) -> Message:
    return email.message_from_bytes(block + b"\n", policy=email.policy.compat32)


def _content(headers: Message) -> tuple[str, str, str]:
    """(content type, protocol parameter, boundary), lower case but the boundary; "" if unreadable."""
    try:
        kind = headers.get_content_type().lower()
        protocol = str(headers.get_param("protocol") or "").lower()
        boundary = headers.get_boundary() or ""
    except Exception:
        return "", "", ""
    return kind, protocol, boundary


def split_multipart(body: bytes, boundary: str) -> list[bytes] | None:
    """The body parts of a multipart body, byte for byte (RFC 2046 §5.1.1: the line break before
    a delimiter belongs to the delimiter). None when the boundary is not found or not closed."""
    try:
        marker = re.escape(boundary.encode("ascii"))
    except UnicodeEncodeError:
        return None
    delimiter = re.compile(rb"(?:\A|\r?\n)--" + marker + rb"(--)?[ \t]*(?:\r?\n|\Z)")
    parts: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start : match.start()])
        if match.group(1):  # the close delimiter
            return parts
        start = match.end()
    return None


def canonical(data: bytes) -> bytes:
    """CRLF line endings, as RFC 3156 §5 signs an entity."""
    return re.sub(rb"\r?\n", b"\r\n", data)


_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")


def _as_entity(data: bytes) -> bytes:
    """Decrypted PGP/MIME content is a MIME entity; some clients encrypt bare text."""
    if _HEADER_LINE.match(data) or data.startswith((b"\r\n", b"\n")):
        return data
    return b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + data


def with_body(raw: bytes, entity: bytes) -> bytes:
    """The mail's own headers (From, Subject, Message-ID, Authentication-Results …) over `entity`,
    which brings its Content-* headers in place of the outer ones."""
    block, _ = split_entity(raw)
    kept: list[bytes] = []
    skipping = False
    for line in block.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the previous header
            if not skipping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skipping = name.startswith(b"content-") or name == b"mime-version"
        if not skipping:
            kept.append(line)
    head = b"".join(kept)
    if head and not head.endswith(b"\n"):
        head += b"\r\n"
    return head + b"MIME-Version: 1.0\r\n" + _as_entity(entity)


# --- Authentication-Results (RFC 8601) ------------------------------------------------------------

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"(?:^|[;\s])(dmarc|dkim|spf)\s*=\s*([a-z]+)", re.IGNORECASE)
_FAILED = {"fail", "softfail", "permerror"}


def _authserv_id(value: str) -> str:
    words = _COMMENT.sub(" ", value.split(";", 1)[0]).split()
    return words[0].lower() if words else ""


def authentication(raw: bytes, authserv_id: str) -> tuple[str, bool | None]:
    """(the trusted Authentication-Results, as received; the verdict): True when DMARC or DKIM
    passed, False when DMARC, SPF or DKIM failed and none passed, None when there is nothing to
    go by. Only the topmost header is trusted (the receiving MTA's own, above what the sender may
    have written) unless `authserv_id` names the MTA whose headers are trusted."""
    try:
        headers = _headers_of(split_entity(raw)[0])
        values = [" ".join(str(v).split()) for v in headers.get_all("Authentication-Results") or []]
    except Exception:
        return "", None
    wanted = authserv_id.lower()
    trusted = [v for v in values if _authserv_id(v) == wanted] if wanted else values[:1]
    if not trusted:
        return "", None
    results: list[tuple[str, str]] = []
    for value in trusted:
        body = value.split(";", 1)[1] if ";" in value else ""
        while _COMMENT.search(body):  # comments nest; strip from the inside out
            body = _COMMENT.sub(" ", body)
        results += [(m.group(1).lower(), m.group(2).lower()) for m in _RESULT.finditer(body)]
    text = "\n".join(trusted)[:5000]
    if any(method in ("dmarc", "dkim") and result == "pass" for method, result in results):
        return text, True
    if any(result in _FAILED for _, result in results):
        return text, False
    return text, None


# --- Signatures -----------------------------------------------------------------------------------


def _judged(verification: openpgp.Verification, keys: Keys, again: Checker) -> tuple[str, str, str]:
    """(signature state, signer fingerprint, detail) of a verification."""
    if verification.verified:
        return "verified", verification.fingerprint or "", ""
    detail = verification.detail
    if verification.status == "failed" and detail == openpgp.NOT_PINNED:
        detail = keys.unapproved(again) or detail
    if verification.status == "unsigned":
        detail = "No signature"
    return "not_verified", "", detail[:500]


def _signed_entity(raw: bytes) -> tuple[bytes, bytes, str] | None:
    """(the signed entity as received, canonical, the armoured signature) of a PGP/MIME signed mail."""
    block, body = split_entity(raw)
    kind, protocol, boundary = _content(_headers_of(block))
    if kind != "multipart/signed" or protocol != "application/pgp-signature" or not boundary:
        return None
    parts = split_multipart(body, boundary)
    if not parts or len(parts) != 2:
        return None
    try:
        signature_part = email.message_from_bytes(parts[1], policy=email.policy.compat32)
        payload = signature_part.get_payload(decode=True)
    except Exception:
        return None
    signature = payload.decode("ascii", "replace") if isinstance(payload, bytes) else ""
    return parts[0], canonical(parts[0]), signature


def _leaves(message: Message) -> Iterable[Message]:
    stack = [message]
    seen = 0
    while stack and seen < MAX_WALK:
        part = stack.pop()
        seen += 1
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed([c for c in children if isinstance(c, Message)]))
        else:
            yield part


def _text_payload(part: Message) -> bytes | None:
    try:
        if part.get_content_type() != "text/plain":
            return None
        payload = part.get_payload(decode=True)
    except Exception:
        return None
    return payload if isinstance(payload, bytes) else None


def _body_texts(message: Message) -> list[tuple[Message, bytes]]:
    """The text/plain parts a reader reads (not attached files), with their bytes."""
    out = []
    for part in _leaves(message):
        payload = _text_payload(part)
        try:
            attached = (part.get_content_disposition() or "").lower() == "attachment"
        except Exception:
            attached = True
        if payload is not None and not attached:
            out.append((part, payload))
    return out


def _clearsigned(raw: bytes) -> tuple[bytes, bool] | None:
    """The first text part that is a clearsigned text, as its bytes (transfer encoding undone),
    and whether it is the mail's only text (else the signature covers only part of what shows)."""
    try:
        texts = _body_texts(email.message_from_bytes(raw, policy=email.policy.compat32))
    except Exception:
        return None
    for _, payload in texts:
        if openpgp.looks_clearsigned(payload):
            return payload, len(texts) == 1
    return None


def _covering(verification: openpgp.Verification, covered: bool) -> openpgp.Verification:
    """A good signature over part of the mail's text does not vouch for the rest of it: a signed
    text can be replayed under other words (the rule verify_clearsigned applies within a part)."""
    if covered or not verification.verified:
        return verification
    return openpgp.Verification(status="failed", fingerprint=None, signed_at=None, detail=OUTSIDE)


def _verify_signatures(mail: Unwrapped, keys: Keys) -> Unwrapped:
    """A PGP/MIME signed entity first, else a clearsigned text part."""
    signed = _signed_entity(mail.raw)
    if signed is not None:
        as_received, exact, signature = signed

        def detached(pinned: list[str]) -> openpgp.Verification:
            return openpgp.verify_detached(exact, signature, pinned)

        state, fingerprint, detail = _judged(detached(keys.pinned), keys, detached)
        return replace(
            mail,
            raw=with_body(mail.raw, as_received),  # the signature part is not an attachment
            signature=state,
            signer_fingerprint=fingerprint,
            signature_detail=detail,
            signed_data=exact,
            detached_signature=signature[:100_000],
        )
    found = _clearsigned(mail.raw)
    if found is not None:
        text, alone = found

        def clearsigned(pinned: list[str]) -> openpgp.Verification:
            return openpgp.verify_clearsigned(text, pinned)

        state, fingerprint, detail = _judged(_covering(clearsigned(keys.pinned), alone), keys, clearsigned)
        return replace(
            mail, signature=state, signer_fingerprint=fingerprint, signature_detail=detail, signed_data=text
        )
    return mail


# --- Decryption -----------------------------------------------------------------------------------


class _CannotDecrypt(Exception):
    pass


def _decrypt(data: bytes, keys: Keys) -> openpgp.Decrypted:
    if keys.coordinator is None:
        raise _CannotDecrypt(keys.coordinator_problem or "no coordinator key is set up to decrypt it")
    secret, passphrase = keys.coordinator
    try:
        return openpgp.decrypt_verify(data, secret, passphrase, keys.pinned)
    except openpgp.OpenPGPError as exc:
        raise _CannotDecrypt(str(exc))


def _encrypted_payload(raw: bytes) -> bytes | None:
    """The OpenPGP message of a PGP/MIME encrypted mail (RFC 3156 §4), or None if it is not one."""
    block, body = split_entity(raw)
    kind, protocol, boundary = _content(_headers_of(block))
    if kind != "multipart/encrypted" or protocol != "application/pgp-encrypted":
        return None
    parts = split_multipart(body, boundary) if boundary else None
    if not parts or len(parts) < 2:
        return b""  # announced but damaged: nothing to decrypt
    try:
        payload = email.message_from_bytes(parts[1], policy=email.policy.compat32).get_payload(decode=True)
    except Exception:
        return b""
    return payload if isinstance(payload, bytes) else b""


def _inner_signature(
    mail: Unwrapped, decrypted: openpgp.Decrypted, keys: Keys, data: bytes, *, covered: bool = True
) -> Unwrapped:
    """A signature inside the encrypted message itself (sign and encrypt in one OpenPGP message).
    `covered`: the decrypted text is all the mail says (inline PGP may have text around it)."""
    if decrypted.verification.status == "unsigned":
        return mail
    if mail.signature == "not_verified":
        return mail  # one inline block that did not verify: the mail does not

    def again(pinned: list[str]) -> openpgp.Verification:
        try:
            return _decrypt(data, replace(keys, pinned=pinned)).verification
        except _CannotDecrypt:
            return decrypted.verification

    state, fingerprint, detail = _judged(_covering(decrypted.verification, covered), keys, again)
    return replace(mail, signature=state, signer_fingerprint=fingerprint, signature_detail=detail)


def _decrypt_inline(mail: Unwrapped, keys: Keys) -> Unwrapped | None:
    """Inline PGP messages in text parts, each replaced by its plaintext; None when there is none."""
    try:
        message = email.message_from_bytes(mail.raw, policy=email.policy.compat32)
        texts = _body_texts(message)
        found = [(part, payload) for part, payload in texts if BEGIN_MESSAGE in payload][:MAX_INLINE_BLOCKS]
    except Exception:
        return None
    if not found:
        return None
    out = mail
    for part, payload in found:
        start = payload.find(BEGIN_MESSAGE)
        end = payload.find(END_MESSAGE, start)
        end = len(payload) if end < 0 else end + len(END_MESSAGE)
        block = payload[start:end]
        decrypted = _decrypt(block, keys)  # _CannotDecrypt: the caller flags the mail
        plain = payload[:start] + decrypted.data + payload[end:]
        del part["Content-Transfer-Encoding"]
        part.set_payload(base64.encodebytes(plain).decode("ascii"))
        part["Content-Transfer-Encoding"] = "base64"
        part.set_param("charset", "utf-8")
        alone = len(texts) == 1 and not (payload[:start].strip() or payload[end:].strip())
        out = _inner_signature(out, decrypted, keys, block, covered=alone)
    try:
        raw = message.as_bytes()
    except Exception as exc:
        raise _CannotDecrypt(f"the decrypted mail could not be rebuilt ({type(exc).__name__})")
    return replace(out, raw=raw, decryption="decrypted")


def _decrypted(mail: Unwrapped, keys: Keys) -> Unwrapped:
    payload = _encrypted_payload(mail.raw)
    try:
        if payload is not None:
            start = payload.find(BEGIN_MESSAGE)
            data = payload[start:] if start >= 0 else payload
            if not data.strip():
                raise _CannotDecrypt("the PGP/MIME encrypted mail holds no OpenPGP message")
            decrypted = _decrypt(data, keys)
            out = replace(mail, raw=with_body(mail.raw, decrypted.data), decryption="decrypted")
            return _inner_signature(out, decrypted, keys, data)
        return _decrypt_inline(mail, keys) or mail
    except _CannotDecrypt as exc:
        return replace(mail, decryption="failed", problems=(*mail.problems, f"could not be decrypted: {exc}"))


# --- The step -------------------------------------------------------------------------------------


def unwrap(raw: bytes, keys: Keys, *, authserv_id: str = "") -> Unwrapped:
    """The mail as the parser should read it, and what OpenPGP and the MTA said about it."""
    text, verdict = authentication(raw, authserv_id)
    mail = Unwrapped(raw=raw, authentication_results=text, sender_authenticated=verdict)
    mail = _decrypted(mail, keys)
    if mail.decryption == "failed":
        return replace(mail, raw=raw)
    if not mail.signature:  # a signature inside the encrypted message counts; else look in the text
        mail = _verify_signatures(mail, keys)
    return mail


def sender_of(raw: bytes) -> str:
    """The From address of raw bytes, lower case, read from the header block alone ("" if none)."""
    try:
        value = _headers_of(split_entity(raw)[0]).get("From")
        address = email.utils.parseaddr(str(value or ""))[1].strip().lower()
    except Exception:
        return ""
    return address if "@" in address else ""


def keys_for(raw: bytes) -> Keys:
    """Read from the database what unwrapping `raw` needs (outside any transaction, before gpg)."""
    from accord.answers.signatures import unapproved_signer
    from accord.mailgate import coordinator_key
    from accord.mailgate.route import sender_organizations
    from accord.vendors.models import ChangeStatus, PublicKey

    orgs = sender_organizations(sender_of(raw))
    pinned = list(
        PublicKey.objects.filter(organization_id__in=orgs, status=ChangeStatus.ACTIVE)
        .order_by("created_at", "id")
        .values_list("armored", flat=True)
    )
    try:
        coordinator, problem = coordinator_key.signing_key(), ""
        if coordinator is None:
            problem = "no coordinator key is set up to decrypt it"
    except coordinator_key.KeyProblem as exc:
        coordinator, problem = None, str(exc)
    return Keys(
        coordinator=coordinator,
        coordinator_problem=problem,
        pinned=pinned,
        unapproved=lambda check: unapproved_signer(orgs, check),
    )


def unwrap_stored(raw: bytes) -> Unwrapped:
    """`unwrap` with the keys and settings of this instance."""
    from django.conf import settings

    return unwrap(raw, keys_for(raw), authserv_id=settings.MAIL_AUTHSERV_ID)
