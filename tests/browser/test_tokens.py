"""API tokens: created in the UI, shown once, accepted by the API until revoked."""

from __future__ import annotations

import re

from accord.accounts import actions
from accord.testing import make_user
from tests.browser import assert_accessible, expect, log_in


def test_create_use_and_revoke_a_token(page, live_server, new_context):
    org = actions.create_organization("Vendor One", "vendor", by=None)
    make_user("psirt@vendor.test", org=org)
    # A context without the session cookie, so the API sees only the bearer token.
    api = new_context().request

    log_in(page, live_server.url, "psirt@vendor.test")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    account = page.get_by_role("navigation", name="Account")
    account.locator("summary").click()  # the account menu, a <details>
    account.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.locator("tbody")).to_have_text("No tokens yet.")
    assert_accessible(page)

    page.get_by_label("Token name").fill("PSIRT sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("accord_")
    row = page.locator("tbody tr", has_text="PSIRT sync")
    expect(row).to_have_count(1)
    assert_accessible(page)

    me = api.get(live_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200, me.text()
    assert me.json()["email"] == "psirt@vendor.test"

    # Shown once: a fresh load of the page has no secret.
    page.goto(live_server.url + "/accounts/tokens/")
    expect(page.locator("#new-token")).to_have_count(0)
    assert secret not in page.content()

    page.get_by_role("button", name="Revoke token PSIRT sync").click()
    expect(page.get_by_role("status")).to_have_text("Token 'PSIRT sync' is revoked.")
    expect(row).to_contain_text("revoked")
    expect(page.get_by_role("button", name="Revoke token PSIRT sync")).to_have_count(0)
    assert_accessible(page)

    refused = api.get(live_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401, refused.text()
    assert "email" not in refused.json()
