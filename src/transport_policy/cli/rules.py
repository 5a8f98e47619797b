"""``transport-policy rules``: check, list, show, document and compare policy versions' rules."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import click
import yaml

from ..errors import PolicyVersionError, TransportPolicyError
from ..rules.model import Policy
from ..rules.parser import closest
from ..rules.rulebook import render_rulebook, rule_details, source_file
from ..rules.versions import PolicyStore
from ..verify.check import check_policy
from ..verify.findings import Finding, Report
from .common import CannotRun, F, cannot_write, fail, rules_option
from .exits import Exit, epilog


def _policy_option(help_text: str) -> Callable[[F], F]:
    """``--policy VERSION`` with help that says what it means for this command."""

    def decorate(func: F) -> F:
        return click.option("--policy", "policy_version", metavar="VERSION", help=help_text)(func)

    return decorate


_ONE_VERSION = _policy_option("Use this policy version (default: the latest).")


class UnknownRule(click.ClickException):
    """``rules show`` was given an id the version does not have: a wrong command line."""

    exit_code = Exit.USAGE


def _policies(rules_dir: Path | None, version: str | None, *, every: bool) -> list[Policy]:
    store = PolicyStore(rules_dir)
    if version:
        return [store.get(version)]
    versions = sorted(store.policies.values(), key=lambda p: p.effective_from)
    return versions if every else versions[-1:]


@click.group(
    "rules",
    epilog="""\b
Examples:
  transport-policy rules check
  transport-policy rules show private-car
  transport-policy rules doc -o docs/rulebook.md
  transport-policy rules diff 2016 2021-01

\b
Exit status: that of the subcommand (see each one's --help); 2 for a wrong command line.""",
)
def rules_group() -> None:
    """Check, list, document and compare the policy's rules."""


@rules_group.command(
    "check",
    epilog=epilog(
        """Examples:
  transport-policy rules check
  transport-policy rules check --policy 2021-01
  transport-policy rules check --rules my-rules/ --save-counterexamples found/""",
        {
            Exit.OK: "every version checked is sound",
            Exit.FINDINGS: "at least one finding",
            Exit.CANNOT_RUN: "the rules could not be loaded, --policy names no version, or a "
            "counterexample could not be saved",
        },
    ),
)
@_policy_option("Check only this policy version (default: every version).")
@rules_option
@click.option(
    "--save-counterexamples",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each finding's counterexample record to this folder as a case file.",
)
def check_command(
    policy_version: str | None, rules_dir: Path | None, save_dir: Path | None
) -> None:
    """Prove that the rules give every possible record exactly one outcome.

    Over every combination of the values the rules read (unknown included), checks that there
    are no gaps or competing outcomes, no dead rules, no unused clauses, and no needs_information
    that asks nothing or asks a question whose answer cannot matter. Checks every policy version
    unless --policy names one. See docs/verification.md.
    """
    try:
        policies = _policies(rules_dir, policy_version, every=True)
        reports = [check_policy(p) for p in policies]
    except TransportPolicyError as exc:
        raise fail(exc) from None
    total = 0
    for report in reports:
        total += len(report.findings)
        _print_report(report, save_dir, rules_dir)
    raise SystemExit(Exit.FINDINGS if total else Exit.OK)


def _print_report(report: Report, save_dir: Path | None, rules_dir: Path | None) -> None:
    version = report.policy.version
    for n, finding in enumerate(report.findings, 1):
        click.echo(f"{finding.kind}: {finding.subject}: {finding.message}")
        rule = report.policy.rule_index.get(finding.rule or "")
        if rule is not None:
            click.echo(f"  rule file: {source_file(report.policy, rule)}")
        if finding.record is None:
            click.echo("  counterexample: none (the finding is about the rule files themselves)")
        else:
            click.echo("  counterexample:")
            click.echo(_indent(_record_yaml(finding), "    "))
            if save_dir is not None:
                path = _save(save_dir, version, n, finding, rules_dir)
                click.echo(f"  saved: {path}")
        click.echo()
    s = report.stats
    click.echo(
        f"policy {version}: {len(report.findings) or 'no'} finding"
        f"{'' if len(report.findings) == 1 else 's'}; "
        f"{s.get('combinations', 0):,} combinations of the classes of the "
        f"{s.get('deciding_fields', 0)} deciding facts, "
        f"explored as {s.get('points', 0):,} points in {len(s.get('components', []))} components "
        f"(through {s.get('hub_points', 0):,} hub points and {s.get('table_entries', 0):,} "
        "entries of the rules' own tables); "
        f"{s.get('procedure_records', 0):,} records decided against the procedure; "
        f"{s.get('engine_records', 0):,} records matched by durable-rules; "
        f"{s.get('seconds', 0.0):.1f} s"
    )


def _record_yaml(finding: Finding) -> str:
    return yaml.safe_dump(finding.record, sort_keys=False, allow_unicode=True).rstrip()


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def decide_command_line(case: Path, version: str, rules_dir: Path | None) -> str:
    """The ``decide`` command that decides a saved counterexample under the rules checked.

    Paths are as given on the command line, so the command works from where the check was run.
    ``--rules`` appears only when the rules checked were not the bundled ones.
    """
    words = ["transport-policy", "decide", str(case)]
    if rules_dir is not None:
        words += ["--rules", str(rules_dir)]
    words += ["--policy", version]
    return shlex.join(words)


def _save(folder: Path, version: str, n: int, finding: Finding, rules_dir: Path | None) -> Path:
    slug = "".join(c if c.isalnum() or c in "-." else "-" for c in finding.subject)
    path = folder / f"{version}-{n:02d}-{finding.kind}-{slug}.yaml"
    header = "\n".join(
        f"# {line}"
        for line in (
            f"rules check finding ({finding.kind}) in policy {version}: {finding.subject}",
            finding.message,
            f"Decide it with: {decide_command_line(path, version, rules_dir)}",
        )
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "\n" + _record_yaml(finding) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CannotRun(cannot_write(path, exc)) from None
    return path


@rules_group.command(
    "list",
    epilog=epilog(
        """Examples:
  transport-policy rules list
  transport-policy rules list --policy 2021-01
  transport-policy rules list | grep person.age""",
        {
            Exit.OK: "the rules were listed",
            Exit.CANNOT_RUN: "the rules could not be loaded, or --policy names no version",
        },
    ),
)
@_ONE_VERSION
@rules_option
def list_command(policy_version: str | None, rules_dir: Path | None) -> None:
    """List every rule: its id, kind, clause and the facts it reads (latest version by default)."""
    try:
        (policy,) = _policies(rules_dir, policy_version, every=False)
    except TransportPolicyError as exc:
        raise fail(exc) from None
    width = max(len(r.id) for r in policy.rules)
    kinds = max(len(r.kind) for r in policy.rules)
    clauses = max(len(r.clause) for r in policy.rules)
    click.echo(f"policy {policy.version}: {len(policy.rules)} rules")
    for rule in policy.rules:
        click.echo(
            f"{rule.id:<{width}}  {rule.kind:<{kinds}}  {rule.clause:<{clauses}}  "
            f"{', '.join(rule.fields) or '(nothing: always)'}"
        )


@rules_group.command(
    "show",
    epilog=epilog(
        """Examples:
  transport-policy rules show private-car
  transport-policy rules show family-driver --policy 2021-01""",
        {
            Exit.OK: "the rule was shown",
            Exit.USAGE: "the command line was wrong, or the policy version has no rule "
            "RULE_ID (the closest id is suggested)",
            Exit.CANNOT_RUN: "the rules could not be loaded, or --policy names no version",
        },
    ),
)
@click.argument("rule_id")
@_ONE_VERSION
@rules_option
def show_command(rule_id: str, policy_version: str | None, rules_dir: Path | None) -> None:
    """Show one rule: what it reads, its clause, kind, description, condition and note.

    RULE_ID is a rule's id as `rules list` prints it.
    """
    try:
        (policy,) = _policies(rules_dir, policy_version, every=False)
    except TransportPolicyError as exc:
        raise fail(exc) from None
    rule = policy.rule_index.get(rule_id)
    if rule is None:
        raise UnknownRule(
            f"policy {policy.version} has no rule {rule_id!r}" + closest(rule_id, policy.rule_index)
        )
    click.echo(rule_details(policy, rule))


@rules_group.command(
    "doc",
    epilog=epilog(
        """Examples:
  transport-policy rules doc -o docs/rulebook.md
  transport-policy rules doc --policy 2021-01 | less""",
        {
            Exit.OK: "the rule book was written",
            Exit.CANNOT_RUN: "the rules could not be loaded, --policy names no version, or the "
            "output file could not be written",
        },
    ),
)
@_ONE_VERSION
@rules_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rule book to this file instead of standard output.",
)
def doc_command(policy_version: str | None, rules_dir: Path | None, output: Path | None) -> None:
    """Render the rule book: each clause of the policy and the rules that implement it."""
    try:
        (policy,) = _policies(rules_dir, policy_version, every=False)
    except TransportPolicyError as exc:
        raise fail(exc) from None
    text = render_rulebook(policy)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CannotRun(cannot_write(output, exc)) from None


@rules_group.command(
    "diff",
    epilog=epilog(
        """Examples:
  transport-policy rules diff 2016 2021-01
  transport-policy rules diff 2021-01 draft-2027 --to-rules docs/examples/draft-2027
  transport-policy rules diff 2021-01 draft-2027 \\
      --to-rules docs/examples/draft-2027 --format json""",
        {
            Exit.OK: "the differences were printed (there may be none)",
            Exit.CANNOT_RUN: "a version could not be loaded, or no version has that name",
        },
        """Both versions are loaded and checked, their bases applied (extends:). A rule
is changed when its own text is: the parts that differ (condition, unless,
summary, considered texts, ...) are shown before and after.""",
    ),
)
@click.argument("before", metavar="A")
@click.argument("after", metavar="B")
@rules_option
@click.option(
    "--to-rules",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Find B here (a rules folder, or one version's folder) instead of where A is found.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def diff_command(
    before: str, after: str, rules_dir: Path | None, to_rules: Path | None, fmt: str
) -> None:
    """Show what policy version B changes relative to version A, rule by rule."""
    import json

    from ..rules.diff import as_json, diff_versions, render_text
    from ..rules.loader import resolve_version

    try:
        first = resolve_version(PolicyStore(rules_dir).folder(before))
        store = PolicyStore(to_rules) if to_rules is not None else PolicyStore(rules_dir)
        second = resolve_version(store.folder(after))
    except PolicyVersionError as exc:
        elsewhere = "" if to_rules is not None else "; a version kept elsewhere: --to-rules DIR"
        raise CannotRun(f"{exc}{elsewhere}") from None
    except TransportPolicyError as exc:
        raise fail(exc) from None
    result = diff_versions(first, second)
    if fmt == "json":
        click.echo(json.dumps(as_json(result), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render_text(result), nl=False)
