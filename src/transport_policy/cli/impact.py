"""``transport-policy impact``: what would change between two policy versions."""

from __future__ import annotations

import errno
import os
import sys
from contextlib import suppress
from pathlib import Path

import click

from ..audit.impact import ImpactError, Versions, analyse, group_fields
from ..audit.impact_report import BINARY, FORMATS, write
from ..batch.inputs import expand_inputs, total_bytes
from ..errors import TransportPolicyError
from .common import (
    CannotRun,
    cannot_write,
    partitions_options,
    progress_bar,
    progress_option,
    refuse_same_files,
    rules_option,
    skipped_message,
    workers,
    workers_options,
)
from .exits import Exit, epilog
from .signals import stopping


def _by(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return group_fields(value)
    except ImpactError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command(
    "impact",
    epilog=epilog(
        """Examples:
  transport-policy impact cases/ --from 2016 --to 2021-01
  transport-policy impact cases/ --from 2021-01 --to draft-2027 \\
      --to-rules docs/examples/draft-2027 --format csv --output impact.csv
  transport-policy impact cases/ --from 2021-01 --to draft-2027 \\
      --to-rules docs/examples/draft-2027 --by destination.purpose \\
      --format html --output impact.html""",
        {
            Exit.OK: "every case was decided under both versions and the report written",
            Exit.FINDINGS: "the report was written, but some cases were rejected (listed in it)",
            Exit.CANNOT_RUN: "the rules do not load, a version is unknown, or the report "
            "cannot be written",
            Exit.SIGHUP: None,
            Exit.SIGTERM: None,
        },
    ),
)
@click.argument(
    "cases", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True, path_type=str)
)
@click.option(
    "--from",
    "before",
    required=True,
    metavar="VERSION",
    help="The version decisions are made under now.",
)
@click.option(
    "--to", "after", required=True, metavar="VERSION", help="The version to compare it with."
)
@click.option(
    "--to-rules",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder holding the --to version (a draft kept outside the rules), if not under --rules.",
)
@click.option(
    "--by",
    "by",
    multiple=True,
    callback=_by,
    metavar="FIELD",
    help="Also break the report down by this record field (repeatable), as it is by "
    "person.service_area and person.age_band: a yes/no, one-of-a-list or whole-number field.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people; csv, json or parquet for analysis; html for a committee paper "
    "(charts as SVG; needs pip install 'transport-policy[report]').",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output (needed for parquet).",
)
@partitions_options
@workers_options()
@progress_option
@rules_option
def impact_command(
    cases: tuple[str, ...],
    before: str,
    after: str,
    to_rules: Path | None,
    by: tuple[str, ...],
    fmt: str,
    output: Path | None,
    partitions: Path | None,
    partition_rows: int,
    jobs: int | None,
    engine: str | None,
    scheduler: str | None,
    progress: bool | None,
    rules_dir: Path | None,
) -> None:
    """Decide every case under two policy versions and report what would change.

    CASES are case files, folders or JSON Lines files of records, as for `batch`. The report
    counts the outcome transitions (provide → do_not_provide, ...), with the unchanged cases,
    broken down by service area, age band and each --by field, and the causes of each change:
    the reasons that appear or disappear (their clause, rule and facts) and the questions
    newly asked or no longer asked. Each count has its percentage. The cases themselves are
    written as Parquet partitions (--partitions to keep them), never held in memory.
    """
    if fmt in BINARY and output is None:
        raise click.UsageError(f"--format {fmt} is written to a file: give --output FILE")
    where = workers(jobs, engine, scheduler)
    versions = Versions(
        before, after, str(rules_dir) if rules_dir else None, str(to_rules) if to_rules else None
    )
    skipped: list[str] = []
    paths = expand_inputs(cases)
    refuse_same_files(paths, {"--output": output})
    _check_output(fmt, output)
    length = total_bytes(paths)
    with stopping("impact") as stop:
        try:
            with progress_bar(length, progress, "deciding") as bar:
                report = analyse(
                    cases,
                    versions,
                    by=by,
                    workers=where,
                    partitions=partitions,
                    partition_rows=partition_rows,
                    skipped=skipped,
                    progress=bar.update if length is not None else lambda _size: bar.update(1),
                )
        except TransportPolicyError as exc:
            raise CannotRun(str(exc)) from None
        if skipped:
            click.echo(skipped_message("impact", skipped), err=True)
        with report, stop.writing():  # a report is written whole
            _write(report, fmt, output)
            if partitions is not None:
                click.echo(f"impact: partitions in {partitions}, root {report.root}", err=True)
    raise SystemExit(Exit.FINDINGS if report.rejected else Exit.OK)


def _check_output(fmt: str, output: Path | None) -> None:
    """Refuse now, not after every case is decided, a report that cannot be written: into a
    folder that does not exist, or as HTML without its chart library."""
    if output is not None and not output.absolute().parent.is_dir():
        missing = FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
        raise CannotRun(cannot_write(output, missing))
    if fmt == "html":
        from ..audit.impact_html import chart_library

        try:
            chart_library()
        except TransportPolicyError as exc:
            raise CannotRun(str(exc)) from None


def _write(report: object, fmt: str, output: Path | None) -> None:
    from ..audit.impact_tables import Report

    assert isinstance(report, Report)
    if output is None:  # a closed pipe or a full disk is the command line's to report
        write(report, fmt, sys.stdout)
        return
    try:
        try:
            write(report, fmt, path=output)
        except BaseException:  # a full disk, a second stop signal: no report, not part of one
            if output.is_file():
                with suppress(OSError):
                    output.unlink()
            raise
    except OSError as exc:
        raise CannotRun(cannot_write(output, exc)) from None
    except TransportPolicyError as exc:
        raise CannotRun(str(exc)) from None
    click.echo(f"impact: wrote {output}", err=True)


__all__ = ["impact_command"]
