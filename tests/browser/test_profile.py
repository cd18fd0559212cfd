"""The profile's time zone shows up next to UTC on every instant."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from accord.accounts import actions
from accord.accounts.models import User
from accord.testing import make_user
from tests.browser import assert_accessible, expect, log_in


def test_time_zone_shows_next_to_utc(page, live_server):
    org = actions.create_organization("Vendor One", "vendor", by=None)
    make_user("psirt@vendor.test", org=org)

    log_in(page, live_server.url, "psirt@vendor.test")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    now = page.locator("main p", has_text="Now:")
    expect(now).to_contain_text("UTC")
    expect(now).not_to_contain_text("Asia/Tokyo")
    assert_accessible(page)

    account = page.get_by_role("navigation", name="Account")
    expect(account.locator("summary")).to_contain_text("Psirt")
    account.locator("summary").click()  # the account menu, a <details>
    account.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    assert_accessible(page)
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Your profile is saved.")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    assert_accessible(page)
    assert User.objects.get(email="psirt@vendor.test").timezone == "Asia/Tokyo"

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    stamp = now.locator("time").get_attribute("datetime")
    assert stamp is not None
    instant = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    tokyo = instant.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    expect(now).to_have_text(f"Now: {instant:%Y-%m-%d %H:%M} UTC · {tokyo:%Y-%m-%d %H:%M} JST (Asia/Tokyo)")
    assert_accessible(page)
