"""The public site in Chromium: the note list, a note page, an older revision, a tombstone and the
"For vendors" page pass axe at 1280 and 390 px and never scroll sideways on a phone (the tables
scroll in their own region)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accord.publication.models import Note
from accord.testing import make_case, publish_snapshot, sample_snapshot
from tests.browser import assert_accessible, expect


def _check(page, url: str) -> None:  # type: ignore[no-untyped-def]
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        assert_accessible(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (url, width)


def test_the_public_site_passes_axe(page, live_server):  # type: ignore[no-untyped-def]
    case = make_case(854306, vulnerabilities=2)
    snapshot = sample_snapshot(case, 6)
    publish_snapshot(case, snapshot, at=timezone.now() - dt.timedelta(days=1))
    publish_snapshot(case, {**snapshot, "title": "Corrected title"}, number=2)
    gone = make_case(100001)
    publish_snapshot(gone, sample_snapshot(gone))
    Note.objects.filter(case=gone).update(
        state=Note.State.WITHDRAWN, withdrawn_at=timezone.now(), withdrawn_reason="Published by mistake."
    )
    base = live_server.url
    _check(page, f"{base}/vuls/")
    expect(page.locator("#notes")).to_contain_text("VU#854306")
    page.get_by_label("Search the notes").fill("overflow")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#notes")).to_contain_text("Corrected title")
    _check(page, f"{base}/vuls/854306/")
    expect(page.locator("#vendor-table")).to_contain_text("No response")
    expect(page.locator("#vendor-table")).to_contain_text("Not affected")
    page.get_by_role("link", name="Revision 1").click()
    expect(page.locator("h1")).to_contain_text("Heap overflow in the widget parser")
    _check(page, f"{base}/vuls/854306/revisions/1/")
    _check(page, f"{base}/vuls/100001/")
    expect(page.locator("#tombstone")).to_contain_text("Published by mistake.")
    _check(page, f"{base}/for-vendors/")
    _check(page, f"{base}/vuls/?q=nothing-matches-this")
