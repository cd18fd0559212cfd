"""Journey tests: a fresh database with the demo data, pages under Accord's real CSP, every
console error and page error recorded, and full-page screenshots at a desktop and a phone width.

    def test_something(journey):
        page = journey.new_page()
        page.goto(journey.url("/report/"))
        journey.step(page, "report-form")          # axe-core, then screenshots
        journey.log_in(page, "analyst@coordinator.example")

The `journey` fixture (conftest.py) fails the test if any page logged an error.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pyotp

from accord.core import demo
from tests.browser import assert_accessible, expect, log_in

OUTPUT = Path(__file__).resolve().parent / "output"
WIDTHS = (1280, 390)
# The page's own answer: Chromium logs "Failed to load resource: ... 400" for a document the
# server answered with an error status (a form with errors answers 400). The test asserts
# that status itself; the same message for anything the page loads is a real error.
_DOCUMENT_STATUS = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d\b")


def demo_account(email: str) -> demo.DemoAccount:
    for account in demo.ACCOUNTS:
        if account.email == email:
            return account
    raise LookupError(f"{email} is not a demo account (accord.core.demo.ACCOUNTS)")


class Journey:
    """One test's browser pages, their errors, and where its screenshots go."""

    def __init__(self, browser: Any, base_url: str, name: str, timeout_ms: int) -> None:
        self.browser = browser
        self.base_url = base_url
        self.output = OUTPUT / re.sub(r"[^\w.-]+", "_", name)
        shutil.rmtree(self.output, ignore_errors=True)
        self.output.mkdir(parents=True)
        self.problems: list[str] = []
        self._timeout_ms = timeout_ms
        self._contexts: list[Any] = []
        self.accounts = demo.load()

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_page(self) -> Any:
        """A page in a new context (no cookies), with the CSP enforced and its errors recorded.

        The CSP is not bypassed, so a blocked script or style shows as a console error;
        assert_accessible injects axe-core through the DevTools protocol, which the CSP allows.
        """
        context = self.browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        context.set_default_timeout(self._timeout_ms)
        self._contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: uncaught error: {error}"))
        return page

    def _console(self, page: Any, message: Any) -> None:
        if message.type not in ("error", "assert"):
            return
        where = (message.location or {}).get("url", "")
        if _DOCUMENT_STATUS.match(message.text) and where == page.url:
            return
        self.problems.append(f"{page.url}: console {message.type}: {message.text} ({where})")

    def screenshots(self, page: Any, step: str) -> list[Path]:
        """Full-page screenshots of the page as it is, at each width: <output>/<step>-<width>.png."""
        size = page.viewport_size or {"width": WIDTHS[0], "height": 900}
        paths = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": size["height"]})
            path = self.output / f"{step}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        page.set_viewport_size(size)
        return paths

    def step(self, page: Any, step: str) -> None:
        """Every page a journey visits: axe-core clean, no error so far, and screenshots."""
        assert_accessible(page)
        self.screenshots(page, step)
        self.assert_no_errors()

    def assert_no_errors(self) -> None:
        assert not self.problems, "the pages logged errors:\n" + "\n".join(self.problems)

    def log_in(self, page: Any, email: str) -> None:
        """Log in as a demo persona: password, then the TOTP code for staff. Lands on the dashboard."""
        account = demo_account(email)
        log_in(page, self.base_url, account.email, account.password)
        secret = demo.totp_secret(account)
        if secret is not None:
            expect(page.get_by_label("Authentication code")).to_be_visible()
            assert_accessible(page)
            page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
            page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    def close(self) -> None:
        for context in self._contexts:
            context.close()
