"""The decision log: an append-only, hash-chained JSON Lines record of decisions.

Each line of a log is one *entry*, a JSON object with these members:

``seq``
    1 for the first entry, then 1 more for each entry.
``time``
    when the entry was appended, UTC, ISO 8601 (``2021-03-15T10:04:05.123Z``).
``decision``
    the decision, exactly as ``transport-policy decide --format json`` prints it.
``record``
    the validated assessment record (``record.model_dump(mode="json", exclude_none=True)``), or,
    in a *minimal* log, ``record_digest`` instead: the record's ``sha256:`` digest only (the same
    value as ``decision.input_digest``), so that the log holds no personal details beyond the
    decision itself.
``prev``
    the ``hash`` of the entry before it (``sha256:`` and 64 zeros for the first entry).
``hash``
    ``sha256:`` + the hex SHA-256 of the RFC 8785 canonical JSON of the entry without ``hash``.

Each line is itself the RFC 8785 canonical JSON of the whole entry. Changing, removing or
reordering any entry breaks the chain at that entry, which :func:`.verify.verify` reports. A
chain cannot show on its own that entries were removed from the *end*, or that the whole log was
rewritten with fresh hashes: a :class:`.verify.Checkpoint` (entry count and last hash) kept
elsewhere guards against both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from ..casefile import reject_constant
from ..digest import canonical_json, sha256_digest
from ..errors import TransportPolicyError
from ..model.canonical import record_json
from ..model.decision import Decision
from ..model.record import AssessmentRecord
from .logfile import flocked, last_line

GENESIS: Final = "sha256:" + "0" * 64
"""The ``prev`` of the first entry of every log."""

FULL_KEYS: Final = frozenset({"seq", "time", "decision", "record", "prev", "hash"})
MINIMAL_KEYS: Final = frozenset({"seq", "time", "decision", "record_digest", "prev", "hash"})


INCOMPLETE: Final = (
    "is incomplete (the log does not end with a newline): it was cut short while being "
    "written, or changed"
)
"""What is wrong with a last line that has no newline (``entry N`` is said before it)."""


class LogError(TransportPolicyError):
    """A decision log cannot be read or appended to."""


@cache
def _member(key: str) -> tuple[bytes, bytes]:
    """A member name's sort key (RFC 8785 sorts by UTF-16 code units) and its ``"name":``."""
    return key.encode("utf-16-be"), canonical_json(key) + b":"


def canonical_object(members: Mapping[str, bytes]) -> bytes:
    """The canonical JSON of an object whose member values are given as canonical JSON already.

    RFC 8785 serialises an object as its members sorted by name, each value canonical, so this
    equals ``canonical_json(obj)`` while letting the costly parts be serialised elsewhere (in
    workers).
    """
    keys = sorted(members, key=lambda k: _member(k)[0])
    return b"{" + b",".join(_member(k)[1] + members[k] for k in keys) + b"}"


def utc_now() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Appended:
    """Where an entry went: its sequence number, hash and time, and the byte offset in the file
    where its line starts."""

    seq: int
    hash: str
    time: str
    offset: int = 0


class DecisionLog:
    """A decision log opened for appending (a context manager).

    Every append takes an exclusive lock on the file (``fcntl.flock``) for as long as it writes
    one entry, and continues the chain from the entry last written *by anyone*: writers in other
    processes, other :class:`DecisionLog` objects on the same file in this process, and threads
    sharing one object (serialised by a thread lock) all append to one chain. Opening reads the
    last entry and refuses a log whose last entry is incomplete or does not match its hash. Every
    entry is flushed as it is appended; the file is synced to disk on close.

    >>> with DecisionLog("decisions.log") as log:          # doctest: +SKIP
    ...     log.append(decision, record)
    """

    def __init__(
        self, path: str | Path, *, minimal: bool = False, clock: Callable[[], str] = utc_now
    ) -> None:
        self.path = Path(path)
        self.minimal = minimal
        self.clock = clock
        self._file: IO[bytes] | None = None
        self._end = 0
        """The size of the file after this object's last read or write of it."""
        self._lock = threading.Lock()
        self.seq = 0
        self.last_hash = GENESIS

    def __enter__(self) -> DecisionLog:
        try:
            handle = open(self.path, "a+b")
        except OSError as exc:
            reason = exc.strerror
            raise LogError(f"{self.path}: cannot be opened for appending ({reason})") from None
        try:
            with flocked(handle):
                self.seq, self.last_hash, self._end = _read_tail(handle, str(self.path))
        except BaseException:
            handle.close()
            raise
        self._file = handle
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
            return
        with suppress(LogError):  # the error on the way out says what went wrong, not this one
            self.close()

    def close(self) -> None:
        """Sync the log to disk and close it (a :class:`LogError` when that fails: a full disk
        refuses the bytes an append could not write)."""
        if self._file is None:
            return
        with self._lock:
            handle, self._file = self._file, None
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as exc:
                with suppress(OSError):  # closing flushes again, and fails again
                    handle.close()
                raise LogError(f"{self.path}: cannot be written ({exc.strerror})") from None
            handle.close()

    def append(self, decision: Decision, record: AssessmentRecord) -> Appended:
        """Append one decision with the validated record it was made from."""
        return self.append_canonical(
            canonical_json(decision.model_dump(mode="json")),
            record_json(record),
            decision.input_digest,
        )

    def append_canonical(
        self, decision_json: bytes, record_json: bytes | None, record_digest: str
    ) -> Appended:
        """Append from canonical JSON already made (``record_json`` is not logged when minimal,
        but is checked against the decision's ``input_digest`` whenever it is given)."""
        if record_json is not None and sha256_digest(record_json) != record_digest:
            raise LogError("the decision was not made from this record (its input_digest differs)")
        with self._lock:
            if self._file is None:
                raise LogError(f"{self.path}: the log is not open (use it in a with block)")
            with flocked(self._file):
                return self._append_locked(self._file, decision_json, record_json, record_digest)

    def _append_locked(
        self, handle: IO[bytes], decision_json: bytes, record_json: bytes | None, digest: str
    ) -> Appended:
        """Append one entry while holding both locks: continue from the file's real last entry."""
        if handle.seek(0, os.SEEK_END) != self._end:  # another writer appended since
            self.seq, self.last_hash, self._end = _read_tail(handle, str(self.path))
        seq = self.seq + 1
        time = self.clock()
        if self.minimal or record_json is None:
            kept = (b',"record_digest":', canonical_json(digest))
        else:
            kept = (b',"record":', record_json)
        entry_digest, line = _entry(
            decision_json, canonical_json(self.last_hash), kept, str(seq).encode(), time
        )
        try:
            handle.write(line)
            handle.flush()
        except OSError as exc:
            raise LogError(f"{self.path}: cannot be written ({exc.strerror})") from None
        self.seq, self.last_hash = seq, entry_digest
        start, self._end = self._end, handle.tell()
        return Appended(seq, entry_digest, time, start)


def _entry(
    decision_json: bytes, prev: bytes, kept: tuple[bytes, bytes], seq: bytes, time: str
) -> tuple[str, bytes]:
    """An entry's hash and its line: the same bytes as :func:`canonical_object` makes of its
    members, laid out directly (members in RFC 8785 order: ``decision``, ``hash``, ``prev``,
    ``record`` or ``record_digest``, ``seq``, ``time``) and hashed part by part, so that the
    decision, the largest member, is copied once, into the line."""
    tail = b"".join((b'"prev":', prev, *kept, b',"seq":', seq, b',"time":', canonical_json(time)))
    hasher = hashlib.sha256(b'{"decision":')
    hasher.update(decision_json)
    hasher.update(b",")
    hasher.update(tail)
    hasher.update(b"}")
    hex_digest = hasher.hexdigest()  # needs no escaping: its canonical JSON is itself, quoted
    hash_member = b',"hash":"sha256:' + hex_digest.encode() + b'",'
    line = b"".join((b'{"decision":', decision_json, hash_member, tail, b"}\n"))
    return "sha256:" + hex_digest, line


def _read_tail(handle: IO[bytes], name: str) -> tuple[int, str, int]:
    """The sequence number and hash of the last entry (0 and :data:`GENESIS` when empty), and
    the size of the file."""
    entry, end = last_entry(handle, name)
    if entry is None:
        return 0, GENESIS, 0
    return int(entry["seq"]), str(entry["hash"]), end


def last_entry(handle: IO[bytes], name: str) -> tuple[dict[str, Any] | None, int]:
    """The last entry of a log open for reading (``None`` when it is empty) and the size of the
    file; a :class:`LogError` says what is wrong with an entry that cannot be appended to."""
    line, end, complete = last_line(handle)
    if end == 0:
        return None, 0
    if not complete:
        raise LogError(
            f"{name}: the last entry is incomplete (no newline at the end); nothing was appended. "
            "Run `transport-policy audit verify` on it"
        )
    entry, problem = check_entry(line)
    if entry is None:
        raise LogError(
            f"{name}: the last entry {problem}; nothing was appended. "
            "Run `transport-policy audit verify` on it"
        )
    return entry, end


def parse_entry(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """A log line as an entry, or ``None`` and what is wrong with it (no content echoed)."""
    try:
        data = json.loads(line.decode("utf-8"), parse_constant=reject_constant)
    except UnicodeDecodeError:
        return None, "is not valid UTF-8"
    except ValueError:
        return None, "is not valid JSON"
    except RecursionError:
        return None, "is nested too deeply to be a log entry"
    if not isinstance(data, dict):
        return None, "is not a JSON object"
    keys = frozenset(data)
    if keys not in (FULL_KEYS, MINIMAL_KEYS):
        return None, "does not have the members of a log entry"
    ok = (
        isinstance(data["seq"], int)
        and not isinstance(data["seq"], bool)
        and all(isinstance(data[k], str) for k in ("time", "prev", "hash"))
        and isinstance(data["decision"], dict)
        and (
            isinstance(data["record"], dict)
            if "record" in data
            else isinstance(data["record_digest"], str)
        )
    )
    return (data, "") if ok else (None, "has a member of the wrong type")


def read_lines(path: str | Path) -> Iterator[tuple[int, bytes, bool]]:
    """Each line of a log: its number (from 1), its bytes without the newline, whether complete."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise LogError(f"{path}: cannot be read ({exc.strerror})") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            complete = raw.endswith(b"\n")
            yield number, raw[:-1] if complete else raw, complete


def check_entry(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """Parse a log line and check it against its own hash; ``(entry, "")`` or what is wrong."""
    entry, what = parse_entry(raw)
    if entry is None:
        return None, what
    try:
        members = {k: canonical_json(v) for k, v in entry.items()}
    except ValueError:
        return None, "holds a value that has no canonical JSON form"
    except RecursionError:
        return None, "is nested too deeply to be a log entry"
    body = canonical_object({k: v for k, v in members.items() if k != "hash"})
    if sha256_digest(body) != entry["hash"]:
        return None, "does not match its hash"
    if canonical_object(members) != raw:
        return None, "is not in the canonical form it was written in"
    return entry, ""
