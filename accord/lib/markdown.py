"""The only Markdown renderer of the project: markdown-it-py, then nh3 sanitising.

Raw HTML in the source is not rendered (markdown-it's `html` option is off, so it shows as
text), and the HTML markdown-it produces is cleaned again by nh3 with a short allowlist, so
neither a `<script>` nor a `javascript:` link survives, whatever the input.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render(text: str, *, shift_headings: int = 0) -> SafeString:
    """Markdown to safe HTML. `shift_headings` demotes headings (e.g. 1: `#` becomes <h2>)."""
    html = _parser.render(text or "")
    if shift_headings:
        for level in range(6, 0, -1):
            new = min(level + shift_headings, 6)
            html = html.replace(f"<h{level}>", f"<h{new}>").replace(f"</h{level}>", f"</h{new}>")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above
