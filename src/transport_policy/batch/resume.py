"""Continuing a killed ``batch`` run exactly (``batch --resume``).

A run with ``--output FILE`` and ``--log LOG`` writes ``FILE.resume`` when it starts: the log's
entry count at that moment. Each decision is appended to the log *before* its output line is
written, so a run killed at any point (even by SIGKILL) leaves the log either level with the
output or one decision ahead of it. A resumed run keeps the output's complete lines (an incomplete
last line is cut off), skips that many input records, does not log again the one decision the log
may already hold, and goes on: output and log end as an uninterrupted run would leave them (the
log entries' ``time`` aside), with error records keeping their original index and source. A
log entry the kill left half-written (no newline yet) is cut off: it recorded nothing. A resumed
run that finds no output (the run was killed as it started) starts afresh, and notes where.

The log must have had no other writer since the run started. ``FILE.resume`` is kept when the
run completes: a run killed just as it finished can then be resumed too (it has nothing left to
do), and the next run without ``--resume`` writes it anew.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..audit.log import last_entry
from ..audit.logfile import last_line
from ..errors import TransportPolicyError
from .run import ENGINE_FIELD


class ResumeError(TransportPolicyError):
    """A run cannot be resumed exactly."""


@dataclass(frozen=True)
class ResumePoint:
    kept: int
    """Complete output lines kept: the input records to skip."""
    logged_ahead: str | None
    """The input digest of a decision already logged but not yet in the output, if any."""
    rejected: int = 0
    """Error records among the kept lines for records that were rejected."""
    failed: int = 0
    """Error records among the kept lines for records the engine failed on (the exit status of
    the resumed run counts both, as the uninterrupted run's would)."""


def state_path(output: str) -> Path:
    return Path(output + ".resume")


def log_position(log: Path) -> tuple[int, dict[str, object] | None]:
    """The log's entry count and its last entry (0 and ``None`` when empty or missing); a
    :class:`.LogError` says what is wrong with a last entry that cannot be appended to, as
    appending would."""
    if not log.exists():
        return 0, None
    with open(log, "rb") as handle:
        entry, _end = last_entry(handle, str(log))
    return (0, None) if entry is None else (int(entry["seq"]), entry)


def start(output: str, log: Path | None) -> None:
    """Note where a new run starts in the log (nothing to note without one)."""
    state = state_path(output)
    if log is None:
        state.unlink(missing_ok=True)
        return
    count, _ = log_position(log)
    noted = json.dumps({"log": str(log.resolve()), "log_entries_before": count}) + "\n"
    temporary = state.with_name(state.name + ".tmp")
    temporary.write_text(noted)
    os.replace(temporary, state)  # a kill leaves the note whole or as it was, never half-written


def prepare(output: str, log: Path | None) -> ResumePoint:
    """Cut the output back to its complete lines and work out where to go on from."""
    path = Path(output)
    if not path.exists():  # killed before it wrote anything (even while starting): start afresh
        start(output, log)
        return ResumePoint(0, None)
    noted = _note(output)
    _check_logged_to(output, noted, log)
    kept = rejected = failed = 0
    with open(path, "r+b") as handle:
        good = 0
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            kept += 1
            good += len(raw)
            if raw.startswith(b'{"index"'):  # error records start so
                engine = _engine_failure(raw)
                failed, rejected = failed + engine, rejected + (not engine)
        handle.truncate(good)
    ahead = None if log is None else _ahead(output, noted, log, kept - rejected - failed)
    return ResumePoint(kept, ahead, rejected, failed)


def _engine_failure(line: bytes) -> bool:
    """Whether an error record is for a record the engine failed on (its field ``(engine)``)."""
    try:
        errors = json.loads(line)["errors"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(isinstance(e, dict) and e.get("field") == ENGINE_FIELD for e in errors)


def _ahead(output: str, noted: tuple[str, int] | None, log: Path, decided: int) -> str | None:
    if noted is None:
        raise ResumeError(
            f"{state_path(output)}: missing or unreadable, so where this run started in the log "
            "is unknown; rerun without --resume to a new output"
        )
    _drop_torn_entry(log)
    count, entry = log_position(log)
    ahead = count - noted[1] - decided
    if ahead == 0:
        return None
    if ahead == 1 and entry is not None:
        record_digest = entry.get("record_digest")
        if record_digest is None:
            decision = entry["decision"]
            record_digest = decision.get("input_digest") if isinstance(decision, dict) else None
        return str(record_digest)
    raise ResumeError(
        f"{log}: holds {ahead} decisions more than {output} after the run started: it was "
        "written by something else, so the run cannot be resumed exactly"
    )


def _note(output: str) -> tuple[str, int] | None:
    """What the run noted as it started (:func:`start`): its log and the log's entries then;
    ``None`` when there is no note (the run had no log) or it cannot be read."""
    try:
        noted = json.loads(state_path(output).read_text())
        log, before = noted["log"], noted["log_entries_before"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return (log, before) if isinstance(log, str) and type(before) is int else None


def _check_logged_to(output: str, noted: tuple[str, int] | None, log: Path | None) -> None:
    """Refuse to resume with another log than the run's, or none when it had one (the log would
    then miss the decisions written after the kill)."""
    logged = None if noted is None else noted[0]
    if logged is not None and (log is None or logged != str(log.resolve())):
        raise ResumeError(
            f"{output}: the run being resumed logged to {logged}: give --log {logged} to resume it"
        )


def _drop_torn_entry(log: Path) -> None:
    """Cut off a last log line left incomplete by the kill: this run was the log's only writer
    since it started (checked above), and a write that never finished recorded nothing."""
    if not log.exists():
        return
    with open(log, "r+b") as handle:
        _, end, complete = last_line(handle)
        position = end
        while not complete and position > 0:
            step = min(65_536, position)
            handle.seek(position - step)
            newline = handle.read(step).rfind(b"\n")
            if newline >= 0:
                handle.truncate(position - step + newline + 1)
                return
            position -= step
        if not complete:
            handle.truncate(0)


__all__ = ["ResumeError", "ResumePoint", "prepare", "start", "state_path"]
