"""``transport-policy decide``: decide case files and print the recommendation."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import click

from ..api import decide
from ..casefile import load_case
from ..errors import RecordError, TransportPolicyError
from .common import (
    echo_record_error,
    fail,
    policy_option,
    rules_option,
    stdout_is_terminal,
    width_option,
)
from .exits import Exit, epilog


@click.command(
    "decide",
    epilog=epilog(
        """Examples:
  transport-policy decide cases/a-man-who-walks-to-his-local-day-centre-*.yaml
  transport-policy decide case.json --format json > decision.jsonl
  cat case.yaml | transport-policy decide - --format markdown
  transport-policy decide case.yaml --log decisions.log""",
        {
            Exit.OK: "every case was decided",
            Exit.FINDINGS: "at least one case was rejected as invalid (the others were still "
            "decided)",
            Exit.CANNOT_RUN: "the policy could not be loaded (rule files that do not load), "
            "--policy names no version, the log cannot be written, or the engine failed (the "
            "run stops there)",
        },
    ),
)
@click.argument("cases", nargs=-1, required=True, type=click.Path(allow_dash=True, path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    help="text (the support-plan section for an assessor; the default on a terminal), json "
    "(JSON Lines, the contract; the default otherwise) or markdown (for Markdown readers; for "
    "Word, `render --format docx`).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append each decision to this decision log (created if missing; see `audit verify`).",
)
@click.option(
    "--minimal",
    is_flag=True,
    help="Log only the digest of each record, not the record (such entries cannot be replayed).",
)
@width_option
@policy_option
@rules_option
def decide_command(
    cases: tuple[str, ...],
    fmt: str | None,
    log_path: Path | None,
    minimal: bool,
    width: int | None,
    policy_version: str | None,
    rules_dir: Path | None,
) -> None:
    """Decide each CASE file (YAML or JSON; - reads standard input) and print the recommendation.

    Each decision says what the policy recommends, why, what was ruled out, what to ask next,
    what to record in the support plan, the charges that apply and how to appeal. Invalid cases
    are reported on stderr with the file and each field path, and are not decided.
    """
    fmt = fmt or ("text" if stdout_is_terminal() else "json")
    if fmt != "json":
        from ..documents import LogPosition, case_context, render
    rejected = 0
    printed = 0
    if minimal and log_path is None:
        raise click.UsageError("--minimal applies to the decision log: give --log FILE too")
    with ExitStack() as stack:
        try:
            log = None
            if log_path is not None:
                from ..audit.log import DecisionLog  # only when logging: keeps start-up quick

                log = stack.enter_context(DecisionLog(log_path, minimal=minimal))
        except TransportPolicyError as failure:
            raise fail(failure) from None
        for path in cases:
            try:
                record, _expected = load_case(path)
                decision = decide(record, policy=policy_version, rules=rules_dir)
                appended = log.append(decision, record) if log is not None else None
            except RecordError as error:
                where = "<stdin>" if path == "-" else path
                rejection = error if error.source else error.with_source(where)
                rejected += 1
                echo_record_error(rejection)
                if fmt == "json":
                    click.echo(json.dumps(rejection.as_dict()))
                continue
            except TransportPolicyError as failure:
                raise fail(failure) from None
            if fmt == "json":
                click.echo(decision.to_json())
            else:
                if printed:
                    click.echo("\n---\n" if fmt == "markdown" else "\n" + "=" * 88 + "\n")
                printed += 1
                position = LogPosition.of(log_path, appended) if log_path and appended else None
                context = case_context(decision, record, path, position)
                click.echo(render(decision, fmt, context=context, width=width))
    raise SystemExit(Exit.FINDINGS if rejected else Exit.OK)
