"""The assessor pages in real headless Chromium against the real server on 127.0.0.1: three
golden cases interviewed to their expected decisions, with JavaScript and without, every page
checked with axe-core (WCAG 2.2 A/AA) and screenshotted.

Screenshots go to ``$TRANSPORT_POLICY_SCREENSHOTS`` when it is set (kept), else to pytest's
temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assessor import (
    GOLDEN,
    Visit,
    answer_all,
    assert_expected,
    get_decision,
    golden,
    screenshot_folder,
    sign_in,
    start_case,
)
from browser import chromium_browser
from live_server import Server, served
from transport_policy.audit.verify import verify

TOKEN = "web-page-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("web-server"), TOKEN, log=True) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium_browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_folder(tmp_path_factory.mktemp("screenshots"))


def _checkpoint(server: Server) -> int:
    auth = {"Authorization": f"Bearer {server.token}"}
    entries: int = httpx.get(server.url + "/v1/log/checkpoint", headers=auth).json()["entries"]
    return entries


def _interview(browser: object, server: Server, shots: Path, name: str, *, js: bool) -> None:
    data, expected = golden(name)
    context = browser.new_context(java_script_enabled=js, accept_downloads=True)  # type: ignore[attr-defined]
    try:
        visit = Visit(context.new_page(), shots, f"{'js' if js else 'nojs'}-{name[:40]}", axe=js)
        sign_in(visit, server.url, server.token)
        start_case(visit, data)
        answer_all(visit, data)
        before = _checkpoint(server)
        decision = get_decision(visit)
        assert _checkpoint(server) == before + 1  # --log: the decision was logged, once
        assert "added to this service's decision log" in visit.page.locator("footer").inner_text()
    finally:
        context.close()
    assert_expected(decision, expected, name)
    assert decision.case_id == data["case_id"]


@pytest.mark.parametrize("name", GOLDEN, ids=[n[:50] for n in GOLDEN])
def test_a_golden_case_interviewed_in_the_browser_reaches_its_decision(
    browser: object, server: Server, shots: Path, name: str
) -> None:
    _interview(browser, server, shots, name, js=True)


@pytest.mark.parametrize("name", GOLDEN, ids=[n[:50] for n in GOLDEN])
def test_the_same_interview_works_with_javascript_off(
    browser: object, server: Server, shots: Path, name: str
) -> None:
    _interview(browser, server, shots, name, js=False)


def test_the_decision_page_shows_reasons_support_plan_and_receipt(
    browser: object, server: Server, shots: Path
) -> None:
    data, expected = golden(GOLDEN[1])  # not provided, and the person pays their own fuel
    context = browser.new_context(accept_downloads=True)  # type: ignore[attr-defined]
    try:
        visit = Visit(context.new_page(), shots, "decision-page", axe=True)
        sign_in(visit, server.url, server.token)
        start_case(visit, data)
        answer_all(visit, data)
        decision = get_decision(visit)
        text = visit.page.locator("main").inner_text()
    finally:
        context.close()
    assert "Recommendation: do not provide Council transport" in text
    for entry in [*decision.reasons, *decision.charging, *decision.actions, *decision.appeal]:
        assert entry.summary in text and f"({entry.clause})" in text
    for considered in decision.considered:
        assert considered.summary in text
    assert decision.input_digest in text and decision.policy.digest in text
    assert expected["charging"] and "Charges" in text


def test_the_decision_log_holds_every_decision_the_pages_gave(server: Server) -> None:
    assert server.log is not None
    report = verify(server.log)
    assert report.ok and report.entries == _checkpoint(server)
