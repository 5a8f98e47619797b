"""``transport-policy batch``: decide many records to JSON Lines, using every core."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import click

from ..audit.log import DecisionLog
from ..batch.inputs import expand_inputs
from ..batch.inputs import total_bytes as input_bytes
from ..batch.resume import ResumeError, ResumePoint
from ..batch.resume import prepare as prepare_resume
from ..batch.resume import start as start_resumable
from ..batch.run import (
    DECIDED,
    FAILED,
    REJECTED,
    Result,
    Settings,
    check_settings,
    partition_row,
    partition_schema,
    run,
)
from ..batch.workers import Workers
from ..errors import TransportPolicyError
from .common import (
    CannotRun,
    cannot_write,
    count,
    open_partitions,
    partitions_options,
    policy_option,
    progress_bar,
    progress_option,
    refuse_same_files,
    rules_option,
    silence_stdout,
    skipped_message,
    workers,
    workers_options,
)
from .exits import Exit, epilog
from .signals import StopSignals, stopping

PROGRESS_EVERY = 100
"""Records between two redraws of the progress bar."""


@dataclass
class Run:
    """What a batch run was asked to do, and what it has done so far."""

    output: str
    log_path: Path | None
    workers: Workers
    progress: bool | None
    partitions: Path | None = None
    partition_rows: int = 65536
    resuming: bool = False
    counts: dict[int, int] = field(default_factory=lambda: {DECIDED: 0, REJECTED: 0, FAILED: 0})
    kept: dict[int, int] = field(default_factory=lambda: {DECIDED: 0, REJECTED: 0, FAILED: 0})
    """What the output held already when resuming (counted in the exit status too)."""
    outcomes: Counter[str] = field(default_factory=Counter)
    root: str | None = None

    def written(self) -> str:
        """What a stop signal's message says was done."""
        records = count(sum(self.counts.values()), "record")
        return f" after {records}; the output holds each of them, in order"


@click.command(
    "batch",
    epilog=epilog(
        """Examples:
  transport-policy batch cases/ --output decisions.jsonl
  transport-policy batch records.jsonl --output decisions.jsonl --log decisions.log
  cat records.jsonl | transport-policy batch - --log decisions.log --minimal > out.jsonl""",
        {
            Exit.OK: "every record was decided",
            Exit.FINDINGS: "some records were rejected (see the error records; the others "
            "were decided)",
            Exit.CANNOT_RUN: "nothing could be decided (rules that do not load, an unknown "
            "--policy version, a log or output not writable), or the engine failed on some "
            "records",
            Exit.SIGHUP: None,
            Exit.SIGTERM: None,
        },
        notes="""\b
Output: one JSON line per input record, in input order. A decided record gives its
decision (as `decide --format json` prints it); a rejected record gives an error record
  {"index": N, "source": "file:line", "case_id": id or null,
   "errors": [{"field": path, "message": ...}]}
(index counts input records from 1; no input values are echoed). Blank lines, lines that
are not UTF-8 or JSON (a truncated last line, say) are errors for that line only.
Stopped by a signal (129, 130, 143 below), the workers are stopped and the output keeps
every line already written, each complete.""",
    ),
)
@click.argument(
    "inputs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=str),
    metavar="INPUT...",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    default="-",
    show_default=True,
    help="File to write the JSON Lines to (replaced if it exists).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append every decision to this decision log (created if missing; see `audit verify`).",
)
@click.option(
    "--minimal",
    is_flag=True,
    help="Log only the digest of each record, not the record (data minimisation; such "
    "entries cannot be replayed).",
)
@workers_options("Worker processes (default: one per core; 1 decides in this process).")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue a killed run with the same inputs, --output and --log: keep the output's "
    "complete lines and go on after them, logging no decision twice.",
)
@progress_option
@partitions_options
@policy_option
@rules_option
def batch_command(
    inputs: tuple[str, ...],
    output: str,
    log_path: Path | None,
    minimal: bool,
    jobs: int | None,
    engine: str | None,
    scheduler: str | None,
    resume: bool,
    progress: bool | None,
    partitions: Path | None,
    partition_rows: int,
    policy_version: str | None,
    rules_dir: Path | None,
) -> None:
    """Decide every record in each INPUT and write one JSON line per record, in order.

    INPUT is a case file (YAML or JSON), a folder (its .yaml, .yml, .json, .jsonl and
    .ndjson files, by name; subfolders and other files are skipped, and named on standard
    error), a JSON Lines file of records (.jsonl, .ndjson) or - for JSON Lines on standard
    input. Each line is flushed as soon as it is written, so an interrupted run keeps
    everything already decided.
    """
    _check_usage(minimal, log_path, resume, output, partitions)
    where = workers(jobs, engine, scheduler)
    settings = _settings(policy_version, rules_dir, log_path, minimal)
    skipped: list[str] = []
    paths = expand_inputs(inputs, skipped)
    refuse_same_files(paths, {"--output": output, "--log": log_path})
    if skipped:
        click.echo(skipped_message("batch", skipped), err=True)
    if not paths:
        click.echo("batch: no case or JSON Lines files in the inputs given", err=True)
    started = time.perf_counter()
    state = Run(output, log_path, where, progress, partitions, partition_rows, resume)
    try:
        with stopping("batch", state.written) as stop:
            _write_all(paths, settings, state, stop)
    except BrokenPipeError:
        silence_stdout()
        raise SystemExit(Exit.BROKEN_PIPE) from None
    except OSError as exc:
        where_ = f"{exc.filename}: " if exc.filename else ""
        raise CannotRun(f"{where_}{exc.strerror or exc}") from None
    except BrokenProcessPool:
        raise CannotRun(
            "a worker process stopped unexpectedly; the output holds every record decided "
            "before it, in order"
        ) from None
    except TransportPolicyError as exc:  # a log or resume error; a Dask cluster unusable
        raise CannotRun(str(exc)) from None
    _finish(state, time.perf_counter() - started)


def _settings(
    policy_version: str | None, rules_dir: Path | None, log_path: Path | None, minimal: bool
) -> Settings:
    """The run's settings, checked before any record is read."""
    settings = Settings(
        policy=policy_version,
        rules=str(rules_dir) if rules_dir is not None else None,
        log=None if log_path is None else ("minimal" if minimal else "full"),
    )
    try:
        check_settings(settings)
    except TransportPolicyError as exc:
        raise CannotRun(str(exc)) from None
    return settings


def _finish(state: Run, seconds: float) -> None:
    """Print the summary of the run and exit with its status."""
    counts = state.counts
    decided, rejected, failed = counts[DECIDED], counts[REJECTED], counts[FAILED]
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(state.outcomes.items()))
    click.echo(
        f"batch: {count(decided + rejected + failed, 'record')}: {decided} decided"
        + (f" ({outcomes})" if outcomes else "")
        + f", {rejected} rejected"
        + (f", {failed} failed in the engine" if failed else "")
        + f" ({seconds:.1f} s)",
        err=True,
    )
    if state.root is not None:
        click.echo(f"batch: partitions in {state.partitions}, root {state.root}", err=True)
    if state.resuming:  # the exit status is the whole output's, as if never interrupted
        decided, rejected, failed = (counts[s] + state.kept[s] for s in (DECIDED, REJECTED, FAILED))
        click.echo(
            f"batch: the output holds {count(decided + rejected + failed, 'record')}: "
            f"{decided} decided, {rejected} rejected"
            + (f", {failed} failed in the engine" if failed else ""),
            err=True,
        )
    if failed:
        raise SystemExit(Exit.CANNOT_RUN)
    raise SystemExit(Exit.FINDINGS if rejected else Exit.OK)


def _check_usage(
    minimal: bool, log_path: Path | None, resume: bool, output: str, partitions: Path | None
) -> None:
    if minimal and log_path is None:
        raise click.UsageError("--minimal applies to the decision log: give --log FILE too")
    if resume and output == "-":
        raise click.UsageError("--resume continues an output file: give --output FILE")
    if resume and partitions is not None:
        raise click.UsageError("--partitions cannot be resumed: run again without --resume")


def _open_output(output: str, stack: ExitStack, append: bool = False) -> IO[str]:
    if output == "-":
        return sys.stdout
    try:
        handle = open(output, "a" if append else "w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise CannotRun(cannot_write(output, exc)) from None
    stack.enter_context(_closed(handle, output))
    return handle


@contextmanager
def _closed(handle: IO[str], name: str) -> Iterator[None]:
    """Close the output on the way out; after a write that failed (a full disk), closing fails
    too, and the error that names the file is the one kept."""
    try:
        yield
    except BaseException:
        with suppress(OSError):
            handle.close()
        raise
    try:
        handle.close()
    except OSError as exc:
        raise CannotRun(cannot_write(name, exc)) from None


def _write_all(paths: list[str], settings: Settings, state: Run, stop: StopSignals) -> None:
    """Decide and write every record, counting them in ``state`` as they are written (only
    those after the kept output when resuming); ``stop`` keeps each line whole."""
    output, log_path = state.output, state.log_path
    point = ResumePoint(0, None)
    if state.resuming:
        point = prepare_resume(output, log_path)
        click.echo(f"batch: resuming after {count(point.kept, 'record')}", err=True)
        state.kept = {
            DECIDED: point.kept - point.rejected - point.failed,
            REJECTED: point.rejected,
            FAILED: point.failed,
        }
    elif output != "-":
        start_resumable(output, log_path)
    length = None if state.resuming else input_bytes(paths)
    name = "standard output" if output == "-" else output
    with ExitStack() as stack:
        parts = open_partitions(  # first: a folder refused leaves the output as it was
            stack,
            state.partitions,
            "batch",
            partition_schema,
            rows=state.partition_rows,
            about={"command": "batch", "policy": settings.policy},
        )
        out = _open_output(output, stack, append=state.resuming)
        log = None
        if log_path is not None:
            log = stack.enter_context(DecisionLog(log_path, minimal=settings.log == "minimal"))
        bar = stack.enter_context(progress_bar(length, state.progress, "deciding"))
        # Closed first on the way out: an early stop stops the workers' work.
        results = stack.enter_context(
            closing(run(paths, settings, workers=state.workers, skip=point.kept))
        )
        step = 0
        logged = point.logged_ahead
        for result in results:
            with stop.writing():
                logged = _write_result(result, logged, log, out, name)
                state.counts[result.status] += 1
            if result.outcome is not None:
                state.outcomes[result.outcome] += 1
            if parts is not None:
                parts.add(partition_row(result))
            step += result.size if length is not None else 1
            if sum(state.counts.values()) % PROGRESS_EVERY == 0:
                bar.update(step)
                step = 0
        bar.update(step)
        if parts is not None:
            state.root = parts.root


def _write_result(
    result: Result, logged: str | None, log: DecisionLog | None, out: IO[str], name: str
) -> str | None:
    """Log one result (unless it was logged before the kill) and write its output line;
    return the digest still logged ahead of the output (None once it is caught up)."""
    if logged is not None:  # logged before the kill, but not yet written out
        if result.input_digest != logged:
            raise ResumeError(
                "the log's last decision is not the next record's: "
                "were the inputs changed since the run was killed?"
            )
        logged = None
    elif log is not None and result.decision_json is not None:
        log.append_canonical(result.decision_json, result.record_json, result.input_digest)
    try:
        out.write(result.line + "\n")
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise CannotRun(cannot_write(name, exc)) from None
    return logged
