"""Demo accounts for `accord demo`: fixed logins so a person can try Accord at once.

The demo vendors also get an approved "to" contact each, so that a case's "Notify" reaches
them on a fresh install (the mail lands in the outbox, under var/mail/ by default).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import Membership, Organization, User
from accord.accounts.queries import roles_of
from accord.vendors import actions as vendor_actions
from accord.vendors.models import ChangeStatus, Contact

COORDINATOR = "Accord Coordination Center"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    password: str
    staff_role: str = ""
    organization: str | None = None
    org_kind: str = Organization.Kind.VENDOR
    org_role: str = Membership.Role.MEMBER

    @property
    def totp_key(self) -> bytes | None:
        # Derived, not stored: the same on every run, so the printed secret stays valid.
        if not self.staff_role:
            return None
        return hashlib.sha1(f"accord-demo-totp:{self.email}".encode(), usedforsecurity=False).digest()


ACCOUNTS = [
    DemoAccount(
        "analyst@coordinator.example",
        "Ana Analyst",
        "demo-analyst-password",
        "analyst",
        COORDINATOR,
        Organization.Kind.COORDINATOR,
    ),
    DemoAccount(
        "publisher@coordinator.example",
        "Paul Publisher",
        "demo-publisher-password",
        "publisher",
        COORDINATOR,
        Organization.Kind.COORDINATOR,
    ),
    DemoAccount(
        "admin@coordinator.example",
        "Ada Admin",
        "demo-admin-password",
        "admin",
        COORDINATOR,
        Organization.Kind.COORDINATOR,
        Membership.Role.ADMIN,
    ),
    DemoAccount(
        "admin@acme.example",
        "Alice Acme",
        "demo-acme-admin-password",
        organization="Acme Networks",
        org_role=Membership.Role.ADMIN,
    ),
    DemoAccount("psirt@acme.example", "Bob Acme", "demo-acme-member-password", organization="Acme Networks"),
    DemoAccount(
        "security@globex.example", "Gina Globex", "demo-globex-password", organization="Globex Software"
    ),
    DemoAccount(
        "psirt@initech.example", "Ivan Initech", "demo-initech-password", organization="Initech Devices"
    ),
    DemoAccount("reporter@research.example", "Rita Reporter", "demo-reporter-password"),
]


@dataclass(frozen=True)
class DemoContact:
    organization: str
    email: str
    name: str


# Where each demo vendor's notifications go: one of its members, so the mail is readable as them.
CONTACTS = [
    DemoContact("Acme Networks", "psirt@acme.example", "Acme PSIRT"),
    DemoContact("Globex Software", "security@globex.example", "Globex Security"),
    DemoContact("Initech Devices", "psirt@initech.example", "Initech PSIRT"),
]


def _ensure_contact(entry: DemoContact, analyst: User) -> Contact:
    """An active "to" contact at the address, added (or approved) by the demo analyst."""
    org = Organization.objects.get(name=entry.organization, kind=Organization.Kind.VENDOR)
    contact = Contact.objects.filter(organization=org, email=entry.email, status=ChangeStatus.ACTIVE).first()
    if contact is None:
        waiting = Contact.objects.filter(
            organization=org, email=entry.email, status=ChangeStatus.PENDING
        ).first()
        approved = vendor_actions.approve_change(waiting, by=analyst) if waiting is not None else None
        contact = approved if isinstance(approved, Contact) else None
    if contact is None:
        contact = vendor_actions.add_contact(
            org, entry.email, role=Contact.Role.TO, name=entry.name, by=analyst
        )
    if contact.role != Contact.Role.TO:
        contact = vendor_actions.update_contact(contact, role=Contact.Role.TO, by=analyst)
    return contact


def totp_secret(account: DemoAccount) -> str | None:
    key = account.totp_key
    return base64.b32encode(key).decode("ascii") if key else None


@transaction.atomic
def load() -> list[dict[str, Any]]:
    """Create or reset the demo accounts; returns them as `accord demo --json` prints them."""
    rows = []
    for account in ACCOUNTS:
        user = User.objects.filter(email=account.email).first() or User(email=account.email)
        user.name = account.name
        user.staff_role = account.staff_role
        user.is_staff = user.is_superuser = account.staff_role == User.StaffRole.ADMIN
        user.is_active = True
        user.set_password(account.password)
        user.save()
        org = None
        if account.organization:
            org, _ = Organization.objects.get_or_create(
                name=account.organization, defaults={"kind": account.org_kind}
            )
            Membership.objects.update_or_create(
                user=user, organization=org, defaults={"role": account.org_role}
            )
        key = account.totp_key
        if key is not None:
            TOTPDevice.objects.filter(user=user).exclude(name="demo").delete()
            TOTPDevice.objects.update_or_create(
                user=user, name="demo", defaults={"key": key.hex(), "confirmed": True}
            )
        rows.append(
            {
                "email": account.email,
                "password": account.password,
                "totp_secret": totp_secret(account),
                "roles": roles_of(user),
                "organization": org.name if org else None,
            }
        )
    analyst = User.objects.get(
        email=next(a.email for a in ACCOUNTS if a.staff_role == User.StaffRole.ANALYST)
    )
    for entry in CONTACTS:
        _ensure_contact(entry, analyst)
    return rows


# --- A sample to try every role on (`accord demo --sample`, which `make run` uses) ---------------

SAMPLE_WAITING = "Demo Gadget Hub"  # a report waiting in triage
SAMPLE_CASE = "Demo Widget Server"  # a case under embargo, its vendors notified
SAMPLE_PUBLISHED = "Demo Print Spooler"  # a case whose Vulnerability Note is on the public site


def load_sample() -> dict[str, str]:
    """A report waiting in triage and a case whose demo vendors were notified (its embargo
    waits for their answer), made once through the actions as a person would, so that every
    demo login finds something to do. Returns {"report": id, "case": "VU#…"}."""
    from accord.cases import actions
    from accord.cases.actions.participants import add_vendors, notify_vendors, update_vendor_texts
    from accord.cases.actions.reports import ReportInput
    from accord.cases.models import Report

    reporter = User.objects.get(email="reporter@research.example")
    analyst = User.objects.get(email="analyst@coordinator.example")
    waiting = Report.objects.filter(product=SAMPLE_WAITING, submitted_by=reporter).first()
    if waiting is None:
        waiting, _ = actions.submit_report(
            ReportInput(
                product=SAMPLE_WAITING,
                version="3.2",
                description="The hub's pairing endpoint accepts any PIN after three failures:\n\n"
                "```\ncurl -d 'pin=0000' http://hub.local/pair\n```",
                reporter_email=reporter.email,
                credit=False,
            ),
            by=reporter,
        )
    sampled = Report.objects.filter(product=SAMPLE_CASE, submitted_by=reporter).first()
    if sampled is None:
        sampled, _ = actions.submit_report(
            ReportInput(
                product=SAMPLE_CASE,
                version="2.1",
                description="A crafted `Cookie` header overflows a heap buffer in the session parser "
                "and runs code as the server user.",
                reporter_email=reporter.email,
                reporter_name="Rita Reporter",
                affected_vendors="Acme Networks, Globex Software",
            ),
            by=reporter,
        )
    if sampled.case_id is None:
        case = actions.accept_report(sampled, by=analyst)
        update_vendor_texts(
            case,
            vendor_summary="A crafted **Cookie** header overflows a heap buffer in the Widget Server's "
            "session parser (versions 2.0 to 2.1). Please tell us whether your products ship it.",
            notification_text="We coordinate this report under our 45-day policy.",
            by=analyst,
        )
        vendors = Organization.objects.filter(name__in=["Acme Networks", "Globex Software"]).order_by("name")
        notify_vendors(case, add_vendors(case, list(vendors), by=analyst), by=analyst)
        sampled.refresh_from_db()
    assert sampled.case is not None
    published = _published_sample(reporter, analyst)
    return {"report": waiting.pk, "case": sampled.case.label, "published": published}


def _published_sample(reporter: User, analyst: User) -> str:
    """A case carried through to its public Vulnerability Note, so that /vuls/ shows what
    publication gives: Acme answered (fixed, with a statement), Globex never did ("No response")."""
    from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
    from accord.cases import actions
    from accord.cases.actions.participants import add_vendors, answer_embargo, notify_vendors
    from accord.cases.actions.reports import ReportInput
    from accord.cases.models import Report
    from accord.publication import actions as notes
    from accord.publication.models import Note

    publisher = User.objects.get(email="publisher@coordinator.example")
    report = Report.objects.filter(product=SAMPLE_PUBLISHED, submitted_by=reporter).first()
    if report is None:
        report, _ = actions.submit_report(
            ReportInput(
                product=SAMPLE_PUBLISHED,
                version="4.0",
                description="A job name longer than 256 bytes overflows a stack buffer in the spooler "
                "and runs code as the print service.",
                reporter_email=reporter.email,
                reporter_name="Rita Reporter",
                affected_vendors="Acme Networks, Globex Software",
            ),
            by=reporter,
        )
    if report.case_id is None:
        actions.accept_report(report, by=analyst)
        report.refresh_from_db()
    case = report.case
    assert case is not None
    if Note.objects.filter(case=case, state=Note.State.PUBLISHED).exists():
        return case.label
    if not case.participants.filter(kind="vendor").exists():
        vendors = Organization.objects.filter(name__in=["Acme Networks", "Globex Software"]).order_by("name")
        notify_vendors(case, add_vendors(case, list(vendors), by=analyst), by=analyst)
    acme = case.participants.get(organization__name="Acme Networks")
    member = User.objects.get(email="psirt@acme.example")
    if acme.embargo_answer != acme.EmbargoAnswer.ACCEPTED:
        answer_embargo(acme, accept=True, by=member)
    if not acme.statements.exists():
        submit_answer(
            acme,
            AnswerInput(
                statuses=[StatusInput(vulnerability="1", status="fixed", fixed_version="4.0.1")],
                statement=StatementInput(
                    text=b"Acme Networks: the spooler in firmware 4.0.1 checks the "
                    b"length of job names.\nUpgrade to 4.0.1 or later.\n"
                ),
                share=True,
            ),
            by=member,
        )
    case.refresh_from_db()
    if case.embargo_state == "active":
        actions.terminate_embargo(case, by=analyst, reason="Acme shipped the fix in firmware 4.0.1.")
    note = notes.note_for(case, by=analyst)
    notes.save_draft(
        note,
        {
            **note.sections(),
            "overview": "The print spooler of several network devices overflows a stack buffer on long "
            "job names.",
            "solution": "Upgrade to a fixed firmware: Acme Networks 4.0.1.",
        },
        summary="demo note",
        by=analyst,
    )
    notes.approve(notes.request_review(note, by=analyst), by=publisher)
    notes.publish_now(note, by=publisher, summary="First publication")
    return case.label
