"""The mails a reporter gets about their report: one function per kind, with its subject and body.

They are neutral (process.md, "Mail and confidentiality"): the report id, a few words and the
private follow link, never the product, the title or any text of the report or its messages.
Only a reporter who gave an email gets them. Actions call them inside their transaction:
queue_mail stores the row there and sends it once the transaction commits.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accord.cases.models import Case, Report
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import queue_mail

KEEP_IT_SECRET = "Keep the link secret: anyone with it can read the report."


def _subject(text: str) -> str:
    return f"[{settings.INSTANCE_NAME}] {text}"


def _policy() -> str:
    return f"Our disclosure policy: {settings.SITE_URL}{reverse('cases:policy')}\n"


def _where(report: Report, link: str | None) -> str:
    """How to reach the follow page: the link, or (reports older than derived links) where it is."""
    if link:
        return f"{link}\n{KEEP_IT_SECRET}\n"
    return (
        "Use the private link from our acknowledgement of the report "
        f'(the mail "Report {report.pk} received").\n'
    )


def report_received(report: Report, link: str) -> OutboundMessage | None:
    if not report.reporter_email:
        return None
    return queue_mail(
        report.reporter_email,
        _subject(f"Report {report.pk} received"),
        f"Thank you. We received your vulnerability report {report.pk}.\n\n"
        "Follow it, add information and answer our questions on your private page:\n"
        f"{_where(report, link)}\n{_policy()}",
    )


def report_message(report: Report, link: str | None, full_text: str = "") -> OutboundMessage | None:
    """The coordinator wrote to the reporter. The message itself goes only encrypted, to the key
    the reporter gave (outbox, accord.mailgate.tasks.send_outbound); the plaintext stays neutral."""
    if not report.reporter_email:
        return None
    key = (report.reporter_pgp_key or "").strip()
    body = (
        f"We wrote to you about your vulnerability report {report.pk}.\n\n"
        f"Read the message and answer on your private page:\n{_where(report, link)}"
    )
    return queue_mail(
        report.reporter_email,
        _subject(f"New message about your report {report.pk}"),
        body,
        sealed_text=f"{full_text}\n{body}" if key and full_text else "",
        encrypt_to=(key,) if key and full_text else (),
    )


def report_accepted(report: Report, case: Case, link: str | None) -> OutboundMessage | None:
    if not report.reporter_email:
        return None
    return queue_mail(
        report.reporter_email,
        _subject(f"Your report {report.pk} is accepted"),
        f"We accepted your vulnerability report {report.pk}. We now coordinate its disclosure "
        f"with the vendors as case {case.label}.\n\n"
        f"Follow it and answer our questions on your private page:\n{_where(report, link)}\n{_policy()}",
    )
