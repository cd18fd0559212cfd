from django.urls import path

from accord.cases.views import (
    cases,
    claims,
    confirm,
    mail,
    policy,
    portal,
    reminders,
    reports,
    triage,
    vendors,
)
from accord.conversation import views as conversation
from accord.publication import views_staff as note

app_name = "cases"

_case = "cases/<str:case>/"
_report = "triage/<str:report_id>/"

urlpatterns = [
    # The disclosure policy
    path("policy/", policy.policy_page, name="policy"),
    path("policy/edit/", policy.policy_edit, name="policy_edit"),
    # Reporters
    path("report/", reports.report_new, name="report_new"),
    path("report/thanks/", reports.report_thanks, name="report_thanks"),
    path("report/follow/<str:key>/", reports.report_follow, name="report_follow"),
    path(
        "report/follow/<str:key>/files/<str:report_file_id>/",
        reports.report_follow_file,
        name="report_follow_file",
    ),
    path("report/follow/<str:key>/embargo/", reports.report_follow_embargo, name="report_follow_embargo"),
    path("report/follow/<str:key>/credit/", reports.report_follow_credit, name="report_follow_credit"),
    path("reports/mine/", reports.my_reports, name="my_reports"),
    # Triage
    path("triage/", triage.triage_queue, name="triage"),
    path("ssvc/outcome/", triage.ssvc_outcome, name="ssvc_outcome"),
    path(_report, triage.report_detail, name="report_detail"),
    path(_report + "attachments/<int:attachment_id>/", triage.report_attachment, name="report_attachment"),
    path(_report + "assign/", triage.report_assign, name="report_assign"),
    path(_report + "note/", triage.report_note, name="report_note"),
    path(
        _report + "messages/<str:report_message_id>/close/",
        triage.report_request_close,
        name="report_request_close",
    ),
    path(
        _report + "messages/files/<str:report_file_id>/",
        triage.report_message_file,
        name="report_messages_files",
    ),
    path(_report + "ssvc/", triage.report_ssvc, name="report_ssvc"),
    *(
        path(_report + f"{action}/", triage.report_action, {"action": action}, name=f"report_{action}")
        for action in triage.REPORT_ACTIONS
        if action not in confirm.REPORT_STEPS
    ),
    # Irreversible steps: a confirmation page (GET) and the step with its reason (POST).
    *(
        path(_report + f"{action}/", confirm.report_step, {"action": action}, name=f"report_{action}")
        for action in confirm.REPORT_STEPS
    ),
    # Vendors claiming an account from their notification
    path("claim/<str:key>/", claims.claim, name="claim"),
    # The vendor portal
    path("portal/", portal.portal, name="portal"),
    path("portal/tracking/", portal.portal_tracking, name="portal_tracking"),
    path("portal/access/", portal.portal_access, name="portal_access"),
    # Cases
    path(_case, cases.case_detail, name="case_detail"),
    path(_case + "timeline/", cases.case_timeline, name="case_timeline"),
    path(_case + "mail/", mail.case_mail, name="case_mail"),
    path(_case + "edit/", cases.case_edit, name="case_edit"),
    path(_case + "analysts/", cases.case_analysts, name="case_analysts"),
    path(_case + "vulnerabilities/add/", cases.vulnerability_add, name="vulnerability_add"),
    path(_case + "vulnerabilities/edit/", cases.vulnerability_edit, name="vulnerability_edit"),
    path(_case + "products/add/", cases.product_add, name="product_add"),
    path(_case + "contact/", cases.contact_attempt, name="contact_attempt"),
    path(_case + "embargo/propose/", cases.embargo_propose, name="embargo_propose"),
    path(_case + "embargo/accept/", cases.embargo_accept, name="embargo_accept"),
    path(_case + "embargo/reject/", cases.embargo_reject, name="embargo_reject"),
    path(_case + "embargo/terminate/", confirm.embargo_terminate, name="embargo_terminate"),
    path(_case + "policy/apply/", cases.policy_apply, name="policy_apply"),
    path(_case + "facts/", cases.fact_report, name="fact_report"),
    path(_case + "claims/confirm/", cases.claim_confirm, name="claim_confirm"),
    path(_case + "claims/dismiss/", cases.claim_dismiss, name="claim_dismiss"),
    path(_case + "ssvc/", cases.publish_decision, name="publish_decision"),
    # The conversation: threads and messages (accord.conversation)
    path(_case + "messages/", conversation.conversation, name="conversation"),
    path(_case + "messages/new/", conversation.whats_new, name="whats_new"),
    path(_case + "messages/mine/", conversation.own_private, name="own_private"),
    path(_case + "messages/topics/", conversation.topic_new, name="topic_new"),
    path(_case + "messages/with/<str:participant_id>/", conversation.private_with, name="private_with"),
    path(_case + "messages/files/<str:file_id>/", conversation.attachment, name="message_attachment"),
    path(
        _case + "messages/mail/<str:mail_id>/statement/",
        conversation.statement_from_mail,
        name="statement_from_mail",
    ),
    path(_case + "messages/<str:thread_id>/", conversation.thread_page, name="thread"),
    path(_case + "messages/<str:thread_id>/members/", conversation.topic_members, name="topic_members"),
    path(
        _case + "messages/<str:thread_id>/<str:message_id>/close/",
        conversation.request_close,
        name="request_close",
    ),
    # Vendors in the case: the analysts' pages
    path(_case + "vendors/", vendors.vendors, name="vendors"),
    path(_case + "vendors/add/", vendors.vendors_add, name="vendors_add"),
    path(_case + "vendors/texts/", vendors.vendors_texts, name="vendors_texts"),
    path(_case + "vendors/notify/", vendors.vendors_notify, name="vendors_notify"),
    path(_case + "vendors/claims/approve/", vendors.claim_approve, name="vendor_claim_approve"),
    path(_case + "vendors/<str:participant_id>/", vendors.vendor_detail, name="vendor_detail"),
    path(_case + "vendors/<str:participant_id>/addendum/", vendors.vendor_addendum, name="vendor_addendum"),
    path(
        _case + "vendors/<str:participant_id>/publication-name/",
        vendors.vendor_publication_name,
        name="vendor_publication_name",
    ),
    # Reminders: muting them (the case, one vendor) and the final reminder (a confirmation page)
    path(_case + "reminders/", reminders.case_reminders, name="case_reminders"),
    path(
        _case + "vendors/<str:participant_id>/reminders/", reminders.vendor_reminders, name="vendor_reminders"
    ),
    path(
        _case + "vendors/<str:participant_id>/final-reminder/",
        reminders.final_reminder,
        name="vendor_final_reminder",
    ),
    # The Vulnerability Note: the analysts' tab (accord.publication.views_staff)
    path(_case + "note/", note.note_page, name="note"),
    path(_case + "note/save/", note.note_save, name="note_save"),
    path(_case + "note/preview/", note.note_preview, name="note_preview"),
    path(_case + "note/versions/", note.note_versions, name="note_versions"),
    path(_case + "note/review/", note.review_request, name="note_review"),
    *(
        path(
            _case + f"note/review/<str:review_id>/{step}/",
            note.review_step,
            {"step": step},
            name=f"note_review_{step}",
        )
        for step in ("comment", "approve", "changes")
    ),
    path(_case + "note/publish/", note.note_publish, name="note_publish"),
    path(_case + "note/schedule/", note.note_schedule, name="note_schedule"),
    path(_case + "note/schedule/cancel/", note.note_cancel, name="note_cancel"),
    path(_case + "note/share/", note.note_share, name="note_share"),
    path(
        _case + "note/pending/<str:revision_id>/approve/", note.pending_approve, name="note_pending_approve"
    ),
    path(_case + "note/correct/", note.note_correct, name="note_correct"),
    path(_case + "note/withdraw/", note.note_withdraw, name="note_withdraw"),
    # Vendors in the case: their own answers
    path(_case + "embargo/join/", portal.embargo_join, name="embargo_join"),
    path(_case + "embargo/decline/", portal.embargo_decline, name="embargo_decline"),
    path(_case + "answer/", portal.vendor_answer, name="vendor_answer"),
    path(_case + "publication-name/", portal.publication_name, name="publication_name"),
]
