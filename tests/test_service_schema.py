"""Schemathesis over the service's OpenAPI document: every endpoint, no server error, and every
response matches its declared status, media type and schema.

One check is left out: "a schema-valid request is accepted". The record schema cannot say that
an assessment date must fall on or after the first policy version, and such a record is rightly
refused (422 naming ``assessment_date``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from transport_policy import load_case
from transport_policy.service.app import Settings, create_app
from transport_policy.service.auth import parse_tokens

TOKEN = "schemathesis-token"
TOKENS = parse_tokens(f"{hashlib.sha256(TOKEN.encode()).hexdigest()} decide,audit", source="tests")
APP = create_app(Settings(tokens=TOKENS))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_endpoint_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        excluded_checks=[positive_data_acceptance],
    )


ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))


def test_the_decisions_of_real_records_conform() -> None:
    """Generated records are mostly refused (dated before every version, say), so the decisions
    of the golden cases are checked against the document too: status, media type and schema."""
    operations = {path: schema[path]["POST"] for path in ("/v1/decisions", "/v1/questions")}
    for case_file in CASES:
        record = load_case(case_file)[0].model_dump(mode="json", exclude_none=True)
        for path, operation in operations.items():
            case = operation.Case(body=record, media_type="application/json")
            response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 200, (path, case_file.name)
