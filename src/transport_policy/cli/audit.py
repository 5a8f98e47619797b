"""``transport-policy audit verify``: check the hash chain of a decision log, or the hash roots
of a partition folder."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..audit.log import LogError
from ..audit.merkle import PREFIX
from ..audit.verify import Checkpoint, Report, verify
from .common import CannotRun, count, format_option
from .exits import Exit, epilog


def _checkpoint(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> Checkpoint | None:
    if value is None:
        return None
    try:
        return Checkpoint.parse(value)
    except LogError as exc:
        raise click.BadParameter(str(exc)) from None


def _root(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    hex_part = value.removeprefix(PREFIX)
    if not value.startswith(PREFIX) or len(hex_part) != 64 or hex_part.strip("0123456789abcdef"):
        raise click.BadParameter("a root is written sha256:<64 hex digits>, as verify prints it")
    return value


@click.group(
    "audit",
    epilog="""\b
Example:
  transport-policy audit verify decisions.log

\b
Exit status: that of the command run (see `audit verify --help`).""",
)
def audit_group() -> None:
    """Check a decision log (written by `decide --log` or `batch --log`), or a partition folder
    (written by `batch`, `replay` or `impact` with --partitions).

    A decision log holds one entry per decision: its sequence number, the time, the decision,
    the record it was made from (or only the record's digest, with --minimal) and the hash of
    the entry before it. A partition folder holds a run's results as Parquet files, each with
    a hash root over its rows, and a root over them all in manifest.json.
    """


@audit_group.command(
    "verify",
    epilog=epilog(
        """Examples:
  transport-policy audit verify decisions.log
  transport-policy audit verify decisions.log --checkpoint 1234:sha256:9f86d0...
  transport-policy audit verify replayed/ --root sha256:5be1c4...""",
        {
            Exit.OK: "the log is intact (and agrees with the checkpoint, if given); the "
            "partitions are intact (and their root is the one given, if any)",
            Exit.FINDINGS: "the log was changed: an entry altered, removed, reordered or cut "
            "short, entries removed from the end, or the log rewritten (the first such entry "
            "is named); a partition was changed, removed or added, or the root differs from "
            "--root",
            Exit.CANNOT_RUN: "the log cannot be read; the folder has no readable manifest",
        },
    ),
)
@click.argument("log", type=click.Path(exists=True, path_type=Path), metavar="LOG|FOLDER")
@click.option(
    "--checkpoint",
    callback=_checkpoint,
    metavar="N:sha256:HEX",
    help="A checkpoint printed by an earlier verify: also detects entries removed from the "
    "end and a log rewritten from the start.",
)
@click.option(
    "--root",
    callback=_root,
    metavar="sha256:HEX",
    help="For a partition folder: the root another run printed (a serial run, say); the "
    "folder verifies only if it holds exactly the same rows, in the same order.",
)
@format_option()
def verify_command(log: Path, checkpoint: Checkpoint | None, root: str | None, fmt: str) -> None:
    """Check the hash chain of a decision LOG and name the first entry that was changed; or
    check the hash roots of a partition FOLDER.

    Each entry holds the hash of the one before it, so changing, removing or reordering an
    entry breaks the chain there. A chain cannot show on its own that entries were removed
    from the end, or that the whole log was rewritten: record the checkpoint this command
    prints somewhere the log's writers cannot change, and pass it back with --checkpoint.
    A partition folder's rows are hashed again and compared with each partition's root and
    the root over them all; two runs gave the same results exactly when their roots are equal.
    """
    if log.is_dir():
        if checkpoint is not None:
            raise click.UsageError("--checkpoint is for a decision log; use --root for a folder")
        _verify_folder(log, root, fmt)
    if root is not None:
        raise click.UsageError("--root is for a partition folder; use --checkpoint for a log")
    try:
        report = verify(log, checkpoint)
    except LogError as exc:
        raise CannotRun(str(exc)) from None
    if fmt == "json":
        problem = report.problem
        click.echo(
            json.dumps(
                {
                    "log": str(log),
                    "ok": report.ok,
                    "entries": report.entries,
                    "checkpoint": str(report.checkpoint) if report.ok else None,
                    "problem": None
                    if problem is None
                    else {"entry": problem.entry, "kind": problem.kind, "message": problem.message},
                }
            )
        )
    elif report.problem is None:
        checked = " and agrees with the checkpoint" if checkpoint is not None else ""
        click.echo(f"{log}: intact{checked}, {count(report.entries, 'entry', 'entries')}")
        click.echo(f"checkpoint: {report.checkpoint}")
        click.echo(
            "Keep this checkpoint where the log's writers cannot change it, and pass it "
            "to a later verify with --checkpoint."
        )
    else:
        click.echo(f"{log}: NOT intact: {report.problem.message}")
        summary = _verified(report, checkpoint)
        if summary:
            click.echo(summary)
    raise SystemExit(Exit.OK if report.ok else Exit.FINDINGS)


def _verify_folder(folder: Path, root: str | None, fmt: str) -> None:
    from ..audit.partitions import PartitionError
    from ..audit.verify_partitions import verify_partitions

    try:
        report = verify_partitions(folder, root)
    except PartitionError as exc:
        raise CannotRun(str(exc)) from None
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "folder": str(folder),
                    "ok": report.ok,
                    "kind": report.kind,
                    "rows": report.rows,
                    "partitions": report.partitions,
                    "root": report.root if report.ok else None,
                    "problem": report.problem,
                }
            )
        )
    elif report.ok:
        agrees = " and has the root given" if root is not None else ""
        click.echo(
            f"{folder}: intact{agrees}, {count(report.rows, 'row')} of {report.kind} results "
            f"in {count(report.partitions, 'partition')}"
        )
        click.echo(f"root: {report.root}")
    else:
        click.echo(f"{folder}: NOT intact: {report.problem}")
    raise SystemExit(Exit.OK if report.ok else Exit.FINDINGS)


def _verified(report: Report, checkpoint: Checkpoint | None) -> str | None:
    """What can still be trusted in a log that is not intact, in one line (or nothing)."""
    problem, n = report.problem, report.entries
    if problem is not None and problem.kind == "rewritten":
        return (
            f"no entry verified: one or more of entries 1 to {problem.entry} differ from "
            "when the checkpoint was taken"
        )
    if n == 0:
        return None
    span = "entry 1" if n == 1 else f"entries 1 to {n}"
    if checkpoint is not None and checkpoint.entries > n:
        missing = problem is not None and problem.kind == "truncated"
        why = (
            f"entry {checkpoint.entries} is missing"
            if missing
            else f"it is for entry {checkpoint.entries}"
        )
        return f"{span} follow the chain, but the checkpoint cannot vouch for them ({why})"
    return f"{span} verified"


__all__ = ["audit_group", "verify_command"]
