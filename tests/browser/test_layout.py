"""The site-wide layout in Chromium, for each role: the header fits on one line at 1280 px,
pages never scroll sideways at 390 px, no console error (CSP included) and axe-core clean.

These pages are opened WITHOUT bypass_csp, so a style or script that Accord's own
Content-Security-Policy blocks shows up as a console error. axe-core is injected as an init
script, which the page's CSP does not govern. Full-page screenshots at both widths are saved
under tests/browser/output/<test>/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from accord.accounts.models import Organization, User
from accord.cases.actions import participants as participant_actions
from accord.cases.actions import reports as report_actions
from accord.cases.models import Case
from accord.core import demo
from tests.browser import assert_accessible, expect, log_in
from tests.browser.conftest import TIMEOUT_MS

OUTPUT = Path(__file__).resolve().parent / "output"
WIDE, NARROW = 1280, 390
# One row of the header: its height at 1280 px stays below two lines of links.
ONE_LINE_MAX_HEIGHT = 72


def output_dir(request: pytest.FixtureRequest) -> Path:
    path = OUTPUT / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path.mkdir(parents=True, exist_ok=True)
    return path


class StrictPage:
    """A page that records console errors and uncaught exceptions, with the site's CSP on."""

    def __init__(self, page: Any, folder: Path):
        self.page = page
        self.folder = folder
        self.errors: list[str] = []
        page.on(
            "console",
            lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def check(self, name: str) -> None:
        """At 1280 px: one header line; at 390 px: no sideways scrolling. Both: axe, no errors."""
        page = self.page
        for width in (WIDE, NARROW):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_load_state("load")
            page.screenshot(path=str(self.folder / f"{name}-{width}.png"), full_page=True)
            if width == WIDE:
                assert_header_on_one_line(page, name)
            else:
                scroll = page.evaluate("() => document.documentElement.scrollWidth")
                wide = page.evaluate(_WIDER_THAN_VIEWPORT, NARROW)
                assert scroll <= NARROW, (
                    f"{name}: the page scrolls sideways at {NARROW} px ({scroll} px): {wide}"
                )
            assert_accessible(page)
        assert not self.errors, f"{name}: " + "\n".join(self.errors)


_HEADER_ITEMS = """() => {
  const header = document.querySelector('header.site-header');
  const items = [...header.querySelectorAll('.brand, .site-nav li, .account > summary, .account-link')]
    .filter((el) => el.offsetParent !== null);
  return {
    height: header.getBoundingClientRect().height,
    items: items.map((el) => {
      const r = el.getBoundingClientRect();
      return {text: el.innerText.trim(), top: r.top, bottom: r.bottom};
    }),
  };
}"""

# The outermost elements that reach past the viewport (their parent does not): the culprits.
# Inside a .table-wrap only absolutely positioned ones count; the wrapper clips the rest.
_WIDER_THAN_VIEWPORT = """(width) => {
  const past = (el) => el.getBoundingClientRect().right > width + 1;
  const clipped = (el) => el.closest('.table-wrap') && getComputedStyle(el).position !== 'absolute';
  return [...document.querySelectorAll('body *')]
    .filter((el) => past(el) && !clipped(el) && !(past(el.parentElement) && !clipped(el.parentElement)))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ': ' + el.outerHTML.slice(0, 100));
}"""


def assert_header_on_one_line(page: Any, name: str) -> None:
    header = page.evaluate(_HEADER_ITEMS)
    items = header["items"]
    assert len(items) >= 3, f"{name}: the header has no brand and links? {items}"
    # Items share one row when every one overlaps the same horizontal band.
    lowest_top = max(item["top"] for item in items)
    highest_bottom = min(item["bottom"] for item in items)
    assert lowest_top < highest_bottom, f"{name}: the header wraps at {WIDE} px: {items}"
    assert header["height"] <= ONE_LINE_MAX_HEIGHT, f"{name}: the header is {header['height']} px high"


@pytest.fixture
def strict(
    browser: Any, live_server: Any, transactional_db: None, axe_js: Path, request: Any
) -> Iterator[Any]:
    """Opens pages with the CSP in force (no bypass_csp) and axe-core preloaded."""
    contexts: list[Any] = []
    folder = output_dir(request)

    def make() -> StrictPage:
        context = browser.new_context(viewport={"width": WIDE, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(path=str(axe_js))
        contexts.append(context)
        return StrictPage(context.new_page(), folder)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def demo_case() -> Case:
    """The demo data, a report in triage and a case with the three demo vendors, one notified."""
    demo.load()
    analyst = User.objects.get(email="analyst@coordinator.example")
    report, _ = report_actions.submit_report(
        report_actions.ReportInput(
            product="Acme Gateway",
            version="7.1",
            description="The login form trusts a client-side flag: anyone becomes admin.",
            reporter_name="Rita Reporter",
        ),
        by=None,
    )
    case = report_actions.accept_report(report, by=analyst)
    report_actions.submit_report(
        report_actions.ReportInput(
            product="Globex Ledger", version="3", description="Stored XSS in notes.", credit=False
        ),
        by=None,
    )
    vendors = list(Organization.objects.filter(kind="vendor").order_by("name"))
    added = participant_actions.add_vendors(case, vendors, by=analyst)
    participant_actions.notify_vendors(case, added[:1], by=analyst)
    case.refresh_from_db()
    return case


def demo_login(strict_page: StrictPage, base_url: str, email: str) -> None:
    """Log in as a demo account, with its TOTP code for coordinator staff."""
    account = next(a for a in demo.ACCOUNTS if a.email == email)
    page = strict_page.page
    log_in(page, base_url, email, account.password)
    secret = demo.totp_secret(account)
    if secret:
        page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def _visit(strict_page: StrictPage, base_url: str, pages: dict[str, str]) -> None:
    for name, path in pages.items():
        strict_page.page.goto(base_url + path)
        strict_page.check(name)


def test_layout_for_an_anonymous_visitor(strict, live_server, demo_case) -> None:  # type: ignore[no-untyped-def]
    visitor = strict()
    _visit(
        visitor,
        live_server.url,
        {
            "login": "/accounts/login/",
            "report": "/report/",
            "policy": "/policy/",
            "reset": "/accounts/password-reset/",
        },
    )
    # Signed out, the header offers the way in.
    header = visitor.page.locator("header.site-header")
    expect(header.get_by_role("link", name="Log in")).to_be_visible()


def test_layout_for_a_vendor_member(strict, live_server, demo_case) -> None:  # type: ignore[no-untyped-def]
    vendor = strict()
    demo_login(vendor, live_server.url, "admin@acme.example")
    acme = Organization.objects.get(name="Acme Networks")
    _visit(
        vendor,
        live_server.url,
        {
            "dashboard": "/dashboard/",
            "portal": "/portal/",
            "organisation": f"/vendors/{acme.pk}/",
            "members": f"/accounts/organizations/{acme.pk}/",
            "profile": "/accounts/profile/",
            "my-reports": "/reports/mine/",
        },
    )


def test_layout_for_an_analyst(strict, live_server, demo_case) -> None:  # type: ignore[no-untyped-def]
    analyst = strict()
    demo_login(analyst, live_server.url, "analyst@coordinator.example")
    acme = Organization.objects.get(name="Acme Networks")
    participant = demo_case.participants.get(organization=acme)
    report = demo_case.reports.get()
    _visit(
        analyst,
        live_server.url,
        {
            "dashboard": "/dashboard/",
            "triage": "/triage/",
            "report": f"/triage/{report.pk}/",
            "directory": "/vendors/",
            "vendor": f"/vendors/{acme.pk}/",
            "pending": "/vendors/pending/",
            "case": f"/cases/{demo_case.url_ref}/",
            "case-vendors": f"/cases/{demo_case.url_ref}/vendors/",
            "case-vendor": f"/cases/{demo_case.url_ref}/vendors/{participant.pk}/",
            "tokens": "/accounts/tokens/",
        },
    )
    # With JavaScript, the account menu closes on Escape (focus back on its summary) and on a
    # click elsewhere, as menus do.
    page = analyst.page
    page.set_viewport_size({"width": WIDE, "height": 900})
    menu = page.locator("header.site-header details.account")
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="API tokens")).to_be_visible()
    analyst.page.screenshot(path=str(analyst.folder / "menu-open-1280.png"))
    page.keyboard.press("Escape")
    expect(menu.get_by_role("link", name="API tokens")).to_be_hidden()
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    menu.locator("summary").click()
    page.locator("main h1").click()
    expect(menu.get_by_role("link", name="API tokens")).to_be_hidden()
    assert not analyst.errors, analyst.errors


def test_the_account_menu_works_with_the_keyboard_and_without_javascript(
    browser, live_server, transactional_db, axe_js, request
) -> None:  # type: ignore[no-untyped-def]
    """<details>: Enter on the summary opens it, the links are then reachable with Tab."""
    demo.load()
    context = browser.new_context(viewport={"width": NARROW, "height": 800}, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Email").fill("psirt@acme.example")
        page.get_by_label("Password").fill("demo-acme-member-password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        menu = page.locator("header.site-header details.account")
        expect(menu.get_by_role("link", name="API tokens")).to_be_hidden()
        menu.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(menu.get_by_role("link", name="API tokens")).to_be_visible()
        page.screenshot(path=str(output_dir(request) / "menu-open-390.png"), full_page=True)
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.closest('details.account') !== null")
        assert focused, "Tab from the summary leaves the open menu"
        menu.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    finally:
        context.close()


# Every component of accord.css, written as its opening comment says: a living style guide.
COMPONENTS = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Components</title>
<link rel="stylesheet" href="{static}accord.css"></head><body>
<main id="main">
<header class="page-header">
  <div><p class="eyebrow"><a href="#">Vendor directory</a></p><h1>Acme Networks</h1>
    <p class="page-meta">Vendor · 3 contacts · <span class="badge warning">2 pending approval</span></p></div>
  <div class="page-actions"><a class="button" href="#">Add a vendor</a> <a class="button secondary" href="#">Import</a></div>
</header>
<nav class="tabs" aria-label="Case sections"><ul>
  <li><a href="#" aria-current="page">Overview</a></li>
  <li><a href="#">Vendors <span class="count">2,000</span></a></li>
  <li><a href="#">Timeline</a></li><li><a href="#">Discussion</a></li><li><a href="#">Note</a></li></ul></nav>
<div class="messages" role="status">
  <p class="message success">Notified Globex Software.</p><p class="message info">Saved as a draft.</p>
  <p class="message warning">Not notified: <a href="#">Initech Devices</a> has no contact.</p>
  <p class="message error">Nobody was notified.</p></div>
<ul class="cards">
  <li class="card attention"><a href="#"><span class="card-count">3</span> <span class="card-label">Open information requests</span></a></li>
  <li class="card quiet"><a href="#"><span class="card-count">0</span> <span class="card-label">Claims to confirm</span></a></li>
  <li class="card"><a href="#"><span class="card-count">50+</span> <span class="card-label">My cases</span></a></li></ul>
<p><span class="badge">neutral</span> <span class="badge info">info</span> <span class="badge success">success</span>
  <span class="badge warning">warning</span> <span class="badge danger">danger</span></p>
<div class="table-wrap" role="region" aria-labelledby="t-cap" tabindex="0"><table class="data">
  <caption id="t-cap">Vendors (2)</caption>
  <thead><tr><th scope="col">Organisation</th><th scope="col">Report state</th><th scope="col" class="num">Statuses</th>
    <th scope="col">Notified</th><th scope="col">A long column heading</th><th scope="col">Another one</th></tr></thead>
  <tbody><tr><td><a href="#">Acme Networks</a></td><td><span class="badge info">Received</span></td><td class="num">12</td>
    <td>2026-01-01 00:00 UTC</td><td>text text text text</td><td>more text text text</td></tr>
  <tr><td colspan="6" class="empty">No more vendors.</td></tr></tbody></table></div>
<div class="error-summary" role="alert" tabindex="-1" aria-labelledby="es-h"><h2 id="es-h">There is a problem</h2>
  <ul><li><a href="#x">Email address: enter an address like name@example.com</a></li></ul></div>
<form class="narrow" action="#"><div class="field invalid"><label for="x">Email address</label>
  <div class="help" id="x_helptext">Where notifications go.</div>
  <input id="x" aria-describedby="x_helptext x_error"><p class="error" id="x_error">Enter a valid address.</p></div>
  <div class="form-actions"><button type="submit">Save</button> <button type="button" class="secondary">Preview</button>
  <button type="button" class="danger">Delete</button> <button type="button" class="link">Cancel</button>
  <span class="htmx-indicator">Saving…</span></div></form>
<dl class="facts"><dt>Embargo</dt><dd><span class="badge warning">Active</span></dd><dt>Ends</dt><dd>2026-03-01 00:00 UTC</dd></dl>
<div class="notice info"><h2>Before you notify</h2><p>Vendors read only the summary.</p></div>
<div class="notice danger"><h2>Cannot be notified</h2><p>No contact address.</p></div>
<div class="empty"><p><strong>No vendors yet.</strong></p><p>Add one with the form above.</p></div>
<ul class="rows"><li>One row</li><li>Another row</li></ul>
</main></body></html>"""


def test_the_components_are_accessible_at_both_widths(page, live_server, request) -> None:  # type: ignore[no-untyped-def]
    """Contrast of every badge, button, message and notice; the table scrolls inside its wrapper."""
    from django.conf import settings

    folder = output_dir(request)
    page.set_content(COMPONENTS.replace("{static}", live_server.url + "/" + settings.STATIC_URL.lstrip("/")))
    page.wait_for_load_state("load")
    assert (
        page.evaluate("() => getComputedStyle(document.querySelector('.badge.danger')).color")
        == "rgb(155, 20, 25)"
    )
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"components-{width}.png"), full_page=True)
        assert_accessible(page)
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= NARROW, page.evaluate(_WIDER_THAN_VIEWPORT, NARROW)
    wrap = page.evaluate(
        "() => { const w = document.querySelector('.table-wrap'); return [w.scrollWidth, w.clientWidth]; }"
    )
    assert wrap[0] > wrap[1], "the table does not scroll inside its wrapper at 390 px"
