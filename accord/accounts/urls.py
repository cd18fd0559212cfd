from django.urls import path

from accord.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code_view, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/complete/", views.password_reset_complete, name="password_reset_complete"),
    path("profile/", views.profile_view, name="profile"),
    path("2fa/setup/", views.twofactor_setup_view, name="2fa_setup"),
    path("2fa/recovery-codes/", views.recovery_codes_view, name="2fa_recovery_codes"),
    path("2fa/disable/", views.twofactor_disable_view, name="2fa_disable"),
    path("tokens/", views.tokens_view, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("organizations/", views.organizations_view, name="organizations"),
    path("organizations/<int:org_id>/", views.organization_view, name="organization"),
    path(
        "organizations/<int:org_id>/members/<int:membership_id>/role/",
        views.member_role_view,
        name="member_role",
    ),
    path(
        "organizations/<int:org_id>/members/<int:membership_id>/remove/",
        views.member_remove_view,
        name="member_remove",
    ),
    path("invitations/<str:token>/", views.invitation_view, name="invitation"),
]
