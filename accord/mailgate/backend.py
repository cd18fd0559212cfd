from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from accord.mailgate.outbound import queue_mail


class OutboxBackend(BaseEmailBackend):
    """Mail that Django itself sends goes through the outbox too: one row per recipient. Accord's
    own mail does not come this way; it is one of the kinds in accord.mailgate.kinds."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for email in email_messages:
            for recipient in email.recipients():
                queue_mail(recipient, str(email.subject), str(email.body))
                count += 1
        return count
