"""Reading a stored mail: the pure `parse(raw) -> ParsedMail`, after accord.mailgate.unwrap has
decrypted it and checked its signature.

Neither raises on bad input. What the parser finds wrong (MIME defects, an unknown charset, a
part nested too deep, an attachment over the limit) is listed in `ParsedMail.problems`, and
the text is recovered as well as it can be.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from typing import Any

MAX_DEPTH = 20  # multipart nesting beyond this is not read
MAX_PARTS = 500
MAX_TEXT = 1_000_000  # characters of extracted text kept


@dataclass(frozen=True)
class ParsedAttachment:
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes  # empty when the part was over the size limit (see `kept`)
    kept: bool = True


@dataclass(frozen=True)
class ParsedMail:
    from_address: str  # lower case; "" when the mail names none that can be read
    from_name: str
    subject: str
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    text: str
    attachments: tuple[ParsedAttachment, ...] = ()
    problems: tuple[str, ...] = ()


# --- Small readers that never raise -----------------------------------------------------------------


def _clean(text: str) -> str:
    """Text that can be stored anywhere: no NUL, no lone surrogate."""
    text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def _header(message: Message, name: str, problems: list[str]) -> str:
    try:
        value = message.get(name)
        return _clean(str(value)) if value is not None else ""
    except Exception as exc:  # a header the policy cannot parse: fall back to its raw text
        problems.append(f"unreadable {name} header ({type(exc).__name__})")
        for key, raw in message.raw_items():
            if key.lower() == name.lower():
                return _clean(str(raw))
        return ""


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


_ID = re.compile(r"<[^<>\s]{1,240}>")


def _ids(text: str) -> tuple[str, ...]:
    return tuple(_ID.findall(text or ""))[:50]


class _HtmlText(HTMLParser):
    """HTML to readable text: block elements become line breaks, scripts and styles vanish."""

    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    reader = _HtmlText()
    try:
        reader.feed(html)
        reader.close()
    except Exception:  # HTMLParser is lenient; this is only a guard
        return re.sub(r"<[^>]*>", " ", html)
    lines = [" ".join(line.split()) for line in "".join(reader.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decoded(part: Message, problems: list[str]) -> str:
    """A text part's content as text, whatever its charset claims."""
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:
        problems.append(f"undecodable part ({type(exc).__name__})")
        return ""
    if not isinstance(payload, bytes):
        return ""
    charset = "utf-8"
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:
        problems.append("unreadable charset")
    try:
        codecs.lookup(charset)
    except (LookupError, ValueError):
        problems.append(f"unknown charset {_one_line(charset, 40)!r}, read as UTF-8")
        charset = "utf-8"
    try:
        return payload.decode(charset, "replace")
    except Exception:
        return payload.decode("utf-8", "replace")


def _parts(root: Message, problems: list[str]) -> list[Message]:
    """The leaf parts, depth first, without recursion (a mail may nest thousands deep)."""
    leaves: list[Message] = []
    stack: list[tuple[Message, int]] = [(root, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            problems.append(f"more than {MAX_PARTS} MIME parts; the rest are not read")
            break
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                problems.append(f"multipart nested deeper than {MAX_DEPTH}; the inner parts are not read")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))
        else:
            leaves.append(part)
    return leaves


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
        return disposition == "attachment" or (
            bool(part.get_filename()) and part.get_content_maintype() != "text"
        )
    except Exception:
        return True


def parse(raw: bytes, *, max_attachment_bytes: int = 10 * 1024 * 1024) -> ParsedMail:
    """What a mail says: sender, subject, ids, its text (text/plain preferred, else HTML made
    text) and its attachments (each over `max_attachment_bytes` listed without content)."""
    problems: list[str] = []
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for defect in getattr(message, "defects", [])[:20]:
        problems.append(f"MIME defect: {type(defect).__name__}")

    sender = _header(message, "From", problems)
    name, address = email.utils.parseaddr(sender)
    address = address.strip().lower() if "@" in address else ""
    if not address:
        problems.append("no readable sender address")

    plain: list[str] = []
    html: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in _parts(message, problems):
        for defect in getattr(part, "defects", [])[:5]:
            problems.append(f"MIME defect: {type(defect).__name__}")
        try:
            content_type = part.get_content_type()
        except Exception:
            content_type = "application/octet-stream"
        if _is_attachment(part) or content_type not in ("text/plain", "text/html"):
            try:
                content = part.get_payload(decode=True)
            except Exception:
                content = None
            content = content if isinstance(content, bytes) else b""
            try:
                filename = part.get_filename() or "attachment"
            except Exception:
                filename = "attachment"
            kept = len(content) <= max_attachment_bytes
            if not kept:
                problems.append(f"attachment {_one_line(filename, 80)!r} over {max_attachment_bytes:,} bytes")
            attachments.append(
                ParsedAttachment(
                    name=_clean(_one_line(filename, 255)) or "attachment",
                    content_type=_one_line(content_type, 100),
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    content=content if kept else b"",
                    kept=kept,
                )
            )
            continue
        (plain if content_type == "text/plain" else html).append(_decoded(part, problems))

    if plain:
        text = "\n\n".join(plain)
    elif html:
        text = html_to_text("\n".join(html))
    else:
        text = ""
    text = _clean(text)
    if len(text) > MAX_TEXT:
        problems.append(f"text longer than {MAX_TEXT:,} characters; cut")
        text = text[:MAX_TEXT]

    return ParsedMail(
        from_address=_clean(address)[:254],
        from_name=_one_line(_clean(name), 200),
        subject=_one_line(_header(message, "Subject", problems), 300),
        message_id=_one_line(_header(message, "Message-ID", problems), 250),
        in_reply_to=_one_line(_header(message, "In-Reply-To", problems), 250),
        references=_ids(_header(message, "References", problems)),
        text=text,
        attachments=tuple(attachments),
        problems=tuple(dict.fromkeys(problems)),  # each once, in order
    )


def message_id_of(raw: bytes) -> str:
    """The Message-ID header of raw bytes, read from the header block alone; "" if none."""
    try:
        headers = email.message_from_bytes(
            raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0], policy=email.policy.compat32
        )
        value = headers.get("Message-ID")
        return _one_line(_clean(str(value)), 250) if value else ""
    except Exception:
        return ""
