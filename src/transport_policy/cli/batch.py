"""``transport-policy batch``: decide many records to JSON Lines, using every core."""

from __future__ import annotations

import sys
import time
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import click

from ..audit import DecisionLog, LogError
from ..batch import DECIDED, FAILED, REJECTED, Settings, check_settings, expand_inputs, run
from ..batch import total_bytes as input_bytes
from ..errors import TransportPolicyError
from .common import policy_option, rules_option

EXIT_ALL_DECIDED = 0
EXIT_SOME_REJECTED = 1
EXIT_FAILED = 3
PROGRESS_EVERY = 100
"""Records between two redraws of the progress bar."""


class BatchFailed(click.ClickException):
    """Nothing could be decided (rules, log or output unusable): exit status 3."""

    exit_code = EXIT_FAILED


@click.command(
    "batch",
    epilog="""\b
Examples:
  transport-policy batch cases/ --output decisions.jsonl
  transport-policy batch records.jsonl --output decisions.jsonl --log decisions.log
  cat records.jsonl | transport-policy batch - --log decisions.log --minimal > out.jsonl

\b
Output: one JSON line per input record, in input order. A decided record gives its
decision (as `decide --format json` prints it); a rejected record gives an error record
  {"index": N, "source": "file:line", "case_id": id or null,
   "errors": [{"field": path, "message": ...}]}
(index counts input records from 1; no input values are echoed). Blank lines, lines that
are not UTF-8 or JSON (a truncated last line, say) are errors for that line only.

\b
Exit status:
  0  every record was decided
  1  some records were rejected (see the error records; the others were decided)
  2  the command line was wrong (an input that does not exist, say)
  3  nothing could be decided (rules not loadable, unknown --policy, log or output
     not writable), or the engine failed on some records
(`decide` exits 2 when a case is rejected; `batch` exits 1, so that scripts can tell a
 partial batch from a command-line mistake.)""",
)
@click.argument(
    "inputs", nargs=-1, required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=str), metavar="INPUT...",
)
@click.option(
    "--output", "-o", "output", type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    default="-", show_default=True, help="File to write the JSON Lines to (replaced if it exists).",
)
@click.option(
    "--log", "log_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Append every decision to this decision log (created if missing; see `audit verify`).",
)
@click.option(
    "--minimal", is_flag=True,
    help="Log only the digest of each record, not the record (data minimisation; such "
    "entries cannot be replayed).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Worker processes (default: one per core; 1 decides in this process).",
)
@click.option(
    "--progress/--no-progress", default=None,
    help="Show a progress bar on stderr (default: when stderr is a terminal).",
)
@policy_option
@rules_option
def batch_command(
    inputs: tuple[str, ...], output: str, log_path: Path | None, minimal: bool,
    jobs: int | None, progress: bool | None, policy_version: str | None, rules_dir: Path | None,
) -> None:
    """Decide every record in each INPUT and write one JSON line per record, in order.

    INPUT is a case file (YAML or JSON), a folder (its .yaml, .yml, .json, .jsonl and
    .ndjson files, by name), a JSON Lines file of records (.jsonl, .ndjson) or - for JSON
    Lines on standard input. Each line is flushed as soon as it is written, so an
    interrupted run keeps everything already decided.
    """
    if minimal and log_path is None:
        raise click.UsageError("--minimal applies to the decision log: give --log FILE too")
    settings = Settings(
        policy=policy_version,
        rules=str(rules_dir) if rules_dir is not None else None,
        log=None if log_path is None else ("minimal" if minimal else "full"),
    )
    try:
        check_settings(settings)
    except TransportPolicyError as exc:
        raise BatchFailed(str(exc)) from None
    paths = expand_inputs(inputs)
    if not paths:
        click.echo("batch: no case or JSON Lines files in the inputs given", err=True)
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()
    try:
        counts = _write_all(paths, settings, output, log_path, jobs, show)
    except (LogError, OSError) as exc:
        raise BatchFailed(str(exc)) from None
    except BrokenProcessPool:
        raise BatchFailed(
            "a worker process stopped unexpectedly; the output holds every record decided "
            "before it, in order"
        ) from None
    seconds = time.perf_counter() - started
    decided, rejected, failed = counts
    total = decided + rejected + failed
    click.echo(
        f"batch: {total} records: {decided} decided, {rejected} rejected"
        + (f", {failed} failed in the engine" if failed else "")
        + f" ({seconds:.1f} s)", err=True,
    )
    if failed:
        raise SystemExit(EXIT_FAILED)
    raise SystemExit(EXIT_SOME_REJECTED if rejected else EXIT_ALL_DECIDED)


def _write_all(
    paths: list[str], settings: Settings, output: str, log_path: Path | None,
    jobs: int | None, show: bool,
) -> tuple[int, int, int]:
    counts = {DECIDED: 0, REJECTED: 0, FAILED: 0}
    length = input_bytes(paths)
    with ExitStack() as stack:
        out: IO[str] = (
            sys.stdout if output == "-"
            else stack.enter_context(open(output, "w", encoding="utf-8"))
        )
        log = None
        if log_path is not None:
            log = stack.enter_context(DecisionLog(log_path, minimal=settings.log == "minimal"))
        # A bar over bytes read when every input has a size; a count of records otherwise.
        bar = stack.enter_context(click.progressbar(
            (_ for _ in ()) if length is None else None, length=length, file=sys.stderr,
            hidden=not show, label="deciding", show_pos=length is None,
            show_percent=length is not None, show_eta=length is not None,
        ))
        step = 0
        for result in run(paths, settings, jobs=jobs):
            if log is not None and result.decision_json is not None:
                log.append_canonical(result.decision_json, result.record_json, result.input_digest)
            out.write(result.line + "\n")
            out.flush()
            counts[result.status] += 1
            step += result.size if length is not None else 1
            if sum(counts.values()) % PROGRESS_EVERY == 0:
                bar.update(step)
                step = 0
        bar.update(step)
    return counts[DECIDED], counts[REJECTED], counts[FAILED]
