"""Every kind of mail Accord sends: one function per kind, its texts in templates/mail/<kind>/
(subject.txt, body.txt and, for mail with a full text, sealed.txt). Actions call these; no
action builds a mail body itself (architecture.md convention 5).

The rules all kinds follow (process.md "Mail and confidentiality"):
- `body.txt` may travel in plaintext: the VU#, neutral words and links, never a title, a
  product or any text of a case or report. `sealed.txt` (the full text) leaves only encrypted.
- Subjects are neutral and carry the `[VU#123456]` tag when the mail is about a case.
- A mail to a vendor goes to its organisation: all its notification contacts on one mail,
  encrypted to that organisation's pinned, usable key, never to another organisation's.
- A vendor that requires encryption and has no usable key gets no mail: the row is stored as
  failed with the reason (`Mail.refused`), so that the case's Mail page says why.

Each function returns the `Mail` (to queue with others) or queues it and returns the row.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F
from django.template import Context, Engine
from django.urls import reverse

from accord.lib.time import format_utc
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import Mail, queue_mails

if TYPE_CHECKING:
    from accord.accounts.models import Organization, User
    from accord.cases.models import Case, Participant, Report
    from accord.notifications.send import Recipient

# The kinds, as `OutboundMessage.kind` names them.
NOTIFICATION = "notification"
CLAIM_LINK = "claim_link"
REMINDER_UNOPENED = "reminder_unopened"
REMINDER_DEADLINE = "reminder_deadline"
FINAL_REMINDER = "final_reminder"
NOTICE = "notice"
DIGEST = "digest"
ANALYST_NOTICE = "analyst_notice"
EMBARGO_DECLINED = "embargo_declined"
REPORT_RECEIVED = "report_received"
REPORT_MESSAGE = "report_message"
REPORT_ACCEPTED = "report_accepted"
INVITATION = "invitation"
PASSWORD_RESET = "password_reset"
KINDS = (
    NOTIFICATION,
    CLAIM_LINK,
    REMINDER_UNOPENED,
    REMINDER_DEADLINE,
    FINAL_REMINDER,
    NOTICE,
    DIGEST,
    ANALYST_NOTICE,
    EMBARGO_DECLINED,
    REPORT_RECEIVED,
    REPORT_MESSAGE,
    REPORT_ACCEPTED,
    INVITATION,
    PASSWORD_RESET,
)


# --- Rendering ------------------------------------------------------------------------------------


@functools.cache
def _engine() -> Engine:
    # Plain text: no HTML escaping (an "&" in a name stays "&").
    return Engine(dirs=[str(settings.BASE_DIR / "templates")], autoescape=False)


def _exists(name: str) -> bool:
    from django.template import TemplateDoesNotExist

    try:
        _engine().get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def render(kind: str, context: dict[str, Any], *, sealed: bool = False) -> tuple[str, str, str]:
    """The subject (one line), the plaintext body and, when asked and the kind has one, the sealed
    full text of `kind`, from templates/mail/<kind>/."""
    context = {
        "instance": settings.INSTANCE_NAME,
        "policy_url": settings.SITE_URL + reverse("cases:policy"),
        **context,
    }
    engine = _engine()

    def text(name: str) -> str:
        return engine.get_template(f"mail/{kind}/{name}").render(Context(context, autoescape=False))

    subject = " ".join(text("subject.txt").split())
    body = text("body.txt")
    full = text("sealed.txt") if sealed and _exists(f"mail/{kind}/sealed.txt") else ""
    return subject, body, full


def _case_url(case: Case) -> str:
    return settings.SITE_URL + reverse("cases:case_detail", kwargs={"case": case.url_ref})


def _case_headers(case: Case | None) -> dict[str, str]:
    return {"X-Accord-Case": case.label} if case is not None else {}


# --- Addressing an organisation -------------------------------------------------------------------


@dataclass(frozen=True)
class OrgAddress:
    """Where a mail to a vendor organisation goes: its contacts' addresses ("to" first), its
    usable pinned keys (newest first) and whether it requires encryption."""

    organization_id: int
    name: str
    emails: tuple[str, ...]
    keys: tuple[str, ...] = ()
    requires_encryption: bool = False

    @property
    def refusal(self) -> str:
        if self.requires_encryption and not self.keys:
            return (
                f"Not sent: {self.name} requires encrypted mail and has no valid pinned key. "
                "Pin a key on its directory page, then send again."
            )
        return ""


def org_addresses(orgs: Iterable[tuple[Organization, Sequence[str]]]) -> dict[int, OrgAddress]:
    """Addresses for these organisations and their contacts' emails, in two queries."""
    from accord.vendors.models import ChangeStatus, PublicKey, VendorProfile

    pairs = [(org, tuple(emails)) for org, emails in orgs]
    ids = [org.pk for org, _ in pairs]
    keys: dict[int, list[str]] = {}
    strict: set[int] = set()
    if ids:
        newest = (F("key_created_at").desc(nulls_last=True), "-created_at", "-id")
        pinned = PublicKey.objects.filter(organization_id__in=ids, status=ChangeStatus.ACTIVE).only(
            "organization", "armored", "status", "can_encrypt", "revoked", "expires_at"
        )
        for key in pinned.order_by(*newest):
            if key.usable:
                keys.setdefault(key.organization_id, []).append(key.armored)
        strict = set(
            VendorProfile.objects.filter(organization_id__in=ids, require_encryption=True).values_list(
                "organization_id", flat=True
            )
        )
    return {
        org.pk: OrgAddress(org.pk, org.name, emails, tuple(keys.get(org.pk, ())), org.pk in strict)
        for org, emails in pairs
    }


def org_address(org: Organization, emails: Sequence[str]) -> OrgAddress:
    return org_addresses([(org, emails)])[org.pk]


def _to_org(
    kind: str, address: OrgAddress, context: dict[str, Any], *, case: Case | None, emails: Sequence[str] = ()
) -> Mail:
    """One mail of `kind` to an organisation (or to some of its addresses), sealed to its keys."""
    subject, body, full = render(kind, context, sealed=bool(address.keys))
    to = list(emails or address.emails)
    return Mail(
        to_email=to[0],
        also_to=tuple(to[1:]),
        subject=subject,
        body_text=body,
        headers=_case_headers(case),
        # Every mail to a keyed organisation goes encrypted: the full text, or the neutral text
        # again where the kind has no other.
        sealed_text=(full or body) if address.keys else "",
        encrypt_to=address.keys,
        kind=kind,
        case_id=case.pk if case is not None else None,
        organization_id=address.organization_id,
        refused=address.refusal,
    )


# --- Vendors --------------------------------------------------------------------------------------


def notification(case: Case, address: OrgAddress, *, claimable: bool) -> Mail:
    """A vendor learns that a case may concern it (notify_vendors). `claimable`: it has no
    account yet, and each contact gets a `claim_link` mail of its own."""
    embargo_until = ""
    from accord.cases.states import EM

    if case.embargo_state in (EM.ACTIVE, EM.REVISE) and case.embargo_ends_at:
        embargo_until = f"{case.embargo_ends_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}"
    context = {
        "case": case,
        "case_url": _case_url(case),
        "embargo_until": embargo_until,
        "claimable": claimable,
    }
    return _to_org(NOTIFICATION, address, context, case=case)


def claim_link(case: Case, address: OrgAddress, email: str, claim_url: str) -> Mail:
    """One contact's personal link that creates their organisation's account: to that address
    alone, so that no contact sees another's link."""
    context = {"case": case, "case_url": _case_url(case), "claim_url": claim_url, "email": email}
    return _to_org(CLAIM_LINK, address, context, case=case, emails=[email])


def _target(case: Case) -> str:
    return format_utc(case.target_publication_at) if case.target_publication_at else "not set yet"


def reminder(case: Case, participant: Participant, which: str, address: OrgAddress) -> OutboundMessage:
    """An automatic reminder (accord.cases.reminders): UNOPENED or DEADLINE."""
    from accord.cases.reminders import UNOPENED

    notified = format_utc(participant.first_contact_at) if participant.first_contact_at else "earlier"
    context = {"case": case, "case_url": _case_url(case), "notified": notified, "target": _target(case)}
    kind = REMINDER_UNOPENED if which == UNOPENED else REMINDER_DEADLINE
    return queue_mails([_to_org(kind, address, context, case=case)])[0]


def final_reminder(case: Case, address: OrgAddress) -> OutboundMessage:
    """The analyst's final reminder to a vendor that has gone silent."""
    context = {"case": case, "case_url": _case_url(case), "target": _target(case)}
    return queue_mails([_to_org(FINAL_REMINDER, address, context, case=case)])[0]


# --- People: notifications and the daily digest ---------------------------------------------------


def _footer_context(why: str) -> dict[str, str]:
    return {"why": why, "settings_url": settings.SITE_URL + reverse("accounts:profile") + "#notifications"}


def _refusal(recipient: Recipient) -> str:
    if recipient.requires_encryption and not recipient.keys:
        return "Not sent: the recipient's organisation requires encrypted mail and has no valid pinned key."
    return ""


def notice(
    case: Case | None,
    recipient: Recipient,
    neutral: str,
    link: str,
    full_text_for: Callable[[Recipient], str],
) -> Mail:
    """Something new awaits one person (accord.notifications.send.notify)."""
    context: dict[str, Any] = {
        "where": case.label if case is not None else settings.INSTANCE_NAME,
        "neutral": neutral,
        "link": link,
        **_footer_context("You get one mail for each new item."),
    }
    if recipient.keys:
        context["full_text"] = full_text_for(recipient).strip()
    subject, body, full = render(NOTICE, context, sealed=bool(recipient.keys))
    return Mail(
        to_email=recipient.email,
        subject=subject,
        body_text=body,
        headers=_case_headers(case),
        sealed_text=full,
        encrypt_to=recipient.keys,
        kind=NOTICE,
        case_id=case.pk if case is not None else None,
        organization_id=recipient.organization_id,
        refused=_refusal(recipient),
    )


@dataclass(frozen=True)
class Item:
    """One thing to tell, as a digest lists it."""

    case: Case | None
    neutral: str
    full_text: str
    link: str
    at: dt.datetime


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


def digest(recipient: Recipient, items: Sequence[Item]) -> Mail:
    """Everything waiting for one person, in one mail (accord.notifications.digest)."""
    groups = _groups(items)
    named = [(case.label if case is not None else "other", group) for case, group in groups]
    summary = ", ".join(
        f"{_count(len(group)) if i == 0 else len(group)} in {name}" for i, (name, group) in enumerate(named)
    )
    cases = sum(1 for case, _ in groups if case is not None)
    context = {
        "count": _count(len(items)),
        "in_cases": f" in {cases} case{'s' if cases != 1 else ''}" if cases else "",
        "summary": summary,
        "groups": [
            {
                "name": name,
                "count": _count(len(group)),
                "items": [
                    {
                        "neutral": item.neutral,
                        "at": item.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                        "link": item.link,
                        "full_text": item.full_text.strip(),
                    }
                    for item in group
                ],
            }
            for name, group in named
        ],
        **_footer_context("You get a daily digest."),
    }
    subject, body, full = render(DIGEST, context, sealed=bool(recipient.keys))
    return Mail(
        to_email=recipient.email,
        subject=subject,
        body_text=body,
        sealed_text=full,
        encrypt_to=recipient.keys,
        kind=DIGEST,
        organization_id=recipient.organization_id,
        refused=_refusal(recipient),
    )


# --- The coordinator's own people -----------------------------------------------------------------


def analyst_notice(case: Case, analysts: Iterable[User], what: str) -> list[OutboundMessage]:
    """Something awaits the case's analysts (`what`: a neutral line, such as "A claim awaits
    confirmation"). One mail each."""
    subject, body, _ = render(ANALYST_NOTICE, {"case": case, "case_url": _case_url(case), "what": what})
    return queue_mails([_staff_mail(ANALYST_NOTICE, case, analyst, subject, body) for analyst in analysts])


def embargo_declined(case: Case, analysts: Iterable[User]) -> list[OutboundMessage]:
    subject, body, _ = render(EMBARGO_DECLINED, {"case": case, "case_url": _case_url(case)})
    return queue_mails([_staff_mail(EMBARGO_DECLINED, case, analyst, subject, body) for analyst in analysts])


def _staff_mail(kind: str, case: Case, user: User, subject: str, body: str) -> Mail:
    return Mail(
        to_email=user.email,
        subject=subject,
        body_text=body,
        headers=_case_headers(case),
        kind=kind,
        case_id=case.pk,
    )


# --- The reporter ---------------------------------------------------------------------------------


def _to_reporter(
    kind: str, report: Report, context: dict[str, Any], *, case: Case | None = None, key: str = ""
) -> OutboundMessage | None:
    if not report.reporter_email:
        return None
    subject, body, full = render(kind, {"report": report, "case": case, **context}, sealed=bool(key))
    mail = Mail(
        to_email=report.reporter_email,
        subject=subject,
        body_text=body,
        headers=_case_headers(case),
        sealed_text=full if key else "",
        encrypt_to=(key,) if key and full else (),
        kind=kind,
        case_id=case.pk if case is not None else None,
        report_id=report.pk,
    )
    return queue_mails([mail])[0]


def report_received(report: Report, link: str) -> OutboundMessage | None:
    return _to_reporter(REPORT_RECEIVED, report, {"link": link})


def report_message(report: Report, link: str | None, full_text: str = "") -> OutboundMessage | None:
    """The coordinator wrote to the reporter. The message itself goes only encrypted, to the key
    the reporter gave; the plaintext stays neutral."""
    key = (report.reporter_pgp_key or "").strip() if full_text else ""
    case = report.case if report.case_id else None
    return _to_reporter(REPORT_MESSAGE, report, {"link": link, "full_text": full_text}, case=case, key=key)


def report_accepted(report: Report, case: Case, link: str | None) -> OutboundMessage | None:
    return _to_reporter(REPORT_ACCEPTED, report, {"link": link}, case=case)


# --- Accounts -------------------------------------------------------------------------------------


def invitation(
    email: str, organization: Organization, *, by: User, role: str, link: str, days: int
) -> OutboundMessage:
    context = {
        "organization": organization,
        "inviter": by.display_name,
        "role": role,
        "link": link,
        "days": days,
    }
    subject, body, _ = render(INVITATION, context)
    mail = Mail(to_email=email, subject=subject, body_text=body, kind=INVITATION)
    return queue_mails([mail])[0]


def password_reset(email: str, link: str) -> OutboundMessage:
    subject, body, _ = render(PASSWORD_RESET, {"email": email, "link": link})
    return queue_mails([Mail(to_email=email, subject=subject, body_text=body, kind=PASSWORD_RESET)])[0]
