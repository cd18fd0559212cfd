"""How a statement's signature is shown, honestly and without unmasking anonymous vendors."""

from __future__ import annotations

from accord.answers.models import Statement


def signature_label(statement: Statement, *, privileged: bool) -> str:
    """`privileged`: the viewer is the coordinator or one of the vendor's own members.

    Others see no fingerprint of an anonymous vendor (process.md "Anonymity in multiparty cases").
    """
    if statement.on_behalf:
        who = statement.recorded_by.display_name if statement.recorded_by else "an analyst"
        return f"recorded by {who} for the vendor"
    if statement.verification == Statement.Verification.VERIFIED:
        if privileged or not statement.participant.anonymous:
            return f"verified by {statement.fingerprint}"
        return "signed; verified by the coordinator"
    if statement.verification == Statement.Verification.FAILED:
        return "signature did not verify"
    return "unsigned"
