"""What the exporters read from a snapshot in the same way: reference URLs,
package URLs without their version, CVSS vectors scored by the `cvss` library, and texts cut to a
format's length limit. Pure functions of their arguments.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from markdown_it import MarkdownIt
from packageurl import PackageURL

from accord.exports.source import Published
from accord.lib.vulnids import parse_purl

# RFC 3986's characters outside percent-encodings; "[" and "]" are left out (IPv6 hosts only).
_URI_CHARS = frozenset(string.ascii_letters + string.digits + "-._~:/?#@!$&'()*+,;=%")
_HEX = frozenset(string.hexdigits)
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False})


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL made only of characters RFC 3986 allows, with well-formed
    percent-encodings: what every format's `uri` check accepts."""
    if not url or len(url) > 2048 or any(c not in _URI_CHARS for c in url):
        return False
    parts = url.split("%")
    if any(len(p) < 2 or p[0] not in _HEX or p[1] not in _HEX for p in parts[1:]):
        return False
    try:
        split = urlsplit(url)
        split.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return split.scheme in ("http", "https") and bool(split.hostname)


def reference_links(markdown: str) -> list[tuple[str, str]]:
    """The web addresses in a references section, in order, each once, with the link's text ("" when
    none): link targets (autolinks `<https://…>` and `[text](https://…)`) and bare http(s) words in
    the text. Text that is not a well-formed URL is left out rather than repaired."""
    found: list[tuple[str, str]] = []
    for block in _parser.parse(markdown or ""):
        link: list[str] | None = None  # the text of the link being read
        for token in block.children or []:
            if token.type == "link_open":
                link = []
                found.append((str(token.attrGet("href") or ""), ""))
            elif token.type == "link_close" and link is not None:
                label = "".join(link).strip()
                if label != found[-1][0]:  # an autolink's text is its address
                    found[-1] = (found[-1][0], label)
                link = None
            elif token.type == "text" and link is not None:
                link.append(token.content)
            elif token.type == "text":
                for word in token.content.split():
                    word = word.rstrip(".,;:!?)]}>\"'").lstrip("(<[\"'")
                    if word.startswith(("http://", "https://")):
                        found.append((_parser.normalizeLink(word), ""))
    links: dict[str, str] = {}
    for url, label in found:
        if is_web_url(url):
            links[url] = links.get(url) or label
    return list(links.items())


def reference_urls(markdown: str) -> list[str]:
    """The web addresses of `reference_links`, without their texts."""
    return [url for url, _ in reference_links(markdown)]


def purl_parts(value: str) -> tuple[PackageURL, str] | None:
    """A package URL parsed (packageurl-python, never a regex) and its text without the version
    (CVE `packageURL` and OSV `package.purl` must not carry one), or None when `value` is not one."""
    parsed = parse_purl(value) if value else None
    if parsed is None:
        return None
    bare = PackageURL(
        type=parsed.type,
        namespace=parsed.namespace,
        name=parsed.name,
        version=None,
        qualifiers=parsed.qualifiers,
        subpath=parsed.subpath,
    )
    return parsed, bare.to_string()


@dataclass(frozen=True)
class Score:
    version: str  # "2.0", "3.0", "3.1", "4.0"
    vector: str  # the library's clean vector
    base_score: float
    severity: str  # "CRITICAL", …; "" for CVSS 2.0, which has none


def score(vector: str) -> Score | None:
    """A CVSS vector scored by the `cvss` library; None when it does not parse."""
    vector = (vector or "").strip()
    try:
        if vector.startswith("CVSS:4.0/"):
            v4 = CVSS4(vector)
            return Score("4.0", v4.clean_vector(), float(v4.base_score), str(v4.severity).upper())
        if vector.startswith(("CVSS:3.1/", "CVSS:3.0/")):
            v3 = CVSS3(vector)
            return Score(
                vector[5:8], v3.clean_vector(), float(v3.base_score), str(v3.severities()[0]).upper()
            )
        if vector and not vector.startswith("CVSS:"):
            v2 = CVSS2(vector)
            return Score("2.0", v2.clean_vector(), float(v2.base_score), "")
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def first_published(published: Published) -> str:
    """When the note was first published: its first revision's instant."""
    if published.history:
        return published.history[0].published_at
    return published.snapshot.get("first_published_at") or published.published_at


def cut(text: str, limit: int, tail: str = " …") -> str:
    """`text` whole when it fits, else cut at a word boundary with `tail` (a format's length limit)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - len(tail)]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + tail
