"""The OpenAPI 3.1 document: request bodies, responses and problems from the pydantic models.

The endpoints read their bodies themselves (so that a record is validated exactly as the CLI
validates it), so the record schema is added here rather than inferred by FastAPI; so is the
whole of ``POST /v1/decisions``, a plain Starlette endpoint that FastAPI does not document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..model.decision import Decision
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


POLICY_PARAMETER: dict[str, Any] = {
    "name": "policy",
    "in": "query",
    "required": False,
    "description": "a policy version (2021-01) or digest (sha256:...); by default the version "
    "in force on the assessment date",
    "schema": {"type": "string"},
}


def decisions_path() -> dict[str, Any]:
    """The path item of ``POST /v1/decisions``."""
    decision = {"$ref": REF.format(model="Decision")}
    errors = problems(400, 401, 403, 404, 408, 413, 422, 503)
    return {
        "post": {
            "summary": "Decide one record",
            "operationId": "decisions_v1_decisions_post",
            "parameters": [POLICY_PARAMETER],
            **request_body(RECORD_REF, "application/json"),
            "responses": {
                "200": {
                    "description": "the decision, exactly as `decide --format json` prints it",
                    "content": {"application/json": {"schema": decision}},
                },
                **{str(code): response for code, response in errors.items()},
            },
        }
    }


def _models(schemas: dict[str, Any]) -> None:
    """Add the record (as a request), decision (as a response) and problem schemas; a model of
    the same name in both (``Assessor``) becomes ``Assessor-Input`` and ``Assessor-Output``."""
    models = [
        (AssessmentRecord, "validation"),
        (Decision, "serialization"),
        (Problem, "serialization"),
    ]
    _, found = models_json_schema(models, ref_template=REF)  # type: ignore[arg-type]
    for name, definition in found["$defs"].items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are named {name}")


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the record, decision and problem schemas, and the
    decisions endpoint."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
            spec["paths"] = {"/v1/decisions": decisions_path(), **spec.get("paths", {})}
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            _models(schemas)
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
