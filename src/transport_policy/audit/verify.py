"""Checking a decision log: its hash chain and an external :class:`Checkpoint`.

:func:`verify` names the first entry that fails: one changed, removed, reordered or cut short, or,
given a checkpoint, entries removed from the end or a log rewritten from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .log import GENESIS, INCOMPLETE, LogError, check_entry, parse_entry, read_lines


@dataclass(frozen=True)
class Checkpoint:
    """An external checkpoint: how many entries a log had, and the hash of its last entry.

    Written ``N:sha256:<hex>``. Keep it somewhere the log's writers cannot change (a ticket, an
    email, a signed record): it lets :func:`verify` detect entries removed from the end and a log
    rewritten from the start, which a hash chain cannot show on its own.
    """

    entries: int
    hash: str

    def __str__(self) -> str:
        return f"{self.entries}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        count, _, value = text.strip().partition(":")
        hex_part = value.removeprefix("sha256:")
        if (
            not count.isdigit()
            or not value.startswith("sha256:")
            or len(hex_part) != 64
            or any(c not in "0123456789abcdef" for c in hex_part)
        ):
            raise LogError("a checkpoint is written N:sha256:<64 hex digits>, as verify prints it")
        return cls(int(count), value)


@dataclass(frozen=True)
class Problem:
    """The first place a log fails verification: ``entry`` is the entry number (= line) named."""

    entry: int
    kind: str
    """``changed``, ``removed``, ``reordered``, ``incomplete``, ``truncated`` or ``rewritten``."""
    message: str


@dataclass(frozen=True)
class Report:
    """The result of :func:`verify`: the entries that verified, and the first problem if any."""

    entries: int
    """How many entries, from the first, passed every check made of them: all of them when the
    log is intact; those before the first problem otherwise; none when the log does not match the
    checkpoint (one of the entries it covers, which cannot be told, was rewritten)."""
    checkpoint: Checkpoint
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(path: str | Path, checkpoint: Checkpoint | None = None) -> Report:
    """Check a log's hash chain (and a checkpoint); name the first entry that fails."""
    prev_hash, count = GENESIS, 0

    def report(problem: Problem | None) -> Report:
        return Report(count, Checkpoint(count, prev_hash), problem)

    for number, raw, complete in read_lines(path):
        not_an_entry = number == 1 and parse_entry(raw)[0] is None  # another kind of file?
        hint = f" (is {path} a decision log?)" if not_an_entry else ""
        if not complete:
            return report(Problem(number, "incomplete", f"entry {number} {INCOMPLETE}{hint}"))
        entry, what = check_entry(raw)
        if entry is None:
            return report(
                Problem(number, "changed", f"entry {number} was changed: it {what}{hint}")
            )
        if entry["prev"] != prev_hash or entry["seq"] != number:
            return report(_break(path, number, int(entry["seq"])))
        prev_hash, count = str(entry["hash"]), number
        if checkpoint is not None and number == checkpoint.entries and prev_hash != checkpoint.hash:
            prev_hash, count = GENESIS, 0  # any entry up to this one may be the rewritten one
            return report(
                Problem(
                    number,
                    "rewritten",
                    (
                        f"entry {number} does not match the checkpoint: "
                        "the log was rewritten up to it"
                    ),
                )
            )
    if checkpoint is not None and count < checkpoint.entries:
        return report(
            Problem(
                count + 1,
                "truncated",
                (
                    f"the log has {count} entries but the checkpoint records {checkpoint.entries}: "
                    + _span(count + 1, checkpoint.entries)
                    + " removed from the end"
                ),
            )
        )
    return report(None)


def _break(path: str | Path, number: int, seq: int) -> Problem:
    """Why entry ``number`` does not follow the one before it (it holds entry ``seq``)."""
    if seq == number:
        return Problem(
            number,
            "changed",
            (
                f"the chain is broken at entry {number}: it does not link to entry {number - 1} "
                f"(entry {number - 1} was replaced, or the link of entry {number} was changed)"
                if number > 1
                else "entry 1 was changed: it does not start the chain"
            ),
        )
    if seq < number:
        return Problem(
            number,
            "reordered",
            (
                f"line {number} holds entry {seq}, which belongs earlier: entries were reordered "
                "or repeated"
            ),
        )
    later = any(_seq_of(raw) == number for n, raw, _ in read_lines(path) if n > number)
    if later:
        return Problem(
            number,
            "reordered",
            (
                f"entry {number} is out of place: line {number} holds entry {seq} (entries were "
                "reordered)"
            ),
        )
    return Problem(
        number, "removed", (_span(number, seq - 1) + f" removed: line {number} holds entry {seq}")
    )


def _span(first: int, last: int) -> str:
    return f"entry {first} was" if first == last else f"entries {first} to {last} were"


def _seq_of(raw: bytes) -> int | None:
    entry, _ = parse_entry(raw)
    return int(entry["seq"]) if entry is not None else None
