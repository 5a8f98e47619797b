"""Rendering the pages: one Jinja2 environment (autoescaping on, undefined names an error), the
page headers, and the parts every page gets (form token, where it is mounted, whether the
service keeps a decision log)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..documents.model import OUTCOME_WORDS, facts_words, value_words
from ..documents.plan import STATUS_WORDS
from .forms import DONT_KNOW, capital, html_id, label_of
from .security import CSRF_FIELD, Guard

ENV = Environment(
    loader=PackageLoader("transport_policy.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(
    CSRF_FIELD=CSRF_FIELD,
    DONT_KNOW=DONT_KNOW,
    OUTCOME_WORDS=OUTCOME_WORDS,
    STATUS_WORDS=STATUS_WORDS,
    facts_words=facts_words,
    html_id=html_id,
    label_of=label_of,
)
ENV.filters.update(capital=capital, words=lambda v: capital(value_words(v)))


class Pages:
    """Renders pages for one service: its guard, and whether it keeps a decision log."""

    def __init__(self, guard: Guard, *, logging: bool) -> None:
        self.guard, self.logging = guard, logging

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> Response:
        root = request.scope.get("root_path", "")
        html = ENV.get_template(template).render(
            root=root,
            csrf_token=self.guard.form_token(request),
            signed_in=self.guard.signed_in(request),
            logging=self.logging,
            **context,
        )
        return self.guard.finish(request, HTMLResponse(html, status_code=status))

    def redirect(self, request: Request, to: str) -> Response:
        root = request.scope.get("root_path", "")
        return self.guard.finish(request, RedirectResponse(root + to, status_code=303))

    def problem(self, request: Request, status: int, title: str, detail: str) -> Response:
        """An error page: a title and what to do next; never an input value or a trace."""
        return self.render(request, "problem.html", status, title=title, detail=detail)
