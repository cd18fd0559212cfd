"""Helpers for the browser tests: axe-core checks, logging in, links from the outbox."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from accord.testing import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails) with what to install
    expect = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parents[2]
# Violations of these impacts fail a test; "moderate" and "minor" ones are left to review.
FAILING_IMPACTS = ("serious", "critical")

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""


def axe_path() -> Path | None:
    """axe.min.js: $ACCORD_AXE_JS, then .ci/node (where .ci/run installs it), then node_modules."""
    candidates = []
    if os.environ.get("ACCORD_AXE_JS"):
        candidates.append(Path(os.environ["ACCORD_AXE_JS"]))
    candidates += [
        REPO / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js",
        REPO / "node_modules" / "axe-core" / "axe.min.js",
    ]
    return next((path for path in candidates if path.is_file()), None)


def assert_accessible(page: Any) -> None:
    """Run axe-core on the page as it is now; fail on every serious or critical violation."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        path = axe_path()
        assert path is not None, "axe-core is not installed"
        # Evaluated through the DevTools protocol rather than added as a <script>: this works
        # under Accord's own CSP too (pages of journey tests enforce it).
        page.evaluate(path.read_text(encoding="utf-8"))
    violations = page.evaluate(_RUN_AXE)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    if failing:
        lines = [f"axe-core found {len(failing)} serious or critical violation(s) on {page.url}:"]
        for v in failing:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"]:
                lines.append(f"    at {node['target']}: {' '.join(node['summary'].split())}")
        raise AssertionError("\n".join(lines))


def log_in(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Submit the login form (checked with axe). The caller asserts where it lands."""
    if "/accounts/login/" not in page.url:
        page.goto(base_url + "/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def link_in_mail(to_email: str, path_start: str, *, base_url: str | None = None) -> str:
    """The link starting with `path_start` in the newest mail to `to_email`.

    With `base_url`, the link's scheme and host are replaced by it (mail links use
    settings.SITE_URL, which is not the live server's address).
    """
    from accord.mailgate.models import OutboundMessage

    message = OutboundMessage.objects.filter(to_email=to_email).order_by("-created_at", "-id").first()
    assert message is not None, f"no mail to {to_email} in the outbox"
    links = [url for url in re.findall(r"https?://\S+", message.body_text) if path_start in url]
    assert len(links) == 1, f"expected one {path_start} link in:\n{message.body_text}"
    if base_url is None:
        return links[0]
    parts = urlsplit(links[0])
    return base_url + parts.path + (f"?{parts.query}" if parts.query else "")
