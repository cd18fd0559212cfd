"""The mails of notifications, one function per kind, each with its subject and bodies.

Each kind has a neutral body, which may travel in plaintext (the VU#, the caller's neutral
line and links, never a title, a product or any text), and a sealed body with the full text,
which leaves only encrypted (process.md "Mail and confidentiality"). Subjects are neutral.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from accord.cases.models import Case


@dataclass(frozen=True)
class Item:
    """One thing to tell, as a digest lists it."""

    case: Case | None
    neutral: str
    full_text: str
    link: str
    at: dt.datetime


def _where(case: Case | None) -> str:
    return case.label if case is not None else settings.INSTANCE_NAME


def _footer(why: str) -> str:
    settings_url = settings.SITE_URL + reverse("accounts:profile") + "#notifications"
    return f"\n-- \n{why} Choose immediate mail, a daily digest or none:\n{settings_url}\n"


def _instant(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- Immediate: one mail per notification ------------------------------------------------------


def notice_subject(case: Case | None, neutral: str) -> str:
    return f"[{_where(case)}] {neutral}"


def notice_body(case: Case | None, neutral: str, link: str) -> str:
    return f"{neutral} in {_where(case)}. The details are in {settings.INSTANCE_NAME}:\n{link}\n" + _footer(
        "You get one mail for each new item."
    )


def notice_sealed(case: Case | None, neutral: str, full_text: str, link: str) -> str:
    return (
        f"{neutral} in {_where(case)}.\n\n{full_text.strip()}\n\nIn {settings.INSTANCE_NAME}:\n{link}\n"
        + _footer("You get one mail for each new item.")
    )


# --- The daily digest: one mail per person with everything of the day ---------------------------


def _groups(items: Sequence[Item]) -> list[tuple[Case | None, list[Item]]]:
    """Items by case, in the order their cases first appear; items without a case last."""
    groups: dict[int | None, tuple[Case | None, list[Item]]] = {}
    for item in items:
        key = item.case.pk if item.case is not None else None
        groups.setdefault(key, (item.case, []))[1].append(item)
    with_case = [g for k, g in groups.items() if k is not None]
    return with_case + ([groups[None]] if None in groups else [])


def _count(n: int) -> str:
    return f"{n} new item" if n == 1 else f"{n} new items"


def _group_name(case: Case | None) -> str:
    return case.label if case is not None else "other"


def digest_subject(items: Sequence[Item]) -> str:
    cases = sum(1 for case, _ in _groups(items) if case is not None)
    where = f" in {cases} case{'s' if cases != 1 else ''}" if cases else ""
    return f"[{settings.INSTANCE_NAME}] Daily digest: {_count(len(items))}{where}"


def _summary(items: Sequence[Item]) -> str:
    """ "3 new items in VU#123456, 1 in VU#234567"."""
    parts = []
    for i, (case, group) in enumerate(_groups(items)):
        count = _count(len(group)) if i == 0 else str(len(group))
        parts.append(f"{count} in {_group_name(case)}")
    return ", ".join(parts)


def digest_body(items: Sequence[Item]) -> str:
    lines = [f"Your daily digest: {_summary(items)}.", ""]
    for case, group in _groups(items):
        lines.append(f"{_group_name(case)}: {_count(len(group))}")
        lines += [f"- {item.neutral} ({_instant(item.at)}): {item.link}" for item in group]
        lines.append("")
    lines.append(f"The details are in {settings.INSTANCE_NAME}.")
    return "\n".join(lines) + "\n" + _footer("You get a daily digest.")


def digest_sealed(items: Sequence[Item]) -> str:
    lines = [f"Your daily digest: {_summary(items)}.", ""]
    for case, group in _groups(items):
        lines += [f"== {_group_name(case)}: {_count(len(group))}", ""]
        for item in group:
            lines.append(f"{item.neutral} ({_instant(item.at)})")
            if item.full_text.strip():
                lines += ["", item.full_text.strip()]
            lines += ["", item.link, ""]
    return "\n".join(lines) + _footer("You get a daily digest.")
