"""Documents: the letter and the support-plan section hold the same facts in every format, the
letter speaks plainly, and the PDF and DOCX are real files that open."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from transport_policy import Decision
from transport_policy.documents import Audience, Context, render
from transport_policy.documents.letter import DECIDED_WORDS
from transport_policy.documents.letter import REVIEW_WORDS as LETTER_REVIEW
from transport_policy.documents.model import OUTCOME_WORDS, date_words, value_words
from transport_policy.documents.plan import REVIEW_WORDS as PLAN_REVIEW
from transport_policy.documents.sources import Source, load_source

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
FORMATS = ("text", "markdown", "html", "pdf", "docx")


@cache
def _sources() -> tuple[tuple[str, Source], ...]:
    return tuple((p.name, load_source(str(p))) for p in CASES)


def _golden(match: Callable[[Decision], bool]) -> Source:
    found = next((s for _, s in _sources() if match(s.decision)), None)
    assert found is not None, "no golden case has a decision of this kind"
    return found


KINDS: dict[str, Callable[[Decision], bool]] = {
    "temporary provision with a review": lambda d: d.temporary and d.review_required,
    "no provision": lambda d: d.outcome == "do_not_provide" and d.override is None,
    "out of scope": lambda d: d.outcome == "out_of_scope",
    "more information needed": lambda d: d.outcome == "needs_information" and bool(d.next_steps),
    "an override": lambda d: d.override is not None and d.outcome != d.recommended_outcome,
}


def _flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.skip = tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self.skip = False

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text, after checking that pdftoppm renders every page to a PNG."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pages)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts: list[str] = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            parts += [cell.text for row in block.rows for cell in row.cells]
        else:
            parts.append(block.text)
    return "\n".join(parts)


def shown_as_text(source: Source, audience: Audience, fmt: str, tmp_path: Path) -> str:
    """The words a reader sees in ``fmt``, whitespace made single spaces."""
    out = render(source.decision, fmt, audience=audience, context=source.context, width=88)
    if fmt == "pdf":
        assert isinstance(out, bytes) and out.startswith(b"%PDF-")
        return _flat(pdf_text(out, tmp_path))
    if fmt == "docx":
        assert isinstance(out, bytes)
        return _flat(docx_text(out))
    assert isinstance(out, str)
    if fmt == "html":
        return _flat(html_text(out))
    if fmt == "markdown":
        return _flat(out.replace("\\", "").replace("**", "").replace("`", ""))
    return _flat(out)


def facts(source: Source, audience: Audience) -> tuple[list[str], list[str]]:
    """What a document must say (outcome, reasons, journey, dates, review, appeal) and what it
    must not, taken from the decision and the case rather than from any rendering."""
    d, case = source.decision, source.context.facts
    journey = case.journey
    present = [date_words(case.assessment_date)]
    present += [value_words(journey.purpose)] if journey.purpose else []
    present += [journey.destination_name] if journey.destination_name else []
    if journey.distance_miles is not None:
        present.append(f"{journey.distance_miles:g} mile")
    absent: list[str] = []
    appeals = [a.summary for a in d.appeal]
    if audience == "letter":
        present.append(DECIDED_WORDS[d.outcome])
        if d.override is None:
            present += [r.summary for r in d.reasons]
        (present if d.review_required else absent).append(LETTER_REVIEW)
        appeal_words = [*appeals, "If you disagree"]
    else:
        present += [OUTCOME_WORDS[d.outcome], d.input_digest, d.policy.digest]
        present += [r.summary for r in d.reasons]
        (present if d.review_required else absent).append(PLAN_REVIEW)
        appeal_words = [*appeals, "How to appeal"]
    decided = d.outcome != "needs_information"
    (present if decided else absent).extend(appeal_words if appeals else [])
    return [_flat(f) for f in present], [_flat(f) for f in absent]


@pytest.mark.parametrize("audience", ["support-plan", "letter"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_format_holds_the_same_facts_as_the_text(
    kind: str, audience: Audience, tmp_path: Path
) -> None:
    source = _golden(KINDS[kind])
    present, absent = facts(source, audience)
    for fmt in FORMATS:
        shown = shown_as_text(source, audience, fmt, tmp_path / fmt)
        missing = [f for f in present if f not in shown]
        assert not missing, f"{fmt} lacks {missing}"
        wrong = [f for f in absent if f in shown]
        assert not wrong, f"{fmt} says {wrong}"


def _clauses(d: Decision) -> set[str]:
    cited = [*d.reasons, *d.considered, *d.actions, *d.charging, *d.appeal]
    found = {c.clause for c in cited} | {c for q in d.questions for c in q.clauses}
    found |= {d.provision.clause} if d.provision else set()
    found |= {d.override.clause} if d.override else set()
    return found


@pytest.mark.parametrize("name", [p.name for p in CASES])
def test_the_letter_has_no_clause_ids_digests_or_field_paths(name: str) -> None:
    source = dict(_sources())[name]
    d = source.decision
    for fmt in ("text", "markdown", "html"):
        letter = render(d, fmt, audience="letter", context=source.context)
        assert isinstance(letter, str)
        body = html_text(letter) if fmt == "html" else letter
        assert "sha256:" not in body
        assert not [c for c in _clauses(d) if c in body]
        assert not [q.field for q in d.questions if q.field in body]


@pytest.mark.parametrize(
    "name", [n for n, s in _sources() if s.decision.outcome == "needs_information"]
)
def test_a_letter_without_a_decision_says_what_is_needed_and_nothing_about_appeals(
    name: str,
) -> None:
    source = dict(_sources())[name]
    for audience in ("letter", "support-plan"):
        text = render(source.decision, "text", audience=audience, context=source.context)
        assert isinstance(text, str)
        assert "with this decision" not in text and "appeal" not in text.lower()
    letter = _flat(str(render(source.decision, "text", audience="letter")))
    assert DECIDED_WORDS["needs_information"] in letter and "What we need to know" in letter
    for question in source.decision.questions:
        assert _flat(question.prompt) in letter


def test_an_empty_appeal_route_gives_no_appeal_text() -> None:
    source = _golden(lambda d: d.outcome == "do_not_provide" and bool(d.appeal))
    bare = source.decision.model_copy(update={"appeal": []})
    for audience in ("letter", "support-plan"):
        text = str(render(bare, "text", audience=audience, context=source.context))
        assert "If you disagree" not in text and "How to appeal" not in text
        assert "not satisfied" not in text


def test_both_audiences_name_the_journey_the_date_and_the_review() -> None:
    source = _golden(lambda d: d.review_required)
    journey = source.context.facts.journey
    assert journey.destination_name and journey.purpose and journey.distance_miles is not None
    for audience in ("letter", "support-plan"):
        text = str(render(source.decision, "text", audience=audience, context=source.context))
        head = text.split("\n\n")[1]
        assert f"Destination:     {journey.destination_name}" in head
        assert f"Journey:         {value_words(journey.purpose)}" in head
        assert f"Distance:        {journey.distance_miles:g} miles" in head
        assert f"Assessment date: {date_words(source.context.facts.assessment_date)}" in head
        assert "Review:" in head


def test_an_unknown_journey_is_said_to_be_unrecorded() -> None:
    source = _golden(lambda d: d.outcome == "provide")
    text = str(render(source.decision, "text", context=Context()))
    assert "Destination:     not recorded" in text and "Distance:" not in text
    assert "Assessment date: not recorded" in text


def test_the_letter_explains_an_override_by_the_assessors_reason() -> None:
    source = _golden(KINDS["an override"])
    d = source.decision
    assert d.override is not None
    letter = _flat(str(render(d, "text", audience="letter", context=source.context)))
    assert _flat(d.override.reason) in letter and "Your assessor made this decision." in letter
    assert not [r.summary for r in d.reasons if _flat(r.summary) in letter]


@pytest.mark.parametrize("outcome", ["do_not_provide", "out_of_scope"])
def test_a_letter_withdrawing_transport_says_it_continues_until_the_alternative(
    outcome: str,
) -> None:
    source = _golden(
        lambda d: d.outcome == outcome and any(a.clause == "review.withdrawal" for a in d.actions)
    )
    (withdrawal,) = [a for a in source.decision.actions if a.clause == "review.withdrawal"]
    letter = _flat(str(render(source.decision, "text", audience="letter", context=source.context)))
    assert _flat(withdrawal.summary) in letter.split("What happens next")[1]
    assert "review.withdrawal" not in letter


def test_html_escapes_what_the_record_says() -> None:
    source = _golden(lambda d: d.outcome == "do_not_provide")
    noted = source.decision.model_copy(update={"notes": "<script>alert(1)</script> & more"})
    html = str(render(noted, "html", context=source.context))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_docx_uses_real_headings_lists_and_tables() -> None:
    import docx

    source = _golden(KINDS["temporary provision with a review"])
    data = render(source.decision, "docx", context=source.context)
    assert isinstance(data, bytes)
    document = docx.Document(io.BytesIO(data))
    styles = [p.style.name for p in document.paragraphs if p.style is not None]
    assert styles[0] == "Heading 1" and styles.count("Heading 1") == 1
    assert "Heading 2" in styles and "Heading 3" in styles and "List Bullet" in styles
    assert len(document.tables) == 2
    summary = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert summary["Case"] == source.decision.case_id
    assert document.core_properties.language == "en-GB"
    assert not [p.text for p in document.paragraphs if re.match(r"^\s*(#|\*\*|- )", p.text)]
