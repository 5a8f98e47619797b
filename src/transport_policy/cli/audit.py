"""Commands for auditors and policy owners: ``audit verify``, ``replay``, ``impact``,
``policies``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ..audit.impact import Versions, analyse, render
from ..audit.log import Checkpoint, LogError, Report, verify
from ..audit.replay import DIGEST_PATH, FAILING, Replayed, render_text, replay
from ..errors import TransportPolicyError
from ..rules.versions import PolicyStore
from .batch import skipped_message
from .common import cannot_write, rules_option


class CannotRun(click.ClickException):
    """The command could not run (unreadable log, unknown version): exit status 2."""

    exit_code = 2


def _checkpoint(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> Checkpoint | None:
    if value is None:
        return None
    try:
        return Checkpoint.parse(value)
    except LogError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(
    "audit",
    epilog="""\b
Example:
  transport-policy audit verify decisions.log

\b
Exit status: that of the command run (see `audit verify --help`).""",
)
def audit_group() -> None:
    """Check a decision log (written by `decide --log` or `batch --log`).

    A decision log holds one entry per decision: its sequence number, the time, the decision,
    the record it was made from (or only the record's digest, with --minimal) and the hash of
    the entry before it.
    """


@audit_group.command(
    "verify",
    epilog="""\b
Examples:
  transport-policy audit verify decisions.log
  transport-policy audit verify decisions.log --checkpoint 1234:sha256:9f86d0...

\b
Exit status:
  0  the log is intact (and agrees with the checkpoint, if given)
  1  the log was changed: an entry altered, removed, reordered or cut short, entries
     removed from the end, or the log rewritten (the first such entry is named)
  2  the command line was wrong or the log cannot be read""",
)
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint", callback=_checkpoint, metavar="N:sha256:HEX",
    help="A checkpoint printed by an earlier verify: also detects entries removed from the "
    "end and a log rewritten from the start.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for scripts.")
def verify_command(log: Path, checkpoint: Checkpoint | None, fmt: str) -> None:
    """Check the hash chain of a decision LOG and name the first entry that was changed.

    Each entry holds the hash of the one before it, so changing, removing or reordering an
    entry breaks the chain there. A chain cannot show on its own that entries were removed
    from the end, or that the whole log was rewritten: record the checkpoint this command
    prints somewhere the log's writers cannot change, and pass it back with --checkpoint.
    """
    try:
        report = verify(log, checkpoint)
    except LogError as exc:
        raise CannotRun(str(exc)) from None
    if fmt == "json":
        problem = report.problem
        click.echo(json.dumps({
            "log": str(log), "ok": report.ok, "entries": report.entries,
            "checkpoint": str(report.checkpoint) if report.ok else None,
            "problem": None if problem is None else
            {"entry": problem.entry, "kind": problem.kind, "message": problem.message},
        }))
    elif report.problem is None:
        checked = " and agrees with the checkpoint" if checkpoint is not None else ""
        click.echo(f"{log}: intact{checked}, {report.entries} entries")
        click.echo(f"checkpoint: {report.checkpoint}")
        click.echo("Keep this checkpoint where the log's writers cannot change it, and pass it "
                   "to a later verify with --checkpoint.")
    else:
        click.echo(f"{log}: NOT intact: {report.problem.message}")
        summary = _verified(report, checkpoint)
        if summary:
            click.echo(summary)
    raise SystemExit(0 if report.ok else 1)


def _verified(report: Report, checkpoint: Checkpoint | None) -> str | None:
    """What can still be trusted in a log that is not intact, in one line (or nothing)."""
    problem, n = report.problem, report.entries
    if problem is not None and problem.kind == "rewritten":
        return (f"no entry verified: one or more of entries 1 to {problem.entry} differ from "
                "when the checkpoint was taken")
    if n == 0:
        return None
    span = "entry 1" if n == 1 else f"entries 1 to {n}"
    if checkpoint is not None and checkpoint.entries > n:
        missing = problem is not None and problem.kind == "truncated"
        why = (f"entry {checkpoint.entries} is missing" if missing
               else f"it is for entry {checkpoint.entries}")
        return f"{span} follow the chain, but the checkpoint cannot vouch for them ({why})"
    return f"{span} verified"


@click.command(
    "replay",
    epilog="""\b
Examples:
  transport-policy replay decisions.log
  transport-policy replay decisions.log --policy 2021-01 --format json > replay.jsonl

\b
Statuses: identical; changed (listed field by field); rules changed (the same decision,
but the version's rule files differ from those it was made with); not replayable (a
minimal entry: only the record's digest was logged); rejected (the record is not valid
today); unavailable (the version is not among the rules); altered (the entry does not
match its own hash: run `audit verify`).

\b
Exit status:
  0  every replayable entry was decided exactly as logged
  1  something changed: a decision, the rule files of a version, or an entry could not
     be replayed (rejected, unavailable or altered)
  2  the command line was wrong, the log cannot be read, or --policy is unknown""",
)
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="text: changed entries and a summary; json: a line per entry.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core).")
@click.option("--policy", "policy_version", metavar="VERSION",
              help="Replay under this version instead of the one each entry recorded.")
@rules_option
def replay_command(
    log: Path, fmt: str, jobs: int | None, policy_version: str | None, rules_dir: Path | None
) -> None:
    """Decide each record of a decision LOG again and report any decision that changed.

    Each entry is decided under the policy version it recorded (or --policy VERSION), from
    the rules as they are now, and compared with the logged decision (ignoring the engine
    version, and the policy when --policy is given). Changes are listed field by field.
    """
    try:
        counts: dict[str, int] = {}
        digests: dict[tuple[str, str, str], int] = {}
        for result in replay(log, policy=policy_version, rules=rules_dir, jobs=jobs):
            counts[result.status] = counts.get(result.status, 0) + 1
            for change in result.changes:
                if change.path == DIGEST_PATH:
                    key = (str(result.version), str(change.before), str(change.after))
                    digests[key] = digests.get(key, 0) + 1
            _echo_replayed(result, fmt)
    except (LogError, TransportPolicyError) as exc:
        raise CannotRun(str(exc)) from None
    err = fmt == "json"
    for (version, then, now), n in sorted(digests.items()):
        click.echo(f"the rule files of {version} have changed since {n} of these decisions were "
                   f"made (digest {then} then, {now} now)", err=err)
    total = sum(counts.values())
    summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items()))
    click.echo(f"replayed {log}: {total} entries" + (f": {summary}" if total else ""), err=err)
    raise SystemExit(1 if FAILING & set(counts) else 0)


def _echo_replayed(result: Replayed, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        for line in render_text(result):
            click.echo(line)


@click.command(
    "impact",
    epilog="""\b
Examples:
  transport-policy impact cases/ --from 2016 --to 2021-01
  transport-policy impact cases/ --from 2021-01 --to draft-2027 \\
      --to-rules docs/examples/draft-2027 --format csv --output impact.csv

\b
Exit status:
  0  every case was decided under both versions and the report written
  1  the report was written, but some cases were rejected (listed in it)
  2  the command line was wrong, a version is unknown, or the report cannot be
     written""",
)
@click.argument("cases", nargs=-1, required=True,
                type=click.Path(exists=True, allow_dash=True, path_type=str))
@click.option("--from", "before", required=True, metavar="VERSION",
              help="The version decisions are made under now.")
@click.option("--to", "after", required=True, metavar="VERSION",
              help="The version to compare it with.")
@click.option("--to-rules", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder holding the --to version (a draft kept outside the rules), "
              "if not under --rules.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="table for people; csv or json for analysis.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of standard output.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core).")
@rules_option
def impact_command(
    cases: tuple[str, ...], before: str, after: str, to_rules: Path | None, fmt: str,
    output: Path | None, jobs: int | None, rules_dir: Path | None,
) -> None:
    """Decide every case under two policy versions and report what would change.

    CASES are case files, folders or JSON Lines files of records, as for `batch`. The report
    counts the outcome transitions (provide → do_not_provide, ...), broken down by service
    area and by the clauses responsible (reasons that appear or disappear), as a table, CSV
    (one row per count, with a `breakdown` column) or JSON (with the cases that changed).
    """
    versions = Versions(before, after, str(rules_dir) if rules_dir else None,
                        str(to_rules) if to_rules else None)
    skipped: list[str] = []
    try:
        report = analyse(cases, versions, jobs=jobs, skipped=skipped)
    except TransportPolicyError as exc:
        raise CannotRun(str(exc)) from None
    if skipped:
        click.echo(skipped_message("impact", skipped), err=True)
    text = render(report, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CannotRun(cannot_write(output, exc)) from None
        click.echo(f"impact: wrote {output}", err=True)
    raise SystemExit(1 if report.rejected else 0)


@click.command(
    "policies",
    epilog="""\b
Examples:
  transport-policy policies
  transport-policy policies --on 2018-06-01
  transport-policy policies --format json

\b
Exit status:
  0  the versions were listed
  2  the command line was wrong, or the rules cannot be loaded""",
)
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="Mark the version in force on this date (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for scripts.")
@rules_option
def policies_command(on: dt.datetime | None, fmt: str, rules_dir: Path | None) -> None:
    """List the policy versions with the dates they were in force and their digests.

    `decide` and `batch` use the version in force on each record's assessment date: the
    latest whose effective date is not after it. --policy VERSION overrides that.
    """
    day = on.date() if on is not None else dt.date.today()
    try:
        store = PolicyStore(rules_dir)
        versions = list(store.policies.values())
        current = store.in_force(day).version if versions[0].effective_from <= day else None
    except TransportPolicyError as exc:
        raise CannotRun(str(exc)) from None
    rows = []
    for i, policy in enumerate(versions):
        nxt = versions[i + 1].effective_from if i + 1 < len(versions) else None
        rows.append({
            "version": policy.version, "title": policy.title,
            "effective_from": policy.effective_from.isoformat(),
            "until": (nxt - dt.timedelta(days=1)).isoformat() if nxt else None,
            "supersedes": policy.supersedes, "digest": policy.digest,
            "directory": policy.directory, "in_force": policy.version == current,
        })
    if fmt == "json":
        click.echo(json.dumps({"on": day.isoformat(), "versions": rows}, indent=2))
        return
    click.echo(f"Policy versions under {store.root} (in force on {day.isoformat()}: "
               f"{current or 'none'})")
    width = max(len(p.version) for p in versions)
    for r in rows:
        mark = "*" if r["in_force"] else " "
        click.echo(f"{mark} {r['version']:<{width}}  {r['effective_from']} to "
                   f"{r['until'] or 'now':<10}  {r['title']}")
        click.echo(f"  {'':<{width}}  {r['digest']}")


__all__ = ["audit_group", "impact_command", "policies_command", "replay_command"]
