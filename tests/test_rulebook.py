"""The rule book (`rules doc`) and the rule listings (`rules list`, `rules show`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from transport_policy.cli.rules import rules_group
from transport_policy.rules.conditions import describe
from transport_policy.rules.model import Policy
from transport_policy.rules.rulebook import render_rulebook, rule_details
from transport_policy.rules.versions import PolicyStore

ROOT = Path(__file__).resolve().parents[1]
RULEBOOK = ROOT / "docs" / "rulebook.md"


def latest() -> Policy:
    return max(PolicyStore(ROOT / "rules").policies.values(), key=lambda p: p.effective_from)


def test_the_committed_rule_book_is_up_to_date() -> None:
    policy = latest()
    assert RULEBOOK.read_text(encoding="utf-8") == render_rulebook(policy), (
        f"docs/rulebook.md is out of date: run transport-policy rules doc --policy "
        f"{policy.version} -o docs/rulebook.md"
    )


def test_the_rule_book_covers_every_clause_in_order_and_every_rule() -> None:
    policy = latest()
    text = render_rulebook(policy)
    positions = [text.index(f"## `{cid}` (") for cid in policy.clauses]
    assert positions == sorted(positions)
    for rule in policy.rules:
        at = text.index(f"### Rule `{rule.id}`")
        section = text[text.rindex(f"## `{rule.clause}` (", 0, at) :]
        assert section.startswith(f"## `{rule.clause}`")
        assert describe(rule.condition) in section
        assert rule.note.split()[0] in section
    for clause in policy.clauses.values():
        if clause.role == "informs":
            assert clause.informative_reason is not None
            assert clause.informative_reason in text


def test_rules_doc_prints_the_rule_book(tmp_path: Path) -> None:
    policy = latest()
    result = CliRunner().invoke(rules_group, ["doc", "--policy", policy.version])
    assert result.exit_code == 0
    assert result.output == render_rulebook(policy)
    out = tmp_path / "book.md"
    assert CliRunner().invoke(rules_group, ["doc", "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == render_rulebook(policy)


def test_rules_doc_reports_a_file_it_cannot_write_without_a_traceback(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "book.md"
    result = CliRunner().invoke(rules_group, ["doc", "-o", str(out)])
    assert result.exit_code == 3
    assert isinstance(result.exception, SystemExit)
    assert f"cannot write {out}: No such file or directory" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("command", "policy_help"),
    [
        ("check", "Check only this policy version (default: every version)."),
        ("list", "Use this policy version (default: the latest)."),
        ("show", "Use this policy version (default: the latest)."),
        ("doc", "Use this policy version (default: the latest)."),
    ],
)
def test_each_rules_command_gives_examples_exit_statuses_and_what_policy_means(
    command: str, policy_help: str
) -> None:
    result = CliRunner().invoke(rules_group, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Examples:\n" in result.output and "Exit status:\n" in result.output
    examples = result.output.split("Examples:")[1].split("Exit status:")[0].split()
    assert f"rules {command}" in " ".join(examples)
    for status in ("0", "2", "3"):
        assert f"\n    {status}  " in result.output
    assert policy_help in " ".join(result.output.split())
    assert "in force at each assessment date" not in result.output


def test_rules_list_shows_what_each_rule_reads() -> None:
    result = CliRunner().invoke(rules_group, ["list", "--policy", "2021-01"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("private-car "))
    assert line.split()[1:3] == ["exclusion", "exclude.private_car"]
    assert "vehicles.drives_self" in line and "circumstances.temporary_illness" in line
    assert len(result.output.splitlines()) == len(latest().rules) + 1


def test_rules_show_explains_one_rule() -> None:
    result = CliRunner().invoke(rules_group, ["show", "family-driver", "--policy", "2021-01"])
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for expected in (
        "Clause: exclude.family_driver",
        "Kind: exclusion",
        "support_network.carer_wellbeing_considered is true",
        "Unless: all of (circumstances.temporary_illness is one of carer, both; "
        "circumstances.ill_carer_relied_on_for contains driving)",
        "A paid worker is not a carer",
    ):
        assert expected in flat


def test_rules_show_suggests_the_closest_rule_id() -> None:
    result = CliRunner().invoke(rules_group, ["show", "privte-car"])
    assert result.exit_code == 2
    assert "no rule 'privte-car' (did you mean 'private-car'?)" in result.output


def test_an_overlay_s_rule_book_and_rules_say_where_their_rules_come_from() -> None:
    """2016 holds only its manifest, and the draft lives outside rules/: each names its own folder
    and the version it extends, and a rule inherited from that version says it is."""
    old = PolicyStore().get("2016")
    assert (
        "from the rule files of `rules/2016/` and of the version it extends, 2021-01;"
        in render_rulebook(old)
    )
    details = rule_details(old, old.rule_index["can-mobilise"])
    assert "2021-01/exclusions.yaml (of a version this one extends)" in details
    assert "../" not in details
    draft = PolicyStore(ROOT / "docs" / "examples" / "draft-2027").get("draft-2027")
    head = render_rulebook(draft).splitlines()[2]
    assert "--policy draft-2027 --rules " in head and "rules/draft-2027" not in head
    assert "File:" in rule_details(draft, draft.rule_index["private-car"])
    assert "draft-2027/exclusions.yaml\n" in rule_details(draft, draft.rule_index["private-car"])
