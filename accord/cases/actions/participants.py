"""Vendors in a case (process.md "Joining an embargo", "Mail and confidentiality", "Anonymity").

Adding vendors gives each an alias; notifying them sends one mail per organisation to all its contacts
(accord.mailgate.kinds: neutral in plaintext, sealed to its key, never one mail to several organisations), records the contact
attempt (which fixes the target date and the default embargo) and sets V and Received.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accord.accounts.models import Membership, Organization, User, hash_secret
from accord.cases.access import standing_of
from accord.cases.actions.cases import require_bringer
from accord.cases.actions.embargo import apply_contact_attempt
from accord.cases.claim_links import check_address, check_usable
from accord.cases.events import record
from accord.cases.models import Case, CaseMemberAccess, ClaimLink, Participant
from accord.cases.states import EM, RM, rm_next
from accord.core.access import require_analyst
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate import kinds
from accord.mailgate.outbound import Mail, queue_mails

MAX_VENDORS_AT_ONCE = 2000


def alias_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, … (spreadsheet column names)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _free_aliases(case: Case, count: int) -> list[str]:
    taken = set(case.participants.values_list("alias", flat=True))
    aliases: list[str] = []
    index = 0
    while len(aliases) < count:
        alias = f"Vendor {alias_letters(index)}"
        if alias not in taken:
            aliases.append(alias)
        index += 1
    return aliases


@transaction.atomic
def add_vendors(
    case: Case, organizations: Iterable[Organization], *, by: User, anonymous: bool = False
) -> list[Participant]:
    """Add vendor organisations to a case (up to 2,000 at once), each with an alias."""
    require_bringer(case, by)
    orgs = list(dict.fromkeys(organizations))
    if not orgs:
        raise InvalidInput("organizations", "Name at least one vendor.")
    if len(orgs) > MAX_VENDORS_AT_ONCE:
        raise InvalidInput("organizations", f"At most {MAX_VENDORS_AT_ONCE:,} vendors at once.")
    not_vendors = [o.name for o in orgs if o.kind != Organization.Kind.VENDOR]
    if not_vendors:
        raise InvalidInput("organizations", "Not vendor organisations: " + ", ".join(not_vendors[:20]))
    already = set(
        case.participants.filter(organization__in=orgs).values_list("organization__name", flat=True)
    )
    if already:
        raise RuleViolation("one-participation", "Already in the case: " + ", ".join(sorted(already)[:20]))
    case = Case.objects.select_for_update().get(pk=case.pk)
    aliases = _free_aliases(case, len(orgs))
    answer = Participant.EmbargoAnswer.INVITED
    created = Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=alias,
                anonymous=anonymous,
                rm_state=RM.START,
                embargo_answer=answer,
            )
            for org, alias in zip(orgs, aliases, strict=True)
        ]
    )
    created = list(
        case.participants.filter(organization__in=orgs).select_related("organization").order_by("id")
    )
    record(
        "participants.added",
        case=case,
        actor=by,
        count=len(created),
        anonymous=anonymous,
        participants=[p.pk for p in created],
        aliases=[p.alias for p in created],
    )
    return created


def _claim_url(secret: str) -> str:
    return settings.SITE_URL + reverse("cases:claim", kwargs={"key": secret})


@transaction.atomic
def notify_vendors(case: Case, participants: Iterable[Participant], *, by: User) -> dict[str, Any]:
    """Notify vendors that were not notified yet. Returns who was notified and who has no address
    ("unreachable"), among them the vendors that require encryption and have no usable key ("held":
    their mail is stored as failed with the reason, and sent to nobody).

    A notification that reaches nobody is no contact attempt: it starts no clock and no embargo
    (process.md "Disclosure policy"), and the timeline tells the analysts who could not be reached.
    """
    from accord.vendors.queries import notification_contacts

    require_bringer(case, by)
    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    targets = [p for p in participants if p.kind == Participant.Kind.VENDOR and p.case_id == case.pk]
    reachable: list[tuple[Participant, list[Any]]] = []
    unreachable: list[Participant] = []
    found = [(p, p.organization, notification_contacts(p.organization)) for p in targets if p.organization]
    addresses = kinds.org_addresses(
        (org, [c.email for c in contacts]) for _, org, contacts in found if contacts
    )
    refused: list[Mail] = []
    held: list[Participant] = []
    for participant, org, contacts in found:
        address = addresses.get(org.pk)
        if address is not None and address.refusal:
            # It requires encryption and has no usable key: no mail at all. The failed row
            # tells the case's Mail page why; the vendor counts as not reached.
            refused.append(kinds.notification(case, address, claimable=False))
            unreachable.append(participant)
            held.append(participant)
        elif contacts:
            reachable.append((participant, contacts))
        else:
            unreachable.append(participant)
    queue_mails(refused)
    if not reachable:
        record(
            "vendors.unreachable",
            case=case,
            actor=by,
            unreachable=[p.pk for p in unreachable],
            aliases=[p.alias for p in unreachable],
        )
        return {"notified": [], "unreachable": unreachable, "held": held, "case": case}
    # The first contact attempt fixes the target date and starts the default embargo.
    case, contact_attempt = apply_contact_attempt(case, at=now, note="notification")
    if case.embargo_state == EM.NONE and not (case.p_at or case.x_at or case.a_at):
        raise RuleViolation(
            "em-in-force-at-notification",
            "No embargo would be in force for the vendors (the target date has passed): propose an "
            "embargo, or confirm that the vulnerability is public, before notifying",
        )
    notified: list[Participant] = []
    members = set(
        Membership.objects.filter(organization__in=[p.organization_id for p, _ in reachable]).values_list(
            "organization_id", flat=True
        )
    )
    outgoing: list[Mail] = []
    for participant, contacts in reachable:
        assert participant.organization_id is not None
        address = addresses[participant.organization_id]
        claimable = participant.organization_id not in members
        # One mail to the organisation (all its contacts, sealed to its key); then, while it has
        # no account, each contact's own claim link, to that address alone.
        outgoing.append(kinds.notification(case, address, claimable=claimable))
        for contact in contacts if claimable else ():
            secret = secrets.token_urlsafe(24)
            ClaimLink.objects.create(
                participant=participant,
                email=contact.email,
                role=contact.role,
                token_hash=hash_secret(secret),
            )
            outgoing.append(kinds.claim_link(case, address, contact.email, _claim_url(secret)))
        participant.v_at = participant.v_at or now
        participant.first_contact_at = participant.first_contact_at or now
        if participant.rm_state == RM.START:
            participant.rm_state = rm_next(RM.START, "receive")
        notified.append(participant)
    queue_mails(outgoing)
    Participant.objects.bulk_update(notified, ["v_at", "first_contact_at", "rm_state"])
    record(
        "vendors.notified",
        case=case,
        actor=by,
        count=len(notified),
        notified=[p.pk for p in notified],
        unreachable=[p.pk for p in unreachable],
        contact=contact_attempt,
    )
    return {"notified": notified, "unreachable": unreachable, "held": held, "case": case}


def find_claim(secret: str) -> ClaimLink | None:
    """The unused link of `secret`, or None; RuleViolation (saying why) when it expired or its
    address was removed, so that its holder learns the reason."""
    link = (
        ClaimLink.objects.select_related("participant__organization", "participant__case")
        .filter(token_hash=hash_secret(secret or ""))
        .first()
    )
    if link is None or link.used_at is not None:
        return None
    check_usable(link)
    return link


@transaction.atomic
def claim_account(link: ClaimLink, *, user: User | None = None, password: str = "", name: str = "") -> User:
    """Follow a claim link: an account tied to the vendor. From the "to" address it is ready at once;
    from another address it waits for an analyst's approval."""
    from accord.accounts.actions import _password_errors  # one password policy

    link = ClaimLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:
        raise RuleViolation("claim-once", "This link was already used")
    check_usable(link)
    org = link.participant.organization
    assert org is not None
    if user is None:
        if User.objects.filter(email__iexact=link.email).exists():
            raise RuleViolation("claim-login", "An account with this address exists: log in to claim")
        _password_errors(password)
        user = User.objects.create_user(link.email, password, name=name.strip()[:200])
    approved = link.role == "to" and user.email.lower() == link.email.lower()
    if approved:
        Membership.objects.get_or_create(
            user=user,
            organization=org,
            defaults={
                "role": Membership.Role.ADMIN if not org.memberships.exists() else Membership.Role.MEMBER
            },
        )
    link.used_at = timezone.now()
    link.used_by = user
    link.approved = approved
    link.save()
    record(
        "participant.claimed",
        case=link.participant.case,
        actor=user,
        participant=link.participant,
        approved=approved,
    )
    return user


@transaction.atomic
def approve_claim(link: ClaimLink, *, by: User) -> Membership:
    require_analyst(by)
    link = ClaimLink.objects.select_for_update().get(pk=link.pk)
    if link.used_by is None or link.approved:
        raise RuleViolation("claim-pending", "This claim is not waiting for approval")
    check_address(link)  # the link was used in time, but its address may have been removed since
    org = link.participant.organization
    assert org is not None
    membership, _ = Membership.objects.get_or_create(user=link.used_by, organization=org)
    link.approved = True
    link.save(update_fields=["approved"])
    record("participant.claim_approved", case=link.participant.case, actor=by, participant=link.participant)
    return membership


def _require_member(participant: Participant, by: User) -> None:
    """The participant's own members (as the gate sees them), not staff acting for it."""
    standing = standing_of(by, participant.case)
    if standing.staff or participant.pk not in standing.own_ids:
        raise RuleViolation("participant-member", "Only the participant's own members can do this")


@transaction.atomic
def answer_embargo(participant: Participant, *, accept: bool, by: User) -> Participant:
    """Joining an embargo: one click accepts it until the stated instant; declining hides the case."""
    participant = (
        Participant.objects.select_for_update(of=("self",)).select_related("case").get(pk=participant.pk)
    )
    if participant.embargo_answer != Participant.EmbargoAnswer.INVITED:
        raise RuleViolation(
            "embargo-answer-once", f"Your organisation already {participant.embargo_answer} it"
        )
    _require_member(participant, by)
    case = participant.case
    if case.embargo_state not in (EM.ACTIVE, EM.REVISE):
        raise RuleViolation("embargo-active", "There is no active embargo to accept or decline")
    participant.embargo_answer = (
        Participant.EmbargoAnswer.ACCEPTED if accept else Participant.EmbargoAnswer.DECLINED
    )
    participant.save(update_fields=["embargo_answer"])
    record(
        "embargo.joined" if accept else "embargo.declined",
        case=case,
        actor=by,
        participant=participant,
        ends_at=case.embargo_ends_at.isoformat() if case.embargo_ends_at else None,
    )
    if not accept:
        kinds.embargo_declined(case, case.analysts.all())
    return participant


def mark_seen(participant: Participant, *, by: User) -> bool:
    """Record the first time one of the vendor's members opens the case. True when it was the first."""
    if participant.seen_at is not None:
        return False
    with transaction.atomic():
        updated = Participant.objects.filter(pk=participant.pk, seen_at__isnull=True).update(
            seen_at=timezone.now()
        )
        if updated:
            record("participant.seen", case=participant.case, actor=by, participant=participant)
    return bool(updated)


@transaction.atomic
def set_tracking_id(participant: Participant, value: str, *, by: User) -> Participant:
    _require_member(participant, by)
    value = (value or "").strip()
    if len(value) > 100:
        raise InvalidInput("tracking_id", "At most 100 characters.")
    old = participant.tracking_id
    participant.tracking_id = value
    participant.save(update_fields=["tracking_id"])
    record(
        "participant.tracking_id",
        case=participant.case,
        actor=by,
        participant=participant,
        old=old,
        new=value,
    )
    return participant


@transaction.atomic
def set_member_access(participant: Participant, users: list[User], *, by: User) -> Participant:
    """Which of the vendor's members see this case. An empty list means every member (the default)."""
    org = participant.organization
    if org is None or not org.memberships.filter(user=by, role=Membership.Role.ADMIN).exists():
        raise RuleViolation("vendor-admin-only", "Only the vendor's admins choose who sees a case")
    outsiders = [u.email for u in users if not org.memberships.filter(user=u).exists()]
    if outsiders:
        raise InvalidInput("members", "Not members of your organisation: " + ", ".join(outsiders))
    CaseMemberAccess.objects.filter(participant=participant).delete()
    CaseMemberAccess.objects.bulk_create([CaseMemberAccess(participant=participant, user=u) for u in users])
    record(
        "participant.member_access",
        case=participant.case,
        actor=by,
        participant=participant,
        members=len(users),
    )
    return participant


VENDOR_TEXT_LIMIT = 100_000


@transaction.atomic
def update_vendor_texts(case: Case, *, vendor_summary: str, notification_text: str, by: User) -> Case:
    """The vendor-facing summary of the report and the coordinator's note to vendors (analysts)."""
    require_analyst(by)
    for name, value in (("vendor_summary", vendor_summary), ("notification_text", notification_text)):
        if len(value or "") > VENDOR_TEXT_LIMIT:
            raise InvalidInput(name, f"At most {VENDOR_TEXT_LIMIT:,} characters.")
    case = Case.objects.select_for_update().get(pk=case.pk)
    changed = [
        name
        for name, value in (("vendor_summary", vendor_summary), ("notification_text", notification_text))
        if getattr(case, name) != (value or "")
    ]
    if not changed:
        return case
    case.vendor_summary = vendor_summary or ""
    case.notification_text = notification_text or ""
    case.save(update_fields=["vendor_summary", "notification_text", "updated_at"])
    record("case.vendor_texts", case=case, actor=by, changed=changed)
    return case


@transaction.atomic
def set_named_at_publication(participant: Participant, named: bool, *, by: User) -> Participant:
    """An anonymous vendor's choice to be named in the published note (process.md "Publication").

    Its own members choose, or an analyst for it (recorded as on its behalf). Allowed at any time:
    during the case it changes nothing anyone else sees; after publication it takes effect in the
    note's next revision, since published revisions are immutable."""
    if participant.kind != Participant.Kind.VENDOR:
        raise RuleViolation("vendors-only", "Only a vendor chooses how it is shown at publication")
    if participant.embargo_answer == Participant.EmbargoAnswer.DECLINED:
        raise RuleViolation(
            "embargo-declined", "This vendor declined the embargo and sees nothing more of the case"
        )
    standing = standing_of(by, participant.case)
    if not standing.speaks_for(participant):
        raise PermissionDenied("Only the vendor's own members or an analyst for it can choose this.")
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    named = bool(named)
    old = participant.named_at_publication
    if old == named:
        return participant
    participant.named_at_publication = named
    participant.save(update_fields=["named_at_publication"])
    record(
        "participant.named_at_publication",
        case=participant.case,
        actor=by,
        participant=participant,
        old=old,
        new=named,
        on_behalf=standing.staff,
    )
    return participant
