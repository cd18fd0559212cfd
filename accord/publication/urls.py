from django.urls import path, register_converter

from accord.publication import views, views_exports

app_name = "publication"


class ExportFilename:
    """A JSON file name beside a note page ("csaf.json"); the view knows which ones exist."""

    regex = r"[a-z0-9][a-z0-9.-]{0,30}\.json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFilename, "export")

_note = "vuls/<str:case>/"

urlpatterns = [
    path("vuls/", views.note_list, name="list"),
    path("vuls/feed.atom", views.note_feed, name="feed"),
    path(_note, views.note_page, name="note"),
    path(_note + "revisions/<int:revision_number>/", views.revision_page, name="revision"),
    # Exports: csaf.json, csaf-2.1.json, cve.json, osv.json, openvex.json (accord.exports.registry).
    path(_note + "<export:filename>", views_exports.note_export, name="export"),
    path(
        _note + "revisions/<int:revision_number>/<export:filename>",
        views_exports.revision_export,
        name="revision_export",
    ),
    path(_note + "statements/<int:statement_id>.txt", views.statement_raw, name="statement_raw"),
    path(_note + "statements/<int:statement_id>.asc", views.statement_signature, name="statement_signature"),
    path("for-vendors/", views.for_vendors, name="for_vendors"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
]
