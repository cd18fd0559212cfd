"""Case state (process.md "Case state"): six facts that each flip once and never back."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.cases import policy
from accord.cases.access import standing_of
from accord.cases.actions.embargo import tell_analysts
from accord.cases.events import record
from accord.cases.models import Case, FactReport, Participant
from accord.cases.states import EM, SHARED_FACTS, Fact
from accord.core.actors import is_system
from accord.lib.errors import InvalidInput, RuleViolation


def _shared_field(fact: str) -> str:
    return {Fact.P: "p_at", Fact.X: "x_at", Fact.A: "a_at"}[Fact(fact)]


def _embargo_consequences(case: Case, facts: list[str]) -> dict[str, Any]:
    """Apply what newly true P, X or A does to the embargo; returns what changed, for the event."""
    changes: dict[str, Any] = {}
    old = case.embargo_state
    if Fact.P in facts or Fact.X in facts:
        if old in (EM.ACTIVE, EM.REVISE):
            case.embargo_state = EM.EXITED
            case.embargo_proposed_ends_at = None
        elif old == EM.PROPOSED:
            case.embargo_state = EM.NONE
            case.embargo_ends_at = None
            case.embargo_proposed_ends_at = None
    elif Fact.A in facts and old == EM.PROPOSED:
        # No new embargo may start once attacks are seen: the proposal falls back to None.
        case.embargo_state = EM.NONE
        case.embargo_ends_at = None
        case.embargo_proposed_ends_at = None
    elif Fact.A in facts and old in (EM.ACTIVE, EM.REVISE):
        if policy.current("exit_embargo_on_attacks"):
            case.embargo_state = EM.EXITED
            case.embargo_proposed_ends_at = None
        else:
            case.embargo_termination_due = True
            changes["termination_due"] = True
    if case.embargo_state != old:
        case.embargo_termination_due = False  # nothing left to terminate
        changes["embargo"] = {"old": old, "new": case.embargo_state}
    return changes


def _confirm(case: Case, fact: str, at: Any) -> tuple[list[str], dict[str, Any]]:
    """Set `fact` (and P with X) on the case; returns the facts newly set and the embargo changes."""
    newly = []
    for name in [fact, Fact.P] if fact == Fact.X else [fact]:
        field = _shared_field(name)
        if getattr(case, field) is None:
            setattr(case, field, at)
            newly.append(str(name))
    if not newly:
        raise RuleViolation("fact-once", f"{Fact(fact).label} is already true for this case")
    changes = _embargo_consequences(case, newly)
    case.save()
    return newly, changes


@transaction.atomic
def report_fact(case: Case, fact: str, evidence: str, *, by: User) -> FactReport:
    """Report P, X or A with evidence. From an analyst it takes effect at once; otherwise it is a claim."""
    if fact not in SHARED_FACTS:
        raise InvalidInput("fact", "Report P (public), X (exploit public) or A (attacks observed).")
    evidence = (evidence or "").strip()
    if not evidence:
        raise InvalidInput("evidence", "Give the evidence: a URL or a description.")
    if len(evidence) > 10_000:
        raise InvalidInput("evidence", "At most 10,000 characters.")
    case = Case.objects.select_for_update().get(pk=case.pk)
    standing = standing_of(by, case)
    participant = None
    if not standing.staff:
        if not standing.reaches:
            raise RuleViolation("participants-report", "Only the case's participants report P, X or A")
        participant = standing.check("act").participant
    if standing.staff:
        if getattr(case, _shared_field(fact)) is not None:
            raise RuleViolation("fact-once", f"{Fact(fact).label} is already true for this case")
        now = timezone.now()
        claim = FactReport.objects.create(
            case=case,
            fact=fact,
            evidence=evidence,
            reported_by=by,
            participant=participant,
            confirmed_at=now,
            confirmed_by=by,
        )
        newly, changes = _confirm(case, fact, now)
        record("fact.set", case=case, actor=by, fact=fact, facts=newly, evidence=evidence, **changes)
        return claim
    claim = FactReport.objects.create(
        case=case, fact=fact, evidence=evidence, reported_by=by, participant=participant
    )
    record(
        "fact.claimed",
        case=case,
        actor=by,
        participant=participant,
        fact=fact,
        evidence=evidence,
        claim=claim.pk,
    )
    tell_analysts(case, "A claim awaits confirmation", by=by)
    return claim


@transaction.atomic
def confirm_fact(claim: FactReport, *, by: User) -> FactReport:
    if not by.is_analyst:
        raise RuleViolation("analyst-confirms-claims", "Only an analyst confirms a claim")
    claim = FactReport.objects.select_for_update().get(pk=claim.pk)
    if not claim.is_open:
        raise RuleViolation("claim-open", "This claim was already confirmed or dismissed")
    case = Case.objects.select_for_update().get(pk=claim.case_id)
    now = timezone.now()
    newly, changes = _confirm(case, claim.fact, now)
    claim.confirmed_at = now
    claim.confirmed_by = by
    claim.save(update_fields=["confirmed_at", "confirmed_by"])
    record(
        "fact.confirmed",
        case=case,
        actor=by,
        fact=claim.fact,
        facts=newly,
        claim=claim.pk,
        evidence=claim.evidence,
        **changes,
    )
    return claim


@transaction.atomic
def dismiss_fact(claim: FactReport, *, by: User, reason: str = "") -> FactReport:
    if not by.is_analyst:
        raise RuleViolation("analyst-confirms-claims", "Only an analyst dismisses a claim")
    claim = FactReport.objects.select_for_update().get(pk=claim.pk)
    if not claim.is_open:
        raise RuleViolation("claim-open", "This claim was already confirmed or dismissed")
    claim.dismissed_at = timezone.now()
    claim.save(update_fields=["dismissed_at"])
    record("fact.dismissed", case=claim.case, actor=by, fact=claim.fact, claim=claim.pk, reason=reason[:2000])
    return claim


VENDOR_FIELD = {Fact.V: "v_at", Fact.F: "f_at", Fact.D: "d_at"}
VENDOR_BEFORE = {Fact.F: Fact.V, Fact.D: Fact.F}


@transaction.atomic
def set_vendor_fact(
    participant: Participant, fact: str, *, by: Any, at: Any = None, event: bool = True
) -> Participant:
    """V, F or D for one vendor, in order (V before F before D), each once.

    F and D are set only by that vendor or by an analyst on its behalf. `event=False` lets a
    bigger action (notifying a vendor) record the change in its own single event.
    """
    if fact not in VENDOR_FIELD:
        raise InvalidInput("fact", "Vendor facts are V (aware), F (fix ready) and D (fix deployed).")
    if participant.kind != Participant.Kind.VENDOR:
        raise RuleViolation("vendor-facts", "V, F and D belong to vendors")
    # V may also come from Accord itself (SYSTEM: the notification left); F and D may not.
    allowed = fact == Fact.V if is_system(by) else standing_of(by, participant.case).speaks_for(participant)
    if not allowed:
        raise RuleViolation(
            "vendor-sets-own-facts", "Only the vendor or an analyst on its behalf sets V, F and D"
        )
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    field = VENDOR_FIELD[Fact(fact)]
    if getattr(participant, field) is not None:
        raise RuleViolation("fact-once", f"{Fact(fact).label} is already true for this vendor")
    before = VENDOR_BEFORE.get(Fact(fact))
    if before is not None and getattr(participant, VENDOR_FIELD[before]) is None:
        raise RuleViolation("fact-order", f"{Fact(before).label} comes before {Fact(fact).label}")
    setattr(participant, field, at or timezone.now())
    participant.save(update_fields=[field])
    if event:
        record("fact.vendor", case=participant.case, actor=by, participant=participant, fact=fact)
    return participant
