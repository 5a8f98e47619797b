"""The ``transport-policy`` command line: thin wrappers over the library.

Each command lives in its own module and is imported only when it is used (or listed by
``--help``), so that ``decide`` starts quickly: see :class:`LazyGroup`.
"""

from __future__ import annotations

import errno
import gc
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from .. import __version__
from .common import cannot_write, silence_stdout
from .exits import Exit

COMMANDS: dict[str, str] = {
    "decide": "decide:decide_command",
    "interview": "interview:interview_command",
    "new-case": "new_case:new_case_command",
    "render": "render:render_command",
    "batch": "batch:batch_command",
    "audit": "audit:audit_group",
    "replay": "replay:replay_command",
    "impact": "impact:impact_command",
    "policies": "policies:policies_command",
    "rules": "rules:rules_group",
    "schema": "schema:schema_command",
    "serve": "serve:serve_command",
}
"""Command name → ``module:object`` within this package."""


class ReaderGone(Exception):
    """The reader of standard output went away (``EPIPE``). Not an :class:`OSError`, so that
    click's own handling of a closed pipe (exit status 1, which reads as a rejected case) leaves
    it to :func:`run`."""


@contextmanager
def _reader_gone() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        raise ReaderGone from None


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's lazy-loading pattern); a
    closed output pipe, in a command or in ``--help``, is :class:`ReaderGone`."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _reader_gone():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _reader_gone():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, _, name = COMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(f".{module}", __name__), name)
        assert isinstance(command, click.Command)
        _started()
        return command


_starting = False
"""Whether the console script paused the garbage collector for its start-up (:func:`run`)."""


def _started() -> None:
    """End the start-up pause: keep what start-up made out of every later collection
    (``gc.freeze``: modules, classes, the models and their validators, all kept until exit) and
    collect as usual from here on."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="transport-policy")
def main() -> None:
    """Decide adult social care transport under Cambridgeshire County Council's Adults'
    Transport Policy, with the reasons for the support plan.

    \b
    Start with:
      transport-policy decide cases/<case>.yaml
      transport-policy interview          (be asked only what could change the outcome)
    """


def run() -> None:
    """The ``transport-policy`` console script: :data:`main`, with no traceback ever shown.

    Beyond each command's own exit statuses (:class:`.exits.Exit`, one table for every command):
    130 when interrupted (Ctrl-C); 141, quietly, when the reader of standard output went away
    (e.g. ``| head``); 3 when output could not be written (a full disk, a missing folder), with a
    one-line message naming the file.

    Start-up (importing the command, which imports the models, the rules and the engine) makes
    tens of thousands of objects that live until exit, and the garbage collector would walk them
    again and again as they are made: it is paused until the command is imported, which takes
    about 7% off a one-case ``decide`` (``benchmarks/bench_cold_start.py``).
    """
    global _starting
    if gc.isenabled():
        _starting = True
        gc.disable()
    try:
        result = main.main(prog_name="transport-policy", standalone_mode=False)
        with _reader_gone():
            sys.stdout.flush()
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        code = Exit.INTERRUPTED
    except ReaderGone:
        silence_stdout()
        code = Exit.BROKEN_PIPE
    except OSError as exc:
        target = exc.filename or "standard output"
        click.echo("Error: " + cannot_write(target, exc), err=True)
        code = Exit.CANNOT_RUN
    else:
        code = result if isinstance(result, int) else Exit.OK
    finally:
        _started()  # when no command was imported (--version, a mistyped command)
    sys.exit(code)


__all__ = ["main", "run"]
