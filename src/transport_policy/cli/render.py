"""``transport-policy render``: one decision as a document — the letter to the person or the
support-plan section — in text, Markdown, HTML, PDF or DOCX."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click

from ..documents import AUDIENCES, BINARY_FORMATS, FORMATS, Audience
from ..errors import RecordError, TransportPolicyError
from .common import (
    CannotRun,
    cannot_write,
    fail,
    policy_option,
    rules_option,
    stdout_is_terminal,
    width_option,
)
from .exits import Exit, epilog


@click.command(
    "render",
    epilog=epilog(
        """Examples:
  transport-policy render case.yaml --audience letter
  transport-policy render case.yaml --format pdf --audience letter -o letter.pdf
  transport-policy decide case.yaml --format json > decision.json
  transport-policy render decision.json --format docx -o support-plan.docx
  transport-policy render decisions.log --seq 42 --audience letter --format html -o letter.html""",
        {
            Exit.OK: "the document was written",
            Exit.CANNOT_RUN: "SOURCE could not be read or is not a valid case, decision or log "
            "entry (an entry that does not match its hash is not rendered), the policy could "
            "not be loaded, the format's library is not installed, or the output could not be "
            "written",
        },
    ),
)
@click.argument("source", type=click.Path(allow_dash=True, path_type=str))
@click.option(
    "--seq",
    type=click.IntRange(min=1),
    help="SOURCE is a decision log: render its entry N exactly as it was logged.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text (plain, wrapped), markdown (for Markdown readers), html (an accessible page), "
    "pdf or docx (for Word and case systems). html, pdf and docx need the 'documents' extra.",
)
@click.option(
    "--audience",
    type=click.Choice(AUDIENCES),
    default="support-plan",
    show_default=True,
    help="support-plan: the section for the assessor (reasons with clauses, receipt); "
    "letter: the letter to the person, in plain English.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    help="Write the document to this file (- for standard output). pdf and docx need it, or "
    "standard output redirected: they are never written to a terminal.",
)
@width_option
@policy_option
@rules_option
def render_command(
    source: str,
    seq: int | None,
    fmt: str,
    audience: str,
    output: str | None,
    width: int | None,
    policy_version: str | None,
    rules_dir: Path | None,
) -> None:
    """Render the decision in SOURCE as a document for the assessor or the person.

    SOURCE is a case file (YAML or JSON, decided now; - reads standard input), a decision as
    `decide --format json` prints it, or a decision log with --seq N (exactly what the person was
    told, from the logged decision, for a complaint investigation). The letter says how to appeal
    only where there is a decision; when more information is needed it says what is needed.
    """
    to_stdout = output in (None, "-")
    if fmt in BINARY_FORMATS and to_stdout and stdout_is_terminal():
        raise click.UsageError(f"{fmt} is a binary format: give -o FILE, or redirect the output")
    from ..documents import render
    from ..documents.sources import load_source

    try:
        found = load_source(source, seq=seq, policy=policy_version, rules=rules_dir)
        content = render(
            found.decision,
            fmt,
            audience=cast(Audience, audience),
            context=found.context,
            width=width,
        )
    except RecordError as error:
        click.echo(f"error: {error.source or source}: nothing was rendered:", err=True)
        for problem in error.errors:
            click.echo(f"  {problem.field}: {problem.message}", err=True)
        raise SystemExit(Exit.CANNOT_RUN) from None
    except TransportPolicyError as failure:
        raise fail(failure) from None
    data = content if isinstance(content, bytes) else (content + "\n").encode("utf-8")
    _write(data, None if to_stdout else output)


def _write(data: bytes, output: str | None) -> None:
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise CannotRun(cannot_write(output, exc)) from None
