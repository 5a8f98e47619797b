"""What one policy version changes relative to another, rule by rule, in plain words.

The comparison is of the resolved versions (their bases applied) as written: a rule whose own
text is the same is unchanged, even if a rule it refers to changed.
"""

from __future__ import annotations

import textwrap
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
    readings: ItemDiff
    procedure: ItemDiff
    order: list[Change] = field(default_factory=list)
    """Lists whose common items are in another order: the rules of one kind (the order the
    policy reasons in), the clauses (the order of a decision's reasons), the questions."""
    digests: tuple[str, str] = ("", "")

    @property
    def readings_changed(self) -> bool:
        return _any(self.readings)

    @property
    def procedure_changed(self) -> bool:
        return _any(self.procedure)

    @property
    def empty(self) -> bool:
        parts = (self.rules, self.clauses, self.prompts, self.readings, self.procedure)
        return not (any(map(_any, parts)) or self.manifest or self.order)


def _any(d: ItemDiff) -> bool:
    return bool(d.added or d.removed or d.changed)


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


def _reading_key(reading: dict[str, Any]) -> str:
    return str(reading["field"]) + (" (when unknown)" if "unknown_reads_as" in reading else "")


def _keyed(items: list[dict[str, Any]], key: Any) -> dict[str, dict[str, Any]]:
    """Items by key, a repeated key numbered (``#2``) in order."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name = base = key(item)
        n = 1
        while name in out:
            n += 1
            name = f"{base} #{n}"
        out[name] = item
    return out


def _reordered(part: str, before: list[str], after: list[str]) -> list[Change]:
    """``before`` and ``after`` as a change when the items in both are in another order."""
    common = set(before) & set(after)
    a = [k for k in before if k in common]
    b = [k for k in after if k in common]
    return [Change(part, a, b)] if a != b else []


def diff_versions(before: Resolved, after: Resolved) -> PolicyDiff:
    """What ``after`` changes relative to ``before``."""
    from .loader import policy_digest

    a, b = before.content(), after.content()
    manifest = [
        Change(k, a["manifest"].get(k), b["manifest"].get(k))
        for k in MANIFEST_KEYS
        if a["manifest"].get(k) != b["manifest"].get(k)
    ]
    order: list[Change] = []
    for kind in dict.fromkeys(r["kind"] for r in (*a["rules"], *b["rules"])):
        order += _reordered(
            f"{kind} rules",
            [r["id"] for r in a["rules"] if r["kind"] == kind],
            [r["id"] for r in b["rules"] if r["kind"] == kind],
        )
    order += _reordered("clauses", [c["id"] for c in a["clauses"]], [c["id"] for c in b["clauses"]])
    order += _reordered(
        "questions", [q["field"] for q in a["questions"]], [q["field"] for q in b["questions"]]
    )
    return PolicyDiff(
        before=before.manifest.version,
        after=after.manifest.version,
        rules=_items({r["id"]: r for r in a["rules"]}, {r["id"]: r for r in b["rules"]}),
        clauses=_items({c["id"]: c for c in a["clauses"]}, {c["id"]: c for c in b["clauses"]}),
        prompts=_items(
            {q["field"]: q for q in a["questions"]}, {q["field"]: q for q in b["questions"]}
        ),
        manifest=manifest,
        readings=_items(_keyed(a["readings"], _reading_key), _keyed(b["readings"], _reading_key)),
        procedure=_items(
            _keyed(a["procedure"], _procedure_key), _keyed(b["procedure"], _procedure_key)
        ),
        order=order,
        digests=(policy_digest(before), policy_digest(after)),
    )


def _procedure_key(reason: dict[str, Any]) -> str:
    return f"{reason['outcome']}, {reason['clause']}"


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
        "readings": items(result.readings),
        "procedure": items(result.procedure),
        "order": [{"part": c.part, "before": c.before, "after": c.after} for c in result.order],
        "readings_changed": result.readings_changed,
        "procedure_changed": result.procedure_changed,
        "digests": {"from": result.digests[0], "to": result.digests[1]},
    }


def _value(value: Any) -> list[str]:
    if value is None:
        return ["(none)"]
    if isinstance(value, str):  # words as they read, not as YAML would quote them
        return textwrap.wrap(value, 84) or [""]
    if isinstance(value, dict):  # a part left unset is not shown (considered.defeated: null)
        value = {k: v for k, v in value.items() if v is not None}
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=88).rstrip()
    return text.removesuffix("\n...").splitlines()


def _narrow(change: Change) -> Change:
    """A change of the considered texts shown by the texts that changed only (a condition is
    shown whole: a part of it reads as something else)."""
    a, b = change.before, change.after
    if change.part != "considered" or not (isinstance(a, dict) and isinstance(b, dict)):
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
    versions = [
        f"  {version}: policy digest {digest}"
        for version, digest in zip((result.before, result.after), result.digests, strict=True)
        if digest
    ]
    if result.empty:
        return (
            "\n".join(
                [
                    head,
                    *versions,
                    "  nothing: the rules, clauses, questions and readings are the same.",
                ]
            )
            + "\n"
        )
    out = [head, *versions]
    out += _section("Rules", "rule", result.rules)
    if result.order:
        out += ["", "Order (the order rules are read in, and reasons and questions given)"]
        for c in result.order:
            out += [
                f"  ~ {c.part}:",
                "      before: " + ", ".join(c.before),
                "      after:  " + ", ".join(c.after),
            ]
    out += _section("Clauses", "clause", result.clauses)
    out += _section("Questions", "question for", result.prompts)
    out += _section("Readings", "reading of", result.readings)
    out += _section("Procedure reasons", "reason for", result.procedure)
    if result.manifest:
        out += ["", "Manifest"]
        out += [
            f"  ~ {c.part}: {_plain(c.before)} -> {_plain(c.after)}"
            for c in result.manifest
            if c.part != "notes"
        ]
        out += ["  ~ notes changed" for c in result.manifest if c.part == "notes"]
    return "\n".join(out) + "\n"
