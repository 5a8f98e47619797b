"""JSON Schemas (draft 2020-12) of the assessment record and the decision, for integrators.

Generated from the pydantic models, so they cannot disagree with what the engine validates and
returns. Each schema's ``$id`` carries the package version
(``https://transport-policy.invalid/schema/record/0.1.0.json``): the version of the contract is the
version of the package that produced it, and a release that changes a model publishes the schema
under a new ``$id``. ``docs/integrating.md`` explains how other systems use them.
"""

from __future__ import annotations

import json
from typing import Any, Final

from .. import __version__
from .contradictions import schema_rules
from .decision import Decision
from .record import AssessmentRecord

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
BASE_URI: Final = "https://transport-policy.invalid/schema"
SCHEMAS: Final = ("record", "decision")
DESCRIPTIONS: Final = {
    "record": (
        "One adult's transport need at one assessment: the input of transport-policy. Every fact "
        "except case_id and assessment_date may be absent or null, meaning not yet established."
    ),
    "decision": (
        "What the Adults' Transport Policy recommends for one assessment record, and how that "
        "conclusion was reached: the output of transport-policy."
    ),
}


def schema_id(name: str, version: str = __version__) -> str:
    """The versioned ``$id`` of a schema."""
    return f"{BASE_URI}/{name}/{version}.json"


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of ``record`` (input, validation mode) or ``decision`` (output)."""
    if name == "record":
        body = AssessmentRecord.model_json_schema(mode="validation")
        body["allOf"] = schema_rules()  # contradictory facts (model/contradictions.py)
    elif name == "decision":
        body = Decision.model_json_schema(mode="serialization")
    else:
        raise ValueError(f"no schema {name!r}; schemas: {', '.join(SCHEMAS)}")
    head = {
        "$schema": DIALECT,
        "$id": schema_id(name),
        "title": body.pop("title"),
        "description": DESCRIPTIONS[name],
    }
    body.pop("description", None)
    return {**head, **body}


def schema_json(name: str) -> str:
    """The schema as the text committed under ``docs/schema/`` (stable key order, LF ending)."""
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"
