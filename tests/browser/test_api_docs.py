"""The interactive API docs in Chromium, under the site's real CSP and without any network."""

from __future__ import annotations

from tests.browser import expect


def test_the_api_docs_render_from_the_instance_itself(journey):  # type: ignore[no-untyped-def]
    """Blank on 633bd74: Swagger UI came from a CDN that the CSP blocks (and that an offline
    instance cannot reach)."""
    page = journey.new_page()
    elsewhere: list[str] = []
    # Anything not from this instance is refused and remembered, as if there were no network.
    page.route(
        lambda url: not url.startswith(journey.base_url),
        lambda route: (elsewhere.append(route.request.url), route.abort()),
    )
    page.goto(journey.url("/api/v1/docs"))
    expect(page.locator(".opblock-summary").first).to_be_visible()
    expect(page.get_by_text("/api/v1/me", exact=True).first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    journey.screenshots(page, "docs")
    journey.assert_no_errors()
    assert elsewhere == []
