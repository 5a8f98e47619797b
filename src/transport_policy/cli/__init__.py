"""The ``transport-policy`` command line: thin wrappers over the library.

Each command group lives in its own module and is registered on :data:`main` below.
"""

from __future__ import annotations

import errno
import os
import sys

import click

from .. import __version__
from .audit import audit_group, impact_command, policies_command, replay_command
from .batch import batch_command
from .common import EXIT_FAILED, EXIT_OK, cannot_write
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

EXIT_INTERRUPTED = 130


def run() -> None:
    """The ``transport-policy`` console script: :data:`main`, with no traceback ever shown.

    Beyond each command's own exit statuses: 130 when interrupted (Ctrl-C); 1, quietly, when the
    reader of standard output went away (e.g. ``| head``); 1 when output could not be written (a
    full disk, a missing folder), with a one-line message naming the file.
    """
    try:
        result = main.main(prog_name="transport-policy", standalone_mode=False)
        sys.stdout.flush()
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        code = EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            # Point stdout at /dev/null so the interpreter's final flush stays quiet too.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            code = EXIT_FAILED
        else:
            target = exc.filename or "standard output"
            click.echo("Error: " + cannot_write(target, exc), err=True)
            code = EXIT_FAILED
    else:
        code = result if isinstance(result, int) else EXIT_OK
    sys.exit(code)


__all__ = ["main", "run"]
