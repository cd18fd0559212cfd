from django.urls import path

from accord.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(".well-known/openpgpkey.asc", views.openpgp_key, name="openpgp_key"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
]
