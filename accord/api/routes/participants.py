"""Vendors in a case and their answers: API parity for a vendor's product security tooling.

Adding and notifying vendors (analysts), the participants list (anonymity applied), and a
vendor's answer to the four questions. Every change goes through the actions of
accord.cases.actions.participants and accord.answers.actions.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from accord.accounts.models import Organization, User
from accord.answers.actions import (
    AnswerInput,
    StatementInput,
    StatusInput,
    statement_from_mail,
    submit_answer,
)
from accord.api.answer_schemas import (
    AddedOut,
    AnswerBody,
    AnswerOut,
    NotifiedOut,
    NotifyBody,
    ParticipantsAdd,
    StatementOut,
    _statement_out,
    answer_out,
    may_see_answer,
    prefetch_answers,
    ref_out,
)
from accord.api.auth import caller, rule
from accord.api.base import paginate
from accord.api.case_schemas import Body, ParticipantOut, participant_out, participants_queryset
from accord.api.errors import ApiError
from accord.api.schemas import Error, page_of
from accord.cases.access import Standing, access_case
from accord.cases.actions.participants import add_vendors, notify_vendors, set_named_at_publication
from accord.cases.models import Participant
from accord.cases.presenter import Viewer
from accord.cases.vendor_table import SEARCH_LIMIT, VendorFilters, VendorQuery
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import MAX_ID, parse_id

router = Router(tags=["vendors in cases"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- Adding and notifying vendors -----------------------------------------------------------------


def resolve_organizations(entries: list[int | str]) -> list[Organization]:
    """Each entry (an id, or an exact name matched case-insensitively) names exactly one vendor.

    One query whatever the number of entries. Every entry that names none or several is listed
    in one 400 answer, and nothing is added.
    """
    ids = {e for e in entries if isinstance(e, int) and 0 < e <= MAX_ID}
    names = {e.lower() for e in entries if isinstance(e, str)}
    found = list(
        Organization.objects.filter(kind=Organization.Kind.VENDOR)
        .annotate(lname=Lower("name"))
        .filter(Q(pk__in=ids) | Q(lname__in=names))
    )
    by_id = {o.pk: o for o in found}
    by_name: dict[str, list[Organization]] = {}
    for org in found:
        by_name.setdefault(org.lname, []).append(org)
    orgs: list[Organization] = []
    errors = []
    for index, entry in enumerate(entries):
        where = f"organizations[{index}]"
        if isinstance(entry, int):
            match = by_id.get(entry)
            if match is None:
                errors.append({"field": where, "message": f"no vendor organisation with id {entry}"})
            else:
                orgs.append(match)
            continue
        matches = by_name.get(entry.lower(), [])
        if not matches:
            errors.append({"field": where, "message": f"no organisation named {entry!r}"})
        elif len(matches) > 1:
            errors.append({"field": where, "message": f"{entry!r} matches {len(matches)} organisations"})
        else:
            orgs.append(matches[0])
    if errors:
        count = len(errors)
        raise ApiError(
            400,
            f"{count} of the organisations named match no vendor or several: nothing was added.",
            errors,
        )
    return orgs


@router.post(
    "/cases/{case}/participants",
    response={201: AddedOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Add vendors to the case (up to 2,000 at once), each with an alias",
    description="Each entry of `organizations` is a vendor organisation's id or its exact name "
    "(matched case-insensitively). When any entry matches no organisation, or several, the answer "
    "is 400 listing every such entry (`organizations[i]`) and nothing is added. A vendor already "
    "in the case answers 409 one-participation. `anonymous`: the others see them only by alias.",
    auth=rule("analyst"),
)
def add_participants(request: HttpRequest, case: str, payload: ParticipantsAdd) -> Status[AddedOut]:
    user = _user(request)
    standing = access_case(user, case, need="write")
    orgs = resolve_organizations(payload.organizations)
    added = add_vendors(standing.case, orgs, by=user, anonymous=payload.anonymous)
    viewer = Viewer.of(standing)
    return Status(201, AddedOut(participants=[ref_out(p, viewer) for p in added]))


VendorStatus = Literal["affected", "not_affected", "fixed", "under_investigation", "unknown", "not_shared"]


@router.get(
    "/cases/{case}/participants",
    response={200: page_of(ParticipantOut), 400: Error, 401: Error, 404: Error, 409: Error},
    summary="The case's participants, in the order they joined; vendors filtered as on the Vendors tab",
    description="Anonymous participants are named (`name`) only to the coordinator and their own "
    "members; everyone else sees their alias. The filters `status`, `answered`, `notified`, `q` and "
    "`vulnerability` keep only vendors, exactly as the case's Vendors tab does: `status` is a status "
    "the vendor gave for any vulnerability (or for `vulnerability`, a number N of VU#123456.N); "
    "`unknown` also matches a vendor that gave none. A vendor's status counts only where you may see "
    "it (the coordinator, the vendor's own members, and others where it shared its answer): "
    "`not_shared` lists the vendors whose answer you may not see. `q` matches the name as you see it "
    "(an anonymous vendor only by its alias). The coordinator also reads each vendor's `reminders` and "
    "`unresponsive` mark, and may filter on `unresponsive`. The reporter may call it with the report's "
    "follow secret.",
    auth=rule("object:case-or-follow"),
)
def list_participants(
    request: HttpRequest,
    case: str,
    kind: Participant.Kind | None = None,
    status: VendorStatus | None = None,
    answered: bool | None = None,
    notified: bool | None = None,
    q: str | None = Query(None, max_length=SEARCH_LIMIT),
    vulnerability: int | None = Query(None, ge=1, le=MAX_ID),
    unresponsive: bool | None = Query(
        None, description="Coordinator only (ignored for others): vendors marked unresponsive, or not."
    ),
    cursor: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    standing = access_case(caller(request), case)
    viewer = Viewer.of(standing)
    queryset = participants_queryset(viewer).filter(case=standing.case)
    if kind:
        queryset = queryset.filter(kind=kind)
    filters = VendorFilters(
        status=status or "",
        answered=answered,
        notified=notified,
        q=" ".join((q or "").replace("\x00", "").split()),
        vulnerability=vulnerability,
        unresponsive=unresponsive,
    ).for_viewer(viewer)
    if filters.active:
        queryset = VendorQuery.of(standing.case, viewer, filters).apply(queryset)
    return paginate(
        queryset,
        ordering=("id",),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [participant_out(p, viewer) for p in page],
    )


@router.post(
    "/cases/{case}/notify",
    response={200: NotifiedOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Notify vendors (all not yet notified when `participants` is omitted)",
    description="One mail per vendor organisation to all its contacts, encrypted to its pinned key "
    "when it has one, never details in plaintext; while it has no account, each contact also gets "
    "its own claim link. The first notification is the case's first contact attempt (target date, "
    "default embargo). Vendors without an active contact address are answered as `unreachable`.",
    auth=rule("analyst"),
)
def notify(request: HttpRequest, case: str, payload: NotifyBody | None = None) -> NotifiedOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    found = standing.case
    vendors = found.participants.filter(kind=Participant.Kind.VENDOR).select_related("organization")
    wanted = payload.participants if payload is not None else None
    if wanted is None:
        targets = list(vendors.filter(first_contact_at__isnull=True))
    else:
        ids = list(dict.fromkeys(wanted))
        by_id = {p.pk: p for p in vendors.filter(pk__in=[i for i in ids if 0 < i <= MAX_ID])}
        missing = [str(i) for i in ids if i not in by_id]
        if missing:
            message = f"Not a vendor participant of this case: {', '.join(missing[:20])}."
            raise ApiError(400, message, [{"field": "participants", "message": message}])
        targets = [by_id[i] for i in ids]
    if not targets:
        raise InvalidInput("participants", "Every vendor of this case was already notified.")
    result = notify_vendors(found, targets, by=user)
    viewer = Viewer.of(standing)
    return NotifiedOut(
        notified=[ref_out(p, viewer) for p in result["notified"]],
        unreachable=[ref_out(p, viewer) for p in result["unreachable"]],
        held=[ref_out(p, viewer) for p in result["held"]],
    )


# --- Answers ------------------------------------------------------------------------------------


def _answering_participant(standing: Standing, organization: str | None) -> Participant:
    """The vendor whose answer is read or written: the caller's own organisation, or for staff the
    one named by ?organization=<id or exact name>."""
    if not standing.staff:
        if standing.vendor is None:  # in the case (the reporter, say), but no vendor of it
            raise RuleViolation("vendors-answer", "Only a vendor's members answer the four questions")
        return standing.vendor
    vendors = standing.case.participants.filter(kind=Participant.Kind.VENDOR).select_related("organization")
    ref = (organization or "").strip()
    if not ref:
        message = "Name the vendor with ?organization=<id or exact name>."
        raise ApiError(400, message, [{"field": "organization", "message": message}])
    number = parse_id(ref)
    if number is not None:
        found = vendors.filter(Q(organization_id=number) | Q(organization__name__iexact=ref))
    else:
        found = vendors.filter(organization__name__iexact=ref)
    matches = list(found[:2])
    if len(matches) != 1:
        message = f"No vendor of this case is named {ref!r}."
        raise ApiError(400, message, [{"field": "organization", "message": message}])
    return matches[0]


def _answer(standing: Standing, participant: Participant) -> AnswerOut:
    prefetch_answers([participant])
    return answer_out(standing.case, participant, Viewer.of(standing))


@router.get(
    "/cases/{case}/answer",
    response={200: AnswerOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Your organisation's current answer (analysts: ?organization=<id or exact name>)",
    description="Statuses with fix information, the sharing choice, open requests for information, "
    "the coordinator's addenda, and the current statement with its exact text and signature state. "
    "Before its organisation accepts an Active embargo a vendor gets 409 embargo-accept-first.",
    auth=rule("object:case"),
)
def get_answer(request: HttpRequest, case: str, organization: str | None = None) -> AnswerOut:
    standing = access_case(_user(request), case)
    return _answer(standing, _answering_participant(standing, organization))


def _statement_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8")  # exactly as received: no strip, no newline change
    except UnicodeEncodeError:
        raise InvalidInput("statement.text", "The text is not valid Unicode (a lone surrogate).")


@router.put(
    "/cases/{case}/answer",
    response={200: AnswerOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Answer the four questions (analysts on a vendor's behalf: ?organization=)",
    description="`statuses` replace the vendor's earlier ones; `status` is one of affected, "
    "not_affected (with a justification or impact_statement), fixed (with fixed_version), "
    "under_investigation, unknown. A statement whose text differs from the current one becomes a "
    "new version; its text is stored byte for byte as the UTF-8 encoding of the JSON string and is "
    "verified against the organisation's pinned keys. `statement.share` shows the statuses and "
    "statement to the other participants. An analyst's answer is shown as recorded on the vendor's "
    "behalf, never as signed.",
    auth=rule("object:case"),
)
def put_answer(
    request: HttpRequest, case: str, payload: AnswerBody, organization: str | None = None
) -> AnswerOut:
    user = _user(request)
    standing = access_case(user, case, need="act")
    participant = _answering_participant(standing, organization)
    statuses = None
    if payload.statuses is not None:
        statuses = [
            StatusInput(
                vulnerability=s.vulnerability,
                status=s.status,
                product=s.product or "",
                version_range=s.version_range or "",
                purl=s.purl or "",
                justification=s.justification or "",
                impact_statement=s.impact_statement or "",
                fixed_version=s.fixed_version or "",
                release_reference=s.release_reference or "",
                expected_fix_date=s.expected_fix_date,
                will_not_fix=s.will_not_fix,
            )
            for s in payload.statuses
        ]
    statement = None
    share = None
    if payload.statement is not None:
        share = payload.statement.share
        if payload.statement.text is not None:
            statement = StatementInput(
                text=_statement_bytes(payload.statement.text),
                signature=payload.statement.signature or "",
                references=payload.statement.references or "",
            )
        elif payload.statement.signature:
            raise InvalidInput("statement.text", "A detached signature needs the text it signs.")
    submit_answer(
        participant,
        AnswerInput(
            statuses=statuses,
            statement=statement,
            need_more_information=payload.need_more_information or "",
            share=share,
        ),
        by=user,
    )
    participant = Participant.objects.select_related("organization").get(pk=participant.pk)
    return _answer(standing, participant)


@router.get(
    "/cases/{case}/answers",
    response={200: page_of(AnswerOut), 400: Error, 401: Error, 404: Error, 409: Error},
    summary="The vendors' answers you may see, in the order the vendors joined",
    description="Analysts see every vendor's answer. A vendor sees its own, and another vendor's "
    "only when that vendor shared it; an anonymous vendor appears by its alias, and its verified "
    "signature as 'signed; verified by the coordinator' without a fingerprint. The reporter sees the "
    "answers vendors shared, also with the report's follow secret (`Authorization: Bearer <secret>`).",
    auth=rule("object:case-or-follow"),
)
def list_answers(
    request: HttpRequest, case: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    standing = access_case(caller(request), case)
    viewer = Viewer.of(standing)
    queryset = standing.case.participants.filter(kind=Participant.Kind.VENDOR).select_related("organization")
    visible = viewer.answers_visible()
    if visible is not None:
        queryset = queryset.filter(visible)

    def serialize(page: list[Participant]) -> list[AnswerOut]:
        prefetch_answers(page)
        return [answer_out(standing.case, p, viewer) for p in page if may_see_answer(p, viewer)]

    return paginate(queryset, ordering=("id",), cursor=cursor, limit=limit, serialize=serialize)


@router.post(
    "/cases/{case}/mail/{mail_id}/statement",
    response={201: StatementOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Make a vendor's signed mail its statement (analysts)",
    description="The mail (`mail_id` is `mail.inbound_id` of the message in the vendor's private thread) "
    "becomes the vendor's next statement version: its signed bytes exactly (a clearsigned text, or a "
    "PGP/MIME signed part with its detached signature), verified again against the organisation's "
    "pinned keys, and marked as received by mail. 409 when the mail is not a vendor's in this case, "
    "or carries no signed bytes (a mail signed and encrypted in one OpenPGP message: ask the vendor "
    "for a clearsigned statement).",
    auth=rule("analyst"),
)
def statement_by_mail(request: HttpRequest, case: str, mail_id: str) -> Status[StatementOut]:
    from accord.mailgate.models import InboundMessage

    standing = access_case(_user(request), case, need="write")
    number = parse_id(mail_id)
    inbound = (
        InboundMessage.objects.filter(pk=number, case=standing.case, posted_message__isnull=False).first()
        if number
        else None
    )
    if inbound is None:
        raise Http404("No such mail in this case.")
    statement = statement_from_mail(inbound, by=_user(request))
    return Status(201, _statement_out(statement, statement.participant, Viewer.of(standing)))


# --- Name at publication ------------------------------------------------------------------------


class PublicationNameBody(Body):
    named: bool = Field(description="true: the published note shows your name; false: your alias.")


class PublicationNameOut(BaseModel):
    participant: int
    alias: str
    anonymous: bool = Field(description="Whether the other participants see only the alias.")
    named_at_publication: bool = Field(
        description="An anonymous vendor's choice: its real name in the published note instead of "
        "its alias. Other participants still see only the alias during the case."
    )


def _publication_name(participant: Participant) -> PublicationNameOut:
    return PublicationNameOut(
        participant=participant.pk,
        alias=participant.alias,
        anonymous=participant.anonymous,
        named_at_publication=participant.named_at_publication,
    )


def _choosing_vendor(standing: Standing, organization: str | None) -> Participant:
    # In the case but no vendor of it (the reporter, say): 409, as for the answer routes.
    if not standing.staff and standing.vendor is None:
        raise RuleViolation("vendors-only", "Only a vendor's own members or an analyst for it choose this")
    return _answering_participant(standing, organization)


@router.get(
    "/cases/{case}/publication-name",
    response={200: PublicationNameOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Whether your organisation is named or shown by its alias in the published note",
    description="Analysts: ?organization=<id or exact name>. Only the vendor itself and the "
    "coordinator read this choice.",
    auth=rule("object:case"),
)
def get_publication_name(
    request: HttpRequest, case: str, organization: str | None = None
) -> PublicationNameOut:
    standing = access_case(_user(request), case)
    return _publication_name(_choosing_vendor(standing, organization))


@router.post(
    "/cases/{case}/publication-name",
    response={200: PublicationNameOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Choose to be named, or kept by your alias, in the published note",
    description="An anonymous vendor's members (or an analyst on its behalf: ?organization=, "
    "recorded as such) choose whether the published note shows its name or its alias. Allowed at "
    "any time; after publication the change takes effect in the note's next revision (published "
    "revisions never change). It changes nothing the other participants see during the case. "
    "409 vendors-only for anyone else in the case (the reporter, say).",
    auth=rule("object:case"),
)
def set_publication_name(
    request: HttpRequest, case: str, payload: PublicationNameBody, organization: str | None = None
) -> PublicationNameOut:
    user = _user(request)
    standing = access_case(user, case, need="act")
    participant = _choosing_vendor(standing, organization)
    return _publication_name(set_named_at_publication(participant, payload.named, by=user))
