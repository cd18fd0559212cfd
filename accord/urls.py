from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path

from accord.api.urls import api


def _admin_login(request, extra_context=None):
    # The admin site logs in through Accord's own login, so 2FA and throttling apply.
    return redirect(f"/accounts/login/?next={request.GET.get('next', '/admin/')}")


admin.site.login = _admin_login  # type: ignore[method-assign]
admin.site.site_header = "Accord administration"

urlpatterns = [
    path("", include("accord.core.urls")),
    path("accounts/", include("accord.accounts.urls")),
    path("", include("accord.cases.urls")),
    path("vendors/", include("accord.vendors.urls")),
    path("", include("accord.notifications.urls")),
    path("mail/", include("accord.mailgate.urls")),
    path("", include("accord.publication.urls")),
    path("", include("accord.exports.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "accord.core.errors.bad_request"
handler403 = "accord.core.errors.forbidden"
handler404 = "accord.core.errors.not_found"
handler500 = "accord.core.errors.server_error"
