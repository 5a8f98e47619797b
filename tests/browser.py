"""Real headless Chromium for page tests: Debian's ``chromium`` driven by Playwright, and axe-core.

Pages are checked in the browser people use, never a download of Playwright's own: the launch
names ``/usr/bin/chromium`` (installed by ``.ci/run``). Tests that need it skip only when the
browser is absent on a developer machine; CI installs it, so there they always run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
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
# axe-core rule tags for WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """A launched headless Chromium (Playwright ``Browser``), closed on exit."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG 2.2 A/AA violations axe-core finds on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


def assert_accessible(page: Any) -> None:
    """Fail naming each axe-core violation (rule id, help text and the offending elements)."""
    violations = axe_violations(page)
    lines = [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'])})"
        for v in violations
    ]
    assert not violations, "axe-core found WCAG 2.2 A/AA violations:\n" + "\n".join(lines)
