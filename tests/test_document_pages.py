"""The HTML documents in real headless Chromium: no WCAG 2.2 A/AA violation (axe-core) on screen
or in print, and the structure a screen reader navigates by."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import assert_accessible, chromium_browser
from transport_policy.documents import render
from transport_policy.documents.sources import load_source

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
OUTCOMES = ("provide", "do_not_provide", "out_of_scope", "needs_information")


def _cases() -> list[Path]:
    """One golden case of each outcome, and one with an override."""
    chosen: dict[str, Path] = {}
    for path in CASES:
        d = load_source(str(path)).decision
        key = "override" if d.override is not None else d.outcome
        chosen.setdefault(key, path)
    return [chosen[k] for k in (*OUTCOMES, "override")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


@pytest.mark.parametrize("audience", ["letter", "support-plan"])
@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name[:40])
def test_the_page_passes_axe_on_screen_and_in_print(
    browser: Any, case: Path, audience: str
) -> None:
    found = load_source(str(case))
    html = render(found.decision, "html", audience=audience, context=found.context)  # type: ignore[arg-type]
    page = browser.new_page()
    try:
        page.set_content(str(html))
        assert_accessible(page)
        assert page.evaluate("document.documentElement.lang") == "en-GB"
        assert page.locator("h1").count() == 1 and page.locator("main").count() == 1
        levels = page.evaluate(
            "[...document.querySelectorAll('h1,h2,h3')].map(h => Number(h.tagName[1]))"
        )
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
        assert page.locator("th[scope=row]").count() >= 4
        assert page.locator("table caption").count() == 1
        page.emulate_media(media="print")
        assert_accessible(page)
    finally:
        page.close()
