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

_OPTIONS = {"html": False, "linkify": False, "typographer": False}
_parser = MarkdownIt("commonmark", _OPTIONS).enable("table")
# For text people type into a form (reports, messages): a line break stays a line break.
_parser_breaks = MarkdownIt("commonmark", {**_OPTIONS, "breaks": True}).enable("table")


def render(text: str, *, shift_headings: int = 0, breaks: bool = False) -> SafeString:
    """Markdown to safe HTML. `shift_headings` demotes headings (e.g. 1: `#` becomes <h2>);
    `breaks` keeps single line breaks (<br>) instead of joining the lines."""
    html = (_parser_breaks if breaks else _parser).render(text or "")
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
