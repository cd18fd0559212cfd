"""The CSAF provider directory under /.well-known/csaf/ (CSAF 2.0 §7.1), and with ACCORD_CSAF_21 the
CSAF 2.1 tree under /.well-known/csaf/v2.1/ (accord/exports/directory.py)."""

from django.urls import URLPattern, path, register_converter

from accord.exports import views


class YearConverter:
    regex = "[0-9]{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CsafFileConverter:
    """A CSAF file name (CSAF §5.1: [+-a-z0-9_] then .json), or its hash or signature file."""

    regex = r"[+\-a-z0-9_]+\.json(?:\.sha256|\.sha512|\.asc)?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(YearConverter, "csaf_year")
register_converter(CsafFileConverter, "csaf_file")

app_name = "exports"


def _tree(base: str, spec: str, folder: str, suffix: str) -> list[URLPattern]:
    """One spec's tree: the service document beside provider-metadata.json, the rest in the TLP folder."""
    kw = {"spec": spec}
    root = f"{base}{folder}/"
    return [
        path(f"{base}service.json", views.service, kw, name=f"service{suffix}"),
        path(root, views.folder, kw, name=f"folder{suffix}"),
        path(f"{root}index.txt", views.index_txt, kw, name=f"index{suffix}"),
        path(f"{root}changes.csv", views.changes_csv, kw, name=f"changes{suffix}"),
        path(f"{root}csaf-feed-tlp-{folder}.json", views.feed, kw, name=f"feed{suffix}"),
        path(f"{root}<csaf_year:year>/", views.year, kw, name=f"year{suffix}"),
        path(f"{root}<csaf_year:year>/<csaf_file:filename>", views.file, kw, name=f"file{suffix}"),
    ]


def _metadata(route: str, spec: str, name: str) -> URLPattern:
    return path(route, views.provider_metadata, {"spec": spec, "canonical": name}, name=name)


urlpatterns = [
    _metadata(".well-known/csaf/provider-metadata.json", "2.0", "provider_metadata"),
    _metadata(".well-known/csaf/v2.0/provider-metadata.json", "2.0", "provider_metadata_20"),
    _metadata(".well-known/csaf/v2.1/provider-metadata.json", "2.1", "provider_metadata_21"),
    *_tree(".well-known/csaf/", "2.0", "white", ""),
    *_tree(".well-known/csaf/v2.1/", "2.1", "clear", "_21"),
]
