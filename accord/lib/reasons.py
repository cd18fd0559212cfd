"""The reason an irreversible action requires (issue 8): terminating an embargo, invalidating
or closing a report, removing a vendor's contact or an organisation's member.

The action itself refuses a blank reason, so the web form, the API and any other caller are
held to it alike. The reason is kept whole in the event's data, never cut short silently.
"""

from __future__ import annotations

from typing import Any

from accord.lib.errors import InvalidInput, storable

REASON_MAX = 2000


def required_reason(reason: Any, what: str) -> str:
    """The reason given, stripped; InvalidInput naming "reason" when blank or too long.

    `what` completes "Give the reason …", e.g. "to terminate the embargo".
    """
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput("reason", f"Give the reason {what} (it is kept on the record).")
    storable(text, "reason")
    if len(text) > REASON_MAX:
        raise InvalidInput("reason", f"At most {REASON_MAX:,} characters.")
    return text
