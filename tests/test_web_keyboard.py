"""A whole interview by keyboard alone, in real headless Chromium against the real server: Tab
to move, Space and the arrow keys to choose a radio (within a radio group the arrow keys are how
a keyboard moves between options: Tab reaches the group once), Enter to follow a link or press
a button. No mouse click anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assessor import GOLDEN, Visit, assert_expected, golden, value_of
from live_server import Server
from transport_policy.model.decision import Decision
from transport_policy.web.forms import DONT_KNOW, form_value

MAX_TABS = 200


def tab_to(page: Any, condition: str) -> None:
    """Press Tab until the focused element ``e`` meets ``condition`` (JavaScript)."""
    check = f"() => {{ const e = document.activeElement; return !!e && ({condition}); }}"
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(check):
            return
    raise AssertionError(f"no focusable element where {condition}")


def button(text: str) -> str:
    return f"e.tagName === 'BUTTON' && e.textContent.trim() === {json.dumps(text)}"


def choose_radio(page: Any, path: str, wanted: str) -> None:
    """Focus the radio group, then Space (first option) or the arrow keys to the wanted one."""
    tab_to(page, f"e.type === 'radio' && e.name === {json.dumps(path)}")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == wanted:
            page.keyboard.press("Space")
            assert page.evaluate("() => document.activeElement.checked")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{path}: no option {wanted}")


def enter(page: Any) -> None:
    """Press Enter on what has focus, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page: Any, element_id: str, text: str) -> None:
    tab_to(page, f"e.id === {json.dumps(element_id)}")
    page.keyboard.type(text)


def answer_by_keyboard(visit: Visit, data: dict[str, Any]) -> None:
    page = visit.page
    while (path := visit.asking()) is not None:
        assert path not in visit.asked, f"{path} was asked twice"
        visit.asked.append(path)
        visit.arrived(path.replace(".", "-"))
        value = value_of(data, path)
        if page.locator(f'input[type=radio][name="{path}"]').count():
            choose_radio(page, path, DONT_KNOW if value is None else form_value(value))
            tab_to(page, button("Continue"))
        elif value is None:
            tab_to(page, button("Don't know yet"))
        else:
            type_into(page, "f-" + path.replace(".", "-").replace("_", "-"), form_value(value))
        enter(page)  # in a text field, Enter submits with the form's first button: Continue


def test_a_whole_interview_by_keyboard_alone(
    web_browser: Any, web_server: Server, screenshots: Path
) -> None:
    data, expected = golden(GOLDEN[0])
    context = web_browser.new_context(accept_downloads=True)
    page = context.new_page()
    visit = Visit(page, screenshots, "keyboard", axe=False)
    try:
        page.goto(web_server.url + "/assess/")
        type_into(page, "token", web_server.token)
        enter(page)
        tab_to(page, "e.textContent.trim() === 'Start a new case'")
        enter(page)
        year, month, day = data["assessment_date"].split("-")
        type_into(page, "f-case-id", data["case_id"])
        for part, text in (("day", day), ("month", month), ("year", year)):
            type_into(page, f"f-assessment-date-{part}", text)
        enter(page)
        answer_by_keyboard(visit, data)
        assert page.locator("h1").inner_text() == "Check your answers"
        tab_to(page, button("Get the decision"))
        enter(page)
        visit.arrived("decision")
        tab_to(page, button("Save the decision as JSON (its log entry)"))  # --log: the entry
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        entry = json.loads(Path(download.value.path()).read_text())
        decision = Decision.model_validate(entry["decision"])
    finally:
        context.close()
    assert_expected(decision, expected, GOLDEN[0])
