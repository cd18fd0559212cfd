"""Recording a vendor's answer to the four questions (process.md "Vendor answers").

One action, `submit_answer`, takes any of: statuses (replacing the vendor's earlier ones), a
statement (a new version when its bytes differ), a request for more information, and the
sharing choice. It moves the vendor's report state as process.md says and writes one event.

"No answer given" is not "unknown": `statuses=None` leaves the vendor's statuses as they are,
and statuses equal to the current ones change nothing. Asking for more information alone
records no status and does not count as answering (`Answer.answered_at` stays as it was).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.answers.models import Addendum, Answer, Justification, Statement, Status, VexStatus
from accord.answers.signatures import unapproved_signer
from accord.cases.access import standing_of
from accord.cases.events import record
from accord.cases.models import Participant, Vulnerability
from accord.cases.states import RM, Fact, rm_next
from accord.core.access import require_analyst
from accord.lib import openpgp
from accord.lib.errors import InvalidInput, RuleViolation, storable
from accord.lib.vulnids import check_purl


@dataclass
class StatusInput:
    vulnerability: str  # "VU#123456.1" or "1"
    status: str
    product: str = ""
    version_range: str = ""
    purl: str = ""
    justification: str = ""
    impact_statement: str = ""
    fixed_version: str = ""
    release_reference: str = ""
    expected_fix_date: dt.date | None = None
    will_not_fix: bool = False


@dataclass
class StatementInput:
    text: bytes
    signature: str = ""
    references: str = ""


@dataclass
class AnswerInput:
    statuses: list[StatusInput] | None = None
    statement: StatementInput | None = None
    need_more_information: str = ""
    share: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def statement_limit() -> int:
    return int(getattr(settings, "STATEMENT_MAX_BYTES", 65536))


def _vulnerability(participant: Participant, ref: str, index: int) -> Vulnerability:
    raw = (ref or "").strip()
    seq_text = raw.rsplit(".", 1)[-1] if "." in raw else raw
    try:
        seq = int(seq_text)
    except ValueError:
        raise InvalidInput(
            f"statuses[{index}].vulnerability", f"{raw!r} is not a vulnerability id like VU#123456.1."
        )
    if "." in raw:
        number = raw.rsplit(".", 1)[0].upper().replace("VU", "").replace("#", "").strip()
        if number != str(participant.case.number):
            raise InvalidInput(
                f"statuses[{index}].vulnerability", f"{raw} is not a vulnerability of this case."
            )
    found = participant.case.vulnerabilities.filter(seq=seq).first()
    if found is None:
        raise InvalidInput(f"statuses[{index}].vulnerability", f"{raw} is not a vulnerability of this case.")
    return found


def _check_status(item: StatusInput, index: int) -> None:
    where = f"statuses[{index}]"
    if item.status not in VexStatus.values:
        raise InvalidInput(f"{where}.status", f"Status must be one of {', '.join(VexStatus.values)}.")
    if item.justification and item.justification not in Justification.values:
        raise InvalidInput(
            f"{where}.justification", f"Justification must be one of {', '.join(Justification.values)}."
        )
    if item.status == VexStatus.NOT_AFFECTED and not (item.justification or item.impact_statement.strip()):
        raise InvalidInput(
            f"{where}.justification",
            "'Not affected' needs a justification or an impact statement saying why.",
        )
    if item.status != VexStatus.NOT_AFFECTED and item.justification:
        raise InvalidInput(f"{where}.justification", "A justification goes only with 'not affected'.")
    if item.status == VexStatus.FIXED and not item.fixed_version.strip():
        raise InvalidInput(f"{where}.fixed_version", "Say which version fixes it.")
    for name, limit in (
        ("product", 300),
        ("version_range", 200),
        ("fixed_version", 200),
        ("release_reference", 500),
        ("impact_statement", 10_000),
    ):
        if len(getattr(item, name) or "") > limit:
            raise InvalidInput(f"{where}.{name}", f"At most {limit:,} characters.")
    if item.purl:
        try:
            check_purl(item.purl)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}.purl", exc.message)


def _rm_target(statuses: list[StatusInput]) -> str | None:
    """The report state a set of statuses asks for (process.md's mapping)."""
    if not statuses:
        return None
    if any(s.will_not_fix for s in statuses):
        return RM.DEFERRED
    if any(s.expected_fix_date or s.status == VexStatus.FIXED for s in statuses):
        return RM.ACCEPTED
    if any(s.status == VexStatus.AFFECTED for s in statuses):
        return RM.VALID
    if all(s.status == VexStatus.NOT_AFFECTED for s in statuses):
        return RM.INVALID
    return None


# Legal RM paths from each state to each target, walking the machine of process.md.
_PATHS: dict[str, dict[str, list[str]]] = {
    RM.VALID: {RM.RECEIVED: ["validate"], RM.INVALID: ["validate"]},
    RM.INVALID: {RM.RECEIVED: ["invalidate"]},
    RM.ACCEPTED: {
        RM.RECEIVED: ["validate", "accept"],
        RM.INVALID: ["validate", "accept"],
        RM.VALID: ["accept"],
        RM.DEFERRED: ["accept"],
    },
    RM.DEFERRED: {
        RM.RECEIVED: ["validate", "defer"],
        RM.INVALID: ["validate", "defer"],
        RM.VALID: ["defer"],
        RM.ACCEPTED: ["defer"],
    },
}


def _advance(state: str, target: str | None) -> str:
    if target is None or target == state:
        return state
    for action in _PATHS.get(target, {}).get(state, []):
        state = rm_next(state, action)
    return state


Checked = tuple[str, str, str, str]  # (signature kind, verification, fingerprint, detail)


def _verify(participant: Participant, text: bytes, signature: str) -> Checked:
    """(kind, verification, fingerprint, detail) against the organisation's pinned keys only.

    Runs gpg: call it outside any database transaction (architecture.md convention 5)."""
    from accord.vendors.queries import pinned_keys

    keys: list[str] = []
    if participant.organization is not None:
        keys = [key.armored for key in pinned_keys(participant.organization)]
    if signature.strip():
        result = openpgp.verify_detached(text, signature, keys)
        kind = Statement.SignatureKind.DETACHED
    elif openpgp.looks_clearsigned(text):
        result = openpgp.verify_clearsigned(text, keys)
        kind = Statement.SignatureKind.CLEARSIGNED
    else:
        return Statement.SignatureKind.NONE, Statement.Verification.UNSIGNED, "", "No signature"
    if result.status == "unsigned":  # a signature was claimed but gpg saw none: never "verified"
        return kind, Statement.Verification.FAILED, "", result.detail
    if result.status == "failed" and result.detail == openpgp.NOT_PINNED:
        return kind, result.status, "", _unapproved_signer(participant, text, signature) or result.detail
    return kind, result.status, result.fingerprint or "", result.detail[:500]


def _unapproved_signer(participant: Participant, text: bytes, signature: str) -> str | None:
    """Why a key that is not pinned made the signature, when it is one the organisation uploaded:
    waiting for the coordinator's approval, or refused. Runs gpg (outside any transaction)."""
    if participant.organization_id is None:
        return None

    def check(keys: list[str]) -> openpgp.Verification:
        if signature.strip():
            return openpgp.verify_detached(text, signature, keys)
        return openpgp.verify_clearsigned(text, keys)

    return unapproved_signer([participant.organization_id], check)


def submit_answer(participant: Participant, data: AnswerInput, *, by: User) -> Answer:
    """Record a vendor's answer. A statement's signature is checked with gpg first, outside the
    transaction that records the answer, so gpg never holds the database's write lock."""
    if participant.kind != Participant.Kind.VENDOR:
        raise RuleViolation("vendors-answer", "Only vendors answer the four questions")
    if participant.embargo_answer == Participant.EmbargoAnswer.DECLINED:
        raise RuleViolation(
            "embargo-declined", "This vendor declined the embargo and sees nothing more of the case"
        )
    standing = standing_of(by, participant.case)
    if standing.reaches and not standing.staff:
        standing.check("act")  # an invited vendor accepts the embargo before answering
    if not standing.speaks_for(participant):
        raise RuleViolation(
            "vendor-answers-own", "Only the vendor's members or an analyst answer for a vendor"
        )
    on_behalf = standing.staff
    _check_statement(data)
    checked: Checked | None = None
    if data.statement is not None and not on_behalf:
        checked = _verify(participant, data.statement.text, data.statement.signature)
    return _record_answer(participant, data, by=by, on_behalf=on_behalf, checked=checked)


def _check_statement(data: AnswerInput) -> None:
    if data.statement is not None and len(data.statement.text) > statement_limit():
        raise InvalidInput("statement.text", f"A statement is limited to {statement_limit():,} bytes.")
    if data.statement is not None and not data.statement.text:
        raise InvalidInput("statement.text", "The statement is empty.")
    if data.statement is not None and len(data.statement.signature) > 100_000:
        raise InvalidInput("statement.signature", "That signature is too large to be one.")


@transaction.atomic
def _record_answer(
    participant: Participant, data: AnswerInput, *, by: User, on_behalf: bool, checked: Checked | None
) -> Answer:
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("case", "organization")
        .get(pk=participant.pk)
    )
    summary: dict[str, Any] = {"on_behalf": on_behalf}
    # Validate everything before writing anything.
    resolved: list[tuple[StatusInput, Vulnerability]] = []
    if data.statuses is not None:
        seen = set()
        for index, item in enumerate(data.statuses):
            _check_status(item, index)
            vulnerability = _vulnerability(participant, item.vulnerability, index)
            key = (vulnerability.pk, item.product.strip().lower())
            if key in seen:
                raise InvalidInput(
                    f"statuses[{index}]", "Two statuses for the same vulnerability and product."
                )
            seen.add(key)
            resolved.append((item, vulnerability))
    storable(data.need_more_information, "need_more_information")
    if len(data.need_more_information) > 20_000:
        raise InvalidInput("need_more_information", "At most 20,000 characters.")

    answer, _ = Answer.objects.get_or_create(participant=participant)
    now = timezone.now()
    changed: list[str] = []
    if data.statuses is not None and _same_statuses(participant, resolved):
        data = dataclasses.replace(data, statuses=None)  # the same answer again: nothing to record
    if data.statuses is not None:
        changed.append("statuses")
        participant.statuses.all().delete()
        Status.objects.bulk_create(
            [
                Status(
                    participant=participant,
                    vulnerability=vulnerability,
                    product=item.product.strip(),
                    version_range=item.version_range.strip(),
                    purl=item.purl.strip(),
                    status=item.status,
                    justification=item.justification,
                    impact_statement=item.impact_statement,
                    fixed_version=item.fixed_version.strip(),
                    release_reference=item.release_reference.strip(),
                    expected_fix_date=item.expected_fix_date,
                    will_not_fix=item.will_not_fix,
                    recorded_by=by,
                    on_behalf=on_behalf,
                    created_at=now,
                )
                for item, vulnerability in resolved
            ]
        )
        summary["statuses"] = dict(Counter(item.status for item in data.statuses))
        old_state = participant.rm_state
        participant.rm_state = _advance(old_state, _rm_target(data.statuses))
        if participant.rm_state != old_state:
            summary["rm"] = {"old": old_state, "new": participant.rm_state}
        if any(s.status == VexStatus.FIXED for s in data.statuses) and participant.f_at is None:
            if participant.v_at is None:
                participant.v_at = now  # answering proves awareness: V comes before F
            participant.f_at = now
            summary["facts"] = [Fact.F.value]
        participant.save(update_fields=["rm_state", "v_at", "f_at"])
    if data.statement is not None:
        current = participant.statements.order_by("-version").first()
        if (
            current is None
            or current.text_bytes != data.statement.text
            or (data.statement.signature and data.statement.signature != current.signature)
        ):
            # Recorded after a phone call or a letter (on the vendor's behalf): never shown as signed.
            kind, verification, fingerprint, detail = checked or (
                Statement.SignatureKind.NONE.value,
                Statement.Verification.UNSIGNED.value,
                "",
                f"Recorded by {by.display_name} for the vendor",
            )
            statement = Statement.objects.create(
                participant=participant,
                version=(current.version + 1) if current else 1,
                text=data.statement.text,
                signature=data.statement.signature,
                signature_kind=kind,
                verification=verification,
                fingerprint=fingerprint,
                verification_detail=detail,
                references=data.statement.references[:5000],
                share=bool(data.share),
                recorded_by=by,
                on_behalf=on_behalf,
            )
            summary["statement"] = {"version": statement.version, "verification": verification}
            changed.append("statement")
    if data.need_more_information.strip():
        # "Need more information" is a request in the vendor's private thread, open until answered.
        from accord.conversation import actions as conversation

        request = conversation.post_message(
            conversation.private_thread(participant),
            data.need_more_information,
            speaker=conversation.Speaker(by, participant),  # the vendor's, even when recorded for it
            request=True,
            mentions=False,
        )
        summary["info_request"] = request.pk
        changed.append("info_request")
    if data.share is not None and data.share != answer.share:
        answer.share = data.share
        summary["share"] = data.share
        changed.append("share")
    if "statuses" in changed or "statement" in changed:
        answer.answered_at = now  # a question or a sharing choice alone is not an answer
    answer.changed = changed
    if not changed:
        return answer  # nothing new: no event
    answer.save()
    record("answer.submitted", case=participant.case, actor=by, participant=participant, **summary)
    if {"statuses", "statement", "share"} & set(changed):
        _after_publication(participant)
    return answer


def _after_publication(participant: Participant) -> None:
    """A late answer on a published note waits in a pending revision (process.md)."""
    from accord.publication.actions import late_answer

    late_answer(participant)


def _status_key(item: StatusInput, vulnerability: Vulnerability) -> tuple[Any, ...]:
    return (
        vulnerability.pk,
        item.product.strip(),
        item.version_range.strip(),
        item.purl.strip(),
        item.status,
        item.justification,
        item.impact_statement,
        item.fixed_version.strip(),
        item.release_reference.strip(),
        item.expected_fix_date,
        item.will_not_fix,
    )


def _same_statuses(participant: Participant, resolved: list[tuple[StatusInput, Vulnerability]]) -> bool:
    """Whether these statuses are exactly the vendor's current ones (then nothing is replaced)."""
    current = sorted(
        (
            s.vulnerability_id,
            s.product,
            s.version_range,
            s.purl,
            s.status,
            s.justification,
            s.impact_statement,
            s.fixed_version,
            s.release_reference,
            s.expected_fix_date,
            s.will_not_fix,
        )
        for s in participant.statuses.all()
    )
    wanted = sorted(_status_key(item, vulnerability) for item, vulnerability in resolved)
    return bool(current) and current == wanted


@transaction.atomic
def add_addendum(participant: Participant, text: str, *, by: User) -> Addendum:
    require_analyst(by)
    text = storable(text or "", "text")
    if not text.strip():
        raise InvalidInput("text", "Write the addendum first.")
    if len(text) > 20_000:
        raise InvalidInput("text", "At most 20,000 characters.")
    latest = participant.statements.order_by("-version").first()
    addendum = Addendum.objects.create(participant=participant, statement=latest, text=text, author=by)
    record("answer.addendum", case=participant.case, actor=by, participant=participant, addendum=addendum.pk)
    return addendum


# --- A statement received by mail (issue 10, item 4) --------------------------------------------------

ASK_CLEARSIGNED = (
    "This mail was signed and encrypted in one OpenPGP message, whose signature Accord cannot keep"
    " apart from the encryption: ask the vendor for a clearsigned statement"
)


def statement_from_mail(inbound: Any, *, by: User) -> Statement:
    """Make the signed bytes of a vendor's mail, exactly as received, that vendor's next statement
    version: a clearsigned text, or a PGP/MIME signed entity with its detached signature. The
    signature is checked again here (gpg, before the transaction), with the words of
    submit_answer, so that the statement verifies as any other."""
    from accord.mailgate.models import InboundMessage

    require_analyst(by)
    inbound = InboundMessage.objects.select_related("participant__case", "participant__organization").get(
        pk=inbound.pk
    )
    participant = inbound.participant
    if (
        participant is None
        or participant.kind != Participant.Kind.VENDOR
        or inbound.posted_message_id is None
    ):
        raise RuleViolation(
            "mail-from-vendor", "This mail is not in the private thread of a vendor participant of a case"
        )
    if inbound.signed_data is None or not bytes(inbound.signed_data):
        if inbound.signature and inbound.decryption == InboundMessage.Decryption.DECRYPTED:
            raise RuleViolation("mail-signed-bytes", ASK_CLEARSIGNED)
        raise RuleViolation(
            "mail-signed-bytes",
            "This mail carries no signed text: ask the vendor for a clearsigned statement",
        )
    text = bytes(inbound.signed_data)
    if len(text) > statement_limit():
        raise RuleViolation("mail-signed-bytes", f"A statement is limited to {statement_limit():,} bytes")
    checked = _verify(participant, text, inbound.detached_signature)
    return _record_mail_statement(participant, inbound, text, checked, by=by)


@transaction.atomic
def _record_mail_statement(
    participant: Participant, inbound: Any, text: bytes, checked: Checked, *, by: User
) -> Statement:
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("case", "organization")
        .get(pk=participant.pk)
    )
    kind, verification, fingerprint, detail = checked
    answer, _ = Answer.objects.get_or_create(participant=participant)
    current = participant.statements.order_by("-version").first()
    statement = Statement.objects.create(
        participant=participant,
        version=(current.version + 1) if current else 1,
        text=text,
        signature=inbound.detached_signature,
        signature_kind=kind,
        verification=verification,
        fingerprint=fingerprint,
        verification_detail=detail,
        share=answer.share,
        recorded_by=by,
        on_behalf=False,  # the vendor's own signed words, not an analyst's note of them
        received_by_mail=True,
    )
    answer.answered_at = timezone.now()
    answer.save()
    record(
        "answer.statement_by_mail",
        case=participant.case,
        actor=by,
        participant=participant,
        statement={"version": statement.version, "verification": verification},
        mail=inbound.pk,
    )
    _after_publication(participant)
    return statement
