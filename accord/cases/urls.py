from django.urls import path

from accord.cases import views

app_name = "cases"
urlpatterns = [
    path("policy/", views.policy_page, name="policy"),
    path("report/follow/<str:key>/", views.report_follow, name="report_follow"),
]
