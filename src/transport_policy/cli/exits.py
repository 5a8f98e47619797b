"""The exit statuses of every ``transport-policy`` command: one table, one meaning per number.

Each command's ``--help`` ends with the rows of this table that apply to it (:func:`epilog`),
worded for that command; docs/command-line.md gives the whole table.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from enum import IntEnum


class Exit(IntEnum):
    """An exit status, with what it means whichever command returns it."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    CANNOT_RUN = 3
    SIGHUP = 129
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    SIGTERM = 143

    @property
    def meaning(self) -> str:
        """What this status means, whichever command returns it."""
        return MEANINGS[self]


MEANINGS: dict[Exit, str] = {
    Exit.OK: "done, and nothing needs looking at",
    Exit.FINDINGS: "done, but something needs looking at",
    Exit.USAGE: "the command line was wrong",
    Exit.CANNOT_RUN: "the command could not do its work: the policy could not be loaded (rule "
    "files that do not load, an unknown --policy version), an input could not be read, an "
    "output could not be written, or the engine failed",
    Exit.SIGHUP: "stopped by SIGHUP",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
    Exit.BROKEN_PIPE: "the reader of standard output went away (`... | head`): stopped quietly",
    Exit.SIGTERM: "stopped by SIGTERM",
}

COMMON: Mapping[Exit, str | None] = {
    Exit.USAGE: None,
    Exit.INTERRUPTED: None,
    Exit.BROKEN_PIPE: None,
}
"""Statuses every command can return (from click, the console script's handlers)."""

_WIDTH = 84


def epilog(examples: str, statuses: Mapping[Exit, str | None], notes: str = "") -> str:
    """A command's ``--help`` epilogue: its examples, then the exit statuses it returns.

    ``statuses`` maps each status the command returns (beyond :data:`COMMON`) to what it means
    for this command, or ``None`` for the general meaning.
    """
    rows = {**COMMON, **statuses}
    lines = ["\b", "Exit status:"]
    for status in sorted(rows):
        text = rows[status] or status.meaning
        lines.extend(
            textwrap.wrap(
                text,
                _WIDTH,
                initial_indent=f"{status.value:>3}  ",
                subsequent_indent=" " * 5,
            )
        )
    lines.append("(One table for every command: docs/command-line.md.)")
    parts = [
        "\b\n" + examples.strip("\n"),
        *([notes.strip("\n")] if notes else []),
        "\n".join(lines),
    ]
    return "\n\n".join(parts)


__all__ = ["COMMON", "MEANINGS", "Exit", "epilog"]
