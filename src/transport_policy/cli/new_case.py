"""``transport-policy new-case``: write a blank, commented assessment record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..api import select_policy
from ..casefile import parse_record
from ..errors import RecordError, TransportPolicyError
from ..model.record_yaml import record_yaml
from .common import fail, policy_option, rules_option
from .exits import Exit, epilog


def _header(name: str) -> list[str]:
    return [
        "Written by `transport-policy new-case`: a blank record, every fact null (not yet",
        "established). Fill in what is known and leave the rest null; the comment above each",
        "field says what it asks and the values it takes.",
        f"Decide it:           transport-policy decide {name}",
        f"Or be asked only what could change the outcome:  transport-policy interview {name}",
    ]


@click.command(
    "new-case",
    epilog=epilog(
        """Examples:
  transport-policy new-case referral.yaml
  transport-policy new-case referral.yaml --case-id C-0107 --date 2021-03-15
  transport-policy new-case > blank.yaml""",
        {
            Exit.OK: "the record was written",
            Exit.CANNOT_RUN: "the policy could not be loaded, or FILE could not be written",
        },
        notes="FILE is not overwritten unless --force is given (that is a usage error, 2).",
    ),
)
@click.argument(
    "file", required=False, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path)
)
@click.option(
    "--case-id",
    help="The case reference (default: FILE's name without its extension, or NEW-CASE).",
)
@click.option(
    "--date",
    "assessment_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The assessment date, YYYY-MM-DD (default: today); it selects the policy version "
    "whose prompts are written.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@policy_option
@rules_option
def new_case_command(
    file: Path | None,
    case_id: str | None,
    assessment_date: dt.datetime | None,
    force: bool,
    policy_version: str | None,
    rules_dir: Path | None,
) -> None:
    """Write a blank assessment record to FILE (default: standard output).

    Every field of the record is there, nested under its section, with its allowed values and
    the question the policy asks about it in comments. It loads as a valid record with every
    fact unknown, ready to fill in, to decide, or to start an interview from.
    """
    to_stdout = file is None or str(file) == "-"
    if not to_stdout and file is not None and file.exists() and not force:
        raise click.UsageError(f"{file} exists: give --force to overwrite it")
    name = "NEW-CASE" if to_stdout or file is None else file.stem
    date = (assessment_date or dt.datetime.now()).date()
    try:
        record = parse_record(
            {"case_id": case_id or name, "assessment_date": date}, source="new-case"
        )
        policy = select_policy(record, version=policy_version, rules=rules_dir)
    except RecordError as error:
        dated = any(e.field == "assessment_date" for e in error.errors)
        raise click.BadParameter(
            "; ".join(e.said_of(e.field) for e in error.errors),
            param_hint="--date" if dated else "--case-id",
        ) from None
    except TransportPolicyError as failure:
        raise fail(failure) from None
    data = {"case_id": record.case_id, "assessment_date": date}
    shown = "FILE" if to_stdout or file is None else str(file)
    text = record_yaml(data, header=_header(shown), prompts=policy.prompts)
    if to_stdout or file is None:
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(f"Wrote a blank record for {record.case_id} to {file}.", err=True)
    raise SystemExit(Exit.OK)
