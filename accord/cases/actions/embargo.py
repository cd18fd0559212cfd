"""The embargo machine and the disclosure policy dates (process.md "Embargo", "Disclosure policy")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.cases import policy, ssvc
from accord.cases.access import ReporterKey, standing_of
from accord.cases.events import record
from accord.cases.models import Case, Participant, SsvcDecision
from accord.cases.states import EM, em_next
from accord.core.access import require_analyst
from accord.core.actors import SYSTEM, person
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.reasons import required_reason
from accord.lib.time import rfc3339
from accord.mailgate import kinds


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def tell_analysts(case: Case, what: str, *, by: Any) -> None:
    """Mail the case's analysts (owner first) that `what` awaits them, except the one who did it.

    Neutral mail: the VU#, a few words and a link, never case details (process.md, "Mail and
    confidentiality").
    """
    analysts = sorted(case.analysts.all(), key=lambda a: (a.pk != case.owner_id, a.pk))
    kinds.analyst_notice(case, [a for a in analysts if a.pk != getattr(by, "pk", None)], what)


def _check_end(ends_at: Any) -> dt.datetime:
    if ends_at is None:
        raise RuleViolation("em-end-instant", "An embargo proposal needs an exact end instant")
    if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
        raise InvalidInput(
            "ends_at", "Give the end as an instant with a time zone, e.g. 2026-12-31T15:00:00Z."
        )
    if ends_at <= timezone.now():
        raise InvalidInput("ends_at", "The end instant must be in the future.")
    return ends_at.astimezone(dt.UTC)


def _sync_target(case: Case) -> None:
    """While an embargo is Active, the target publication date is its end."""
    if case.embargo_state in (EM.ACTIVE, EM.REVISE) and case.first_contact_at is not None:
        case.target_publication_at = case.embargo_ends_at


@transaction.atomic
def propose_embargo(case: Case, ends_at: Any, *, by: User | ReporterKey, reason: str = "") -> Case:
    """Propose (or counter, or revise) an embargo ending at `ends_at`.

    Analysts and the case's participants may propose; a revision leaves the current terms in force.
    The reporter proposes too (process.md "Disclosure policy"), signed in or through the follow
    link's secret (`by` is then a ReporterKey, and the timeline names "the reporter").
    """
    case = _locked(case)
    standing = standing_of(by, case)
    if not standing.reaches:
        raise RuleViolation("participants-negotiate", "Only the case's participants propose embargo terms")
    standing.check("act")  # an invited vendor accepts or declines the terms before negotiating
    ends = _check_end(ends_at)
    if case.p_at or case.x_at:
        raise RuleViolation(
            "em-after-public", "The vulnerability is public (P or X): no embargo can be proposed"
        )
    if case.a_at and case.embargo_state in (EM.NONE, EM.PROPOSED):
        raise RuleViolation("em-after-attacks", "Attacks were observed (A): no new embargo can be proposed")
    old = case.embargo_state
    case.embargo_state = em_next(old, "propose")
    case.embargo_proposed_ends_at = ends
    case.embargo_proposed_by = person(by)
    case.embargo_proposer = None if standing.staff else standing.participant
    case.embargo_proposal_reason = reason[:5000]
    case.save()
    record(
        "embargo.proposed",
        case=case,
        actor=by,
        # Who proposed, where no account can say it: the reporter through the follow link.
        participant=standing.participant if person(by) is None else None,
        old=old,
        new=case.embargo_state,
        ends_at=rfc3339(ends),
        current_ends_at=rfc3339(case.embargo_ends_at),
        reason=reason[:5000],
    )
    tell_analysts(case, "Embargo negotiation: a new proposal", by=by)
    return case


@transaction.atomic
def accept_embargo(case: Case, *, by: User) -> Case:
    require_analyst(by)
    case = _locked(case)
    if case.p_at or case.x_at:
        raise RuleViolation(
            "em-after-public", "The vulnerability is public (P or X): no embargo can be accepted"
        )
    old = case.embargo_state
    new = em_next(old, "accept")
    if case.a_at and old == EM.PROPOSED:
        raise RuleViolation("em-after-attacks", "Attacks were observed (A): no new embargo can start")
    ends = case.embargo_proposed_ends_at
    if ends is None or ends <= timezone.now():
        raise RuleViolation("em-end-instant", "The proposed end instant has passed; propose a new one")
    old_end = case.embargo_ends_at
    case.embargo_state = new
    case.embargo_ends_at = ends
    case.embargo_proposed_ends_at = None
    case.embargo_proposal_reason = ""
    _sync_target(case)
    case.save()
    record(
        "embargo.accepted",
        case=case,
        actor=by,
        old=old,
        new=new,
        old_ends_at=rfc3339(old_end),
        ends_at=rfc3339(ends),
    )
    tell_analysts(case, "Embargo negotiation: a proposal was accepted", by=by)
    return case


@transaction.atomic
def reject_embargo(case: Case, *, by: User, reason: str = "") -> Case:
    require_analyst(by)
    case = _locked(case)
    old = case.embargo_state
    case.embargo_state = em_next(old, "reject")
    rejected = case.embargo_proposed_ends_at
    case.embargo_proposed_ends_at = None
    case.embargo_proposal_reason = ""
    if case.embargo_state == EM.NONE:
        case.embargo_ends_at = None
        case.embargo_termination_due = False
    case.save()
    record(
        "embargo.rejected",
        case=case,
        actor=by,
        old=old,
        new=case.embargo_state,
        rejected_ends_at=rfc3339(rejected),
        ends_at=rfc3339(case.embargo_ends_at),
        reason=reason[:5000],
    )
    tell_analysts(case, "Embargo negotiation: a proposal was rejected", by=by)
    return case


@transaction.atomic
def terminate_embargo(case: Case, *, by: User, reason: str = "") -> Case:
    """End the embargo at once, for good. (Ending early at a future time is a revision.)

    The reason is required: it goes on the timeline, which the participants read.
    """
    require_analyst(by)
    case = _locked(case)
    old = case.embargo_state
    new = em_next(old, "terminate")
    reason = required_reason(reason, "to terminate the embargo")
    case.embargo_state = new
    case.embargo_proposed_ends_at = None
    case.embargo_termination_due = False
    case.save()
    record("embargo.terminated", case=case, actor=by, old=old, new=new, reason=reason)
    return case


def exit_expired_embargoes(now: dt.datetime | None = None) -> list[int]:
    """Exit every embargo whose end instant has passed. Run by the scheduler; returns case numbers."""
    now = now or timezone.now()
    done = []
    due = Case.objects.filter(embargo_state__in=(EM.ACTIVE, EM.REVISE), embargo_ends_at__lte=now)
    for case_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.embargo_state not in (EM.ACTIVE, EM.REVISE) or case.embargo_ends_at is None:
                continue
            if case.embargo_ends_at > now:
                continue
            old = case.embargo_state
            case.embargo_state = EM.EXITED
            case.embargo_proposed_ends_at = None
            case.embargo_termination_due = False
            case.save()
            record(
                "embargo.expired",
                case=case,
                actor=SYSTEM,
                old=old,
                new=EM.EXITED,
                ends_at=rfc3339(case.embargo_ends_at),
            )
            done.append(case.number)
    return done


@transaction.atomic
def record_contact_attempt(
    case: Case,
    *,
    by: Any,
    at: dt.datetime | None = None,
    participant: Participant | None = None,
    outside: bool = False,
    note: str = "",
) -> Case:
    """A contact attempt with a vendor. The first one fixes the target date and starts Accord's
    default embargo (Active at once, ending at the target), unless an embargo already stands.
    """
    require_analyst(by)  # an analyst, or Accord itself (SYSTEM) recording its own notification
    case, data = apply_contact_attempt(case, at=at, participant=participant, outside=outside, note=note)
    record("contact.attempt", case=case, actor=by, participant=participant, **data)
    return case


def apply_contact_attempt(
    case: Case,
    *,
    at: dt.datetime | None = None,
    participant: Participant | None = None,
    outside: bool = False,
    note: str = "",
) -> tuple[Case, dict[str, Any]]:
    """The effect of a contact attempt, without its event: for actions that record it in theirs."""
    if at is not None and (not isinstance(at, dt.datetime) or at.tzinfo is None):
        raise InvalidInput("at", "Give the instant with a time zone.")
    at = (at or timezone.now()).astimezone(dt.UTC)
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("at", "A contact attempt cannot be in the future.")
    case = _locked(case)
    data: dict[str, Any] = {"at": rfc3339(at), "outside_accord": outside, "note": note[:2000]}
    if participant is not None and (
        participant.first_contact_at is None or at < participant.first_contact_at
    ):
        participant.first_contact_at = at
        participant.save(update_fields=["first_contact_at"])
    if case.first_contact_at is None or at < case.first_contact_at:
        # The policy in force at the first contact applies (the vendor was contacted under it).
        days = policy.current("disclosure_days", at=at)
        first = case.first_contact_at is None
        # Accord's default embargo ends at the policy date of the first contact, so it moves
        # with an earlier first contact; an embargo negotiated to another end stands.
        default_embargo = (
            case.first_contact_at is not None
            and case.disclosure_days is not None
            and case.embargo_state in (EM.ACTIVE, EM.REVISE)
            and case.embargo_ends_at == case.first_contact_at + dt.timedelta(days=case.disclosure_days)
        )
        case.first_contact_at = at
        case.disclosure_days = days
        case.target_publication_at = at + dt.timedelta(days=days)
        data.update(first=first, target_publication_at=rfc3339(case.target_publication_at), days=days)
        # The coordinator's published policy is the default proposal, accepted on receipt.
        if (
            case.embargo_state in (EM.NONE, EM.PROPOSED)
            and not (case.p_at or case.x_at or case.a_at)
            and case.target_publication_at > timezone.now()
        ):
            data["embargo"] = _start_default_embargo(case)
        elif default_embargo:
            # If the new end has passed already, the scheduler's next tick exits the embargo.
            data["embargo_ends_at"] = {
                "old": rfc3339(case.embargo_ends_at),
                "new": rfc3339(case.target_publication_at),
            }
            case.embargo_ends_at = case.target_publication_at
        _sync_target(case)
        data["target_publication_at"] = rfc3339(case.target_publication_at)
        case.save()
    return case, data


def _start_default_embargo(case: Case) -> dict[str, Any]:
    """Accord's default embargo at the first contact: Active until the policy date. A proposal
    still pending then competes with it and the shorter end wins; a later proposed end stays
    pending as a revision (process.md "Accord's default embargo")."""
    old = case.embargo_state
    policy_end = case.target_publication_at
    assert policy_end is not None
    proposed = case.embargo_proposed_ends_at if old == EM.PROPOSED else None
    if proposed is not None and proposed <= timezone.now():
        proposed = None  # a proposal whose end has passed proposes nothing any more
    case.embargo_state = EM.ACTIVE
    case.embargo_ends_at = policy_end if proposed is None else min(proposed, policy_end)
    if proposed is not None and proposed > policy_end:
        case.embargo_state = EM.REVISE  # the longer proposal waits for the analyst's decision
    else:
        case.embargo_proposed_ends_at = None
        case.embargo_proposal_reason = ""
    change = {"old": old, "new": case.embargo_state, "ends_at": rfc3339(case.embargo_ends_at)}
    if old == EM.PROPOSED:
        change["proposed_ends_at"] = rfc3339(proposed)
    return change


@transaction.atomic
def apply_policy(case: Case, *, by: User) -> Case:
    """Re-apply the current policy to an open case (open cases keep their dates otherwise)."""
    require_analyst(by)
    case = _locked(case)
    if case.first_contact_at is None:
        raise RuleViolation(
            "policy-needs-contact", "No vendor was contacted yet: there is no date to recompute"
        )
    days = policy.current("disclosure_days")
    old_target, old_days = case.target_publication_at, case.disclosure_days
    case.disclosure_days = days
    case.target_publication_at = case.first_contact_at + dt.timedelta(days=days)
    data: dict[str, Any] = {}
    if case.embargo_state in (EM.ACTIVE, EM.REVISE):
        if case.target_publication_at <= timezone.now():
            raise RuleViolation(
                "em-end-instant", "The new target date has passed; terminate the embargo instead"
            )
        data["embargo_ends_at"] = {
            "old": rfc3339(case.embargo_ends_at),
            "new": rfc3339(case.target_publication_at),
        }
        case.embargo_ends_at = case.target_publication_at
    case.save()
    record(
        "policy.applied",
        case=case,
        actor=by,
        old_days=old_days,
        days=days,
        old_target=rfc3339(old_target),
        target=rfc3339(case.target_publication_at),
        **data,
    )
    return case


@transaction.atomic
def record_publish_decision(
    case: Case, values: dict[str, str], chosen: str, *, by: User, rationale: str = ""
) -> SsvcDecision:
    """The SSVC coordinator-publish decision: values, the table's outcome and the analyst's choice."""
    require_analyst(by)
    try:
        outcome = ssvc.publish_outcome(values)
    except ssvc.SsvcInputError as exc:
        raise InvalidInput(exc.point or "values", str(exc))
    if chosen not in ssvc.COORDINATOR_PUBLISH.outcome_values:
        raise InvalidInput("chosen", f"Choose one of {', '.join(ssvc.COORDINATOR_PUBLISH.outcome_values)}.")
    decision = SsvcDecision.objects.create(
        table=SsvcDecision.Table.PUBLISH,
        case=case,
        values=dict(values),
        outcome=outcome,
        chosen=chosen,
        rationale=rationale[:5000],
        decided_by=by,
    )
    record("ssvc.publish", case=case, actor=by, values=dict(values), outcome=outcome, chosen=chosen)
    return decision
