"""What one policy version changes relative to another, rule by rule, in plain words.

The comparison is of the resolved versions (their bases applied) as written: a rule whose own
text is the same is unchanged, even if a rule it refers to changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .overlay import Resolved

FIELD_WORDS = {
    "condition": "condition (when it holds)",
    "unless": "unless (what defeats it)",
    "summary": "summary (the reason's wording)",
    "considered": "considered texts",
    "also_cites": "clauses also cited",
    "outcomes": "outcomes",
    "clause": "clause cited",
    "kind": "kind",
    "description": "description",
    "note": "note",
    "basis": "basis",
    "effect": "effect",
    "temporary": "temporary",
    "review": "review",
    "evidence": "facts shown as evidence",
    "role": "role (alternative or expectation)",
}
MANIFEST_KEYS = (
    "id",
    "title",
    "effective_from",
    "next_review",
    "supersedes",
    "approved",
    "notes",
)


@dataclass
class Change:
    """One changed part of an item: its name and the value before and after."""

    part: str
    before: Any
    after: Any


@dataclass
class ItemDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[Change]] = field(default_factory=dict)


@dataclass
class PolicyDiff:
    before: str
    after: str
    rules: ItemDiff
    clauses: ItemDiff
    prompts: ItemDiff
    manifest: list[Change]
    readings_changed: bool
    procedure_changed: bool

    @property
    def empty(self) -> bool:
        parts = (self.rules, self.clauses, self.prompts)
        return not (
            any(p.added or p.removed or p.changed for p in parts)
            or self.manifest
            or self.readings_changed
            or self.procedure_changed
        )


def _items(pairs: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]]) -> ItemDiff:
    out = ItemDiff(
        added=[k for k in other if k not in pairs], removed=[k for k in pairs if k not in other]
    )
    for key, before in pairs.items():
        after = other.get(key)
        if after is not None and after != before:
            parts = [p for p in dict.fromkeys([*before, *after]) if before.get(p) != after.get(p)]
            out.changed[key] = [Change(p, before.get(p), after.get(p)) for p in parts]
    return out


def diff_versions(before: Resolved, after: Resolved) -> PolicyDiff:
    """What ``after`` changes relative to ``before``."""
    a, b = before.content(), after.content()
    manifest = [
        Change(k, a["manifest"].get(k), b["manifest"].get(k))
        for k in MANIFEST_KEYS
        if a["manifest"].get(k) != b["manifest"].get(k)
    ]
    return PolicyDiff(
        before=before.manifest.version,
        after=after.manifest.version,
        rules=_items({r["id"]: r for r in a["rules"]}, {r["id"]: r for r in b["rules"]}),
        clauses=_items({c["id"]: c for c in a["clauses"]}, {c["id"]: c for c in b["clauses"]}),
        prompts=_items(
            {q["field"]: q for q in a["questions"]}, {q["field"]: q for q in b["questions"]}
        ),
        manifest=manifest,
        readings_changed=a["readings"] != b["readings"],
        procedure_changed=a["procedure"] != b["procedure"],
    )


def as_json(result: PolicyDiff) -> dict[str, Any]:
    def items(d: ItemDiff) -> dict[str, Any]:
        return {
            "added": d.added,
            "removed": d.removed,
            "changed": {
                k: [{"part": c.part, "before": c.before, "after": c.after} for c in v]
                for k, v in d.changed.items()
            },
        }

    return {
        "from": result.before,
        "to": result.after,
        "rules": items(result.rules),
        "clauses": items(result.clauses),
        "questions": items(result.prompts),
        "manifest": [
            {"part": c.part, "before": c.before, "after": c.after} for c in result.manifest
        ],
        "readings_changed": result.readings_changed,
        "procedure_changed": result.procedure_changed,
    }


def _value(value: Any) -> list[str]:
    if value is None:
        return ["(none)"]
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=88).rstrip()
    return text.removesuffix("\n...").splitlines()


def _narrow(change: Change) -> Change:
    """A change of a mapping (e.g. the considered texts) shown by its changed keys only."""
    a, b = change.before, change.after
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return change
    keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
    return Change(change.part, {k: a.get(k) for k in keys}, {k: b.get(k) for k in keys})


def _section(title: str, noun: str, d: ItemDiff) -> list[str]:
    if not (d.added or d.removed or d.changed):
        return []
    out = ["", title]
    out += [f"  + {noun} {k}: added" for k in d.added]
    out += [f"  - {noun} {k}: removed" for k in d.removed]
    for key, changes in d.changed.items():
        out.append(
            f"  ~ {noun} {key}: "
            + ", ".join(FIELD_WORDS.get(c.part, c.part) for c in changes)
            + " changed"
        )
        for c in map(_narrow, changes):
            out.append(f"      {FIELD_WORDS.get(c.part, c.part)}:")
            out += [
                "        before: " + line if i == 0 else "                " + line
                for i, line in enumerate(_value(c.before))
            ]
            out += [
                "        after:  " + line if i == 0 else "                " + line
                for i, line in enumerate(_value(c.after))
            ]
    return out


def _plain(value: Any) -> str:
    return "(none)" if value is None else str(value)


def render_text(result: PolicyDiff) -> str:
    """The differences as a policy committee reads them."""
    head = f"What {result.after} changes relative to {result.before}:"
    if result.empty:
        return head + "\n  nothing: the rules, clauses, questions and readings are the same.\n"
    out = [head]
    out += _section("Rules", "rule", result.rules)
    out += _section("Clauses", "clause", result.clauses)
    out += _section("Questions", "question for", result.prompts)
    if result.manifest or result.readings_changed or result.procedure_changed:
        out += ["", "Manifest"]
        out += [
            f"  ~ {c.part}: {_plain(c.before)} -> {_plain(c.after)}"
            for c in result.manifest
            if c.part != "notes"
        ]
        out += ["  ~ notes changed" for c in result.manifest if c.part == "notes"]
        out += ["  ~ readings changed"] if result.readings_changed else []
        out += ["  ~ procedure reasons changed"] if result.procedure_changed else []
    return "\n".join(out) + "\n"
