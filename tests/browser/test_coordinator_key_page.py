"""The policy page with the coordinator's key: its fingerprint and the link to the key pass axe, and
the fingerprint wraps on a phone instead of making the page scroll sideways."""

from __future__ import annotations

from accord.lib import openpgp
from accord.mailgate import coordinator_key
from tests.browser import assert_accessible, expect


def test_the_policy_page_shows_the_coordinators_key(page, live_server, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.OPENPGP_DIR = tmp_path / "openpgp"
    info = coordinator_key.install(openpgp.generate_key("Example CERT", "cert@example.org"), None).info
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/policy/")
        expect(page.locator("#coordinator-fingerprint")).to_contain_text(info.fingerprint[:4])
        assert_accessible(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    href = page.get_by_role("link", name="download the public key").get_attribute("href")
    assert href == "/.well-known/openpgpkey.asc"
    assert "BEGIN PGP PUBLIC KEY BLOCK" in page.request.get(live_server.url + href).text()
