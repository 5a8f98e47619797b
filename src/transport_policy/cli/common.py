"""Helpers shared by the CLI commands: options, error conversion, output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import RecordError, TransportPolicyError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REJECTED = 2


def rules_option(func: F) -> F:
    return click.option(
        "--rules",
        "rules_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="TRANSPORT_POLICY_RULES",
        help="Folder of policy versions to use instead of the bundled rules "
        "(env TRANSPORT_POLICY_RULES).",
    )(func)


def policy_option(func: F) -> F:
    return click.option(
        "--policy",
        "policy_version",
        metavar="VERSION",
        help="Use this policy version instead of the one in force at each assessment date.",
    )(func)


def fail(exc: TransportPolicyError) -> click.ClickException:
    """A library error as a click error (exit status 1), message unchanged."""
    return click.ClickException(str(exc))


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
