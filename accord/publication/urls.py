from django.urls import path

from accord.publication import views

app_name = "publication"

_note = "vuls/<str:case>/"

urlpatterns = [
    path("vuls/", views.note_list, name="list"),
    path("vuls/feed.atom", views.note_feed, name="feed"),
    path(_note, views.note_page, name="note"),
    path(_note + "revisions/<int:revision_number>/", views.revision_page, name="revision"),
    path(_note + "statements/<int:statement_id>.txt", views.statement_raw, name="statement_raw"),
    path(_note + "statements/<int:statement_id>.asc", views.statement_signature, name="statement_signature"),
    path("for-vendors/", views.for_vendors, name="for_vendors"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
]
