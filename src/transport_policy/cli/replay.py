"""``transport-policy replay``: decide a decision log's records again and report changes."""

from __future__ import annotations

from contextlib import ExitStack, closing
from pathlib import Path

import click

from ..audit.log import LogError
from ..audit.replay import (
    DIGEST_PATH,
    FAILING,
    Replayed,
    partition_row,
    partition_schema,
    render_text,
    replay,
    to_json_line,
)
from ..errors import TransportPolicyError
from .common import (
    CannotRun,
    count,
    format_option,
    open_partitions,
    partitions_options,
    progress_bar,
    progress_option,
    rules_option,
    workers,
    workers_options,
)
from .exits import Exit, epilog
from .signals import stopping


@click.command(
    "replay",
    epilog=epilog(
        """Examples:
  transport-policy replay decisions.log
  transport-policy replay decisions.log --policy 2021-01 --format json > replay.jsonl""",
        {
            Exit.OK: "every replayable entry was decided exactly as logged",
            Exit.FINDINGS: "something changed: a decision, the rule files of a version, or an "
            "entry could not be replayed (rejected, unavailable or altered)",
            Exit.CANNOT_RUN: "the log cannot be read, the rules do not load, or --policy names "
            "no version",
            Exit.SIGHUP: None,
            Exit.SIGTERM: None,
        },
        notes="""\b
Statuses: identical; changed (listed field by field); rules changed (the same decision,
but the version's rule files differ from those it was made with); not replayable (a
minimal entry: only the record's digest was logged); rejected (the record is not valid
today); unavailable (the version is not among the rules); altered (the entry does not
match its own hash: run `audit verify`).""",
    ),
)
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option("text: changed entries and a summary; json: a line per entry.")
@workers_options()
@progress_option
@partitions_options
@click.option(
    "--policy",
    "policy_version",
    metavar="VERSION",
    help="Replay under this version instead of the one each entry recorded.",
)
@rules_option
def replay_command(
    log: Path,
    fmt: str,
    jobs: int | None,
    engine: str | None,
    scheduler: str | None,
    progress: bool | None,
    partitions: Path | None,
    partition_rows: int,
    policy_version: str | None,
    rules_dir: Path | None,
) -> None:
    """Decide each record of a decision LOG again and report any decision that changed.

    Each entry is decided under the policy version it recorded (or --policy VERSION), from
    the rules as they are now, and compared with the logged decision (ignoring the engine
    version, and the policy when --policy is given). Changes are listed field by field.
    """
    where = workers(jobs, engine, scheduler)
    counts: dict[str, int] = {}
    digests: dict[tuple[str, str, str], int] = {}
    root = None

    def replayed() -> str:  # what a stop signal's message says was done
        return f" after {count(sum(counts.values()), 'entry', 'entries')}"

    try:
        with stopping("replay", replayed) as stop, ExitStack() as stack:
            parts = open_partitions(
                stack,
                partitions,
                "replay",
                partition_schema,
                key="entry",
                rows=partition_rows,
                about={"command": "replay", "log": str(log), "policy": policy_version},
            )
            bar = stack.enter_context(progress_bar(log.stat().st_size, progress, "replaying"))
            results = replay(log, policy=policy_version, rules=rules_dir, workers=where)
            for result in stack.enter_context(closing(results)):
                with stop.writing():  # each entry's lines whole
                    _count(result, counts, digests)
                    _echo_replayed(result, fmt)
                if parts is not None:
                    parts.add(partition_row(result))
                bar.update(result.size)
            root = parts.root if parts is not None else None
    except (LogError, TransportPolicyError) as exc:
        raise CannotRun(str(exc)) from None
    _summary(log, fmt, counts, digests, root, partitions)
    raise SystemExit(Exit.FINDINGS if FAILING & set(counts) else Exit.OK)


def _count(
    result: Replayed, counts: dict[str, int], digests: dict[tuple[str, str, str], int]
) -> None:
    counts[result.status] = counts.get(result.status, 0) + 1
    for change in result.changes:
        if change.path == DIGEST_PATH:
            key = (str(result.version), str(change.before), str(change.after))
            digests[key] = digests.get(key, 0) + 1


def _summary(
    log: Path,
    fmt: str,
    counts: dict[str, int],
    digests: dict[tuple[str, str, str], int],
    root: str | None,
    partitions: Path | None,
) -> None:
    err = fmt == "json"
    for (version, then, now), n in sorted(digests.items()):
        click.echo(
            f"the rule files of {version} have changed since {n} of these decisions were "
            f"made (digest {then} then, {now} now)",
            err=err,
        )
    total = sum(counts.values())
    summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items()))
    click.echo(f"replayed {log}: {total} entries" + (f": {summary}" if total else ""), err=err)
    if root is not None:
        click.echo(f"partitions in {partitions}, root {root}", err=err)


def _echo_replayed(result: Replayed, fmt: str) -> None:
    if fmt == "json":
        click.echo(to_json_line(result))
    else:
        for line in render_text(result):
            click.echo(line)


__all__ = ["replay_command"]
