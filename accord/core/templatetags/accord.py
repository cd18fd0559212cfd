import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accord.lib import markdown as md
from accord.lib.time import format_local, format_utc, is_timezone, rfc3339

register = template.Library()


@register.filter(is_safe=True)
def markdown(value: object, shift_headings: int = 0) -> SafeString:
    """Text people wrote (reports, messages) as sanitised Markdown: `{{ text|markdown:2 }}`.

    Raw HTML shows as text; only http(s) and mailto links survive, with rel="noreferrer";
    images are dropped. The argument demotes headings (2: `#` becomes <h3>) to fit the page.
    Wrap it in a block element: the result is block HTML (paragraphs, lists, code blocks).
    """
    return md.render("" if value is None else str(value), shift_headings=int(shift_headings), breaks=True)


@register.simple_tag(takes_context=True)
def instant(context: template.Context, value: dt.datetime | None, empty: str = "—") -> str:
    """Every instant on every page: UTC, then the viewer's own zone, named."""
    if value is None:
        return format_html("<span>{}</span>", empty)
    request = context.get("request")
    user = getattr(request, "user", None)
    zone = getattr(user, "timezone", "UTC") if user is not None and user.is_authenticated else "UTC"
    if zone and zone != "UTC" and is_timezone(zone):
        return format_html(
            '<time datetime="{}">{}<span class="local"> · {}</span></time>',
            rfc3339(value),
            format_utc(value),
            format_local(value, zone),
        )
    return format_html('<time datetime="{}">{}</time>', rfc3339(value), format_utc(value))


@register.simple_tag(takes_context=True)
def now_instant(context: template.Context) -> str:
    from django.utils import timezone

    return instant(context, timezone.now())


# The badge variant (accord.css) for a state value: report states (RM) and directory changes.
BADGE_VARIANTS = {
    "received": "info",
    "valid": "info",
    "accepted": "success",
    "deferred": "warning",
    "invalid": "danger",
    "closed": "",
    "pending": "warning",
    "rejected": "danger",
}


@register.filter
def badge(value: object) -> str:
    """`<span class="badge {{ state|badge }}">`: the variant for a known state, else neutral."""
    return BADGE_VARIANTS.get(str(value), "")
