"""The reminders a vendor's contacts get: one function per kind, with its subject and body.

They are neutral (process.md "Mail and confidentiality"), as the notification is: the VU#,
neutral words, the target date and links, never the title, the product or any text of the
case. One mail per contact address, so that no mail shows one recipient to another.
Actions call them inside their transaction; queue_mail sends once it commits.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accord.cases.models import Case, Participant
from accord.cases.reminders import DEADLINE, UNOPENED
from accord.lib.time import format_utc
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import queue_mail

SUBJECTS = {
    UNOPENED: "Reminder: a vulnerability report awaits you",
    DEADLINE: "Reminder: the target publication date is near",
    "final": "Final reminder",
}


def _case_link(case: Case) -> str:
    return settings.SITE_URL + reverse("cases:case_detail", kwargs={"case": case.url_ref})


def _footer(case: Case) -> list[str]:
    return [
        "",
        "If your organisation has no account yet, the link in our first notification creates one.",
        "Our disclosure policy:",
        settings.SITE_URL + reverse("cases:policy"),
        "",
        f"Reply by email with {case.label} in the subject, encrypted with our OpenPGP key when you can.",
    ]


def _target(case: Case) -> str:
    return format_utc(case.target_publication_at) if case.target_publication_at else "not set yet"


def reminder(case: Case, participant: Participant, kind: str, email: str) -> OutboundMessage:
    """An automatic reminder (accord.cases.reminders): UNOPENED or DEADLINE."""
    if kind == UNOPENED:
        notified = format_utc(participant.first_contact_at) if participant.first_contact_at else "earlier"
        lines = [
            f"On {notified}, {settings.INSTANCE_NAME} notified your organisation of a vulnerability",
            f"report that may concern it: case {case.label}. Nobody from your organisation has opened it yet.",
        ]
    else:
        lines = [
            f"The target publication date of case {case.label} is {_target(case)}.",
            "We have no statement from your organisation for it yet.",
        ]
    lines += [
        "",
        "The report and the coordinator's questions are in the portal (details are never sent by plain mail):",
        _case_link(case),
        *_footer(case),
    ]
    return queue_mail(email, f"[{case.label}] {SUBJECTS[kind]}", "\n".join(lines) + "\n")


def final_reminder(case: Case, email: str) -> OutboundMessage:
    """The analyst's final reminder to a vendor that has gone silent."""
    lines = [
        f"This is our final reminder about case {case.label}: we have not heard from your organisation",
        "for some time.",
        "",
        f"The target publication date is {_target(case)}. Without an answer, we may publish",
        "without your organisation's statement, as our disclosure policy says.",
        "",
        "Please answer in the portal (details are never sent by plain mail):",
        _case_link(case),
        *_footer(case),
    ]
    return queue_mail(email, f"[{case.label}] {SUBJECTS['final']}", "\n".join(lines) + "\n")
