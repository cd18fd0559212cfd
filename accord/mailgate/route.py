"""Where a parsed mail goes (process.md "Routing inbound mail"), in this order:

1. a VU# in the subject names the case;
2. a report id (REPORT-YYYY-XXXXXXXX) in the subject names a report: its reporter's thread;
3. In-Reply-To / References name a mail Accord sent, which names its case or report.

On a case, the sender's address names the participant: a vendor whose contact or member it is,
or the reporter by the address of their report. A sender who is none of these is a
non-participant: the mail is kept for the case's analysts only. Reads only.

The pipeline runs as the system, not as a person, so it reads cases by number here rather than
through the gate; what it writes goes through the conversation's actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from accord.accounts.models import Membership, User
from accord.cases.models import Case, Participant, Report
from accord.lib.ids import find_case_number, find_report_id
from accord.mailgate.models import OutboundMessage
from accord.mailgate.parse import ParsedMail
from accord.vendors.models import Contact

NON_PARTICIPANT = "from a non-participant"
_ID = re.compile(r"<[^<>\s]{1,240}>")


@dataclass(frozen=True)
class Route:
    """A case and participant to post into, or a report whose reporter wrote (`reporter`: post
    into the report's thread as the reporter), or why there is none (`reason`, for triage).

    `case` without a participant: the mail names a case but its sender is not a participant
    (`non_participant`), or the case cannot take it; it waits for the case's analysts."""

    case: Case | None = None
    participant: Participant | None = None
    user: User | None = None  # the member (or reporter) whose address sent it, if any
    reason: str = ""
    report: Report | None = None
    reporter: bool = False  # the sender is the report's reporter
    non_participant: bool = False

    @property
    def routed(self) -> bool:
        return self.participant is not None or (self.report is not None and self.reporter)


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


def is_reporter(report: Report, address: str) -> bool:
    """Whether `address` is the report's reporter's: the one given on the report, or the
    submitting account's."""
    if not address:
        return False
    account = report.submitted_by
    return (report.reporter_email or "").lower() == address or (
        account is not None and account.is_active and account.email.lower() == address
    )


def _reporter_account(report: Report) -> User | None:
    account = report.submitted_by
    return account if account is not None and account.is_active else None


def _on_case(case: Case, address: str, *, prefer_org: int | None = None, why: str = "") -> Route:
    """The sender's participant on `case`, or a non-participant route."""
    orgs = sender_organizations(address)
    vendors = list(
        Participant.objects.filter(case=case, kind=Participant.Kind.VENDOR, organization__in=orgs)
        .select_related("organization")
        .order_by("pk")
        if orgs
        else []
    )
    # A reply to mail sent to one organisation is that organisation's, if the sender is its own.
    vendors.sort(key=lambda p: p.organization_id != prefer_org)
    if vendors:
        participant = vendors[0]
        user = User.objects.filter(
            email__iexact=address, is_active=True, memberships__organization=participant.organization_id
        ).first()
        return Route(case=case, participant=participant, user=user)
    for reporter in Participant.objects.filter(
        case=case, kind=Participant.Kind.REPORTER, report__isnull=False
    ).select_related("report", "report__submitted_by"):
        assert reporter.report is not None
        if is_reporter(reporter.report, address):
            return Route(case=case, participant=reporter, user=_reporter_account(reporter.report))
    return Route(
        case=case,
        non_participant=True,
        reason=f"{NON_PARTICIPANT}: the sender is not a vendor contact of a participant in the case"
        + (f" ({why})" if why else ""),
    )


def _on_report(report: Report, address: str, *, why: str) -> Route:
    if not is_reporter(report, address):
        return Route(report=report, reason=f"{why}, but the sender is not its reporter")
    return Route(case=report.case, report=report, reporter=True, user=_reporter_account(report))


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def replied_to(parsed: ParsedMail) -> OutboundMessage | None:
    """The mail Accord sent that this one answers: In-Reply-To first, then References, last first."""
    wanted = [_bare(i) for i in _ID.findall(parsed.in_reply_to or "")]
    wanted += [_bare(i) for i in reversed(parsed.references)]
    wanted = [i for i in dict.fromkeys(wanted) if i][:50]
    if not wanted:
        return None
    found = {
        _bare(row.message_id): row
        for row in OutboundMessage.objects.filter(
            message_id__in=[f"<{i}>" for i in wanted] + wanted
        ).select_related("case", "report")
    }
    return next((found[i] for i in wanted if i in found), None)


def _no_nul(text: str) -> str:
    return text.replace("\x00", "")  # PostgreSQL refuses NUL in a query; no stored id holds one


def find_route(parsed: ParsedMail) -> Route:
    # The parser already drops NUL from what it reads; a ParsedMail made elsewhere may not have.
    parsed = replace(
        parsed,
        from_address=_no_nul(parsed.from_address),
        in_reply_to=_no_nul(parsed.in_reply_to),
        references=tuple(_no_nul(r) for r in parsed.references),
    )
    address = parsed.from_address
    number = find_case_number(parsed.subject)
    missing = ""
    if number is not None:
        case = Case.objects.filter(number=number).first()
        if case is not None:
            return _on_case(case, address)
        missing = f"the subject names case {number}, which does not exist"
    report_id = find_report_id(parsed.subject)
    if report_id is not None:
        report = Report.objects.filter(pk=report_id).select_related("submitted_by", "case").first()
        if report is not None:
            return _on_report(report, address, why=f"the subject names report {report_id}")
        missing = missing or f"the subject names report {report_id}, which does not exist"
    sent = replied_to(parsed)
    if sent is not None:
        why = f"a reply to Accord's mail {sent.message_id}"
        if sent.case is not None:
            return _on_case(sent.case, address, prefer_org=sent.organization_id, why=why)
        if sent.report is not None:
            return _on_report(sent.report, address, why=why)
    return Route(reason=missing or "no case id in the subject")
