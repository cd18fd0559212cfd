"""Machine-readable exports of published revisions (issue 12): CSAF 2.0 and 2.1, CVE JSON 5.2, OSV
and OpenVEX, and the CSAF provider directory.

Every exporter is a pure function `build(published) -> dict` from a published revision
(`source.Published`) to the document as data. The registry (`registry.py`) names the formats and turns
documents into bytes; `source.py` is the only place that reads a revision, through the public query
layer (accord.publication.public), whose snapshots were built through the presenter's public view.
"""
