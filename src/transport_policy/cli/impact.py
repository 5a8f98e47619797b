"""``transport-policy impact``: what would change between two policy versions."""

from __future__ import annotations

from pathlib import Path

import click

from ..audit.impact import Versions, analyse, render
from ..errors import TransportPolicyError
from .common import CannotRun, cannot_write, jobs_option, rules_option, skipped_message
from .exits import Exit, epilog


@click.command(
    "impact",
    epilog=epilog(
        """Examples:
  transport-policy impact cases/ --from 2016 --to 2021-01
  transport-policy impact cases/ --from 2021-01 --to draft-2027 \\
      --to-rules docs/examples/draft-2027 --format csv --output impact.csv""",
        {
            Exit.OK: "every case was decided under both versions and the report written",
            Exit.FINDINGS: "the report was written, but some cases were rejected (listed in it)",
            Exit.CANNOT_RUN: "the rules do not load, a version is unknown, or the report "
            "cannot be written",
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
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv or json for analysis.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@jobs_option()
@rules_option
def impact_command(
    cases: tuple[str, ...],
    before: str,
    after: str,
    to_rules: Path | None,
    fmt: str,
    output: Path | None,
    jobs: int | None,
    rules_dir: Path | None,
) -> None:
    """Decide every case under two policy versions and report what would change.

    CASES are case files, folders or JSON Lines files of records, as for `batch`. The report
    counts the outcome transitions (provide → do_not_provide, ...), broken down by service
    area and by the clauses responsible (reasons that appear or disappear), as a table, CSV
    (one row per count, with a `breakdown` column) or JSON (with the cases that changed).
    """
    versions = Versions(
        before, after, str(rules_dir) if rules_dir else None, str(to_rules) if to_rules else None
    )
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
    raise SystemExit(Exit.FINDINGS if report.rejected else Exit.OK)


__all__ = ["impact_command"]
