"""Errors as ``application/problem+json`` (RFC 9457): a title, a status, a detail and the field
paths; never an input value or a stack trace."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from ..errors import PolicyVersionError, RecordError, TransportPolicyError

PROBLEM_TYPE = "application/problem+json"


TITLES = {413: "Content Too Large"}
"""Titles by RFC 9110's names where Python's :class:`http.HTTPStatus` has an older one (which
depends on its version: "Request Entity Too Large" before 3.13)."""


def title(status: int) -> str:
    """The problem title of a status."""
    return TITLES.get(status) or HTTPStatus(status).phrase


class Denied(Exception):
    """A request refused with a problem: ``status`` and a ``detail`` that holds no input."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None) -> None:
        self.status, self.detail, self.headers = status, detail, headers


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body), status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def problem_for(exc: Exception) -> Response | None:
    """The problem for a refused request or a record that could not be decided; ``None`` for
    any other exception (a failure of the service: 500, see the app's handlers)."""
    if isinstance(exc, Denied):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else exc.headers
        return problem(exc.status, title(exc.status), exc.detail, headers=headers)
    if isinstance(exc, RecordError):
        return problem(
            422,
            "Invalid record",
            "the record is not valid; nothing was decided",
            errors=[e.as_dict() for e in exc.errors],
        )
    if isinstance(exc, PolicyVersionError):
        errors = [{"field": "policy", "message": str(exc)}]
        return problem(404, "No such policy version", str(exc), errors=errors)
    if isinstance(exc, TransportPolicyError):
        return problem(500, "Decision failed", "the service could not decide this record")
    return None


def validation_paths(errors: list[Any]) -> list[dict[str, str]]:
    """FastAPI's request validation errors as field paths and messages (inputs dropped)."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part != "body"]
        out.append({"field": ".".join(loc) or "(body)", "message": str(err.get("msg", ""))})
    return out
