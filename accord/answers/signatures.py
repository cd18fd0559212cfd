"""Why a vendor's signature did not verify, in the words of whoever signed it.

accord.lib.openpgp judges a signature against the organisation's approved (pinned) keys and
says why it failed; accord.answers.actions adds whether the key that made it is one the
organisation uploaded but the coordinator has not approved (or refused). The stored sentence
(`Statement.verification_detail`) is turned into plain words here, for the presenter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from accord.lib import openpgp

KEY_PENDING = "The signature was made by a key of the organisation that waits for the coordinator's approval"
KEY_REJECTED = "The signature was made by a key of the organisation that the coordinator did not approve"

_WORDS = {
    openpgp.NOT_PINNED: "it was made by a key that is not one of the organisation's approved OpenPGP keys",
    openpgp.CHANGED: "the text was changed after it was signed",
    openpgp.DAMAGED: "the signature is damaged, or is not an OpenPGP signature",
    "No signature": "no signature was found where one was announced",
    KEY_PENDING: "the key that made it was waiting for the coordinator's approval; once the key is "
    "approved, send the statement again",
    KEY_REJECTED: "the key that made it was not approved by the coordinator",
}


def in_plain_words(detail: str) -> str:
    """The reason a signature failed, as the end of "signature did not verify: …"."""
    detail = (detail or "").strip().rstrip(".")
    plain = _WORDS.get(detail)
    if plain is not None:
        return plain
    # The other verdicts are sentences already ("The signing key … has expired").
    return detail[:1].lower() + detail[1:]


def unapproved_signer(
    organizations: Iterable[int], check: Callable[[list[str]], openpgp.Verification]
) -> str | None:
    """KEY_PENDING or KEY_REJECTED when `check` verifies against the keys the organisations
    uploaded that wait for the coordinator's approval, or that it refused; else None.
    `check(keys)` runs gpg: call this outside any transaction."""
    from accord.vendors.models import ChangeStatus, PublicKey

    organizations = list(organizations)
    if not organizations:
        return None
    for status, reason in ((ChangeStatus.PENDING, KEY_PENDING), (ChangeStatus.REJECTED, KEY_REJECTED)):
        keys = list(
            PublicKey.objects.filter(organization_id__in=organizations, status=status).values_list(
                "armored", flat=True
            )
        )
        if keys and check(keys).verified:
            return reason
    return None
