"""``transport-policy schema``: print the JSON Schema of the record or the decision."""

from __future__ import annotations

import click

from ..model.schema import SCHEMAS, schema_json
from .exits import Exit, epilog


@click.command(
    "schema",
    epilog=epilog(
        """Examples:
  transport-policy schema record > record.schema.json
  transport-policy schema decision > decision.schema.json""",
        {
            Exit.OK: "the schema was printed",
            Exit.USAGE: "the command line was wrong (NAME is not record or decision)",
        },
    ),
)
@click.argument("name", type=click.Choice(SCHEMAS))
def schema_command(name: str) -> None:
    """Print the JSON Schema (draft 2020-12) of the assessment record or the decision.

    \b
    record    what a case-management system sends (one assessment record)
    decision  what transport-policy returns (one decision)

    The same files are committed as docs/schema/record.schema.json and
    docs/schema/decision.schema.json; docs/integrating.md explains how to use them.
    """
    click.echo(schema_json(name), nl=False)
