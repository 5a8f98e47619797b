"""The assessor pages in real headless Chromium against the real server on 127.0.0.1 (two
workers, a decision log): three golden cases interviewed to their expected decisions, with
JavaScript and without, every page checked with axe-core (WCAG 2.2 A/AA) and screenshotted.

Screenshots go to ``$TRANSPORT_POLICY_SCREENSHOTS`` when it is set (kept), else to pytest's
temporary folder."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from assessor import (
    GOLDEN,
    Visit,
    answer_all,
    assert_expected,
    get_decision,
    golden,
    sign_in,
    start_case,
)
from live_server import Server
from transport_policy.audit.verify import verify
from transport_policy.documents import build


def _checkpoint(server: Server) -> int:
    auth = {"Authorization": f"Bearer {server.token}"}
    entries: int = httpx.get(server.url + "/v1/log/checkpoint", headers=auth).json()["entries"]
    return entries


def _interview(browser: Any, server: Server, shots: Path, name: str, *, js: bool) -> None:
    data, expected = golden(name)
    context = browser.new_context(java_script_enabled=js, accept_downloads=True)
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
    web_browser: Any, web_server: Server, screenshots: Path, name: str
) -> None:
    _interview(web_browser, web_server, screenshots, name, js=True)


@pytest.mark.parametrize("name", GOLDEN, ids=[n[:50] for n in GOLDEN])
def test_the_same_interview_works_with_javascript_off(
    web_browser: Any, web_server: Server, screenshots: Path, name: str
) -> None:
    _interview(web_browser, web_server, screenshots, name, js=False)


def test_the_decision_page_shows_reasons_support_plan_and_receipt(
    web_browser: Any, web_server: Server, screenshots: Path
) -> None:
    data, expected = golden(GOLDEN[1])  # not provided, and the person pays their own fuel
    context = web_browser.new_context(accept_downloads=True)
    try:
        visit = Visit(context.new_page(), screenshots, "decision-page", axe=False)
        sign_in(visit, web_server.url, web_server.token)
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


def _downloads(page: Any, labels: list[str], folder: Path) -> dict[str, Path]:
    """Each button's download, saved under ``folder``."""
    saved = {}
    for label in labels:
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        path = folder / download.value.suggested_filename
        download.value.save_as(path)
        saved[label] = path
    return saved


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_decision_page_shows_the_letter_and_offers_both_documents_as_files(
    web_browser: Any, web_server: Server, screenshots: Path, tmp_path: Path, js: bool
) -> None:
    data, _expected = golden(GOLDEN[1])
    context = web_browser.new_context(java_script_enabled=js, accept_downloads=True)
    kinds = ("letter", "support-plan section")
    labels = [f"Download the {k} as {f}" for k in kinds for f in ("PDF", "Word", "a web")]
    try:
        visit = Visit(context.new_page(), screenshots, f"documents-{js}", axe=js)
        sign_in(visit, web_server.url, web_server.token)
        start_case(visit, data)
        answer_all(visit, data)
        decision = get_decision(visit)
        letter = visit.page.locator("section.app-document").inner_text()
        files = _downloads(visit.page, labels, tmp_path)
    finally:
        context.close()
    documents = {"letter": build(decision, "letter"), "plan": build(decision, "support-plan")}
    assert documents["letter"].title in letter and "If you disagree" in letter
    assert decision.policy.digest not in letter  # no digests or clause ids in the letter
    assert not any(f"({r.clause})" in letter for r in decision.reasons)
    for kind, audience in zip(kinds, documents.values(), strict=True):
        pdf, word, html = (files[f"Download the {kind} as {f}"] for f in ("PDF", "Word", "a web"))
        assert pdf.name.startswith(decision.case_id) and pdf.read_bytes().startswith(b"%PDF-")
        with zipfile.ZipFile(word) as docx:
            assert audience.title in docx.read("word/document.xml").decode("utf-8")
        page = html.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and audience.title in page


def test_the_decision_log_holds_every_decision_the_pages_gave(web_server: Server) -> None:
    assert web_server.log is not None
    report = verify(web_server.log)
    assert report.ok and report.entries == _checkpoint(web_server)


def _entry_count(server: Server) -> int:
    assert server.log is not None
    return len(server.log.read_bytes().splitlines())


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_reloading_the_decision_page_shows_the_same_entry_and_logs_nothing_more(
    web_browser: Any, web_server: Server, screenshots: Path, tmp_path: Path, js: bool
) -> None:
    """An assessor whose token has the decide scope only reaches a decision, reloads its page
    and comes back to it: one entry, the same decision, and the documents name the entry."""
    assert web_server.log is not None
    data, expected = golden(GOLDEN[0])
    context = web_browser.new_context(java_script_enabled=js, accept_downloads=True)
    try:
        visit = Visit(context.new_page(), screenshots, f"logged-{'js' if js else 'nojs'}", axe=js)
        page = visit.page
        sign_in(visit, web_server.url, web_server.decide_only)
        start_case(visit, data)
        answer_all(visit, data)
        before = _entry_count(web_server)
        decision = get_decision(visit)
        assert "/assess/decision?entry=" in page.url  # a GET page: Post/Redirect/Get
        shown, address = page.locator("main").inner_text(), page.url
        response = page.reload()
        assert response is not None and response.status == 200
        visit.arrived("decision-reloaded")
        page.goto(web_server.url + "/assess/")
        page.goto(address)  # revisited
        again = page.locator("main").inner_text()
        files = _downloads(
            page,
            [
                "Download the support-plan section as a web page",
                "Download the letter as a web page",
            ],
            tmp_path,
        )
    finally:
        context.close()
    assert _entry_count(web_server) == before + 1
    assert verify(web_server.log).ok
    seq = before + 1
    entry = json.loads(web_server.log.read_bytes().splitlines()[seq - 1])
    assert entry["seq"] == seq and entry["decision"]["input_digest"] == decision.input_digest
    assert again == shown and f"Entry {seq} of the service's decision log" in shown
    assert entry["hash"] in shown
    assert_expected(decision, expected, GOLDEN[0])
    plan = files["Download the support-plan section as a web page"].read_text(encoding="utf-8")
    letter = files["Download the letter as a web page"].read_text(encoding="utf-8")
    assert f"entry {seq} of decisions.log" in plan and entry["hash"] in plan
    assert f"entry {seq} of decisions.log" in letter


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_another_assessors_or_a_forged_entry_is_refused_with_the_error_page(
    web_browser: Any, web_server: Server, screenshots: Path, js: bool
) -> None:
    data, _expected = golden(GOLDEN[2])
    first = web_browser.new_context(java_script_enabled=js, accept_downloads=True)
    second = web_browser.new_context(java_script_enabled=js)
    try:
        visit = Visit(first.new_page(), screenshots, f"entry-owner-{js}", axe=js)
        sign_in(visit, web_server.url, web_server.token)
        start_case(visit, data)
        answer_all(visit, data)
        get_decision(visit)
        address = visit.page.url
        ref = address.partition("entry=")[2].partition("&")[0]
        seq, at, digest, mac = ref.split(".")
        other = Visit(second.new_page(), screenshots, f"entry-other-{js}", axe=js)
        sign_in(other, web_server.url, web_server.decide_only)
        forged = f"{seq}.{at}.{digest}.{mac[::-1]}"
        for bad in (address, f"{web_server.url}/assess/decision?entry={forged}"):
            response = other.page.goto(bad)
            assert response is not None and response.status == 404
            other.arrived("entry-refused")
            assert other.page.locator("h1").inner_text() == "This decision cannot be shown"
            text = other.page.content()
            assert ref not in text and mac not in text and "Traceback" not in text
            assert data["case_id"] not in text
    finally:
        first.close()
        second.close()
