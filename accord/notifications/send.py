"""Telling people that something new awaits them: the interface features call.

    recipients = recipients_for(users)                # or recipient_for(user), recipient_for_reporter(report)
    notify(
        case,
        recipients,
        neutral="New message",                         # one neutral line: no title, product or text
        link=f"/cases/{case.url_ref}/...",             # a path (made absolute) or an absolute URL
        full_text_for=lambda r: render_for(r),         # the full text as this reader may see it
    )

Each person chose immediate mail, a daily digest or none (`User.notify_mode`) and may mute a
case (`CaseMute`). `notify` honours both, sends nothing about quiet (imported, historical)
cases, and costs the same number of queries for 2,000 recipients as for 2.

Mail follows process.md "Mail and confidentiality": the plaintext body says only that
something new awaits, with the VU#, the neutral line and the link; the full text travels only
encrypted, to the recipient's keys (accord.mailgate.tasks.send_outbound encrypts it, outside
any transaction). A recipient without keys never receives the full text by mail.

The caller chooses the recipients and renders each full text through the presenter for that
reader (`Viewer`): `notify` does not check who may read what.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from accord.accounts.models import Membership, Organization, User
from accord.cases.models import Case, Report
from accord.core.bulk import bulk_create
from accord.mailgate import kinds
from accord.mailgate.outbound import Mail, queue_mails
from accord.notifications.models import CaseMute, DigestItem
from accord.vendors.models import ChangeStatus, PublicKey, VendorProfile

Mode = User.NotifyMode
MAX_NEUTRAL = 200


@dataclass(frozen=True)
class Recipient:
    """Who gets a notification and how.

    `user` is None for a reporter without an account, who always gets immediate mail. `keys`
    are the armoured public keys to encrypt the full text to, in order of preference (the
    newest first), all of ONE organisation (`organization_id`) or of the reporter; () means
    none on file, and then only the neutral text is mailed. `requires_encryption`: that
    organisation wants no mail that is not encrypted, so without keys it gets none.
    """

    email: str
    user: User | None = None
    keys: tuple[str, ...] = ()
    organization_id: int | None = None
    requires_encryption: bool = False


@dataclass(frozen=True)
class Outcome:
    """What `notify` did: mails queued, digest items stored, recipients skipped."""

    mailed: int = 0
    digested: int = 0
    skipped: int = 0


# --- Recipients ---------------------------------------------------------------------------------


def recipients_for(users: Iterable[User], case: Case | None = None) -> list[Recipient]:
    """Recipients for these users, in their order, in three queries whatever their number.

    A vendor member's keys are the pinned keys usable now (`PublicKey.usable`) of their vendor
    organisation, the newest first. Keys of two organisations never go together: a member of
    several vendors gets the keys of the one taking part in `case`, and none (neutral mail only)
    when that is not exactly one. Coordinator staff have none.
    """
    people = list({user.pk: user for user in users}.values())
    keyed = [u.pk for u in people if not u.is_coordinator_staff]
    orgs_of: dict[int, list[int]] = {}
    if keyed:
        for user_id, org_id in Membership.objects.filter(
            user_id__in=keyed, organization__kind=Organization.Kind.VENDOR
        ).values_list("user_id", "organization_id"):
            orgs_of.setdefault(user_id, []).append(org_id)
    if case is not None and any(len(orgs) > 1 for orgs in orgs_of.values()):
        taking_part = set(case.participants.values_list("organization_id", flat=True))
        orgs_of = {
            user_id: [o for o in orgs if o in taking_part] if len(orgs) > 1 else orgs
            for user_id, orgs in orgs_of.items()
        }
    org_of = {user_id: orgs[0] for user_id, orgs in orgs_of.items() if len(orgs) == 1}
    keys_of: dict[int, list[str]] = {}
    strict: set[int] = set()
    org_ids = set(org_of.values())
    if org_ids:
        pinned = PublicKey.objects.filter(organization_id__in=org_ids, status=ChangeStatus.ACTIVE).only(
            "organization", "armored", "status", "can_encrypt", "revoked", "expires_at"
        )
        newest = (F("key_created_at").desc(nulls_last=True), "-created_at", "-id")
        for key in pinned.order_by(*newest):
            if key.usable:
                keys_of.setdefault(key.organization_id, []).append(key.armored)
        strict = set(
            VendorProfile.objects.filter(organization_id__in=org_ids, require_encryption=True).values_list(
                "organization_id", flat=True
            )
        )
    return [
        Recipient(
            email=user.email,
            user=user,
            keys=tuple(dict.fromkeys(keys_of.get(org_of[user.pk], []))) if user.pk in org_of else (),
            organization_id=org_of.get(user.pk),
            requires_encryption=org_of.get(user.pk) in strict,
        )
        for user in people
    ]


def recipient_for(user: User) -> Recipient:
    """One user as a recipient (see `recipients_for`)."""
    return recipients_for([user])[0]


def recipient_for_reporter(report: Report) -> Recipient | None:
    """The reporter of `report` at the email they gave, with the key they gave; None without email.

    When the report was filed from an account with that same address, that account's
    preferences (mode, mutes) apply; otherwise the reporter gets immediate mail.
    """
    address = (report.reporter_email or "").strip()
    if not address:
        return None
    account = report.submitted_by
    user = account if account is not None and account.email.lower() == address.lower() else None
    key = (report.reporter_pgp_key or "").strip()
    return Recipient(email=address, user=user, keys=(key,) if key else ())


# --- notify -------------------------------------------------------------------------------------


def one_line(neutral: str) -> str:
    """The neutral line as a subject can carry it: one line, at most 200 characters."""
    line = re.sub(r"\s+", " ", neutral or "").strip()[:MAX_NEUTRAL].strip()
    if not line:
        raise ValueError("notify() needs a neutral line, such as 'New message'")
    return line


def absolute(link: str) -> str:
    """A path on this site ("/cases/VU123456/") as a URL mail can carry; URLs stay as they are."""
    return settings.SITE_URL.rstrip("/") + link if link.startswith("/") else link


def _unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    """One notification per person: by account, else by address (the first one wins)."""
    seen: set[object] = set()
    out = []
    for recipient in recipients:
        key = (
            ("user", recipient.user.pk) if recipient.user is not None else ("email", recipient.email.lower())
        )
        if key not in seen:
            seen.add(key)
            out.append(recipient)
    return out


def notify(
    case: Case | None,
    recipients: Sequence[Recipient] | Iterable[Recipient],
    *,
    neutral: str,
    link: str,
    full_text_for: Callable[[Recipient], str],
) -> Outcome:
    """Tell `recipients` that something new awaits them in `case`.

    Skips recipients whose account is inactive or chose no mail ("none"), or who muted the case,
    and everyone when the case is quiet. "immediate" (and reporters without an account) get one
    mail each, queued in the outbox; "digest" stores a DigestItem for the next daily digest.

    `full_text_for(recipient)` is called once per recipient whose mail or digest may carry the
    full text: those with keys for immediate mail, and every digest reader (their keys are read
    when the digest goes out). Call it inside the transaction that records what is new: the
    rows commit with it, and mail leaves after the commit.

    Queries: a fixed number (about six), whatever the number of recipients.
    """
    if case is not None and case.quiet:
        return Outcome(skipped=len(list(recipients)))
    line = one_line(neutral)
    url = absolute(link)
    people = _unique(recipients)
    user_ids = [r.user.pk for r in people if r.user is not None]
    modes: dict[int, str] = {}
    muted: set[int] = set()
    if user_ids:
        modes = dict(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "notify_mode"))
        if case is not None:
            muted = set(
                CaseMute.objects.filter(case=case, user_id__in=user_ids).values_list("user_id", flat=True)
            )

    outgoing: list[Mail] = []
    waiting: list[DigestItem] = []
    skipped = 0
    for recipient in people:
        mode = Mode.IMMEDIATE if recipient.user is None else modes.get(recipient.user.pk, Mode.NONE)
        if mode == Mode.NONE or (recipient.user is not None and recipient.user.pk in muted):
            skipped += 1
        elif mode == Mode.DIGEST:
            assert recipient.user is not None
            waiting.append(
                DigestItem(
                    user=recipient.user, case=case, neutral=line, full_text=full_text_for(recipient), link=url
                )
            )
        else:
            outgoing.append(kinds.notice(case, recipient, line, url, full_text_for))
    with transaction.atomic():
        bulk_create(DigestItem, waiting)
        queue_mails(outgoing)
    return Outcome(mailed=len(outgoing), digested=len(waiting), skipped=skipped)
