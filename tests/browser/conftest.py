"""Browser tests: Playwright driving Debian's Chromium, with axe-core on every page.

They skip with a reason naming what to install when Chromium, the playwright package
or axe-core is missing, and fail instead when ACCORD_REQUIRE_BROWSER is set (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import axe_path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DIR = Path(__file__).resolve().parent
AXE_INSTALL = "npm install --no-save --no-package-lock --prefix .ci/node axe-core@4.11.4"
# Actions that wait on the page give up after this long instead of hanging the run.
TIMEOUT_MS = 15_000


# tryfirst: mark before the mark plugin deselects with -m, so -m "not browser" sees the marker.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: mark only the ones under tests/browser.
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    """Skip, or fail when the run requires browser tests (ACCORD_REQUIRE_BROWSER=1, as .ci/run sets)."""
    if os.environ.get("ACCORD_REQUIRE_BROWSER", "").strip() not in ("", "0"):
        pytest.fail(f"ACCORD_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def axe_js() -> Path:
    path = axe_path()
    if path is None:
        _unavailable(
            f"axe-core is not installed: run `{AXE_INSTALL}` in the repository (or set ACCORD_AXE_JS)"
        )
    assert path is not None
    return path


@pytest.fixture(scope="package")
def browser(axe_js: Path) -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing: run `apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: run `.venv/bin/pip install -e '.[dev]'`")
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses
    # ORM calls from such a thread (SynchronousOnlyOperation). Tests set up data with the
    # ORM, and the database fixtures flush through it, while the browser is alive.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def new_context(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """Opens fresh browser contexts (no cookies); all are closed after the test.

    bypass_csp: Accord's Content-Security-Policy would block the injected axe script.
    The server and the database come first, so that they outlive every open page.
    """
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context: Any) -> Any:
    return new_context()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def journey(
    request: pytest.FixtureRequest, browser: Any, live_server: Any, transactional_db: None
) -> Iterator[Any]:
    """A fresh database with the demo data (accord.core.demo), and pages whose errors fail the test.

    Screenshots go to tests/browser/output/<test name>/ (see tests/browser/journeys.py).
    """
    from tests.browser.journeys import Journey

    journey = Journey(browser, live_server.url, request.node.name, TIMEOUT_MS)
    yield journey
    journey.close()
    if journey.problems:
        pytest.fail("the pages logged errors:\n" + "\n".join(journey.problems), pytrace=False)
