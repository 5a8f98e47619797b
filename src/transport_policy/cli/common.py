"""Helpers shared by the CLI commands: options, error conversion, output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import RecordError, TransportPolicyError
from .exits import Exit

F = TypeVar("F", bound=Callable[..., Any])

SKIPPED_NAMED = 5
"""Skipped folder entries named on standard error (the rest are counted)."""


class CannotRun(click.ClickException):
    """The command could not do its work (see :attr:`Exit.CANNOT_RUN`): the message is shown."""

    exit_code = Exit.CANNOT_RUN


def rules_option(func: F) -> F:
    return click.option(
        "--rules",
        "rules_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="TRANSPORT_POLICY_RULES",
        help="Folder of policy versions to use instead of the bundled rules "
        "(env TRANSPORT_POLICY_RULES).",
    )(func)


def format_option(help: str = "text for people, json for scripts.") -> Callable[[F], F]:
    """``--format text|json`` (default text), with the command's own help."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help=help,
    )


def jobs_option(help: str = "Worker processes (default: one per core).") -> Callable[[F], F]:
    """``--jobs/-j N``: worker processes for the commands that use the worker pool."""
    return click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help=help)


def width_option(func: F) -> F:
    """``--width N``: wrap text to N columns (default: the terminal's width)."""
    return click.option(
        "--width",
        type=click.IntRange(min=20),
        help="Wrap text to this many columns (default: the terminal's width; 88 when not a "
        "terminal). A long word (a web address, a digest) is never split.",
    )(func)


def policy_option(func: F) -> F:
    return click.option(
        "--policy",
        "policy_version",
        metavar="VERSION",
        help="Use this policy version instead of the one in force at each assessment date.",
    )(func)


def fail(exc: TransportPolicyError) -> CannotRun:
    """A library error (rules that do not load, an unknown version, ...) as the command's
    failure: exit status :attr:`Exit.CANNOT_RUN`, message unchanged."""
    return CannotRun(str(exc))


def echo_record_error(exc: RecordError) -> None:
    """A readable message on stderr naming the file and each field path."""
    click.echo(f"error: {exc.source or '<record>'}: the case was not decided:", err=True)
    for err in exc.errors:
        click.echo(f"  {err.field}: {err.message}", err=True)


def cannot_write(target: object, exc: OSError) -> str:
    """The one message for output that could not be written, naming the file."""
    return f"cannot write {target}: {exc.strerror or exc}"


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def skipped_message(command: str, skipped: list[str]) -> str:
    """The folder entries an input folder held that were not read: counted, a few named."""
    shown = ", ".join(skipped[:SKIPPED_NAMED])
    rest = len(skipped) - SKIPPED_NAMED
    return (
        f"{command}: skipped {count(len(skipped), 'folder entry', 'folder entries')} (only "
        "case and JSON Lines files are read, not subfolders): "
        + shown
        + (f" and {rest} more" if rest > 0 else "")
    )
