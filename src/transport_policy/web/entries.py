"""A decision the pages appended to the service's decision log, read back from its entry.

With ``--log``, the decision page is a GET of the entry the decision POST appended (Post/
Redirect/Get): reloading it reads the same entry again and appends nothing. The entry is read
and checked as ``transport-policy render decisions.log --seq N`` reads it
(:func:`~transport_policy.documents.sources.read_entry`), so the page and its downloads show
exactly what was logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..documents.sources import Source, entry_source, read_entry
from ..errors import TransportPolicyError


class EntryUnreadable(Exception):
    """The log has no intact entry with the signed sequence number and hash: the log was
    damaged, cut short or replaced since the decision was logged."""


@dataclass(frozen=True)
class Logged:
    """One log entry as the pages show it."""

    ref: str
    """The signed reference the page was asked for (:meth:`.security.Guard.entry_ref`)."""
    seq: int
    record: dict[str, Any]
    """The record the decision was made from, as logged."""
    source: Source
    """The decision logged, its context (the entry's position) and the record logged."""
    line: bytes
    """The entry exactly as written in the log (one line of canonical JSON, no newline)."""


def read_logged(log: str, seq: int, offset: int, entry_hash: str, ref: str) -> Logged:
    """Entry ``seq`` of the log at ``log``, read at byte ``offset`` (where it was appended: no
    need to read the log from its start), checked against its own hash and against
    ``entry_hash`` (the hash signed when it was appended); :class:`EntryUnreadable` if not.
    Documents name the log by its file name only (not the server's folders)."""
    try:
        entry, line = read_entry(log, seq, at=offset)
    except TransportPolicyError:  # a LogError or DocumentError: no such intact entry
        raise EntryUnreadable from None
    if entry["hash"] != entry_hash:
        raise EntryUnreadable
    record = entry.get("record")
    if not isinstance(record, dict):  # the service logs every record (it has no minimal mode)
        raise EntryUnreadable
    try:
        source = entry_source(Path(log).name, entry)
    except TransportPolicyError:
        raise EntryUnreadable from None
    return Logged(ref, seq, record, source, line)


__all__ = ["EntryUnreadable", "Logged", "read_logged"]
