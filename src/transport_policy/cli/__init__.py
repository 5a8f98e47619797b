"""The ``transport-policy`` command line: thin wrappers over the library.

Each command group lives in its own module and is registered on :data:`main` below.
"""

from __future__ import annotations

import click

from .. import __version__
from .audit import audit_group, impact_command, policies_command, replay_command
from .batch import batch_command
from .decide import decide_command
from .rules import rules_group
from .schema import schema_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="transport-policy")
def main() -> None:
    """Decide adult social care transport under Cambridgeshire County Council's Adults'
    Transport Policy, with the reasons for the support plan.

    \b
    Start with:
      transport-policy decide cases/<case>.yaml
    """


for _command in (
    decide_command,
    batch_command,
    audit_group,
    replay_command,
    impact_command,
    policies_command,
    rules_group,
    schema_command,
):
    main.add_command(_command)

__all__ = ["main"]
