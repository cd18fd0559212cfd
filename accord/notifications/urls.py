from django.urls import path

from accord.notifications import views

app_name = "notifications"
urlpatterns = [
    path("accounts/profile/notifications/", views.preferences, name="preferences"),
    path("cases/<str:case>/mute/", views.case_mute, name="case_mute"),
]
