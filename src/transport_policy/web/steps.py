"""The interview's steps: decide the case so far, then show the next question, the check-answers
page or the decision; and save the case as a file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..casefile import parse_record
from ..errors import FieldError
from ..model.decision import Decision
from ..model.fields import FIELDS
from ..model.record import AssessmentRecord
from ..rules.model import Policy
from ..service.deciding import decide_one
from .documents import DOCUMENT_FILES, document_bytes, letter
from .forms import Widget, capital, group_of, label_of, record_messages, widget
from .interview import Interview, download_name, record_json, record_yaml
from .pages import Pages
from .questions import Ask, clauses_reading, questions_for
from .views import answer_sections, journey, panel

if TYPE_CHECKING:
    from ..service.context import Service


@dataclass(frozen=True)
class Decided:
    """A case decided as it stands, with the questions the engine would ask next."""

    interview: Interview
    record: AssessmentRecord
    decision: Decision
    policy: Policy
    asks: list[Ask]

    @property
    def pending(self) -> list[Ask]:
        return [a for a in self.asks if a.field not in self.interview.asked]


class Steps:
    def __init__(self, service: Service, pages: Pages) -> None:
        self.service, self.pages = service, pages

    def decide(self, interview: Interview, *, log: bool = False) -> Decided:
        """Decide the case as it stands (appended to the decision log only when ``log``); a
        record the policy cannot decide raises :class:`RecordError`."""
        store = self.service.store()
        sink = self.service.log if log else None
        decision = decide_one(store, interview.record, None, sink, source="the case")
        policy = store.get(decision.policy.version)
        record = parse_record(interview.record, source="the case")
        asks = questions_for(record, policy, interview.asked)
        return Decided(interview, record, decision, policy, asks)

    def next_step(self, request: Request, interview: Interview) -> Response:
        """The next question still to ask in this sitting, else the check-answers page."""
        decided = self.decide(interview)
        pending = decided.pending
        if pending:
            return self.question(request, decided, (pending[0].field,))
        return self.check(request, decided)

    def question(
        self,
        request: Request,
        decided: Decided,
        paths: tuple[str, ...],
        *,
        sent: Any = None,
        errors: list[FieldError] | None = None,
    ) -> Response:
        messages = record_messages(errors or [])
        widgets = [self._widget(decided, p, sent, messages.get(p)) for p in paths]
        summary = [(w.anchor, w.error) for w in widgets if w.error]
        summary += [("main-content", m) for p, m in messages.items() if p not in paths]
        ask = next((a for a in decided.asks if a.field == paths[0]), None)
        section = FIELDS[paths[0]].section if "." in paths[0] else "case"
        heading = "Assessor's override" if paths[0].startswith("override.") else None
        return self.pages.render(
            request,
            "question.html",
            400 if errors else 200,
            widgets=widgets,
            heading=heading,
            caption=capital(section.replace("_", " ")),
            interviewing=ask is not None,
            rules=ask.rules if ask else (),
            state=decided.interview.to_form(),
            fields=",".join(paths),
            panel=panel(decided.decision, decided.asks, decided.interview.asked),
            errors=summary,
        )

    def _widget(self, decided: Decided, path: str, sent: Any, error: str | None) -> Widget:
        ask = next((a for a in decided.asks if a.field == path), None)
        if ask is not None:
            title, clauses = ask.prompt, ask.clauses
        else:
            title = decided.policy.prompts.get(path) or label_of(path)
            clauses = clauses_reading(decided.policy, path)
        interview = decided.interview
        return widget(
            path,
            title,
            interview.value(path),
            asked=path in interview.asked,
            sent=sent,
            error=error,
            clauses=clauses,
        )

    def change(self, request: Request, interview: Interview, path: str) -> Response:
        if path not in FIELDS:
            return self.pages.problem(
                request, 400, "That answer cannot be changed here", "Go back and try again."
            )
        return self.question(request, self.decide(interview), group_of(path))

    def check(self, request: Request, decided: Decided) -> Response:
        interview = decided.interview
        sections, others = answer_sections(interview)
        return self.pages.render(
            request,
            "check.html",
            sections=sections,
            others=others,
            state=interview.to_form(),
            panel=panel(decided.decision, decided.asks, interview.asked),
        )

    def decision(self, request: Request, interview: Interview) -> Response:
        decided = self.decide(interview, log=self.service.log is not None)
        return self.pages.render(
            request,
            "decision.html",
            d=decided.decision,
            policy=decided.policy,
            record=interview.record,
            journey=journey(interview),
            letter=letter(decided.decision, decided.record),
            state=interview.to_form(),
        )

    def download(self, request: Request, interview: Interview, kind: str) -> Response:
        """The case as YAML or JSON, its decision as JSON, or one of its documents (the letter
        or the support-plan section as HTML, PDF or Word), as a file to save."""
        if kind == "yaml":
            body, media, suffix = (
                record_yaml(interview, dt.date.today()).encode("utf-8"),
                "application/yaml",
                ".yaml",
            )
        elif kind == "json":
            body, media, suffix = (
                record_json(interview).encode("utf-8"),
                "application/json",
                ".json",
            )
        elif kind == "decision":
            body = (self.decide(interview).decision.to_json() + "\n").encode("utf-8")
            media, suffix = "application/json", "-decision.json"
        else:
            file, decided = DOCUMENT_FILES[kind], self.decide(interview)
            body = document_bytes(decided.decision, decided.record, file)
            media, suffix = file.media, file.suffix
        name = download_name(interview, suffix)
        response = Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
        return self.pages.guard.finish(request, response)
