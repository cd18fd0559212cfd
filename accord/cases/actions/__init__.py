"""Every state change of reports and cases. Each action is atomic, checks its rule from
process.md before writing anything, and writes exactly one CaseEvent.

Split by subject: reports (intake and triage), cases (case data, vulnerabilities,
participants), facts (case state), embargo (embargo and disclosure policy), reminders
(reminders to vendors). Vendors in a case: accord.cases.actions.participants.
"""

from accord.cases.actions.cases import (
    add_coordinator,
    add_product,
    add_vulnerability,
    assign_analysts,
    update_case,
    update_vulnerability,
)
from accord.cases.actions.embargo import (
    accept_embargo,
    apply_policy,
    exit_expired_embargoes,
    propose_embargo,
    record_contact_attempt,
    record_publish_decision,
    reject_embargo,
    terminate_embargo,
)
from accord.cases.actions.facts import confirm_fact, dismiss_fact, report_fact, set_vendor_fact
from accord.cases.actions.reminders import (
    mute_case_reminders,
    mute_vendor_reminders,
    send_due_reminders,
    send_final_reminder,
)
from accord.cases.actions.reports import (
    accept_report,
    assign_report,
    close_report,
    defer_report,
    invalidate_report,
    mark_duplicate,
    record_triage,
    set_credit,
    submit_report,
    validate_report,
)

__all__ = [
    "accept_embargo",
    "accept_report",
    "add_coordinator",
    "add_product",
    "add_vulnerability",
    "apply_policy",
    "assign_analysts",
    "assign_report",
    "close_report",
    "confirm_fact",
    "defer_report",
    "dismiss_fact",
    "exit_expired_embargoes",
    "invalidate_report",
    "mark_duplicate",
    "mute_case_reminders",
    "mute_vendor_reminders",
    "propose_embargo",
    "record_contact_attempt",
    "record_publish_decision",
    "record_triage",
    "reject_embargo",
    "report_fact",
    "set_credit",
    "send_due_reminders",
    "send_final_reminder",
    "set_vendor_fact",
    "submit_report",
    "terminate_embargo",
    "update_case",
    "update_vulnerability",
    "validate_report",
]
