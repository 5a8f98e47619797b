"""``transport-policy batch``: decide many records to JSON Lines, using every core."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

import click

from ..audit.log import DecisionLog, LogError
from ..batch.inputs import expand_inputs
from ..batch.inputs import total_bytes as input_bytes
from ..batch.resume import ResumeError, ResumePoint
from ..batch.resume import prepare as prepare_resume
from ..batch.resume import start as start_resumable
from ..batch.run import DECIDED, FAILED, REJECTED, Result, Settings, check_settings, run
from ..errors import TransportPolicyError
from .common import (
    CannotRun,
    cannot_write,
    count,
    jobs_option,
    policy_option,
    rules_option,
    skipped_message,
)
from .exits import Exit, epilog

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

PROGRESS_EVERY = 100
"""Records between two redraws of the progress bar."""
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(BaseException):
    """A stop signal arrived (SIGINT, SIGTERM or SIGHUP): end the run, keeping what is written.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """While installed, SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    Inside :meth:`writing` a signal waits until the output line and its log entry are both
    written, so that neither is left half-written; a second signal there stops at once (an
    output that blocks for ever cannot hold the run up). A signal that was being ignored when
    the run began (``nohup``, a background job) stays ignored.
    """

    def __init__(self) -> None:
        self.pending: int | None = None
        self._writing = False

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._writing and self.pending is None:
            self.pending = signum
            return
        raise Stopped(signum)

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        previous: dict[int, object] = {}
        try:
            for signum in STOP_SIGNALS:
                if signal.getsignal(signum) != signal.SIG_IGN:
                    previous[signum] = signal.signal(signum, self._handle)
        except ValueError:  # not the main thread: leave the signals alone
            pass
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]

    @contextmanager
    def writing(self) -> Iterator[None]:
        self._writing = True
        try:
            yield
        finally:
            self._writing = False
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise Stopped(signum)


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
@jobs_option("Worker processes (default: one per core; 1 decides in this process).")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue a killed run with the same inputs, --output and --log: keep the output's "
    "complete lines and go on after them, logging no decision twice.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr (default: when stderr is a terminal).",
)
@policy_option
@rules_option
def batch_command(
    inputs: tuple[str, ...],
    output: str,
    log_path: Path | None,
    minimal: bool,
    jobs: int | None,
    resume: bool,
    progress: bool | None,
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
    _check_usage(minimal, log_path, resume, output)
    settings = _settings(policy_version, rules_dir, log_path, minimal)
    skipped: list[str] = []
    paths = expand_inputs(inputs, skipped)
    if skipped:
        click.echo(skipped_message("batch", skipped), err=True)
    if not paths:
        click.echo("batch: no case or JSON Lines files in the inputs given", err=True)
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()
    counts = {DECIDED: 0, REJECTED: 0, FAILED: 0}
    try:
        _write_all(paths, settings, output, log_path, jobs, show, counts, resume)
    except Stopped as stop:
        name = signal.Signals(stop.signum).name
        click.echo(
            f"batch: stopped by {name} after {count(sum(counts.values()), 'record')}; "
            "the output holds each of them, in order",
            err=True,
        )
        raise SystemExit(128 + stop.signum) from None
    except BrokenPipeError:
        _silence_stdout()
        raise SystemExit(Exit.BROKEN_PIPE) from None
    except (LogError, ResumeError) as exc:
        raise CannotRun(str(exc)) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise CannotRun(f"{where}{exc.strerror or exc}") from None
    except BrokenProcessPool:
        raise CannotRun(
            "a worker process stopped unexpectedly; the output holds every record decided "
            "before it, in order"
        ) from None
    _finish(counts, time.perf_counter() - started)


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


def _finish(counts: dict[int, int], seconds: float) -> None:
    """Print the summary of the run and exit with its status."""
    decided, rejected, failed = counts[DECIDED], counts[REJECTED], counts[FAILED]
    click.echo(
        f"batch: {count(decided + rejected + failed, 'record')}: {decided} decided, "
        f"{rejected} rejected"
        + (f", {failed} failed in the engine" if failed else "")
        + f" ({seconds:.1f} s)",
        err=True,
    )
    if failed:
        raise SystemExit(Exit.CANNOT_RUN)
    raise SystemExit(Exit.FINDINGS if rejected else Exit.OK)


def _check_usage(minimal: bool, log_path: Path | None, resume: bool, output: str) -> None:
    if minimal and log_path is None:
        raise click.UsageError("--minimal applies to the decision log: give --log FILE too")
    if resume and output == "-":
        raise click.UsageError("--resume continues an output file: give --output FILE")


def _silence_stdout() -> None:
    """Point standard output at the null device, so that nothing more is written to the closed
    pipe (not even the flush at exit, which would print an error)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to silence
        pass


def _open_output(output: str, stack: ExitStack, append: bool = False) -> IO[str]:
    if output == "-":
        return sys.stdout
    try:
        return stack.enter_context(open(output, "a" if append else "w", encoding="utf-8"))
    except OSError as exc:
        raise CannotRun(cannot_write(output, exc)) from None


def _write_all(
    paths: list[str],
    settings: Settings,
    output: str,
    log_path: Path | None,
    jobs: int | None,
    show: bool,
    counts: dict[int, int],
    resuming: bool = False,
) -> None:
    """Decide and write every record, counting them in ``counts`` as they are written (only
    those after the kept output when ``resuming``)."""
    point = ResumePoint(0, None)
    if resuming:
        point = prepare_resume(output, log_path)
        click.echo(f"batch: resuming after {count(point.kept, 'record')}", err=True)
    elif output != "-":
        start_resumable(output, log_path)
    length = None if resuming else input_bytes(paths)
    name = "standard output" if output == "-" else output
    stop = StopSignals()
    with ExitStack() as stack:
        stack.enter_context(stop.installed())
        out = _open_output(output, stack, append=resuming)
        log = None
        if log_path is not None:
            log = stack.enter_context(DecisionLog(log_path, minimal=settings.log == "minimal"))
        bar = stack.enter_context(_progress_bar(length, show))
        # Closed first on the way out: an early stop terminates the workers.
        results = stack.enter_context(closing(run(paths, settings, jobs=jobs, skip=point.kept)))
        step = 0
        logged = point.logged_ahead
        for result in results:
            with stop.writing():
                logged = _write_result(result, logged, log, out, name)
                counts[result.status] += 1
            step += result.size if length is not None else 1
            if sum(counts.values()) % PROGRESS_EVERY == 0:
                bar.update(step)
                step = 0
        bar.update(step)


def _progress_bar(length: int | None, show: bool) -> ProgressBar[Any]:
    """A bar over bytes read when every input has a size; a count of records otherwise."""
    return click.progressbar(
        (_ for _ in ()) if length is None else None,
        length=length,
        file=sys.stderr,
        hidden=not show,
        label="deciding",
        show_pos=length is None,
        show_percent=length is not None,
        show_eta=length is not None,
    )


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
