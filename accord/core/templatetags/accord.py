import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accord.accounts.zones import zone_of
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
    """Every instant on every page: UTC, then the reader's zone, named.

    The reader's zone is the one they chose, else their browser's (accord.accounts.zones);
    without either, UTC alone.
    """
    if value is None:
        return format_html("<span>{}</span>", empty)
    zone = zone_of(context.get("request"))
    if not zone.is_utc and is_timezone(zone.name):
        return format_html(
            '<time datetime="{}">{}<span class="local"> · {}</span></time>',
            rfc3339(value),
            format_utc(value),
            format_local(value, zone.name),
        )
    return format_html('<time datetime="{}">{}</time>', rfc3339(value), format_utc(value))


def relative_words(value: dt.datetime, now: dt.datetime) -> str:
    """ "in 31 days", "12 days ago", "in 5 hours", "in 20 minutes", "now": rounded to the unit."""
    seconds = (value - now).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "now"
    if size < 3600:
        amount, unit = round(size / 60), "minute"
    elif size < 48 * 3600:
        amount, unit = round(size / 3600), "hour"
    else:
        amount, unit = round(size / 86400), "day"
    words = f"{amount} {unit}{'' if amount == 1 else 's'}"
    return f"in {words}" if seconds > 0 else f"{words} ago"


@register.simple_tag
def relative(value: dt.datetime | None) -> str:
    """How far an instant is from now, in words: `{% relative case.target_publication_at %}`."""
    if value is None:
        return ""
    from django.utils import timezone

    return relative_words(value, timezone.now())


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


@register.filter
def thousands(value: object) -> str:
    """`{{ 2003|thousands }}`: "2,003"."""
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)
