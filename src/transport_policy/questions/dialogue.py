"""The line-based conversation of ``transport-policy interview``.

Plain lines in, plain lines out (no menus drawn with the cursor: screen readers read lines): each
question is its prompt, its field path, its choices numbered (0: "don't know yet") and a line to
type the answer on; ``?`` says why it is asked (the rules its answer feeds and the clauses behind
them, with their text). After each answer the current
recommendation is shown; when nothing more could change the outcome, every answer is listed for
checking, any of them can be changed, and Enter confirms.

Reading and writing are given as functions, so the conversation is the same on a terminal, with
answers piped in, and in tests.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..documents.model import OUTCOME_WORDS
from ..errors import RecordError
from ..model.decision import Decision, NextQuestion
from ..model.fields import FIELDS, field_words
from ..model.record_yaml import values_words
from .answers import DONT_KNOW, LIST_HINT, UNKNOWN, AnswerError, choices, parse, value_words
from .interview import BASICS, Interview, field_error

WIDTH = 88
BASIC_PROMPTS = {
    "case_id": "Case reference (the case_id that identifies this record)?",
    "assessment_date": "Date of the assessment, written YYYY-MM-DD? (It selects the policy "
    "version in force.)",
}


class Stopped(Exception):
    """The assessor stopped before the end: the input ended (Ctrl-D)."""


@dataclass(frozen=True)
class Asking:
    """A question as it is put: the field, its prompt, the rules that make it matter."""

    path: str
    prompt: str
    rules: tuple[str, ...] = ()

    @classmethod
    def of(cls, question: NextQuestion) -> Asking:
        return cls(question.field, question.prompt, tuple(question.rules))


def wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_long_words=False
    ) or [indent.rstrip()]


class Dialogue:
    """One interview, conducted over ``read`` (a prompt → the line typed; ``EOFError`` at the
    end of input) and ``write`` (a line out). ``saved`` is called after every answer kept."""

    def __init__(
        self,
        interview: Interview,
        read: Callable[[str], str],
        write: Callable[[str], None],
        saved: Callable[[Interview], None] = lambda _: None,
    ) -> None:
        self.interview = interview
        self.read = read
        self.write = write
        self.saved = saved
        self.count = 0

    def run(self) -> Decision:
        """Ask until nothing more could change the outcome and the answers are confirmed."""
        for path in self.interview.missing_basics():
            self._ask(Asking(path, BASIC_PROMPTS[path]), "To start", required=True)
        while True:
            self._questions()
            if self._check():
                return self.interview.decision()

    # -- reading ---------------------------------------------------------------------------------

    def _line(self, prompt: str) -> str:
        try:
            return self.read(prompt)
        except EOFError:
            raise Stopped("the input ended") from None

    def _show(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.write(line)

    # -- questions -------------------------------------------------------------------------------

    def _questions(self) -> None:
        """Ask the next question that could change the outcome until there is none."""
        while questions := self.interview.next():
            self.count += 1
            self._ask(Asking.of(questions[0]), f"Question {self.count}")
            self._status()

    def _ask(self, asking: Asking, title: str, required: bool = False) -> None:
        spec = FIELDS[asking.path]
        numbered = choices(spec)
        lines = ["", f"{title} ({asking.path})", *wrap(asking.prompt)]
        lines += [f"  {n}  {value_words(v)}" for n, v in numbered]
        if numbered and not required:
            lines.append(f"  0  {DONT_KNOW}")
        elif not numbered:
            lines += wrap(_free_hint(asking.path, required))
        several = spec.kind == "enum_list"
        if several:
            lines += wrap(f"{LIST_HINT[0].upper()}{LIST_HINT[1:]}.")
        self._show(lines)
        kind = "numbers, or none" if several else "a number" if numbered else "type it"
        prompt = f"Answer ({kind}; ? why this is asked): "
        while True:
            line = self._line(prompt)
            if line.strip() == "?":
                self._show(self._why(asking))
                continue
            try:
                value = parse(spec, line, required=required)
                cleared = self.interview.set(asking.path, None if value is UNKNOWN else value)
            except AnswerError as exc:
                self.write(f"Not an answer: {exc}.")
                continue
            except RecordError as exc:
                self.write(f"Not an answer: {field_error(exc, asking.path)}.")
                continue
            for other, why in cleared:
                self._show(
                    wrap(
                        f"(The earlier answer to {other} is cleared: {why}. "
                        "It is asked again if it could change the outcome.)"
                    )
                )
            self.saved(self.interview)
            return

    def _why(self, asking: Asking) -> list[str]:
        if asking.path in BASICS:
            return wrap(
                "The record needs it: "
                + FIELDS[asking.path].description[0].lower()
                + FIELDS[asking.path].description[1:],
                "  ",
            )
        policy = self.interview.policy()
        rules = [r for r in policy.rules if r.id in asking.rules] or [
            r for r in policy.rules if asking.path in r.fields
        ]
        if not rules:
            return wrap("No rule reads it: it is recorded in the decision, never used to decide.")
        lines = wrap("Why this is asked: the answer could change the outcome through these rules.")
        for rule in rules:
            lines += wrap(f"Rule {rule.id} ({rule.kind}): {rule.description}", "  ")
        for clause in dict.fromkeys(r.clause for r in rules):
            spec = policy.clauses[clause]
            lines += wrap(f"Clause {clause} ({spec.section}): {spec.text}", "  ")
        return lines

    def _status(self) -> None:
        decision = self.interview.decision()
        words = OUTCOME_WORDS[decision.outcome]
        left = len(self.interview.next())
        more = (
            f" {left} more question{'s' if left != 1 else ''} could change it."
            if left
            else " Nothing more could change it."
        )
        self._show(["", *wrap(f"Recommendation now: {words}.{more}")])

    # -- checking the answers --------------------------------------------------------------------

    def _check(self) -> bool:
        """List the answers; True when confirmed, False after one was changed."""
        paths = self.interview.answers()
        lines = ["", "Check your answers"]
        for n, path in enumerate(paths, start=1):
            value = self.interview.value(path)
            words = value_words(value) if value is not None else DONT_KNOW
            lines += wrap(f"{n:>3}  {field_words(path)}: {words}", "")
        self._show(lines)
        prompt = "Type a number to change that answer, or press Enter to confirm them: "
        while True:
            line = self._line(prompt).strip()
            if not line:
                return True
            if line.isdigit() and 1 <= int(line) <= len(paths):
                path = paths[int(line) - 1]
                break
            self.write(f"Not an answer: type a number from 1 to {len(paths)}, or press Enter.")
        policy = self.interview.policy()
        prompt_text = BASIC_PROMPTS.get(path) or policy.prompts.get(path, FIELDS[path].description)
        self._ask(Asking(path, prompt_text), "Change an answer", required=path in BASICS)
        self._status()
        return False


def _free_hint(path: str, required: bool) -> str:
    words = values_words(FIELDS[path])
    hint = f"{words[0].upper()}{words[1:]}."
    return hint if required else f"{hint} Type - if you {DONT_KNOW}."
