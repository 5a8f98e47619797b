"""The Python API: decide a record under the policy in force (or a named version)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .casefile import load_case, parse_record
from .engine import engine_for
from .engine.cache import CACHE
from .errors import FieldError, PolicyVersionError, RecordError
from .model.decision import Decision
from .model.record import AssessmentRecord
from .rules.model import Policy
from .rules.versions import PolicyStore, load_policy


def _store(root: str | None) -> PolicyStore:
    return CACHE.store(root)


def select_policy(
    record: AssessmentRecord, *, version: str | None = None, rules: str | Path | None = None
) -> Policy:
    """The policy version to use: ``version`` if given, else the one in force on the assessment
    date. A record dated before every version is a :class:`RecordError` on ``assessment_date``;
    an unknown ``version`` is a :class:`PolicyVersionError`."""
    store = _store(str(rules) if rules is not None else None)
    if version is not None:
        return store.get(version)
    try:
        return store.in_force(record.assessment_date)
    except PolicyVersionError as exc:
        # The record cannot be decided: its assessment date is before every version.
        raise RecordError(
            [FieldError("assessment_date", str(exc))], case_id=record.case_id
        ) from None


def decide(
    record: Mapping[str, object] | AssessmentRecord,
    *,
    policy: Policy | str | None = None,
    rules: str | Path | None = None,
) -> Decision:
    """Decide one assessment record.

    ``record`` is a mapping (validated strictly; a :class:`~transport_policy.RecordError` names
    each bad field path) or an :class:`AssessmentRecord`. ``policy`` is a loaded
    :class:`Policy` or a version name; by default the version in force at ``assessment_date``
    under ``rules`` (the bundled rules by default).
    """
    validated = parse_record(record)
    if isinstance(policy, Policy):
        chosen, why = policy, "given by the caller"
    elif policy is not None:
        chosen, why = select_policy(validated, version=policy, rules=rules), "requested"
    else:
        chosen = select_policy(validated, rules=rules)
        why = f"in force on the assessment date {validated.assessment_date.isoformat()}"
    return engine_for(chosen).decide(validated, selected=why)


__all__ = ["decide", "load_case", "load_policy", "parse_record", "select_policy"]
