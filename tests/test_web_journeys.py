"""Other ways through the assessor pages, in real headless Chromium against the real server:
saving a case and carrying on from the file, errors, an assessor's override, signing in and
out. Every page is checked with axe-core (WCAG 2.2 A/AA) and screenshotted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture()
def visit(web_browser: Any, screenshots: Path, request: pytest.FixtureRequest) -> Iterator[Visit]:
    context = web_browser.new_context(accept_downloads=True)
    try:
        yield Visit(context.new_page(), screenshots, request.node.name[5:45], axe=True)
    finally:
        context.close()


def _summary(page: Any) -> str:
    text: str = page.locator(".govuk-error-summary").inner_text()
    return text


def test_a_case_saved_as_a_file_carries_on_after_upload(
    visit: Visit, web_browser: Any, web_server: Server, screenshots: Path
) -> None:
    data, expected = golden(GOLDEN[1])
    sign_in(visit, web_server.url, web_server.token)
    start_case(visit, data)
    answer_all(visit, data, stop_after=3)
    with visit.page.expect_download() as download:
        visit.page.get_by_role("button", name="Save as YAML").click()
    saved = Path(download.value.path())
    assert saved.read_text().startswith("# Assessment record saved")
    context = web_browser.new_context(accept_downloads=True)  # another day, another browser
    try:
        later = Visit(context.new_page(), screenshots, "resumed", axe=True)
        sign_in(later, web_server.url, web_server.token)
        later.press("Upload a saved record", "link")
        later.arrived("upload")
        later.page.set_input_files("#f-record", str(saved))
        later.press("Continue")
        answer_all(later, data)
        assert not set(later.asked) & set(visit.asked)  # the saved answers are not asked again
        decision = get_decision(later)
    finally:
        context.close()
    assert_expected(decision, expected, GOLDEN[1])


def test_errors_are_summarised_and_name_the_field_without_its_value(
    visit: Visit, web_server: Server
) -> None:
    page = visit.page
    sign_in(visit, web_server.url, web_server.token)
    visit.press("Start a new case")
    visit.press("Continue")
    visit.arrived("new-case-errors")
    assert page.title().startswith("Error: ")
    summary = _summary(page)
    assert "Enter the case reference" in summary and "Enter the assessment date" in summary
    # GOV.UK Frontend's script moves focus to the summary; its links lead to the fields
    assert page.evaluate("() => document.activeElement.classList.contains('govuk-error-summary')")
    page.get_by_role("link", name="Enter the case reference").click()  # same page
    assert page.evaluate("() => document.activeElement.id") == "f-case-id"
    page.fill("#f-case-id", "C-77")
    for part, text in (("day", "31"), ("month", "2"), ("year", "2021")):
        page.fill(f"#f-assessment-date-{part}", text)
    visit.press("Continue")
    assert "must be a real date" in _summary(page)
    page.fill("#f-assessment-date-day", "28")
    visit.press("Continue")
    page.fill("#f-person-age", "1234")
    visit.press("Continue")
    visit.arrived("age-error")
    summary = _summary(page)
    assert "Age must be at most 130" in summary and "1234" not in summary
    inline = page.locator("#f-person-age-error").inner_text()
    assert "Age must be at most 130" in inline and "1234" not in inline
    visit.press("Don't know yet")
    assert visit.asking() == "person.eligible_care_needs"


def test_a_bad_upload_is_reported_on_the_upload_page(visit: Visit, web_server: Server) -> None:
    page = visit.page
    sign_in(visit, web_server.url, web_server.token)
    page.goto(web_server.url + "/assess/upload")
    page.set_input_files(
        "#f-record",
        files=[{"name": "case.yaml", "mimeType": "text/plain", "buffer": b"case_id: [1, 2\n"}],
    )
    visit.press("Continue")
    visit.arrived("upload-error")
    assert "(file): is not valid YAML" in _summary(page)


def test_an_override_is_added_from_check_answers_and_needs_its_reason(
    visit: Visit, web_server: Server
) -> None:
    data, _ = golden(GOLDEN[1])  # recommended: do not provide
    page = visit.page
    sign_in(visit, web_server.url, web_server.token)
    start_case(visit, data)
    answer_all(visit, data)
    visit.press("Add override: outcome")
    visit.arrived("override")
    assert page.locator("h1").inner_text() == "Assessor's override"
    page.check('input[name="override.outcome"][value="provide"]')
    visit.press("Continue")
    visit.arrived("override-error")
    assert "Enter the reason" in _summary(page)
    page.fill("#f-override-reason", "Her carer is unwell this month.")
    visit.press("Continue")
    assert page.locator("h1").inner_text() == "Check your answers"
    assert "Provide. Reason: Her carer is unwell this month." in page.locator("main").inner_text()
    decision = get_decision(visit)
    assert decision.outcome == "provide" and decision.recommended_outcome == "do_not_provide"
    heading = page.locator("h1").inner_text()
    assert heading == "The assessor's decision: provide Council transport"


def test_sign_in_refuses_a_wrong_token_and_sign_out_ends_the_session(
    visit: Visit, web_server: Server
) -> None:
    page = visit.page
    page.goto(web_server.url + "/assess/login")
    page.fill("#token", "not-the-token")
    visit.press("Sign in")
    visit.arrived("sign-in-error")
    assert "Enter a valid access token" in _summary(page)
    assert "not-the-token" not in page.content()
    page.fill("#token", web_server.token)
    visit.press("Sign in")
    # On plain http, Chromium keeps and sends Secure cookies only for loopback (127.0.0.1,
    # localhost): the sign-in works here, and the cookie is Secure, HttpOnly and SameSite.
    session = {c["name"]: c for c in page.context.cookies()}["tp_session"]
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Strict"
    visit.press("Sign out")
    visit.arrived("signed-out")
    assert "You have signed out" in page.locator(".govuk-notification-banner").inner_text()
    page.goto(web_server.url + "/assess/new")
    assert page.url.endswith("/assess/login")


def test_an_unknown_page_is_a_plain_page_not_found(visit: Visit, web_server: Server) -> None:
    sign_in(visit, web_server.url, web_server.token)
    response = visit.page.goto(web_server.url + "/assess/no-such-page")
    assert response is not None and response.status == 404
    visit.arrived("not-found")
    assert visit.page.locator("h1").inner_text() == "Page not found"
