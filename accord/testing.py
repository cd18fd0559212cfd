"""Named personas for tests, built through actions, as architecture.md asks.

    world = make_world()
    client = login(Client(), world.analyst)

Later features add to the world (a case the vendor participates in, the reporter's
report) so that every persona keeps its meaning in every test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts import actions
from accord.accounts.models import Membership, Organization, User
from accord.cases import actions as case_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, Participant, Report
from accord.cases.states import RM

PASSWORD = "correct horse battery staple"
PERSONAS = (
    "anonymous",
    "analyst",
    "publisher",
    "admin",
    "vendor",
    "co_vendor",
    "other_vendor",
    "invited_vendor",
    "reporter",
    "outsider",
)


@dataclass
class World:
    coordinator: Organization
    vendor_org: Organization
    other_vendor_org: Organization
    analyst: User
    publisher: User
    admin: User
    vendor: User  # member (admin) of the participating vendor
    other_vendor: User  # member of a vendor that is not in the case
    reporter: User
    outsider: User
    co_vendor_org: Organization  # "Vendor Three": participates in `case` after `vendor_org`
    co_vendor: User  # member of `co_vendor_org`: a co-participant, who sees `vendor_org` only by alias
    invited_vendor_org: Organization  # "Vendor Four": invited into `case`, has not accepted its embargo
    invited_vendor: User  # its member: sees only the terms of an Active embargo, may accept or decline
    report: Report | None = None  # submitted by `reporter`, accepted into `case`
    report_key: str = ""  # the private follow link's secret of `report`
    # `vendor_org` participates ANONYMOUSLY, then `co_vendor_org`; `other_vendor_org` does not.
    case: Case | None = None
    extras: dict[str, object] = field(default_factory=dict)

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def make_user(
    email: str, *, staff_role: str = "", org: Organization | None = None, role: str = "member"
) -> User:
    user = User.objects.create_user(email, PASSWORD, name=email.split("@")[0].title(), staff_role=staff_role)
    if staff_role == User.StaffRole.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    if staff_role:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    if org is not None:
        Membership.objects.create(user=user, organization=org, role=role)
    return user


def make_world() -> World:
    admin_seed = User.objects.create_user("seed@coordinator.test", PASSWORD, staff_role="admin")
    coordinator = actions.create_organization("Coordination Center", "coordinator", by=admin_seed)
    vendor_org = actions.create_organization("Vendor One", "vendor", by=admin_seed)
    other_vendor_org = actions.create_organization("Vendor Two", "vendor", by=admin_seed)
    co_vendor_org = actions.create_organization("Vendor Three", "vendor", by=admin_seed)
    invited_vendor_org = actions.create_organization("Vendor Four", "vendor", by=admin_seed)
    admin_seed.delete()
    world = World(
        coordinator=coordinator,
        vendor_org=vendor_org,
        other_vendor_org=other_vendor_org,
        analyst=make_user("analyst@coordinator.test", staff_role="analyst", org=coordinator),
        publisher=make_user("publisher@coordinator.test", staff_role="publisher", org=coordinator),
        admin=make_user("admin@coordinator.test", staff_role="admin", org=coordinator, role="admin"),
        vendor=make_user("psirt@vendor-one.test", org=vendor_org, role="admin"),
        other_vendor=make_user("psirt@vendor-two.test", org=other_vendor_org, role="admin"),
        reporter=make_user("finder@research.test"),
        outsider=make_user("someone@elsewhere.test"),
        co_vendor_org=co_vendor_org,
        co_vendor=make_user("psirt@vendor-three.test", org=co_vendor_org, role="admin"),
        invited_vendor_org=invited_vendor_org,
        invited_vendor=make_user("psirt@vendor-four.test", org=invited_vendor_org, role="admin"),
    )
    world.report, world.report_key = case_actions.submit_report(
        ReportInput(
            product="Widget Server",
            version="2.1",
            description="Heap overflow in the parser.",
            reporter_name="Finder",
            reporter_email="finder@research.test",
        ),
        by=world.reporter,
    )
    world.case = case_actions.accept_report(world.report, by=world.analyst)
    world.report.refresh_from_db()
    # The vendor is anonymous, so every route is checked for unmasking it to the co-participant.
    # No vendor was contacted yet, so no embargo is in force: `start_embargo` starts it.
    add_vendor(world.case, world.vendor_org, anonymous=True)
    add_vendor(world.case, world.co_vendor_org)
    add_vendor(world.case, world.invited_vendor_org)
    return world


def start_embargo(world: World) -> Case:
    """The world's case as vendors meet it: first contacted, so under Accord's default embargo
    (Active), which the vendor and the co-participant joined and the invited vendor has not
    answered yet."""
    assert world.case is not None
    world.case = case_actions.record_contact_attempt(world.case, by=world.analyst, outside=True)
    join_embargo(world)
    return world.case


def join_embargo(world: World) -> None:
    """The vendor and the co-participant accept the case's Active embargo (if not done yet)."""
    from accord.cases.actions.participants import answer_embargo

    assert world.case is not None
    for org, member in ((world.vendor_org, world.vendor), (world.co_vendor_org, world.co_vendor)):
        participant = world.case.participants.get(organization=org)
        if participant.embargo_answer == Participant.EmbargoAnswer.INVITED:
            answer_embargo(participant, accept=True, by=member)


def add_vendor(
    case: Case, org: Organization, *, anonymous: bool = False, accepted: bool = False
) -> Participant:
    """A vendor participant, for tests (the `add_vendors` action gives other aliases and states)."""
    count = case.participants.filter(kind=Participant.Kind.VENDOR).count()
    answer = Participant.EmbargoAnswer.ACCEPTED if accepted else Participant.EmbargoAnswer.INVITED
    return Participant.objects.create(
        case=case,
        kind=Participant.Kind.VENDOR,
        organization=org,
        alias=f"Vendor {count + 1}",
        anonymous=anonymous,
        rm_state=RM.RECEIVED,
        embargo_answer=answer,
    )


def login(client: Client, user: User | None) -> Client:
    """Log `client` in as `user`, with the second factor done for staff. None stays anonymous."""
    if user is None:
        return client
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def token_client(user: User, name: str = "tests") -> Client:
    """A client authenticating with a fresh bearer token of `user`."""
    _, secret = actions.create_token(user, name, by=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


# --- The conversation (accord.conversation), for tests -------------------------------------------


def write_to_reporter(report: Any, text: str, *, by: User, request: bool = False) -> Any:
    """An analyst writes in the report's private thread with the reporter."""
    from accord.conversation import actions as conversation

    speaker = conversation.speaker_on_report(report, by, reporter=False)  # refused before any thread
    return conversation.post_message(
        conversation.report_thread(report), text, speaker=speaker, request=request
    )


def reporter_writes(report: Any, text: str, *, by: User | None = None, reply_to: Any = None) -> Any:
    """The reporter writes in their report's thread (signed in as `by`, or through the link)."""
    from accord.conversation import actions as conversation

    return conversation.post_message(
        conversation.report_thread(report),
        text,
        speaker=conversation.speaker_on_report(report, by, reporter=True),
        reply_to=reply_to,
    )


def write_privately(
    participant: Any, text: str, *, by: User, request: bool = False, reply_to: Any = None
) -> Any:
    """An analyst writes in a participant's private thread."""
    from accord.conversation import actions as conversation

    return conversation.post_message(
        conversation.private_thread(participant),
        text,
        speaker=conversation.Speaker(by, staff=True),
        request=request,
        reply_to=reply_to,
    )


def open_requests_of(participant: Any) -> Any:
    """The open requests for information in a participant's private thread."""
    from accord.conversation.models import Message

    return Message.objects.filter(thread__participant=participant, request=Message.Request.OPEN)


# --- Published notes (the public site's tests; the publishing actions build real ones) ----------

# A statement's bytes as a vendor may send them: CRLF, a tab, 8-bit text and HTML-like text.
# An anonymous vendor's clearsigned statement: the public never sees its signature block.
ANONYMOUS_CLEARSIGNED = (
    b"-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nNot affected.\r\n"
    b"-----BEGIN PGP SIGNATURE-----\r\n\r\nSIGNERKEYID\r\n-----END PGP SIGNATURE-----\r\n"
)
RAW_STATEMENT = b"Acme statement\r\n\tWe fixed it in 2.1.\r\nCaf\xc3\xa9 <script>alert(1)</script>\r\n"


def make_case(
    number: int, title: str = "Heap overflow in the widget parser", *, vulnerabilities: int = 1
) -> Case:
    """A bare case with `vulnerabilities` vulnerabilities, for notes (no participants)."""
    case = Case.objects.create(number=number, title=title)
    for seq in range(1, vulnerabilities + 1):
        case.vulnerabilities.create(seq=seq, title=f"Flaw {seq}", cve=f"CVE-2026-{1000 + seq}", cwe="CWE-787")
    return case


def _statement(participant: Participant, raw: bytes, **fields: Any) -> Any:
    import hashlib

    from accord.answers.models import Statement
    from accord.lib.openpgp import without_signatures

    statement = Statement.objects.create(participant=participant, version=1, text=raw, share=True, **fields)
    # The public reads an anonymous vendor's statement without its armour (process.md "Anonymity").
    shown = without_signatures(raw) if participant.anonymous else raw
    item = {
        "id": statement.pk,
        "version": 1,
        "text": shown.decode("utf-8", errors="replace"),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "signature_state": statement.verification,
        "fingerprint": "" if participant.anonymous else statement.fingerprint,
        "signature_kind": statement.signature_kind,
        "received_by_mail": statement.received_by_mail,
        "at": "2026-11-02T10:00:00Z",
    }
    return item


def sample_snapshot(
    case: Case, vendors: int = 4, *, title: str | None = None, number: int = 1
) -> dict[str, Any]:
    """A valid Snapshot (snapshot_types) of `case`, with `vendors` vendors (at least 4):
    a named vendor with a verified detached-signed statement (RAW_STATEMENT) and an addendum, an
    anonymous vendor with a verified clearsigned statement, a named vendor whose signature failed,
    and vendors notified that never answered ("unknown" statuses). Statements are real rows."""
    from accord.answers.models import Statement

    assert vendors >= 4
    vulns = list(case.vulnerabilities.order_by("seq"))
    ids = [f"{case.label}.{v.seq}" for v in vulns]

    def statuses(word: str) -> list[dict[str, Any]]:
        blank = dict.fromkeys(
            ("product", "version_range", "purl", "source_word", "justification", "impact_statement")
            + ("fixed_version", "release_reference"),
            "",
        )
        return [{**blank, "vulnerability": i, "status": word} for i in ids]

    def participant(name: str, anonymous: bool = False) -> Participant:
        org, _ = Organization.objects.get_or_create(name=name, defaults={"kind": "vendor"})
        count = case.participants.filter(kind=Participant.Kind.VENDOR).count()
        return Participant.objects.create(
            case=case,
            kind=Participant.Kind.VENDOR,
            organization=org,
            alias=f"Vendor {count + 1}",
            anonymous=anonymous,
            rm_state=RM.RECEIVED,
        )

    named = participant(f"Acme {case.number}")
    hidden = participant(f"Hidden Corp {case.number}", anonymous=True)
    failed = participant(f"Beta {case.number}")
    V = Statement.Verification
    K = Statement.SignatureKind
    rows: list[dict[str, Any]] = []

    def vendor(key: str, name: str, anonymous: bool, word: str, statement: Any, addendum: str = "") -> None:
        rows.append(
            {
                "key": key,
                "name": name,
                "anonymous": anonymous,
                "notified_at": "2026-10-01T09:00:00Z",
                "responded_at": None if statement is None else "2026-10-02T09:00:00Z",
                "statement_at": None if statement is None else statement["at"],
                "statuses": statuses(word),
                "statement": statement,
                "addendum": addendum,
                "information": "",
            }
        )

    sig = "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n"
    vendor(
        f"p{named.pk}",
        named.organization.name,  # type: ignore[union-attr]
        False,
        "fixed",
        _statement(
            named,
            RAW_STATEMENT,
            verification=V.VERIFIED,
            signature_kind=K.DETACHED,
            signature=sig,
            fingerprint="A" * 40,
        ),
        addendum="The coordinator checked the fix in 2.1.",
    )
    vendor(
        f"p{hidden.pk}",
        hidden.alias,
        True,
        "not_affected",
        _statement(
            hidden,
            ANONYMOUS_CLEARSIGNED,
            verification=V.VERIFIED,
            signature_kind=K.CLEARSIGNED,
            fingerprint="B" * 40,
        ),
    )
    vendor(
        f"p{failed.pk}",
        failed.organization.name,  # type: ignore[union-attr]
        False,
        "affected",
        _statement(failed, b"Beta is affected.\n", verification=V.FAILED, signature_kind=K.DETACHED),
    )
    for index in range(vendors - 3):
        vendor(f"a{case.number}-{index}", f"Silent Vendor {index}", False, "unknown", None)
    return {
        "schema": 1,
        "case": case.label,
        "number": number,
        "title": title or case.title,
        "sections": {
            "overview": "An **overflow** in the widget parser.",
            "description": "Details <b>here</b>.",
            "impact": "Remote code execution.",
            "solution": "Update to 2.1.",
            "workarounds": "",
            "references": "- https://example.test/advisory",
            "credit": "Thanks to the reporter.",
        },
        "vulnerabilities": [
            {
                "id": i,
                "title": v.title,
                "description": v.description,
                "cve": v.cve,
                "cwe": v.cwe,
                "cvss": [
                    {"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.8}
                ],
                "aliases": [],
                "products": [],
            }
            for i, v in zip(ids, vulns, strict=True)
        ],
        "vendors": rows,
        "timeline": [
            {"at": "2026-10-01T09:00:00Z", "what": "first contact attempt"},
            {"at": "2026-11-30T12:00:00Z", "what": "publication"},
        ],
        "first_published_at": "2026-11-30T12:00:00Z",
        "source": "accord",
    }


def publish_snapshot(case: Case, snapshot: dict[str, Any], *, number: int = 1, at: Any = None) -> Any:
    """Publish `snapshot` as revision `number` of the case's note, directly (no actions): the note
    becomes published with its first/last publication instants."""
    from django.utils import timezone

    from accord.publication.models import Note, Revision
    from accord.publication.snapshot_text import search_text
    from accord.publication.snapshot_types import Snapshot

    at = at or timezone.now()
    note, _ = Note.objects.get_or_create(case=case)
    note.state = Note.State.PUBLISHED
    note.first_published_at = note.first_published_at or at
    note.last_published_at = at
    note.save()
    return Revision.objects.create(
        note=note,
        number=number,
        state=Revision.State.PUBLISHED,
        snapshot=snapshot,
        published_at=at,
        change_summary="" if number == 1 else f"Revision {number}",
        search_text=search_text(cast(Snapshot, snapshot)),
    )
