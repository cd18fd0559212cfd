"""Case data: title and summary, analysts, vulnerabilities and products, coordinators."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from accord.accounts.models import Organization, User
from accord.cases.events import record
from accord.cases.models import AffectedProduct, Case, Participant, Vulnerability
from accord.cases.states import RM
from accord.core.access import require_analyst
from accord.lib import vulnids
from accord.lib.errors import InvalidInput, RuleViolation


def require_bringer(case: Case, by: User) -> None:
    """Only a participant in Accepted may bring others into the case (process.md): here, an analyst
    of the coordinator, while the coordinator's own participation is Accepted."""
    require_analyst(by)
    ours = case.participants.filter(kind=Participant.Kind.COORDINATOR).order_by("id").first()
    if ours is None or ours.rm_state != RM.ACCEPTED:
        raise RuleViolation("rm-accepted-brings-others", "Only a participant in Accepted may bring others in")


@transaction.atomic
def update_case(case: Case, *, by: User, title: str | None = None, summary: str | None = None) -> Case:
    require_analyst(by)
    changes: dict[str, Any] = {}
    if title is not None:
        title = title.strip()
        if not title:
            raise InvalidInput("title", "A case needs a title.")
        if len(title) > 300:
            raise InvalidInput("title", "At most 300 characters.")
        if title != case.title:
            changes["title"] = {"old": case.title, "new": title}
            case.title = title
    if summary is not None:
        if len(summary) > 100_000:
            raise InvalidInput("summary", "At most 100,000 characters.")
        if summary != case.summary:
            changes["summary"] = {"changed": True}
            case.summary = summary
    case.save()
    record("case.updated", case=case, actor=by, changes=changes)
    return case


@transaction.atomic
def assign_analysts(case: Case, analysts: list[User], *, by: User, owner: User | None = None) -> Case:
    require_analyst(by)
    for analyst in [*analysts, *([owner] if owner else [])]:
        if not analyst.is_analyst:
            raise InvalidInput("analysts", f"{analyst.email} is not an analyst.")
    old = sorted(case.analysts.values_list("email", flat=True))
    case.analysts.set(analysts)
    old_owner = case.owner.email if case.owner else None
    if owner is not None:
        case.owner = owner
        case.analysts.add(owner)
        case.save()
    record(
        "case.analysts",
        case=case,
        actor=by,
        old=old,
        new=sorted(a.email for a in case.analysts.all()),
        old_owner=old_owner,
        owner=case.owner.email if case.owner else None,
    )
    return case


def _vulnerability_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "cve" in data:
        fields["cve"] = vulnids.check_cve(data["cve"])
    if "cwe" in data:
        fields["cwe"] = vulnids.check_cwe(data["cwe"])
    if "euvd" in data:
        fields["euvd"] = vulnids.check_euvd(data["euvd"])
    if "gcve" in data:
        fields["gcve"] = vulnids.check_gcve(data["gcve"] or [])
    if "cvss3_vector" in data:
        fields["cvss3_vector"], fields["cvss3_score"] = vulnids.cvss3_score(data["cvss3_vector"])
    if "cvss4_vector" in data:
        fields["cvss4_vector"], fields["cvss4_score"] = vulnids.cvss4_score(data["cvss4_vector"])
    for name, limit in (("title", 300), ("description", 100_000)):
        if name in data:
            value = data[name] or ""
            if len(value) > limit:
                raise InvalidInput(name, f"At most {limit:,} characters.")
            fields[name] = value
    return fields


def _check_cve_unique(case: Case, cve: str, exclude: int | None = None) -> None:
    others = case.vulnerabilities.filter(cve=cve)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if cve and others.exists():
        raise InvalidInput("cve", f"{cve} is already attached to another vulnerability of this case.")


@transaction.atomic
def add_vulnerability(case: Case, *, by: User, **data: Any) -> Vulnerability:
    require_analyst(by)
    fields = _vulnerability_fields(data)
    _check_cve_unique(case, fields.get("cve", ""))
    case = Case.objects.select_for_update().get(pk=case.pk)
    seq = (case.vulnerabilities.aggregate(top=Max("seq"))["top"] or 0) + 1
    vulnerability = Vulnerability.objects.create(case=case, seq=seq, **fields)
    record(
        "vulnerability.added",
        case=case,
        actor=by,
        vulnerability=vulnerability.label,
        values={k: str(v) for k, v in fields.items() if k != "description" and v not in ("", None)},
    )
    return vulnerability


@transaction.atomic
def update_vulnerability(vulnerability: Vulnerability, *, by: User, **data: Any) -> Vulnerability:
    require_analyst(by)
    fields = _vulnerability_fields(data)
    _check_cve_unique(vulnerability.case, fields.get("cve", ""), exclude=vulnerability.pk)
    changes = {}
    for name, value in fields.items():
        old = getattr(vulnerability, name)
        if old != value:
            changes[name] = {
                "old": None if old is None else str(old),
                "new": None if value is None else str(value),
            }
            setattr(vulnerability, name, value)
    vulnerability.save()
    record(
        "vulnerability.updated",
        case=vulnerability.case,
        actor=by,
        vulnerability=vulnerability.label,
        changes=changes,
    )
    return vulnerability


@transaction.atomic
def add_product(
    vulnerability: Vulnerability, name: str, *, by: User, version_range: str = "", purl: str = ""
) -> AffectedProduct:
    require_analyst(by)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", "Name the product.")
    if len(name) > 300 or len(version_range) > 200:
        raise InvalidInput("name", "The product name or version range is too long.")
    product = AffectedProduct.objects.create(
        vulnerability=vulnerability,
        name=name,
        version_range=version_range.strip(),
        purl=vulnids.check_purl(purl),
    )
    record(
        "product.added",
        case=vulnerability.case,
        actor=by,
        vulnerability=vulnerability.label,
        name=name,
        version_range=product.version_range,
        purl=product.purl,
    )
    return product


@transaction.atomic
def add_coordinator(case: Case, organization: Organization, *, by: User) -> Participant:
    """Bring another coordinator into the case. Only a participant in Accepted brings others in."""
    require_analyst(by)
    if organization.kind != Organization.Kind.COORDINATOR:
        raise InvalidInput("organization", f"{organization.name} is not a coordinator.")
    require_bringer(case, by)
    if case.participants.filter(organization=organization).exists():
        raise RuleViolation("one-participation", f"{organization.name} already participates")
    count = case.participants.filter(kind=Participant.Kind.COORDINATOR).count()
    participant = Participant.objects.create(
        case=case,
        kind=Participant.Kind.COORDINATOR,
        organization=organization,
        alias=f"Coordinator {count + 1}",
        rm_state=RM.RECEIVED,
    )
    record(
        "participant.added",
        case=case,
        actor=by,
        participant=participant,
        kind="coordinator",
        organization=organization.name,
    )
    return participant
