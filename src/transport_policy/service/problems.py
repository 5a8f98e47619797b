"""Errors as ``application/problem+json`` (RFC 9457): a title, a status, a detail and the field
paths; never an input value or a stack trace."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

PROBLEM_TYPE = "application/problem+json"


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


def validation_paths(errors: list[Any]) -> list[dict[str, str]]:
    """FastAPI's request validation errors as field paths and messages (inputs dropped)."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part != "body"]
        out.append({"field": ".".join(loc) or "(body)", "message": str(err.get("msg", ""))})
    return out
