"""The OpenAPI 3.1 document: request bodies, responses and problems from the pydantic models.

The endpoints read their bodies themselves (so that a record is validated exactly as the CLI
validates it), so the record schema is added here rather than inferred by FastAPI.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from ..model.record import AssessmentRecord

REF = "#/components/schemas/{model}"
RECORD_REF = {"$ref": "#/components/schemas/AssessmentRecord"}


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error (RFC 9457): never an input value."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses an endpoint can give, as ``application/problem+json``."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        code: {"description": "a problem", "content": {"application/problem+json": {"schema": ref}}}
        for code in codes
    }


def request_body(schema: dict[str, Any], *media: str) -> dict[str, Any]:
    """``openapi_extra`` for a request body of the given schema and media types."""
    return {"requestBody": {"required": True, "content": {m: {"schema": schema} for m in media}}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the record and problem schemas."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in (AssessmentRecord, Problem):
                found = model.model_json_schema(ref_template=REF)
                schemas.update(found.pop("$defs", {}))
                schemas[model.__name__] = found
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": {}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
"""A batch: a JSON array of records, or NDJSON (one record a line); a bad record gives its error
object in place, so the items are not constrained here."""
