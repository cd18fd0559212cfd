from django.urls import path

from accord.vendors import views

app_name = "vendors"
urlpatterns = [
    path("", views.directory_view, name="directory"),
    path("new/", views.vendor_new_view, name="new"),
    path("pending/", views.pending_view, name="pending"),
    path(
        "pending/<str:kind>/<int:item_id>/approve/",
        views.pending_decide_view,
        {"decision": "approve"},
        name="approve",
    ),
    path(
        "pending/<str:kind>/<int:item_id>/reject/",
        views.pending_decide_view,
        {"decision": "reject"},
        name="reject",
    ),
    path("import/", views.import_view, name="import"),
    path("export.csv", views.export_csv_view, name="export_csv"),
    path("export.json", views.export_json_view, name="export_json"),
    path("<int:org_id>/", views.vendor_detail_view, name="detail"),
    path("<int:org_id>/profile/", views.profile_view, name="profile"),
    path("<int:org_id>/contacts/", views.contact_add_view, name="contact_add"),
    path("<int:org_id>/contacts/<int:contact_id>/", views.contact_edit_view, name="contact_edit"),
    path("<int:org_id>/contacts/<int:contact_id>/remove/", views.contact_remove_view, name="contact_remove"),
    path("<int:org_id>/keys/", views.key_upload_view, name="key_upload"),
    path("<int:org_id>/keys/<int:key_id>.asc", views.key_download_view, name="key_download"),
    path("<int:org_id>/keys/<int:key_id>/remove/", views.key_remove_view, name="key_remove"),
    path("<int:org_id>/discover/", views.discover_view, name="discover"),
]
