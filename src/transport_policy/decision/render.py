"""Render a decision for people: plain text for an assessor's terminal, Markdown for a support plan.

Both formats hold the same content in the same order: the recommendation (or the assessor's
decision when an override was applied), warnings, why, what was ruled out, what to ask next, what
to record in the support plan, charges, how transport is provided, how to appeal, the assessor's
notes and a footer saying which case, policy version, engine and input the decision belongs to.
A section with nothing in it is left out. Every sentence about the case comes from the decision
itself; this module only adds headings and the few words in the tables below.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from ..model.decision import Decision, FactValue, Outcome
from ..model.fields import field_words

WIDTH = 88
"""Text output is wrapped to this many columns."""

FORMATS = ("text", "markdown")

OUTCOME_WORDS: dict[Outcome, str] = {
    "provide": "provide Council transport",
    "do_not_provide": "do not provide Council transport",
    "out_of_scope": "this policy does not apply (out of scope)",
    "needs_information": "none yet (more information is needed)",
}

STATUS_WORDS: dict[tuple[str, str], str] = {
    ("exclusion", "fails"): "Alternatives ruled out",
    ("exclusion", "defeated"): "Alternatives out of use for now",
    ("exclusion", "unknown"): "Alternatives not established",
    ("provide", "fails"): "Grounds for provision that do not apply",
    ("provide", "unknown"): "Grounds for provision not recorded",
}

VALUE_WORDS: dict[object, str] = {
    True: "yes",
    False: "no",
    None: "not known",
    "person": "the person",
    "carer": "a carer",
}


def value_words(value: FactValue) -> str:
    """A fact value in words: ``with_support`` is "with support", true "yes", null "not known"."""
    if isinstance(value, bool) or value is None:
        return VALUE_WORDS[value]
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return VALUE_WORDS.get(value, value.replace("_", " "))
    return str(value)


def facts_words(facts: dict[str, FactValue]) -> str:
    """The facts a clause read, in words; each fact is kept on one line when wrapped."""
    return "; ".join(
        f"{field_words(k)}: {value_words(v)}".replace(" ", _KEEP) for k, v in facts.items()
    )


_KEEP = "\xa0"
"""Joins the words of one fact so that wrapping does not split it; shown as a plain space."""


def _clean(text: str) -> str:
    """Input text without control characters (which could drive a terminal); tabs become spaces."""
    return "".join(
        c if c.isprintable() or c == "\n" else " " if c in "\t\r\xa0" else "?" for c in text
    )


@dataclass(frozen=True)
class Item:
    """One entry of a section: its text, the clause cited, and detail lines beneath it."""

    text: str
    clause: str | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...] = ()
    groups: tuple[tuple[str, tuple[Item, ...]], ...] = ()
    numbered: bool = False
    paragraph: str = ""


def _headline(d: Decision) -> tuple[str, list[str]]:
    """The first line, and the lines that complete the recommendation."""
    lines: list[str] = []
    if d.override is not None:
        first = f"Assessor's decision: {OUTCOME_WORDS[d.outcome]} (overriding the recommendation)"
        lines.append(f"Policy recommendation: {OUTCOME_WORDS[d.recommended_outcome]}")
        lines.append(f"Reason for the override [{d.override.clause}]: {_clean(d.override.reason)}")
    else:
        first = f"Recommendation: {OUTCOME_WORDS[d.outcome]}"
    flags = []
    if d.temporary:
        flags.append(
            "This is temporary provision."
            if d.outcome == "provide"
            else "The policy recommended temporary provision."
        )
    if d.review_required:
        flags.append("Review the care and support plan.")
    if flags:
        lines.append(" ".join(flags))
    if d.questions:
        count = len(d.questions)
        asked = f"the {count} questions" if count > 1 else "the question"
        lines.append(f'Answer {asked} under "What to ask next", then decide again.')
    who = _assessor(d)
    lines.append(f"Case {_clean(d.case_id)}" + (f", assessed by {who}" if who else ""))
    return first, lines


def _assessor(d: Decision) -> str:
    if d.assessor is None or not (d.assessor.name or d.assessor.id):
        return ""
    name, ident = _clean(d.assessor.name or ""), _clean(d.assessor.id or "")
    return f"{name} ({ident})" if name and ident else name or ident


def _sections(d: Decision) -> list[Section]:
    def entries(rows: Iterable[tuple[str, str]]) -> tuple[Item, ...]:
        return tuple(Item(summary, clause) for clause, summary in rows)

    groups = tuple(
        (
            words,
            tuple(
                Item(c.summary, c.clause, (f"Facts: {facts_words(c.facts)}",) if c.facts else ())
                for c in d.considered
                if (c.kind, c.status) == key
            ),
        )
        for key, words in STATUS_WORDS.items()
    )
    provision: tuple[Item, ...] = ()
    if d.provision is not None:
        taxi = "Taxi allowed: " + value_words(d.provision.taxi_permitted)
        provision = (Item(d.provision.summary, d.provision.clause, (taxi,)),)
    return [
        Section(
            "Why the policy recommends this" if d.override is not None else "Why",
            tuple(
                Item(r.summary, r.clause, (f"Facts: {facts_words(r.facts)}",) if r.facts else ())
                for r in d.reasons
            ),
        ),
        Section("What was ruled out", groups=tuple(g for g in groups if g[1])),
        Section(
            "What to ask next",
            tuple(
                Item(q.prompt, None, (f"Record as {q.field}; settles {', '.join(q.clauses)}",))
                for q in d.questions
            ),
            numbered=True,
        ),
        Section(
            "What to record in the support plan", entries((a.clause, a.summary) for a in d.actions)
        ),
        Section("Charges", entries((c.clause, c.summary) for c in d.charging)),
        Section("How transport is provided", provision),
        Section("How to appeal", entries((a.clause, a.summary) for a in d.appeal)),
        Section("Assessor's notes", paragraph=_clean(d.notes).strip()),
    ]


def _footer(d: Decision, source: str | None, *, short: bool) -> list[tuple[str, str]]:
    digest = d.policy.digest
    if short and len(digest) > 19:
        digest = digest[:19] + "..."
    return [
        ("Case", _clean(d.case_id)),
        *([("File", _clean(source))] if source else []),
        (
            "Policy",
            f"{d.policy.id} version {d.policy.version}, effective from {d.policy.effective_from}",
        ),
        ("Version used", d.policy.selected),
        ("Policy digest", digest),
        ("Engine", f"{d.engine.name} {d.engine.version}"),
        ("Input digest", d.input_digest),
    ]


def _wrap(text: str, first: str = "", rest: str | None = None) -> list[str]:
    lines = textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_KEEP, " ") for line in lines] or [first.rstrip()]


def _text_item(item: Item, bullet: str, indent: str = "") -> list[str]:
    text = item.text + (f" [{item.clause}]" if item.clause else "")
    pad = indent + " " * len(bullet)
    out = _wrap(text, indent + bullet, pad)
    for detail in item.details:
        out += _wrap(detail, pad + "  ", pad + "    ")
    return out


def render_text(decision: Decision, *, source: str | None = None) -> str:
    """The decision as plain text for a terminal, wrapped at :data:`WIDTH` columns."""
    first, lead = _headline(decision)
    out = _wrap(first, "", "  ")
    for line in lead:
        out += _wrap(line, "", "  ")
    for warning in decision.warnings:
        out += ["", *_wrap(f"WARNING: {warning}", "", "         ")]
    for section in _sections(decision):
        if not (section.items or section.groups or section.paragraph):
            continue
        out += ["", section.title, "-" * len(section.title)]
        for n, item in enumerate(section.items, 1):
            out += _text_item(item, f"{n}. " if section.numbered else "- ")
        for title, items in section.groups:
            out.append(f"{title}:")
            for item in items:
                out += _text_item(item, "- ", "  ")
        for para in section.paragraph.splitlines():
            out += _wrap(para, "  ") if para.strip() else [""]
    out += ["", "About this decision", "-" * 19]
    width = max(len(label) for label, _ in _footer(decision, source, short=True)) + 2
    for label, value in _footer(decision, source, short=True):
        out += _wrap(value, f"{label}:".ljust(width), " " * width)
    return "\n".join(out)


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>"})


def _md(text: str) -> str:
    """Escape text so Markdown shows it as written."""
    escaped = _clean(text.replace(_KEEP, " ")).translate(_MD_SPECIAL)
    return "\\" + escaped if escaped[:1] in ("#", "-", "+", "=", "|") else escaped


def _md_item(item: Item, bullet: str) -> list[str]:
    text = _md(item.text) + (f" [`{item.clause}`]" if item.clause else "")
    pad = " " * len(bullet)
    lines = [bullet + text]
    lines += [f"{pad}{_md(detail)}" for detail in item.details]
    return ["  \n".join(lines)]


def render_markdown(decision: Decision, *, source: str | None = None) -> str:
    """The decision as Markdown, for pasting into a care and support plan."""
    first, lead = _headline(decision)
    out = [f"## {_md(first)}", "", "  \n".join(_md(line) for line in lead)]
    for warning in decision.warnings:
        out += ["", f"> **Warning:** {_md(warning)}"]
    for section in _sections(decision):
        if not (section.items or section.groups or section.paragraph):
            continue
        out += ["", f"### {section.title}", ""]
        for n, item in enumerate(section.items, 1):
            out += _md_item(item, f"{n}. " if section.numbered else "- ")
        for i, (title, items) in enumerate(section.groups):
            out += [*([""] if i else []), f"**{title}**", ""]
            for item in items:
                out += _md_item(item, "- ")
        if section.paragraph:
            out += [
                f"> {_md(line)}" if line.strip() else ">" for line in section.paragraph.splitlines()
            ]
    out += ["", "### About this decision", ""]
    for label, value in _footer(decision, source, short=False):
        shown = f"`{value}`" if label.endswith("digest") else _md(value)
        out.append(f"- **{label}:** {shown}")
    return "\n".join(out)


def render(decision: Decision, fmt: str, *, source: str | None = None) -> str:
    """Render ``decision`` as ``"text"`` or ``"markdown"``; ``source`` names the case file."""
    if fmt == "text":
        return render_text(decision, source=source)
    if fmt == "markdown":
        return render_markdown(decision, source=source)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_markdown", "render_text"]
