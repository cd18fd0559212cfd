from django.urls import path

from accord.mailgate import views

app_name = "mailgate"
urlpatterns = [
    path("triage/", views.triage_inbox, name="triage"),
    path("problems/", views.problems, name="problems"),
    path("<str:inbound_id>/", views.detail, name="detail"),
    path("<str:inbound_id>/raw", views.raw, name="raw"),
    path("<str:inbound_id>/link/", views.link, name="link"),
    path("<str:inbound_id>/report/", views.to_report, name="report"),
    path("<str:inbound_id>/spam/", views.spam, name="spam"),
    path("<str:inbound_id>/reprocess/", views.reprocess, name="reprocess"),
]
