"""``transport-policy interview``: a guided interview asking only what could change the outcome."""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import click

from ..documents import LogPosition, case_context, render
from ..errors import RecordError, TransportPolicyError
from ..questions.dialogue import Dialogue, Stopped
from ..questions.interview import Interview, default_save_path, load_partial
from .common import CannotRun, cannot_write, fail, policy_option, rules_option
from .exits import Exit, epilog


def read_line(prompt: str) -> str:
    """One answer: typed at the terminal (with line editing), or read from piped input and shown
    after its prompt so the transcript reads as the conversation did."""
    if sys.stdin.isatty():
        try:
            return input(prompt)
        except EOFError:  # Ctrl-D: what follows starts on a line of its own
            click.echo()
            raise
    click.echo(prompt, nl=False)
    line = sys.stdin.readline()
    if not line:
        click.echo()
        raise EOFError
    click.echo(line.rstrip("\n"))
    return line.rstrip("\n")


class Saver:
    """Writes the interview's record after every answer (whole or not at all)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def header(self) -> list[str]:
        name = str(self.path)
        return [
            "Saved by `transport-policy interview` after every answer.",
            f"Resume the interview:  transport-policy interview {name}",
            f"Decide it:             transport-policy decide {name}",
            'null: not yet established; "don\'t know yet": asked, and left unknown for now.',
        ]

    def __call__(self, interview: Interview) -> None:
        if self.path is None:
            case_id = interview.value("case_id")
            if not isinstance(case_id, str) or not case_id:
                return
            self.path = default_save_path(case_id)
            click.echo(f"(Answers are saved to {self.path} as you go.)")
        handle, temporary = self._temporary(self.path)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(interview.yaml(self.header()))
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def check(self) -> None:
        """Before any question: the folder the record is to be saved in can be written (the
        current folder while the file is named after the case reference still to be given)."""
        try:
            handle, temporary = self._temporary(self.path or Path("interview.yaml"))
        except OSError as exc:
            if self.path is None:
                exc.filename = f"in the current folder ({Path.cwd()})"
            raise
        os.close(handle)
        Path(temporary).unlink()

    @staticmethod
    def _temporary(path: Path) -> tuple[int, str]:
        """A new file beside ``path``, to be renamed over it; an :class:`OSError` names
        ``path``."""
        if not path.parent.is_dir():
            raise OSError(errno.ENOENT, f"no folder {path.parent}", str(path))
        try:
            return tempfile.mkstemp(prefix=".interview-", dir=path.parent)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None


def _stopped(saver: Saver, interview: Interview, why: str) -> str:
    if not interview.data:
        return f"{why}: nothing was answered, so nothing was saved."
    saver(interview)
    if saver.path is None:
        return f"{why}: no case reference was given, so nothing was saved."
    return (
        f"{why}: the answers so far are saved in {saver.path}. Resume with: "
        f"transport-policy interview {saver.path}"
    )


def _start(
    partial_case: Path | None, version: str | None, rules: Path | None
) -> tuple[Interview, bool]:
    """The interview, from PARTIAL_CASE if given, and whether that file was written by
    ``new-case`` or an interview (only such a file is saved over by default). A case that is not
    valid, an unknown version or rules that do not load stop the command (exit 3) before any
    question."""
    try:
        data, source, ours = load_partial(partial_case) if partial_case else ({}, "<new>", False)
        return Interview.start(data, source=source, version=version, rules=rules), ours
    except RecordError as error:
        where = error.source or "<record>"
        click.echo(f"error: {where}: cannot start the interview:", err=True)
        for err in error.errors:
            click.echo(f"  {err.field}: {err.message}", err=True)
        raise SystemExit(Exit.CANNOT_RUN) from None
    except TransportPolicyError as failure:
        raise fail(failure) from None


@click.command(
    "interview",
    epilog=epilog(
        """Examples:
  transport-policy interview
  transport-policy interview referral.yaml --log decisions.log
  transport-policy new-case referral.yaml && transport-policy interview referral.yaml
  printf '%s\\n' C-7 2021-03-15 43 1 1 4 1 1 1 '' | transport-policy interview --save c7.yaml""",
        {
            Exit.OK: "the answers were confirmed and the case decided",
            Exit.FINDINGS: "the input ended (Ctrl-D) before the end: the answers so far are "
            "saved, to be resumed",
            Exit.CANNOT_RUN: "PARTIAL_CASE is not a valid (partial) record, the policy could "
            "not be loaded, or the record or the log could not be written",
            Exit.INTERRUPTED: "interrupted (Ctrl-C): the answers so far are saved",
        },
        notes="""Each question shows its choices numbered; 0 (or -) is "don't know yet", which
leaves the fact unknown; ? says why the question is asked (the rules and clauses). Ctrl-D or
Ctrl-C stops, keeping the answers. Answers can be piped in, one per line.""",
    ),
)
@click.argument(
    "partial_case",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--save",
    "save_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the record in this file, written after every answer (default: PARTIAL_CASE when "
    "new-case or an interview wrote it, else a new file named after the case reference in the "
    "current folder: a case file written by hand is never overwritten).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the decision to this decision log (created if missing; see `audit verify`).",
)
@policy_option
@rules_option
def interview_command(
    partial_case: Path | None,
    save_path: Path | None,
    log_path: Path | None,
    policy_version: str | None,
    rules_dir: Path | None,
) -> None:
    """Build a case by answering questions, asked only when the answer could change the outcome.

    Starts from PARTIAL_CASE (a record, possibly without case_id and assessment_date) or from
    nothing; asks the case reference and the assessment date, then the next question that could
    change the outcome, in the policy's order, showing the recommendation after each answer. At
    the end every answer is listed and can be changed; then the decision is shown. The record is
    saved (commented YAML) after every answer, so an interview can be stopped and resumed.
    """
    with ExitStack() as stack:
        interview, ours = _start(partial_case, policy_version, rules_dir)
        log = None
        if log_path is not None:
            from ..audit.log import DecisionLog

            try:
                log = stack.enter_context(DecisionLog(log_path))
            except TransportPolicyError as failure:
                raise fail(failure) from None
        saver = Saver(save_path or (partial_case if ours else None))
        try:
            saver.check()
        except OSError as exc:
            raise CannotRun(cannot_write(exc.filename, exc)) from None
        if saver.path is not None:
            click.echo(f"(Answers are saved to {saver.path} as you go.)")
        dialogue = Dialogue(interview, read_line, click.echo, saver)
        try:
            decision = dialogue.run()
        except Stopped as stop:
            click.echo(_stopped(saver, interview, f"Stopped ({stop})"), err=True)
            raise SystemExit(Exit.FINDINGS) from None
        except KeyboardInterrupt:
            click.echo()
            click.echo(_stopped(saver, interview, "Interrupted"), err=True)
            raise SystemExit(Exit.INTERRUPTED) from None
        except TransportPolicyError as failure:
            raise CannotRun(str(failure)) from None
        saver(interview)
        click.echo("")
        record = interview.record()
        entry = log.append(decision, record) if log is not None else None
        position = LogPosition.of(log_path, entry) if log_path and entry else None
        path = str(saver.path) if saver.path else None
        click.echo(render(decision, "text", context=case_context(decision, record, path, position)))
        if entry is not None:
            click.echo(f"(Decision appended to {log_path} as entry {entry.seq}.)")
        if saver.path is not None:
            click.echo(f"(The record is saved in {saver.path}.)")
    raise SystemExit(Exit.OK)
