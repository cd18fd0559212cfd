"""@mentions: typed as `@[Organisation or alias]` or `@person@example.org`, stored as tokens.

The body keeps `@[p:ID]` (a participant) and `@[u:ID]` (a person) instead of the names typed,
so each reader sees the name the presenter allows them: an anonymous vendor mentioned by its
real name by an analyst still reads as its alias to every other participant. A token renders
only when the message has the matching Mention row; anything else stays literal text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accord.accounts.models import Membership, User
from accord.cases.models import Participant
from accord.cases.presenter import Viewer
from accord.lib.errors import InvalidInput

TYPED = re.compile(r"@\[([^\[\]\n]{1,200})\]|(?<![\w.+-])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
TOKEN = re.compile(r"@\[(p|u):(\d{1,12})\]")


@dataclass(frozen=True)
class Found:
    participant: Participant | None
    user: User | None


def resolve(
    body: str, *, audience: list[Participant], author_viewer: Viewer, author_org_ids: set[int]
) -> tuple[str, list[Found]]:
    """Replace typed mentions by tokens. Names are matched as the author may see them: by alias,
    or by the real name where the author may see it. Unknown names are refused, naming them."""
    if "@" not in body:
        return body, []
    found: list[Found] = []
    unknown: list[str] = []
    by_label: dict[str, Participant] = {}
    for p in audience:
        by_label.setdefault(p.alias.casefold(), p)
        name = author_viewer.name(p)
        if name:
            by_label.setdefault(name.casefold(), p)
    emails = {m.group(2).casefold() for m in TYPED.finditer(body) if m.group(2)}
    people = _people(emails, audience, author_viewer, author_org_ids) if emails else {}

    def swap(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            participant = by_label.get(match.group(1).strip().casefold())
            if participant is None:
                unknown.append(match.group(1).strip())
                return match.group(0)
            found.append(Found(participant, None))
            return f"@[p:{participant.pk}]"
        hit = people.get(match.group(2).casefold())
        if hit is None:
            unknown.append(match.group(2))
            return match.group(0)
        found.append(Found(hit[1], hit[0]))
        return f"@[u:{hit[0].pk}]"

    tokenised = TYPED.sub(swap, body)
    if unknown:
        names = ", ".join(f'"{name}"' for name in dict.fromkeys(unknown))
        raise InvalidInput(
            "body",
            f"No one in this thread is called {names}. Mention an organisation as @[its name or alias] "
            "and a person as @their-address.",
        )
    return tokenised, found


def _people(
    emails: set[str], audience: list[Participant], viewer: Viewer, author_org_ids: set[int]
) -> dict[str, tuple[User, Participant | None]]:
    """Mentionable people: coordinator staff, and members of organisations in the thread that the
    author may name (staff: any; others: their own organisation's colleagues)."""
    users = list(User.objects.filter(_iexact_any(emails), is_active=True)[:50])
    org_participant = {p.organization_id: p for p in audience if p.organization_id}
    memberships: dict[int, list[int]] = {}
    for user_id, org_id in Membership.objects.filter(
        user__in=users, organization__in=list(org_participant)
    ).values_list("user_id", "organization_id"):
        memberships.setdefault(user_id, []).append(org_id)
    people: dict[str, tuple[User, Participant | None]] = {}
    for user in users:
        if user.is_coordinator_staff:
            people[user.email.casefold()] = (user, None)
            continue
        for org_id in memberships.get(user.pk, []):
            if viewer.staff or org_id in author_org_ids:
                people[user.email.casefold()] = (user, org_participant[org_id])
                break
    return people


def _iexact_any(emails: Iterable[str]) -> Any:
    from django.db.models import Q

    condition = Q(pk__in=[])
    for email in emails:
        condition |= Q(email__iexact=email)
    return condition


def render_tokens(body: str, mentions: Iterable[Any], viewer: Viewer) -> str:
    """The body with each token replaced by the name this viewer may see."""
    participants = {m.participant_id: m.participant for m in mentions if m.participant_id and not m.user_id}
    people = {m.user_id: (m.user, m.participant) for m in mentions if m.user_id}

    def swap(match: re.Match[str]) -> str:
        kind, number = match.group(1), int(match.group(2))
        if kind == "p" and number in participants:
            return "@" + viewer.label(participants[number])
        if kind == "u" and number in people:
            user, participant = people[number]
            return "@" + viewer.person(user, participant).name
        return match.group(0)

    return TOKEN.sub(swap, body)
