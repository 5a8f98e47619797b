"""``transport-policy policies``: the policy versions and the dates they were in force."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ..errors import TransportPolicyError
from ..rules.versions import PolicyStore
from .common import CannotRun, format_option, rules_option
from .exits import Exit, epilog


@click.command(
    "policies",
    epilog=epilog(
        """Examples:
  transport-policy policies
  transport-policy policies --on 2018-06-01
  transport-policy policies --format json""",
        {Exit.OK: "the versions were listed", Exit.CANNOT_RUN: "the rules do not load"},
    ),
)
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="Mark the version in force on this date (default: today).",
)
@format_option()
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
        rows.append(
            {
                "version": policy.version,
                "title": policy.title,
                "effective_from": policy.effective_from.isoformat(),
                "until": (nxt - dt.timedelta(days=1)).isoformat() if nxt else None,
                "supersedes": policy.supersedes,
                "digest": policy.digest,
                "directory": policy.directory,
                "in_force": policy.version == current,
            }
        )
    if fmt == "json":
        click.echo(json.dumps({"on": day.isoformat(), "versions": rows}, indent=2))
        return
    click.echo(
        f"Policy versions under {store.root} (in force on {day.isoformat()}: {current or 'none'})"
    )
    width = max(len(p.version) for p in versions)
    for r in rows:
        mark = "*" if r["in_force"] else " "
        click.echo(
            f"{mark} {r['version']:<{width}}  {r['effective_from']} to "
            f"{r['until'] or 'now':<10}  {r['title']}"
        )
        click.echo(f"  {'':<{width}}  {r['digest']}")


__all__ = ["policies_command"]
