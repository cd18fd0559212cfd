"""When a vendor's claim link may still be used: one rule for the page and the actions.

A link is the key to an account tied to the vendor, so it ages out (ACCORD_CLAIM_LINK_DAYS)
and dies with its address: once the address is no longer an active contact of the vendor,
whoever still holds the mailbox's old mail must not join the vendor through it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from accord.cases.models import ClaimLink
from accord.lib.errors import RuleViolation


def expires_at(link: ClaimLink) -> dt.datetime:
    return link.created_at + dt.timedelta(days=settings.CLAIM_LINK_DAYS)


def check_address(link: ClaimLink) -> None:
    """Refuse a link whose address was removed from the vendor's active contacts."""
    from accord.vendors.queries import is_active_contact

    org = link.participant.organization
    if org is None or not is_active_contact(org, link.email):
        raise RuleViolation(
            "claim-contact-removed",
            f"{link.email} is no longer a contact address of this vendor, so its link cannot be used."
            " Ask the coordinator or your organisation's admins for access",
        )


def check_usable(link: ClaimLink) -> None:
    """Refuse an expired link and one whose address was removed, saying which."""
    if timezone.now() >= expires_at(link):
        raise RuleViolation(
            "claim-link-expired",
            f"This link expired on {expires_at(link):%Y-%m-%d %H:%M} UTC: a link is valid for"
            f" {settings.CLAIM_LINK_DAYS} days. Ask the coordinator for a new one",
        )
    check_address(link)
