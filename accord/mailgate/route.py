"""Where a parsed mail goes (process.md "Routing inbound mail"): the VU# in its subject names
the case, and the sender's address names a vendor participant of that case. Reads only.

The pipeline runs as the system, not as a person, so it reads cases by number here rather than
through the gate; what it writes goes through the conversation's actions.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.accounts.models import Membership, User
from accord.cases.models import Case, Participant
from accord.lib.ids import find_case_number
from accord.mailgate.parse import ParsedMail
from accord.vendors.models import Contact


@dataclass(frozen=True)
class Route:
    """A case and participant to post into, or why there is none (`reason`, for triage)."""

    case: Case | None = None
    participant: Participant | None = None
    user: User | None = None  # the member whose address sent it, if any
    reason: str = ""

    @property
    def routed(self) -> bool:
        return self.participant is not None


def sender_organizations(address: str) -> set[int]:
    """Organisations whose active contact, or whose member, has this address."""
    if not address:
        return set()
    orgs = set(
        Contact.objects.filter(email__iexact=address, status=Contact.Status.ACTIVE).values_list(
            "organization_id", flat=True
        )
    )
    orgs |= set(
        Membership.objects.filter(user__email__iexact=address, user__is_active=True).values_list(
            "organization_id", flat=True
        )
    )
    return orgs


def find_route(parsed: ParsedMail) -> Route:
    number = find_case_number(parsed.subject)
    if number is None:
        return Route(reason="no case id in the subject")
    case = Case.objects.filter(number=number).first()
    if case is None:
        return Route(reason=f"the subject names case {number}, which does not exist")
    orgs = sender_organizations(parsed.from_address)
    participant = (
        Participant.objects.filter(case=case, kind=Participant.Kind.VENDOR, organization__in=orgs)
        .select_related("organization")
        .order_by("pk")
        .first()
        if orgs
        else None
    )
    if participant is None:
        return Route(case=case, reason="the sender is not a vendor contact of a participant in the case")
    user = User.objects.filter(
        email__iexact=parsed.from_address,
        is_active=True,
        memberships__organization=participant.organization_id,
    ).first()
    return Route(case=case, participant=participant, user=user)
