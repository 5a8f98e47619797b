"""Helpers shared by the CLI commands: options, error conversion, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import RecordError, TransportPolicyError
from .exits import Exit

if TYPE_CHECKING:
    import pyarrow as pa
    from click._termui_impl import ProgressBar

    from ..audit.partitions import PartitionWriter
    from ..batch.workers import Workers

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


def workers_options(
    jobs_help: str = "Worker processes (default: one per core).",
) -> Callable[[F], F]:
    """``--jobs/-j N``, ``--engine local|dask`` and ``--scheduler ADDRESS``: where the work runs
    (read them with :func:`workers`)."""

    from ..batch.workers import DASK_EXTRA, ENGINES  # only the commands with workers need it

    def decorate(func: F) -> F:
        func = click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run on the existing Dask cluster whose scheduler is at ADDRESS "
            "(tcp://host:8786); implies --engine dask. Its workers need this package, the rules "
            "and the inputs' case files at the same paths, and one thread each.",
        )(func)
        func = click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default=None,
            help="Where records are decided: local (worker processes on this machine; the "
            "default) or dask (a local Dask cluster of --jobs single-threaded worker processes, "
            f"or --scheduler's; needs {DASK_EXTRA}).",
        )(func)
        return jobs_option(jobs_help)(func)

    return decorate


def workers(jobs: int | None, engine: str | None, scheduler: str | None) -> Workers:
    """The :class:`Workers` of :func:`workers_options`, or a usage error."""
    from ..batch.workers import Workers

    if scheduler is None:
        return Workers("dask" if engine == "dask" else "local", jobs)
    if engine == "local":
        raise click.UsageError("--scheduler names a Dask cluster: it cannot go with --engine local")
    if jobs is not None:
        raise click.UsageError(
            "--jobs sets the workers of a local cluster: with --scheduler the cluster's own "
            "workers are used"
        )
    return Workers("dask", None, scheduler)


def partitions_options(func: F) -> F:
    """``--partitions DIR`` and ``--partition-rows N``: results also as verifiable partitions."""
    func = click.option(
        "--partition-rows",
        type=click.IntRange(min=1),
        default=65536,
        show_default=True,
        callback=_power_of_two,
        help="Rows per partition (a power of two).",
    )(func)
    return click.option(
        "--partitions",
        "partitions",
        type=click.Path(file_okay=False, path_type=Path),
        help="Also write the results as Parquet partitions with hash roots to this folder "
        "(created; it must be empty). `audit verify DIR` checks them.",
    )(func)


def _power_of_two(_ctx: click.Context, _param: click.Parameter, value: int) -> int:
    if value & (value - 1):
        raise click.BadParameter(f"rows per partition must be a power of two, not {value}")
    return value


def open_partitions(
    stack: ExitStack,
    folder: Path | None,
    kind: str,
    schema: Callable[[], pa.Schema],
    *,
    key: str = "index",
    rows: int,
    about: Mapping[str, Any],
) -> PartitionWriter | None:
    """The writer of ``--partitions`` (closed with ``stack``), or ``None`` when not asked for."""
    if folder is None:
        return None
    from ..audit.partitions import PartitionError, PartitionWriter

    try:
        writer = PartitionWriter(folder, kind, schema(), key=key, partition_rows=rows, about=about)
    except PartitionError as exc:
        raise CannotRun(str(exc)) from None
    return stack.enter_context(writer)


def progress_option(func: F) -> F:
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Show a progress bar on stderr (default: when stderr is a terminal).",
    )(func)


def progress_bar(length: int | None, progress: bool | None, label: str) -> ProgressBar[Any]:
    """A bar on stderr over ``length`` bytes (a count of records when ``None``), shown when
    ``progress`` says so or, by default, when stderr is a terminal."""
    show = sys.stderr.isatty() if progress is None else progress
    return click.progressbar(
        (_ for _ in ()) if length is None else None,
        length=length,
        file=sys.stderr,
        hidden=not show,
        label=label,
        show_pos=length is None,
        show_percent=length is not None,
        show_eta=length is not None,
    )


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


def refuse_same_files(inputs: Sequence[str], outputs: Mapping[str, str | Path | None]) -> None:
    """A usage error when a file written (named by its option) is one of the inputs, or two of
    them are one file: writing it would destroy the records before they are read, or mix two
    outputs in one file. ``-`` (a standard stream) and ``None`` (not asked for) are left out."""
    named = [(option, Path(path)) for option, path in outputs.items() if path not in (None, "-")]
    for n, (option, path) in enumerate(named):
        for name in inputs:
            if name != "-" and _same_file(path, Path(name)):
                raise click.UsageError(
                    f"{option} {path} is also an input: it would be written over while it is "
                    "read; write to another file"
                )
        for earlier, other in named[:n]:
            if _same_file(path, other):
                raise click.UsageError(f"{earlier} and {option} name the same file ({path})")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def silence_stdout() -> None:
    """Point standard output at the null device, so that nothing more is written to the closed
    pipe (not even the flush at exit, which would print an error)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to silence
        pass


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
