"""Deciding records for the service: policy selection (pinned by version or digest, else in
force on the assessment date, as the CLI does), optional logging, the next questions, batch
parsing."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from ..audit.log import DecisionLog
from ..casefile import parse_record, reject_constant
from ..engine import engine_for
from ..errors import FieldError, PolicyVersionError, RecordError
from ..model.decision import Decision, NextQuestion
from ..model.record import AssessmentRecord
from ..questions import next_questions
from ..rules.model import Policy
from ..rules.versions import PolicyStore


def choose(store: PolicyStore, record: AssessmentRecord, pin: str | None) -> tuple[Policy, str]:
    """The policy to decide with and why (the same words as ``decide``)."""
    if pin is None:
        try:
            policy = store.in_force(record.assessment_date)
        except PolicyVersionError as exc:
            raise RecordError(
                [FieldError("assessment_date", str(exc))], case_id=record.case_id
            ) from None
        return policy, f"in force on the assessment date {record.assessment_date.isoformat()}"
    if pin.startswith("sha256:"):
        for policy in store.policies.values():
            if policy.digest == pin:
                return policy, "requested"
        raise PolicyVersionError("no policy version has this digest")
    return store.get(pin), "requested"


def decide_one(
    store: PolicyStore,
    data: object,
    pin: str | None,
    log: DecisionLog | None,
    *,
    source: str = "<request>",
) -> Decision:
    record = parse_record(data, source=source)
    policy, why = choose(store, record, pin)
    decision = engine_for(policy).decide(record, selected=why)
    if log is not None:
        log.append(decision, record)
    return decision


def asking(
    store: PolicyStore, data: object, pin: str | None, skip: Collection[str]
) -> tuple[Decision, list[NextQuestion]]:
    """A partial record's decision and the next questions that could change its outcome
    (:func:`~transport_policy.questions.next_questions`), fields in ``skip`` not asked."""
    record = parse_record(data, source="<request>")
    policy, why = choose(store, record, pin)
    questions = next_questions(record, policy, skip=skip)
    return engine_for(policy).decide(record, selected=why), questions


def batch_items(body: bytes, *, ndjson: bool) -> list[tuple[str, object]]:
    """The records of a batch body (a JSON array, or NDJSON) as (source, data); a line that is
    not JSON becomes a :class:`RecordError` in place."""
    text = body.decode("utf-8", "replace")
    if not ndjson:
        try:
            items = json.loads(text, parse_constant=reject_constant)
        except (ValueError, RecursionError):
            items = None
        if not isinstance(items, list):
            raise RecordError(
                [
                    FieldError(
                        "(body)",
                        "is not a JSON array of records (send NDJSON as application/x-ndjson)",
                    )
                ]
            )
        return [(f"record {i}", item) for i, item in enumerate(items, start=1)]
    out: list[tuple[str, object]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():  # an error in its place, as `batch` gives it
            err = RecordError([FieldError("(line)", "is blank")], source=f"line {number}")
            out.append((f"line {number}", err))
            continue
        try:
            out.append((f"line {number}", json.loads(line, parse_constant=reject_constant)))
        except (ValueError, RecursionError):
            err = RecordError([FieldError("(line)", "is not valid JSON")], source=f"line {number}")
            out.append((f"line {number}", err))
    return out


def batch_line(
    store: PolicyStore, index: int, source: str, data: Any, pin: str | None, log: DecisionLog | None
) -> str:
    """One NDJSON output line: the decision, or the error object in its place (with the
    record's ``index`` from 1 and its ``source``, as ``batch`` writes it)."""
    try:
        if isinstance(data, RecordError):
            raise data
        return decide_one(store, data, pin, log, source=source).to_json()
    except RecordError as err:
        named = err if err.source else err.with_source(source)
        return json.dumps({"index": index, **named.as_dict()}, ensure_ascii=False)
    except PolicyVersionError as err:
        return json.dumps(
            {
                "index": index,
                "source": source,
                "case_id": None,
                "errors": [{"field": "policy", "message": str(err)}],
            }
        )
