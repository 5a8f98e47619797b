"""The text and Markdown renderings of a decision say what an assessor relies on them to say."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from transport_policy import Decision, decide, load_case
from transport_policy.documents import Context
from transport_policy.documents import render as render_document
from transport_policy.documents.model import OUTCOME_WORDS
from transport_policy.documents.text import DEFAULT_WIDTH as WIDTH

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml"))
SECTION_TITLES = (
    "Why",
    "What was ruled out",
    "What to ask next",
    "Next steps",
    "What to record in the support plan",
    "Charges",
    "How transport is provided",
    "How to appeal",
    "Assessor's notes",
)


def render(decision: Decision, fmt: str, *, source: str | None = None) -> str:
    """The support-plan section as the assessor's terminal (88 columns) shows it."""
    shown = render_document(decision, fmt, context=Context(source=source), width=WIDTH)
    assert isinstance(shown, str)
    return shown


def render_text(decision: Decision, *, source: str | None = None) -> str:
    return render(decision, "text", source=source)


def render_markdown(decision: Decision, *, source: str | None = None) -> str:
    return render(decision, "markdown", source=source)


@cache
def _decided() -> tuple[tuple[str, Decision], ...]:
    return tuple((path.name, decide(load_case(path)[0])) for path in CASES)


def _golden(match: Callable[[Decision], bool]) -> Decision:
    """The first golden case whose decision matches (so renamed case files do not matter)."""
    found = next((d for _, d in _decided() if match(d)), None)
    assert found is not None, "no golden case has a decision of this kind"
    return found


def _record(match: Callable[[Decision], bool]) -> dict[str, Any]:
    """The record of the first golden case whose decision matches, as a mutable mapping."""
    for path in CASES:
        record, _ = load_case(path)
        if match(decide(record)):
            return record.model_dump(mode="json")
    raise AssertionError("no golden case has a decision of this kind")


def _flat(text: str) -> str:
    """Text with all runs of whitespace made single spaces (undoing the wrapping)."""
    return " ".join(text.split())


def _headings(text: str) -> list[str]:
    """Section headings of the text output: a line underlined with dashes."""
    lines = text.splitlines()
    return [a for a, b in itertools.pairwise(lines) if b and set(b) == {"-"}]


@pytest.fixture(params=[c.name for c in CASES])
def decision(request: pytest.FixtureRequest) -> Decision:
    return dict(_decided())[request.param]


def test_the_first_line_is_the_recommendation(decision: Decision) -> None:
    first = render_text(decision).splitlines()[0]
    if decision.override is None:
        assert first == f"Recommendation: {OUTCOME_WORDS[decision.outcome]}"
    else:
        assert first.startswith(f"Assessor's decision: {OUTCOME_WORDS[decision.outcome]}")
    md_first = render_markdown(decision).splitlines()[0]
    assert md_first.startswith("## ") and OUTCOME_WORDS[decision.outcome] in md_first


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_every_clause_question_and_entry_appears(decision: Decision, fmt: str) -> None:
    shown = _flat(render(decision, fmt).replace("\\", ""))
    for reason in decision.reasons:
        assert f"{_flat(reason.summary)} [" in shown and reason.clause in shown
    for item in decision.considered:
        assert _flat(item.summary) in shown and item.clause in shown
    for question in decision.questions:
        assert _flat(question.prompt) in shown and question.field in shown
        assert all(clause in shown for clause in question.clauses)
    appeal = decision.appeal if decision.outcome != "needs_information" else []
    for entry in [*decision.actions, *decision.charging, *appeal]:
        assert _flat(entry.summary) in shown and entry.clause in shown
    for warning in decision.warnings:
        assert _flat(warning) in shown


def test_sections_come_in_order_and_empty_ones_have_no_heading(decision: Decision) -> None:
    headings = _headings(render_text(decision))
    assert headings[-1] == "About this decision"
    present = {
        "Why": bool(decision.reasons),
        "What was ruled out": bool(decision.considered),
        "What to ask next": bool(decision.questions),
        "Next steps": False,
        "What to record in the support plan": bool(decision.actions),
        "Charges": bool(decision.charging),
        "How transport is provided": decision.provision is not None,
        "How to appeal": bool(decision.appeal) and decision.outcome != "needs_information",
        "Assessor's notes": bool(decision.notes.strip()),
    }
    if decision.override is not None:
        headings = ["Why" if h == "Why the policy recommends this" else h for h in headings]
    assert headings[:-1] == [title for title in SECTION_TITLES if present[title]]
    md_headings = [
        line[4:] for line in render_markdown(decision).splitlines() if line[:4] == "### "
    ]
    assert [h.replace("\\", "") for h in md_headings] == _headings(render_text(decision))


def test_text_is_wrapped_for_a_terminal(decision: Decision) -> None:
    for line in render_text(decision).splitlines():
        assert len(line) <= WIDTH, line


def test_footer_identifies_the_case_policy_engine_and_input(decision: Decision) -> None:
    text = render_text(decision, source="case.yaml")
    footer = text[text.index("About this decision") :]
    policy = decision.policy
    for part in (
        decision.case_id,
        "case.yaml",
        policy.id,
        policy.version,
        policy.effective_from,
        policy.selected,
        decision.engine.version,
        decision.input_digest,
        policy.digest,
    ):
        assert part in footer
    markdown = render_markdown(decision, source="case.yaml")
    assert f"`{policy.digest}`" in markdown and f"`{decision.input_digest}`" in markdown


def test_an_override_shows_the_assessors_decision_its_reason_and_the_recommendation() -> None:
    decision = _golden(lambda d: d.override is not None and d.outcome != d.recommended_outcome)
    assert decision.override is not None
    for shown in (render_text(decision), render_markdown(decision)):
        lead = _flat(shown.split("Why")[0])
        assert f"Assessor's decision: {OUTCOME_WORDS[decision.outcome]}" in lead
        assert f"Policy recommendation: {OUTCOME_WORDS[decision.recommended_outcome]}" in lead
        assert _flat(decision.override.reason) in lead.replace("\\", "")
        assert "(overriding the recommendation)" in lead


def test_an_override_to_the_recommended_outcome_is_not_said_to_override_it() -> None:
    record = _record(lambda d: d.outcome == "do_not_provide" and d.override is None)
    record["override"] = {"outcome": "do_not_provide", "reason": "Agreed with the person"}
    decision = decide(record)
    assert decision.override is not None and decision.outcome == decision.recommended_outcome
    for shown in (render_text(decision), render_markdown(decision)):
        lead = _flat(shown.split("Why")[0])
        assert "Assessor's decision: do not provide Council transport (the same as the " in lead
        assert "overriding" not in lead


def test_a_not_applied_override_is_warned_before_the_reasons() -> None:
    decision = _golden(lambda d: bool(d.warnings) and bool(d.reasons))
    text = render_text(decision)
    assert text.index("WARNING: ") < text.index("\nWhy\n")
    assert "> **Warning:**" in render_markdown(decision)


def test_temporary_provision_says_so_and_asks_for_a_review() -> None:
    decision = _golden(lambda d: d.temporary and d.review_required and d.outcome == "provide")
    lead = render_text(decision).split("\n\n")[0]
    assert "temporary" in lead and "Review the care and support plan." in lead
    settled = _golden(lambda d: d.outcome == "do_not_provide" and not d.temporary)
    lead = render_text(settled).split("\n\n")[0]
    assert "temporary" not in lead and "Review" not in lead


def test_a_taxi_is_said_to_be_allowed_only_when_it_is() -> None:
    taxi = _golden(lambda d: d.provision is not None and d.provision.taxi_permitted)
    fleet = _golden(lambda d: d.provision is not None and not d.provision.taxi_permitted)
    assert "Taxi allowed: yes" in render_text(taxi)
    assert "Taxi allowed: no" in render_text(fleet)


def test_needs_information_points_to_the_questions() -> None:
    decision = _golden(lambda d: len(d.questions) > 1)
    text = render_text(decision)
    assert f"Answer the {len(decision.questions)} questions" in text.split("\n\n")[0]
    asked = text[text.index("What to ask next") :]
    for n, question in enumerate(decision.questions, 1):
        assert f"\n{n}. " in asked and f"Record as {question.field};" in asked


def test_facts_are_given_in_plain_words() -> None:
    decision = _golden(
        lambda d: any(
            r.facts.get("travel.can_use_public_transport") == "with_support" for r in d.reasons
        )
    )
    text = _flat(render_text(decision))
    assert "can use public transport: with support" in text
    unknown = _golden(lambda d: any(None in c.facts.values() for c in d.considered))
    assert ": not known" in render_text(unknown)
    for _, d in _decided():
        shown = render_text(d) + render_markdown(d)
        assert not re.search(r"Facts:.*\b(True|False|None|with_support)\b", shown)


def test_what_was_ruled_out_is_grouped_by_kind_and_status() -> None:
    decision = _golden(
        lambda d: (
            {("exclusion", "fails"), ("exclusion", "defeated"), ("provide", "fails")}
            <= {(c.kind, c.status) for c in d.considered}
        )
    )
    text = render_text(decision)
    headings = {
        ("exclusion", "fails"): "\nAlternatives ruled out:\n",
        ("exclusion", "defeated"): "\nAlternatives out of use for now:\n",
        ("provide", "fails"): "\nGrounds for provision that do not apply:\n",
    }
    starts = sorted((text.index(h), key) for key, h in headings.items())
    assert [key for _, key in starts] == list(headings)  # alternatives first, then grounds
    for item in decision.considered:
        if (item.kind, item.status) not in headings:
            continue
        at = text.index(f"[{item.clause}]", starts[0][0])
        owner = [key for start, key in starts if start < at][-1]
        assert owner == (item.kind, item.status), item.clause


def test_assessor_notes_are_shown_safely() -> None:
    record = _record(lambda d: d.outcome == "do_not_provide")
    record["judgement"]["notes"] = "# Seen at home\nPrefers *mornings*.\x1b[31m Call first."
    decision = decide(record)
    text = render_text(decision)
    assert "\x1b" not in text
    notes = text[text.index("Assessor's notes") :]
    assert "Prefers *mornings*." in notes and "Call first." in notes
    markdown = render_markdown(decision)
    assert "\x1b" not in markdown
    assert "> \\# Seen at home" in markdown and "Prefers \\*mornings\\*." in markdown
    assert not any(line.startswith("# ") for line in markdown.splitlines())


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, markdown, html, pdf, docx"):
        render(_decided()[0][1], "rtf")
