"""Replay: re-decide each record of a decision log and compare with what was logged.

Each full entry is decided again under the policy version it recorded (or a version given
instead), from the rules as they are now. The new decision is compared with the logged one,
ignoring ``engine`` (and ``policy`` when another version was asked for) and the keys the logged
decision did not have (added to the decision since): identical, or changed with a field-level
diff. Minimal entries hold only the record's digest, so they cannot be
replayed. Each entry is checked against its own hash first; ``audit verify`` checks the chain.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..batch.pool import chunked
from ..batch.workers import Workers, map_chunks
from ..casefile import parse_record
from ..engine import engine_for
from ..errors import PolicyVersionError, RecordError
from ..rules.versions import PolicyStore
from .log import INCOMPLETE, check_entry, read_lines

if TYPE_CHECKING:
    import pyarrow as pa

IDENTICAL: Final = "identical"
CHANGED: Final = "changed"
RULES_CHANGED: Final = "rules_changed"
"""The same decision, but the version's rule files have changed since (``policy.digest``)."""
DIGEST_PATH: Final = "policy.digest"
NOT_REPLAYABLE: Final = "not_replayable"
"""A minimal entry: only the record's digest was logged."""
REJECTED: Final = "rejected"
"""The logged record is not a valid record today (the record contract changed)."""
UNAVAILABLE: Final = "unavailable"
"""The policy version is not among the rules given."""
ALTERED: Final = "altered"
"""The entry does not match its own hash (or is not a log entry): it was not replayed."""

FAILING: Final = frozenset({CHANGED, RULES_CHANGED, REJECTED, UNAVAILABLE, ALTERED})
"""Statuses that make ``replay`` exit non-zero."""


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"

    def __reduce__(self) -> str:
        # Pickled by name, so that a change made in a worker process (or on a Dask worker)
        # still holds this very object, which ``is ABSENT`` tests for.
        return "ABSENT"


ABSENT: Final = _Absent()
"""Stands for a member that one side of a diff does not have."""


@dataclass(frozen=True)
class Change:
    """One difference: the path (``reasons[exclude.private_car].summary``), before and after."""

    path: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.before is not ABSENT:
            out["before"] = self.before
        if self.after is not ABSENT:
            out["after"] = self.after
        return out


@dataclass(frozen=True)
class Replayed:
    """The replay of one log entry."""

    entry: int
    status: str
    case_id: str | None = None
    version: str | None = None
    changes: tuple[Change, ...] = ()
    message: str = ""
    details: tuple[str, ...] = field(default=())
    size: int = field(default=0, compare=False)
    """Bytes of the log line (for progress; not part of the result)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry": self.entry,
            "case_id": self.case_id,
            "status": self.status,
            "version": self.version,
            "changes": [c.as_dict() for c in self.changes],
            "message": self.message,
            "details": list(self.details),
        }


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """Field-level differences between two JSON values.

    Objects are compared member by member; lists of entries that each name a distinct
    ``clause`` (or question ``field``) are matched by it, other lists by position.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[Change] = []
        for key in [*after, *(k for k in before if k not in after)]:
            name = str(key) if str(key).isidentifier() else json.dumps(key)
            sub = (f"{path}.{name}" if name[0] != '"' else f"{path}[{name}]") if path else name
            out.extend(diff(before.get(key, ABSENT), after.get(key, ABSENT), sub))
        return out
    if isinstance(before, list) and isinstance(after, list):
        return _diff_lists(before, after, path)
    if _numbers(before, after):  # canonical JSON writes 6.0 as 6: the same number
        return [] if before == after else [Change(path, before, after)]
    if before is ABSENT or after is ABSENT or type(before) is not type(after) or before != after:
        return [Change(path, before, after)]
    return []


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _identity(items: Sequence[Any]) -> str | None:
    for key in ("clause", "field"):
        names = [i.get(key) if isinstance(i, dict) else None for i in items]
        if names and all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
            return key
    return None


def _diff_lists(before: list[Any], after: list[Any], path: str) -> list[Change]:
    key = _identity(before) if before else _identity(after)
    if key is not None and (not after or _identity(after) == key):
        old = {str(i[key]): i for i in before}
        new = {str(i[key]): i for i in after}
        out: list[Change] = []
        for name in [*old, *(n for n in new if n not in old)]:
            out.extend(diff(old.get(name, ABSENT), new.get(name, ABSENT), f"{path}[{name}]"))
        return out
    out = []
    for i in range(max(len(before), len(after))):
        old_item = before[i] if i < len(before) else ABSENT
        new_item = after[i] if i < len(after) else ABSENT
        out.extend(diff(old_item, new_item, f"{path}[{i}]"))
    return out


@dataclass(frozen=True)
class Settings:
    """What to replay under: the rules root, its fingerprint, and a version to force."""

    rules: str
    fingerprint: tuple[str, ...]
    """The digest of each version folder, read when the replay starts: the rules are loaded
    afresh (in each worker) whenever they differ from the last replay's."""
    policy: str | None = None

    @classmethod
    def of(cls, rules: str | Path | None, policy: str | None) -> Settings:
        store = PolicyStore(rules)
        if policy is not None:
            store.get(policy)  # an unknown version is a PolicyVersionError, with a suggestion
        return cls(str(store.root), store.fingerprint, policy)


def _store(root: str, fingerprint: tuple[str, ...]) -> PolicyStore:
    """The process's store of a rules root (workers included), made again if it changed."""
    from ..engine.cache import CACHE

    return CACHE.store(root, fresh=True)


def replay_entry(number: int, raw: bytes, settings: Settings, complete: bool = True) -> Replayed:
    """Replay one log line (``number`` counts from 1; ``complete`` when a newline ends it)."""
    if not complete:
        return Replayed(number, ALTERED, message=f"the entry {INCOMPLETE}; run `audit verify`")
    entry, what = check_entry(raw)
    if entry is None:
        return Replayed(number, ALTERED, message=f"the entry {what}; run `audit verify`")
    logged: Mapping[str, Any] = entry["decision"]
    case_id = logged.get("case_id") if isinstance(logged.get("case_id"), str) else None
    raw_policy = logged.get("policy")
    logged_policy: Mapping[str, Any] = raw_policy if isinstance(raw_policy, dict) else {}
    recorded = logged_policy.get("version")
    version = settings.policy or (recorded if isinstance(recorded, str) else None)
    if "record" not in entry:
        return Replayed(
            number,
            NOT_REPLAYABLE,
            case_id,
            version,
            message="minimal entry: only the record's digest was logged",
        )
    if version is None:
        return Replayed(
            number,
            UNAVAILABLE,
            case_id,
            message="the logged decision does not name its policy version",
        )
    try:
        record = parse_record(entry["record"], source=f"entry {number}")
    except RecordError as exc:
        return Replayed(
            number,
            REJECTED,
            case_id,
            version,
            message="the logged record is not a valid record today",
            details=tuple(f"{e.field}: {e.message}" for e in exc.errors),
        )
    try:
        policy = _store(settings.rules, settings.fingerprint).get(version)
    except PolicyVersionError:
        return Replayed(
            number,
            UNAVAILABLE,
            case_id,
            version,
            message=f"no policy version {version!r} under {settings.rules}",
        )
    selected = logged_policy.get("selected")
    why = (
        "requested for replay"
        if settings.policy
        else (selected if isinstance(selected, str) else "requested for replay")
    )
    now = engine_for(policy).decide(record, selected=why).model_dump(mode="json")
    changes = _compare(logged, now, forced=bool(settings.policy))
    return Replayed(number, _status(changes), case_id, version, changes)


QUESTION_KEYS_ADDED: Final = ("answer_type", "allowed_values")
"""Keys a decision's questions gained after decisions were first logged. They say how a field is
answered (from the field registry), not what was decided, so they are compared only with entries
whose questions record them."""


PART_KEYS_ADDED: Final = {"provision": ("requirements",)}
"""Keys parts of a decision gained after decisions were first logged (what the transport must
offer), compared only with entries whose part records them."""


def _without_added(logged: Mapping[str, Any], now: dict[str, Any]) -> None:
    for part, keys in PART_KEYS_ADDED.items():
        was, is_ = logged.get(part), now.get(part)
        if isinstance(was, Mapping) and isinstance(is_, Mapping):
            now[part] = {k: v for k, v in is_.items() if k in was or k not in keys}


def _compare(logged: Mapping[str, Any], now: Mapping[str, Any], forced: bool) -> tuple[Change, ...]:
    """The differences between the logged and the new decision, ignoring ``engine`` (and
    ``policy`` when another version was ``forced``, the keys a decision gained after the entry
    was logged, and the question and part keys an older entry does not record:
    :data:`QUESTION_KEYS_ADDED`, :data:`PART_KEYS_ADDED`)."""
    ignore = {"engine", "policy"} if forced else {"engine"}
    # Keys are only ever added to the decision: one the logged decision lacks (assessment_date,
    # journey, next_steps) did not exist when it was made, so it is not a change of decision.
    now = {k: v for k, v in now.items() if k not in ignore and k in logged}
    _without_added(logged, now)
    asked = logged.get("questions")
    if isinstance(asked, list) and any(
        isinstance(q, Mapping) and not set(QUESTION_KEYS_ADDED) & set(q) for q in asked
    ):
        now["questions"] = [
            {k: v for k, v in q.items() if k not in QUESTION_KEYS_ADDED} for q in now["questions"]
        ]
    return tuple(diff({k: v for k, v in logged.items() if k not in ignore}, now))


def _status(changes: tuple[Change, ...]) -> str:
    """Identical, changed, or changed only in the rule files' digest."""
    if not changes:
        return IDENTICAL
    return CHANGED if any(c.path != DIGEST_PATH for c in changes) else RULES_CHANGED


def _replay_chunk(chunk: list[tuple[int, bytes, bool]], settings: Settings) -> list[Replayed]:
    return [
        replace(replay_entry(number, raw, settings, complete), size=len(raw) + complete)
        for number, raw, complete in chunk
    ]


def replay(
    path: str | Path,
    *,
    policy: str | None = None,
    rules: str | Path | None = None,
    jobs: int | None = None,
    workers: Workers | None = None,
    chunk_size: int = 100,
) -> Generator[Replayed, None, None]:
    """Replay every entry of a log, in order (in worker processes for long logs; ``workers``
    says where, by default the local pool with ``jobs`` processes)."""
    settings = Settings.of(rules, policy)
    chunks = chunked(read_lines(path), chunk_size)
    where = workers or Workers(jobs=jobs)
    warm = ((settings.rules, settings.policy),)
    mapped = map_chunks(_replay_chunk, chunks, settings, where, warm)
    with closing(mapped):  # stopped early: the workers' work is stopped at once
        for results in mapped:
            yield from results


def to_json_line(result: Replayed) -> str:
    """One entry's result as ``replay --format json`` prints it."""
    return json.dumps(result.as_dict(), ensure_ascii=False)


def partition_schema() -> pa.Schema:
    """The columns of ``replay --partitions``: each entry's result, and its status in brief."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("entry", pa.int64(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            ("case_id", pa.string()),
            ("version", pa.string()),
            pa.field("line", pa.string(), nullable=False),
        ]
    )


def partition_row(result: Replayed) -> dict[str, Any]:
    return {
        "entry": result.entry,
        "status": result.status,
        "case_id": result.case_id,
        "version": result.version,
        "line": to_json_line(result),
    }


def render_value(value: Any, width: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(result: Replayed) -> list[str]:
    """Readable lines for one replayed entry: nothing when identical or when only the rule
    files changed (``policy.digest``; the caller reports that once per version)."""
    if result.status in (IDENTICAL, RULES_CHANGED):
        return []
    who = f" (case {result.case_id})" if result.case_id else ""
    version = f" under {result.version}" if result.version else ""
    lines = [f"entry {result.entry}{who}: {result.status.replace('_', ' ')}{version}"]
    if result.message:
        lines.append(f"  {result.message}")
    lines.extend(f"  {d}" for d in result.details)
    for change in result.changes:
        if change.path == DIGEST_PATH:
            continue
        if change.before is ABSENT:
            lines.append(f"  + {change.path}: {render_value(change.after)}")
        elif change.after is ABSENT:
            lines.append(f"  - {change.path}: {render_value(change.before)}")
        else:
            lines.append(
                f"  ~ {change.path}: {render_value(change.before)} → {render_value(change.after)}"
            )
    return lines
