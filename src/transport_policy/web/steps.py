"""The interview's steps: decide the case so far, then show the next question, the check-answers
page or the decision; and save the case as a file.

Without a decision log the decision page is the answer to the decision POST, and nothing is kept.
With one, the POST appends the decision once and redirects (303) to a GET of the entry it made
(Post/Redirect/Get): that page, and the documents downloaded from it, are made from the entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..casefile import parse_record
from ..documents import Context, case_context
from ..errors import FieldError, PolicyVersionError
from ..model.decision import Decision
from ..model.fields import FIELDS
from ..model.record import AssessmentRecord
from ..rules.model import Policy
from ..service.deciding import decide_one
from .documents import DOCUMENT_FILES, document_bytes, letter
from .entries import Logged
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

    def decide(self, interview: Interview) -> Decided:
        """Decide the case as it stands (nothing is logged); a record the policy cannot decide
        raises :class:`RecordError`."""
        store = self.service.store()
        decision = decide_one(store, interview.record, None, None, source="the case")
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
        """Without a log, the decision page. With one, append the decision (once) and redirect
        to the page of its entry; ``asked`` goes along only so that "Change your answers" still
        knows which questions were answered "don't know yet"."""
        decided = self.decide(interview)
        log = self.service.log
        if log is None:
            context = case_context(decided.decision, decided.record)
            return self._decision_page(request, decided.decision, context, interview, None)
        appended = log.append(decided.decision, decided.record)
        ref = self.pages.guard.entry_ref(request, appended.seq, appended.offset, appended.hash)
        query = {"entry": ref, **({"asked": ",".join(interview.asked)} if interview.asked else {})}
        return self.pages.redirect(request, "/decision?" + urlencode(query))

    def logged(self, request: Request, logged: Logged, asked: tuple[str, ...]) -> Response:
        """The decision page of a logged decision, from its entry (nothing is appended)."""
        source = logged.source
        interview = Interview.of(parse_record(logged.record, source="the log entry"), asked)
        return self._decision_page(request, source.decision, source.context, interview, logged)

    def _decision_page(
        self,
        request: Request,
        decision: Decision,
        context: Context,
        interview: Interview,
        logged: Logged | None,
    ) -> Response:
        return self.pages.render(
            request,
            "decision.html",
            d=decision,
            policy_title=self._policy_title(decision),
            assessment_date=context.facts.assessment_date,
            journey=journey(context.facts.journey),
            letter=letter(decision, context),
            state=interview.to_form(),
            entry=logged.ref if logged else None,
            position=context.position,
        )

    def _policy_title(self, decision: Decision) -> str:
        """The policy's title, if the rules loaded now hold the version decided with."""
        try:
            policy = self.service.store().get(decision.policy.version)
        except PolicyVersionError:
            return decision.policy.id
        return policy.title if policy.digest == decision.policy.digest else decision.policy.id

    def download(
        self, request: Request, interview: Interview, kind: str, logged: Logged | None = None
    ) -> Response:
        """The case as YAML or JSON, its decision as JSON, or one of its documents (the letter
        or the support-plan section as HTML, PDF or Word), as a file to save. For a ``logged``
        decision the decision is its log entry as written, and the documents are made from the
        entry (naming it), as ``render --seq`` makes them, and the record is the entry's."""
        if logged is not None:
            interview = Interview.of(parse_record(logged.record, source="the log entry"), ())
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
        elif logged is not None and kind == "decision":
            body, media = logged.line + b"\n", "application/json"
            suffix = f"-decision-log-entry-{logged.seq}.json"
        elif kind == "decision":
            body = (self.decide(interview).decision.to_json() + "\n").encode("utf-8")
            media, suffix = "application/json", "-decision.json"
        else:
            file = DOCUMENT_FILES[kind]
            if logged is not None:
                decision, context = logged.source.decision, logged.source.context
            else:
                decided = self.decide(interview)
                decision, context = decided.decision, case_context(decided.decision, decided.record)
            body = document_bytes(decision, context, file)
            media, suffix = file.media, file.suffix
        name = download_name(interview, suffix)
        response = Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
        return self.pages.guard.finish(request, response)
