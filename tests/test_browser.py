"""The page-test machinery itself: the real browser starts, and axe-core really reports."""

from __future__ import annotations

import pytest

from browser import assert_accessible, axe_violations, chromium_browser

GOOD = (
    "<!doctype html><html lang='en'><head><title>Decision</title></head>"
    "<body><main><h1>Decision</h1><p>Transport is not provided.</p></main></body></html>"
)
BAD = "<!doctype html><html><body><img src='x.png'><input type='text'></body></html>"


def test_an_accessible_page_passes_axe_in_chromium() -> None:
    with chromium_browser() as browser:
        page = browser.new_page()
        page.set_content(GOOD)
        assert_accessible(page)


def test_axe_reports_a_missing_alt_text_and_language() -> None:
    with chromium_browser() as browser:
        page = browser.new_page()
        page.set_content(BAD)
        found = {v["id"] for v in axe_violations(page)}
        assert {"image-alt", "html-has-lang", "label"} <= found
        with pytest.raises(AssertionError, match="image-alt"):
            assert_accessible(page)
