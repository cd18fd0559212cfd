"""What each viewer may see of a case: the one place that decides it.

Pages, the API, mail (and later webhooks and exports) build a `Viewer` from the caller's
standing (accord.cases.access) and ask it for participants' names, statements, statuses,
report states, people and events. Everything here is an allow-list:
- a participant is named only where it is not anonymous (and is never the reporter), or to the
  coordinator and its own members; everyone else sees its alias;
- a vendor's answer (statuses, report state, F and D, statement) reaches others only when the
  vendor shared it; others see that it was notified and whether it answered;
- others read a statement without any OpenPGP armour: the signed body of a clearsigned text,
  never the signature block with its issuer fingerprint and user id; an anonymous vendor's
  verified signature shows as "signed; verified by the coordinator";
- people: staff by their name ("Coordinator" when unnamed), never by email, except to staff;
- reminders (muting, the unresponsive mark, what was sent when): to the coordinator only;
- events: the audiences and keys declared in accord.cases.events.KINDS, nothing more.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from accord.accounts.models import Membership, User
from accord.answers.models import Answer, Statement
from accord.cases.access import Standing
from accord.cases.events import KINDS
from accord.cases.models import CaseEvent, FactReport, Participant
from accord.cases.reminders import ReminderState, state_of
from accord.cases.states import RM
from accord.core.actors import SYSTEM_NAME
from accord.lib import openpgp

STAFF_WITHOUT_NAME = "Coordinator"


@dataclass(frozen=True)
class Person:
    """How a person appears: `name` for everyone allowed, `email` for staff viewers only."""

    name: str
    email: str | None = None
    me: bool = False

    @property
    def api(self) -> str:
        return self.email or self.name


@dataclass(frozen=True)
class Shown:
    """One event as a viewer may see it."""

    event: CaseEvent
    what: str
    who: Person
    participant: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class StatementView:
    text: bytes
    label: str
    fingerprint: str | None
    detail: str | None
    signature: str | None

    @property
    def display_text(self) -> str:
        return self.text.decode("utf-8", errors="replace")

    def text_fields(self) -> tuple[str, str | None]:
        """(text, base64 of the bytes when they are not UTF-8) for the API."""
        try:
            return self.text.decode("utf-8"), None
        except UnicodeDecodeError:
            return self.text.decode("utf-8", errors="replace"), base64.b64encode(self.text).decode()


@dataclass(frozen=True)
class ParticipantView:
    """One participant as a viewer may see it."""

    participant: Participant
    name: str | None  # None: only the alias may be shown
    label: str  # "Name (alias)" or the alias, for pages
    organization: int | None
    rm_state: str | None  # None: another vendor's answer that was not shared
    f_at: dt.datetime | None
    d_at: dt.datetime | None
    answered: bool
    mine: bool

    @property
    def rm_label(self) -> str:
        return RM(self.rm_state).label if self.rm_state else ""


@dataclass(frozen=True)
class Viewer:
    staff: bool
    user_id: int | None = None
    own_ids: frozenset[int] = frozenset()
    # The reporter on their own report's pages: the participant concerned by its report events.
    reporter_view: bool = False
    public: bool = False
    _actors: dict[int, Participant | None] = field(default_factory=dict, compare=False, repr=False)

    # --- Building a viewer --------------------------------------------------------------------

    @classmethod
    def of(cls, standing: Standing) -> Viewer:
        user_id = standing.user.pk if getattr(standing.user, "is_authenticated", False) else None
        return cls(standing.staff, user_id, standing.own_ids)

    @classmethod
    def coordinator(cls) -> Viewer:
        return cls(True)

    @classmethod
    def of_participant(cls, participant: Participant) -> Viewer:
        """What a participant's members see: for mail addressed to that organisation."""
        return cls(False, None, frozenset({participant.pk}))

    @classmethod
    def of_reporter(cls, user: Any = None) -> Viewer:
        """The reporter reading their own report (signed in, or through the private link)."""
        user_id = user.pk if getattr(user, "is_authenticated", False) else None
        return cls(False, user_id, reporter_view=True)

    @classmethod
    def of_public(cls) -> Viewer:
        return cls(False, public=True)

    # --- Participants -------------------------------------------------------------------------

    def privileged_for(self, participant: Participant) -> bool:
        """The coordinator, or the participant's own members (or the reporter as a person)."""
        return self.staff or participant.pk in self.own_ids

    def masked(self, participant: Participant) -> bool:
        """Whether an anonymous participant stays behind its alias for this viewer beyond its
        privileged readers. The public (published notes) sees the name of a vendor that chose to be
        named at publication; during the case everyone else still sees only the alias."""
        if not participant.anonymous:
            return False
        return not (self.public and participant.named_at_publication)

    def name(self, participant: Participant) -> str | None:
        """Its real name where this viewer may see it, else None (show the alias)."""
        hidden = self.masked(participant) or participant.kind == Participant.Kind.REPORTER
        if hidden and not self.privileged_for(participant):
            return None
        if participant.organization_id:
            return participant.organization.name  # type: ignore[union-attr]
        person = participant.user
        if person is None:
            return None
        return self.person(person).name

    def label(self, participant: Participant) -> str:
        return self.name(participant) or participant.alias

    def long_label(self, participant: Participant) -> str:
        """For pages: "Name (alias)" where the name may be seen, else the alias."""
        name = self.name(participant)
        return f"{name} ({participant.alias})" if name and name != participant.alias else participant.alias

    def organization_id(self, participant: Participant) -> int | None:
        return participant.organization_id if self.name(participant) is not None else None

    def participant(self, participant: Participant) -> ParticipantView:
        """Everything about a participant this viewer may see (select_related "answer" on lists)."""
        answer = answer_of(participant)
        shared = bool(answer and answer.share)
        f_at, d_at = self.fix_facts(participant, shared)
        return ParticipantView(
            participant=participant,
            name=self.name(participant),
            label=self.long_label(participant),
            organization=self.organization_id(participant),
            rm_state=self.report_state(participant, shared),
            f_at=f_at,
            d_at=d_at,
            answered=bool(answer and answer.answered_at),
            mine=participant.pk in self.own_ids,
        )

    def reminders(self, participant: Participant) -> ReminderState | None:
        """A vendor's reminders and whether it is unresponsive: the coordinator's business only.
        Load lists through accord.cases.reminders.with_responses (else one query per vendor)."""
        if not self.staff or participant.kind != Participant.Kind.VENDOR:
            return None
        return state_of(participant)

    # --- Answers ------------------------------------------------------------------------------

    def sees_answer(self, participant: Participant, shared: bool) -> bool:
        return self.privileged_for(participant) or shared

    def report_state(self, participant: Participant, shared: bool) -> str | None:
        return participant.rm_state if self.sees_answer(participant, shared) else None

    def fix_facts(self, participant: Participant, shared: bool) -> tuple[dt.datetime | None, ...]:
        """(F, D): a vendor's fix ready and deployed, which tell its answer, only if shared."""
        if self.sees_answer(participant, shared):
            return participant.f_at, participant.d_at
        return None, None

    def answers_visible(self) -> Q | None:
        """`sees_answer` as a database filter on participants: None when every answer is visible
        (the coordinator); else the viewer's own rows and the answers their vendors shared."""
        if self.staff:
            return None
        return Q(pk__in=self.own_ids) | Q(answer__share=True)

    def name_matches(self, text: str) -> Q:
        """Participants whose label for this viewer contains `text`: the alias, or the real name
        only where this viewer may see it (an anonymous vendor is never found by its name)."""
        by_alias = Q(alias__icontains=text)
        if self.staff:
            return by_alias | Q(organization__name__icontains=text) | Q(user__name__icontains=text)
        named = Q(anonymous=False) & ~Q(kind=Participant.Kind.REPORTER)
        return by_alias | (Q(organization__name__icontains=text) & (named | Q(pk__in=self.own_ids)))

    def statement(self, statement: Statement, participant: Participant) -> StatementView:
        privileged = self.privileged_for(participant)
        raw = statement.text_bytes
        return StatementView(
            text=raw if privileged else openpgp.without_signatures(raw),
            label=self.signature_label(statement, participant),
            fingerprint=statement.fingerprint or None if privileged or not self.masked(participant) else None,
            detail=self.signature_detail(statement) if privileged else None,
            signature=statement.signature or None if privileged else None,
        )

    def signature_label(self, statement: Statement, participant: Participant) -> str:
        if statement.on_behalf:
            who = self.person(statement.recorded_by).name if statement.recorded_by else "an analyst"
            return f"recorded by {who} for the vendor"
        if statement.verification == Statement.Verification.VERIFIED:
            if self.privileged_for(participant) or not self.masked(participant):
                return f"verified by {statement.fingerprint}"
            return "signed; verified by the coordinator"
        if statement.verification == Statement.Verification.FAILED:
            # Why, in plain words, to the coordinator and the vendor itself; to others only that
            # it failed (the reason may name a key, which could unmask an anonymous vendor).
            reason = self.signature_detail(statement) if self.privileged_for(participant) else ""
            if participant.pk in self.own_ids:
                reason = reason.replace("the organisation's", "your organisation's")
            return f"signature did not verify: {reason}" if reason else "signature did not verify"
        return "unsigned"

    @staticmethod
    def signature_detail(statement: Statement) -> str:
        """Why a signature did or did not verify, as a sentence a vendor understands."""
        from accord.answers.signatures import in_plain_words

        if statement.verification != Statement.Verification.FAILED:
            return statement.verification_detail
        return in_plain_words(statement.verification_detail)

    # --- People -------------------------------------------------------------------------------

    def person(self, user: User | None, participant: Participant | None = None) -> Person:
        """A user as this viewer may see them. `participant`: theirs in the case, when known."""
        if user is None:
            return Person("someone without an account")
        me = user.pk == self.user_id
        if self.staff:
            return Person(user.display_name, user.email, me)
        if me:
            return Person(user.display_name, None, True)
        if user.is_coordinator_staff:
            return Person(user.name or STAFF_WITHOUT_NAME)
        if participant is not None and participant.pk in self.own_ids:
            return Person(user.display_name)  # a colleague of the viewer's own organisation
        if participant is not None:
            return Person(self.label(participant))
        return Person("A participant")

    def claimant(self, claim: FactReport) -> Person:
        """Who reported a P, X or A claim: the person, or its participant where no account did."""
        if claim.reported_by is None:
            label = self.label(claim.participant) if claim.participant is not None else "the reporter"
            return Person(label)
        return self.person(claim.reported_by, claim.participant)

    def actor(self, event: CaseEvent) -> Person:
        if event.by_system:
            return Person(SYSTEM_NAME)
        if event.actor is None:
            if event.kind.startswith("report.") or (
                event.participant is not None and event.participant.kind == Participant.Kind.REPORTER
            ):
                return Person("the reporter")
            return Person("someone without an account")
        participant = event.participant or self._actors.get(event.actor_id or 0)
        return self.person(event.actor, participant)

    # --- Events -------------------------------------------------------------------------------

    def allowed_keys(self, event: CaseEvent) -> frozenset[str] | None:
        """The data keys this viewer sees of `event`, or None when it may not see it at all."""
        kind = KINDS.get(event.kind)
        if kind is None:
            return None
        if self.public:
            return None if kind.public is None else frozenset(kind.public)
        concerned = event.participant_id in self.own_ids or (
            self.reporter_view and event.kind.startswith("report.")
        )
        if kind.concerned is None and kind.participants is None:
            return None
        if concerned and kind.concerned is not None:
            return frozenset(kind.concerned) | frozenset(kind.participants or ())
        if kind.participants is None or self.reporter_view:
            return None
        return frozenset(kind.participants)

    def visible_events(self, events: QuerySet[CaseEvent]) -> QuerySet[CaseEvent]:
        """The database filter matching `allowed_keys`, so that lists page correctly."""
        if self.staff:
            return events
        if self.public:
            return events.filter(kind__in=[k for k, v in KINDS.items() if v.public is not None])
        concerned = [k for k, v in KINDS.items() if v.concerned is not None]
        if self.reporter_view:
            return events.filter(kind__in=[k for k in concerned if k.startswith("report.")])
        everyone = [k for k, v in KINDS.items() if v.participants is not None]
        return events.filter(Q(kind__in=everyone) | Q(kind__in=concerned, participant_id__in=self.own_ids))

    def show(self, event: CaseEvent) -> Shown | None:
        if self.staff:
            data = dict(event.data or {})
        else:
            keys = self.allowed_keys(event)
            if keys is None:
                return None
            data = _allow(event.data or {}, keys)
        kind = KINDS.get(event.kind)
        return Shown(
            event=event,
            what=kind.words if kind else event.kind,
            who=self.actor(event),
            participant=self.label(event.participant) if event.participant is not None else None,
            data=data,
        )

    def show_all(self, events: Iterable[CaseEvent]) -> list[Shown]:
        """A page of events (load with select_related("actor", "participant__organization",
        "participant__user")); the actors' participations are looked up in two queries."""
        events = list(events)
        self.remember_actors(events[0].case_id if events else None, [e.actor for e in events])
        return [shown for shown in (self.show(e) for e in events) if shown is not None]

    def remember_actors(self, case_id: int | None, people: Iterable[User | None]) -> None:
        """Which participant each of these people acts for in the case (bulk, for `person`)."""
        if self.staff or case_id is None:
            return
        wanted = {p.pk for p in people if p is not None and not p.is_coordinator_staff} - set(self._actors)
        if not wanted:
            return
        found: dict[int, Participant | None] = dict.fromkeys(wanted)
        rows = Participant.objects.filter(case_id=case_id).select_related("organization", "user")
        for p in rows.filter(user_id__in=wanted):
            found[p.user_id] = p  # type: ignore[index]
        memberships = list(
            Membership.objects.filter(user_id__in=wanted).values_list("user_id", "organization_id")
        )
        if memberships:
            by_org = {
                p.organization_id: p for p in rows.filter(organization_id__in={o for _, o in memberships})
            }
            for user_id, org in memberships:
                if found.get(user_id) is None and org in by_org:
                    found[user_id] = by_org[org]
        self._actors.update(found)

    # --- Messages -----------------------------------------------------------------------------

    def message_author(self, message: Any) -> Person:
        """Who wrote a message, as this viewer may see it (load author and author_participant)."""
        if message.by_system:
            return Person(SYSTEM_NAME)
        participant = message.author_participant
        if message.from_reporter and self.reporter_view:
            return Person("You", me=True)  # the reporter reading their own report's thread
        if message.author_id is None:
            if participant is not None:
                return Person(self.label(participant), me=participant.pk in self.own_ids)
            if message.from_reporter:
                return Person("the reporter", me=self.reporter_view)
            return Person("someone without an account")
        if message.from_reporter and participant is None and not self.staff:
            return Person("the reporter", me=self.reporter_view or message.author_id == self.user_id)
        return self.person(message.author, participant)

    def message(self, message: Any) -> MessageView:
        """One message as this viewer may see it: author and mentions through the allow-lists
        above (prefetch "mentions__participant__organization", "mentions__user", "attachments")."""
        from accord.conversation.mentions import render_tokens

        author = self.message_author(message)
        if message.from_coordinator:
            side = "coordinator"
        elif message.from_reporter:
            side = "reporter"
        else:
            side = "participant"
        return MessageView(
            message=message,
            author=author,
            side=side,
            body=render_tokens(message.body, message.mentions.all(), self),
            attachments=list(message.attachments.all()),
            mine=author.me,
            mail=self.mail(message),
        )

    def mail(self, message: Any) -> MailView | None:
        """How a message came, when it came by mail: decrypted or not, its signature, and whether
        the receiving server authenticated the sender (unsigned mail only: a signature verified
        by a pinned key says more). Why a signature did not verify reaches only the coordinator
        and the vendor itself; a key's fingerprint never unmasks an anonymous vendor."""
        from accord.answers.signatures import in_plain_words

        inbound = mail_of(message)
        if inbound is None:
            return None
        participant = message.author_participant
        privileged = self.staff or (inbound.participant_id or 0) in self.own_ids
        labels = ["by mail"]
        labels.append("decrypted" if inbound.decryption == "decrypted" else "not encrypted")
        fingerprint = None
        if inbound.signature == "verified":
            if privileged or participant is None or not participant.anonymous:
                fingerprint = inbound.signer_fingerprint
                labels.append(f"verified by {fingerprint}")
            else:
                labels.append("signed; verified by the coordinator")
        elif inbound.signature == "not_verified":
            reason = in_plain_words(inbound.signature_detail) if privileged else ""
            if not self.staff:
                reason = reason.replace("the organisation's", "your organisation's")
            labels.append(f"signature did not verify: {reason}" if reason else "signature did not verify")
        if inbound.sender_authenticated is False and inbound.signature != "verified":
            labels.append("sender not authenticated")
        if self.staff and inbound.resolution == "linked":
            # It reached the thread from the triage inbox, by an analyst's choice, not by routing.
            who = inbound.resolved_by.display_name if inbound.resolved_by else "an analyst"
            labels.append(f"linked by {who}")
        return MailView(
            inbound_id=inbound.pk if self.staff else None,
            decrypted=inbound.decryption == "decrypted",
            signature=inbound.signature or None,
            fingerprint=fingerprint,
            sender_authenticated=inbound.sender_authenticated,
            labels=labels,
            signed_statement=self.staff and _has_signed_data(inbound),
        )


# What the presenter reads of an inbound mail (prefetch with `mail_rows()`).
MAIL_FIELDS = (
    "posted_message",
    "participant",
    "decryption",
    "signature",
    "signer_fingerprint",
    "signature_detail",
    "sender_authenticated",
    "resolution",
    "resolved_by__name",
    "resolved_by__email",
)


def mail_rows() -> QuerySet[Any]:
    """The inbound mail behind messages, without its bytes, for Prefetch("inbound_mail", …)."""
    from django.db.models import BooleanField, ExpressionWrapper

    from accord.mailgate.models import InboundMessage

    signed = ExpressionWrapper(Q(signed_data__isnull=False), output_field=BooleanField())
    return (
        InboundMessage.objects.select_related("resolved_by")
        .only(*MAIL_FIELDS)
        .annotate(has_signed_data=signed)
    )


def mail_of(message: Any) -> Any:
    """The inbound mail a message was posted from, or None; one query when not prefetched."""
    relation = type(message).inbound_mail.related
    if not relation.is_cached(message):
        relation.set_cached_value(message, mail_rows().filter(posted_message=message.pk).first())
    return relation.get_cached_value(message)


def _has_signed_data(inbound: Any) -> bool:
    known = getattr(inbound, "has_signed_data", None)  # annotated by mail_rows()
    return bool(known) if known is not None else inbound.signed_data is not None


@dataclass(frozen=True)
class MailView:
    """How a message came by mail, for this viewer. `labels`: "by mail", "decrypted" or "not
    encrypted", then the signature's and the sender's state, in words."""

    inbound_id: int | None  # the coordinator's only: the mail's own page and actions
    decrypted: bool
    signature: str | None  # "verified", "not_verified" or None (unsigned)
    fingerprint: str | None
    sender_authenticated: bool | None
    labels: list[str]
    signed_statement: bool  # staff: it carries signed bytes that can become the vendor's statement


@dataclass(frozen=True)
class MessageView:
    message: Any
    author: Person
    side: str  # "coordinator", "participant" or "reporter"
    body: str  # Markdown with mentions as this viewer may read them
    attachments: list[Any]
    mine: bool
    mail: MailView | None = None  # set when the message came by mail


def answer_of(participant: Participant) -> Answer | None:
    """A vendor's answer row, or None (prefetch or select_related "answer" on lists)."""
    try:
        return participant.answer
    except Answer.DoesNotExist:
        return None


def _allow(data: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The allowed part of an event's data; "a.b" allows the sub-key b of the mapping a."""
    out: dict[str, Any] = {}
    for key in keys:
        head, _, rest = key.partition(".")
        if head not in data:
            continue
        if not rest:
            out[head] = data[head]
        elif isinstance(data[head], dict) and rest in data[head]:
            out.setdefault(head, {})[rest] = data[head][rest]
    return out
