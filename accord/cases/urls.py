from django.urls import path

from accord.cases.views import cases, claims, policy, reports, triage

app_name = "cases"

_case = "cases/<str:case>/"
_report = "triage/<str:report_id>/"

urlpatterns = [
    # The disclosure policy
    path("policy/", policy.policy_page, name="policy"),
    path("policy/edit/", policy.policy_edit, name="policy_edit"),
    # Reporters
    path("report/", reports.report_new, name="report_new"),
    path("report/follow/<str:key>/", reports.report_follow, name="report_follow"),
    path("reports/mine/", reports.my_reports, name="my_reports"),
    # Triage
    path("triage/", triage.triage_queue, name="triage"),
    path("ssvc/outcome/", triage.ssvc_outcome, name="ssvc_outcome"),
    path(_report, triage.report_detail, name="report_detail"),
    path(_report + "attachments/<int:attachment_id>/", triage.report_attachment, name="report_attachment"),
    path(_report + "assign/", triage.report_assign, name="report_assign"),
    path(_report + "note/", triage.report_note, name="report_note"),
    path(_report + "ssvc/", triage.report_ssvc, name="report_ssvc"),
    *(
        path(_report + f"{action}/", triage.report_action, {"action": action}, name=f"report_{action}")
        for action in triage.REPORT_ACTIONS
    ),
    # Vendors claiming an account from their notification
    path("claim/<str:key>/", claims.claim, name="claim"),
    # Cases
    path(_case, cases.case_detail, name="case_detail"),
    path(_case + "edit/", cases.case_edit, name="case_edit"),
    path(_case + "analysts/", cases.case_analysts, name="case_analysts"),
    path(_case + "vulnerabilities/add/", cases.vulnerability_add, name="vulnerability_add"),
    path(_case + "vulnerabilities/edit/", cases.vulnerability_edit, name="vulnerability_edit"),
    path(_case + "products/add/", cases.product_add, name="product_add"),
    path(_case + "contact/", cases.contact_attempt, name="contact_attempt"),
    path(_case + "embargo/propose/", cases.embargo_propose, name="embargo_propose"),
    path(_case + "embargo/accept/", cases.embargo_accept, name="embargo_accept"),
    path(_case + "embargo/reject/", cases.embargo_reject, name="embargo_reject"),
    path(_case + "embargo/terminate/", cases.embargo_terminate, name="embargo_terminate"),
    path(_case + "policy/apply/", cases.policy_apply, name="policy_apply"),
    path(_case + "facts/", cases.fact_report, name="fact_report"),
    path(_case + "claims/confirm/", cases.claim_confirm, name="claim_confirm"),
    path(_case + "claims/dismiss/", cases.claim_dismiss, name="claim_dismiss"),
    path(_case + "ssvc/", cases.publish_decision, name="publish_decision"),
]
