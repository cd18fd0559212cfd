"""The accessibility check itself: it must see violations, or every other test proves nothing."""

from __future__ import annotations

import pytest

from tests.browser import assert_accessible


def test_assert_accessible_reports_serious_violations(page):
    page.set_content(
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
        "<h1>Broken</h1><img src='data:,'><button></button>"
        "<p style='color:#bbb;background:#fff'>low contrast</p></main></body></html>"
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    message = str(failure.value)
    for rule in ("image-alt", "button-name", "color-contrast"):
        assert f"- {rule} (" in message
    assert "at img" in message
