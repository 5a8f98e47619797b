"""An assessor at the pages, in a real browser: signs in, starts a case, answers every question
the interview asks from a golden case's record, and gets the decision. By mouse, or by keyboard
alone; every page visited is screenshotted and (when asked) checked with axe-core."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from browser import assert_accessible
from transport_policy import load_case
from transport_policy.model.decision import Decision
from transport_policy.web.forms import DONT_KNOW, form_value

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = (
    "a-pip-recipient-with-residual-need-is-provided-transport-without-being-asked-about"
    "-supervision",
    "a-man-who-drives-his-own-car-is-not-provided-transport-and-pays-his-own-fuel",
    "a-woman-whose-support-comes-to-her-home-needs-no-transport-and-is-out-of-scope",
)
"""Three golden cases with different outcomes (provide, do not provide with a charge, out of
scope) that the interview reaches by asking only what it asks."""
SCREENSHOTS_ENV = "TRANSPORT_POLICY_SCREENSHOTS"
MAX_PAGES = 40


def golden(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A golden case's record (JSON data) and its expected decision."""
    record, expected = load_case(ROOT / "cases" / f"{name}.yaml")
    assert expected is not None
    return record.model_dump(mode="json"), expected


def value_of(data: dict[str, Any], path: str) -> Any:
    section, _, name = path.partition(".")
    part = data.get(section)
    return part.get(name) if isinstance(part, dict) else None


def screenshot_folder(fallback: Path) -> Path:
    """``$TRANSPORT_POLICY_SCREENSHOTS`` if set (kept after the run), else ``fallback``."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Visit:
    """The browser tab an assessor works in; :meth:`arrived` records each page."""

    page: Any
    folder: Path
    prefix: str
    axe: bool
    count: int = 0
    asked: list[str] = field(default_factory=list)

    def arrived(self, name: str) -> None:
        self.count += 1
        path = self.folder / f"{self.prefix}-{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if self.axe:
            assert_accessible(self.page)

    def press(self, name: str, role: str = "button") -> None:
        """Click a button (or link) and wait for the page it leads to to load."""
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, exact=True).click()

    def asking(self) -> str | None:
        """The field the page asks, or ``None`` when it is not a question page."""
        fields = self.page.locator("input[name=fields]")
        return fields.input_value() if fields.count() else None


def sign_in(visit: Visit, url: str, token: str) -> None:
    page = visit.page
    page.goto(url + "/assess/")
    assert page.url.endswith("/assess/login")
    visit.arrived("sign-in")
    page.fill("#token", token)
    visit.press("Sign in")
    assert page.url.endswith("/assess/")
    visit.arrived("start")


def start_case(visit: Visit, data: dict[str, Any]) -> None:
    page = visit.page
    visit.press("Start a new case")
    visit.arrived("new-case")
    year, month, day = data["assessment_date"].split("-")
    page.fill("#f-case-id", data["case_id"])
    page.fill("#f-assessment-date-day", day)
    page.fill("#f-assessment-date-month", month)
    page.fill("#f-assessment-date-year", year)
    visit.press("Continue")


def answer_all(visit: Visit, data: dict[str, Any], stop_after: int | None = None) -> None:
    """Answer every question asked from ``data`` ("don't know yet" for its unknown facts),
    until the check-answers page (or only ``stop_after`` of them); no field may be asked
    twice."""
    page = visit.page
    for _ in range(MAX_PAGES):
        path = visit.asking()
        if path is None:
            break
        if stop_after is not None and len(visit.asked) == stop_after:
            return
        assert path not in visit.asked, f"{path} was asked twice"
        visit.asked.append(path)
        visit.arrived(path.replace(".", "-"))
        value = value_of(data, path)
        radios = page.locator(f'input[type=radio][name="{path}"]')
        if radios.count():
            wanted = DONT_KNOW if value is None else form_value(value)
            page.check(f'input[type=radio][name="{path}"][value="{wanted}"]')
        elif value is None:
            visit.press("Don't know yet")
            continue
        else:
            page.fill(f'[name="{path}"]', form_value(value))
        visit.press("Continue")
    assert page.locator("h1").inner_text() == "Check your answers"
    visit.arrived("check-answers")


def get_decision(visit: Visit) -> Decision:
    """From check answers: the decision page, and the decision saved from it as JSON (with a
    decision log, the log entry it was saved as: its ``decision``)."""
    page = visit.page
    visit.press("Get the decision")
    visit.arrived("decision")
    with page.expect_download() as download:
        page.get_by_role("button", name="Save the decision as JSON").click()
    saved = json.loads(Path(download.value.path()).read_text())
    return Decision.model_validate(saved["decision"] if "hash" in saved else saved)


def assert_expected(decision: Decision, expected: dict[str, Any], name: str) -> None:
    """The decision is as a golden case's ``expected`` block says (``considered`` names only
    the clauses it checks), as tests/test_golden_cases.py reads it."""
    from test_golden_cases import _observed

    got = _observed(decision)
    for key, want in expected.items():
        if key == "considered":
            assert {c: got[key].get(c) for c in want} == want, f"{name}: considered"
        elif key == "actions":
            # an interview may add actions about facts it never asks (on provide, that the
            # travel-training potential is not yet assessed); every action of the record is given
            assert set(want) <= set(got[key]), f"{name}: {key}"
        else:
            assert got[key] == want, f"{name}: {key}"
