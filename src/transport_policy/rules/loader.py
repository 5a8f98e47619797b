"""Loading and validating a policy version from its folder of YAML files.

Every problem is a :class:`~transport_policy.errors.RuleError` naming the file, the rule id and
the field, with the closest valid name when a name is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..casefile import load_yaml
from ..digest import canonical_json, sha256_digest
from ..errors import RuleError
from ..model.fields import FIELDS
from ..model.record import FIELD_PATHS
from .conditions import (
    All,
    Always,
    AnyOf,
    Condition,
    Not,
    RuleRef,
)
from .model import PLACEHOLDER, Policy, Rule, TextChoice
from .overlay import Resolved, resolve
from .parser import ConditionParser, closest
from .schema import Manifest, RuleFile, RuleSpec, TextVariant

DECISION_KINDS = ("scope", "exclusion")  # kinds whose unknown facts are asked


def _read_yaml(path: Path, rel: str) -> Any:
    try:
        docs = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError("file not found", path=rel) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"cannot be read as YAML ({exc})", path=rel) from None
    if len(docs) > 1:
        raise RuleError(f"must hold one YAML document, found {len(docs)}", path=rel)
    return docs[0] if docs else None


def _validate(model: type[BaseModel], data: Any, rel: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        # An unknown (e.g. misspelt) key explains a missing one: report it first.
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = [str(p) for p in err["loc"]]
        rule_id = None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(data, Mapping):
            try:
                rule_id = data["rules"][int(loc[1])].get("id")
            except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                rule_id = None
            loc = loc[2:]
        field = ".".join(loc) or None
        msg = err["msg"]
        if err["type"] == "extra_forbidden" and loc:
            names = _allowed_keys(model)
            msg = "is not a known key" + closest(loc[-1], names)
        raise RuleError(msg, path=rel, rule_id=rule_id, field=field) from None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    if model is RuleFile:
        return list(RuleSpec.model_fields)
    return list(model.model_fields)


def policy_digest(resolved: Resolved) -> str:
    """``sha256:`` over the RFC 8785 canonical JSON of the resolved policy content (its base
    versions applied): the manifest's own metadata, clauses, rules, prompts, readings and
    procedure reasons, so editing a base changes the digest of every version built on it."""
    return sha256_digest(canonical_json(resolved.content()))


def _resolve(cond: Condition, specs: dict[str, Rule], seen: tuple[str, ...]) -> Condition:
    if isinstance(cond, RuleRef):
        if cond.rule_id in seen:
            raise RuleError(
                "rule references form a cycle: " + " -> ".join((*seen, cond.rule_id)),
                path=specs[seen[-1]].source,
                rule_id=seen[-1],
            )
        target = specs[cond.rule_id]
        return _resolve(target.effective, specs, (*seen, cond.rule_id))
    if isinstance(cond, All):
        return All(tuple(_resolve(p, specs, seen) for p in cond.parts))
    if isinstance(cond, AnyOf):
        return AnyOf(tuple(_resolve(p, specs, seen) for p in cond.parts), cond.ordered)
    if isinstance(cond, Not):
        return Not(_resolve(cond.part, specs, seen))
    return cond


def _check_text(text: str, rel: str, rule_id: str | None, where: str) -> str:
    for path in PLACEHOLDER.findall(text):
        if path not in FIELD_PATHS:
            raise RuleError(
                f"unknown field path {{{path}}} in text" + closest(path, FIELD_PATHS),
                path=rel,
                rule_id=rule_id,
                field=where,
            )
    return text


def read_manifest(directory: str | Path) -> Manifest:
    """The validated ``policy.yaml`` of a policy-version folder (the rules are not loaded)."""
    root = Path(directory)
    manifest: Manifest = _validate(
        Manifest, _read_yaml(root / "policy.yaml", "policy.yaml"), "policy.yaml"
    )
    return manifest


def load_policy(directory: str | Path) -> Policy:
    """Load and validate the policy version in ``directory`` (which holds ``policy.yaml``).

    A :class:`RuleError` names the file relative to the folder (``path``) and, in its message,
    the folder too, since every version has files of the same names.
    """
    try:
        return _load_policy(Path(directory))
    except RuleError as exc:
        if exc.folder is None:
            raise exc.in_folder(str(directory)) from None
        raise


def _read_file(model: type[BaseModel], path: Path, rel: str) -> Any:
    return _validate(model, _read_yaml(path, rel), rel)


def resolve_version(root: Path, chain: tuple[str, ...] = ()) -> Resolved:
    """The content of the version in ``root``, its bases applied (``chain``: versions below)."""
    manifest = read_manifest(root)
    if manifest.version in chain:
        raise RuleError(
            "extends forms a cycle: " + " -> ".join((*chain, manifest.version)),
            path="policy.yaml",
            field="extends",
        )

    def load_base(folder: Path) -> Resolved:
        try:
            return resolve_version(folder, (*chain, manifest.version))
        except RuleError as exc:
            raise (exc if exc.folder is not None else exc.in_folder(str(folder))) from None

    return resolve(root, manifest, _read_file, load_base)


def _load_policy(root: Path) -> Policy:
    resolved = resolve_version(root)
    manifest = resolved.manifest
    clauses = {cid: c for cid, (_, c) in resolved.clauses.items()}
    for rel, c in resolved.clauses.values():
        if (c.role == "informs") != (c.informative_reason is not None):
            raise RuleError(
                "informative_reason is required for role informs, and only for it",
                path=rel,
                field=c.id,
            )
        if not c.from_policy_text and c.source is None:
            raise RuleError(
                "a clause not from the policy text needs its source",
                path=rel,
                field=c.id,
            )

    def check_clause(cid: str, rel: str, rule_id: str | None, where: str) -> str:
        if cid not in clauses:
            raise RuleError(
                f"unknown clause {cid!r}" + closest(cid, clauses),
                path=rel,
                rule_id=rule_id,
                field=where,
            )
        return cid

    specs = resolved.rules
    rule_ids = {spec.id for _, spec in specs}

    rules: dict[str, Rule] = {}
    for rel, spec in specs:
        rules[spec.id] = _build_rule(rel, spec, rule_ids, check_clause)
    built = tuple(
        _replace_conditions(rule, lambda c, r=rule: _resolve(c, rules, (r.id,)))
        for rule in rules.values()
    )

    prompts = _prompts(resolved, built)
    procedure_when = _check_manifest(resolved, check_clause)
    conditional_readings = _readings(resolved, check_clause)
    digest = policy_digest(resolved)
    files = tuple(sorted({rel for rel, _ in specs} | {"policy.yaml"}))
    return Policy(
        id=manifest.id,
        version=manifest.version,
        title=manifest.title,
        effective_from=manifest.effective_from,
        digest=digest,
        directory=str(root),
        clauses=clauses,
        rules=built,
        prompts=prompts,
        readings=tuple(resolved.readings),
        procedure=tuple(resolved.procedure),
        supersedes=manifest.supersedes,
        approved=manifest.approved,
        next_review=manifest.next_review,
        files=files,
        extends=manifest.extends,
        folders=resolved.folders,
        procedure_when=procedure_when,
        conditional_readings=conditional_readings,
    )


REVIEW_CLAUSE = "governance.review"
"""The clause a version's ``next_review`` date stands for."""


def _check_manifest(resolved: Resolved, check_clause: Any) -> tuple[Condition, ...]:
    """The readings and procedure reasons name known fields and clauses, and a review date comes
    after the version came into force (its clause in the catalogue); returns each procedure
    reason's ``when``, parsed."""
    manifest = resolved.manifest
    if manifest.next_review is not None:
        if manifest.next_review <= manifest.effective_from:
            raise RuleError(
                "must be later than effective_from", path="policy.yaml", field="next_review"
            )
        check_clause(REVIEW_CLAUSE, "policy.yaml", None, "next_review")
    conditions: list[Condition] = []
    for i, reason in enumerate(resolved.procedure):
        check_clause(reason.clause, "policy.yaml", None, "procedure")
        _check_text(reason.summary, "policy.yaml", None, "procedure")
        parser = ConditionParser("policy.yaml", "", set())
        when = reason.when
        conditions.append(Always() if when is None else parser.parse(when, f"procedure[{i}].when"))
    return tuple(conditions)


def _readings(resolved: Resolved, check_clause: Any) -> tuple[tuple[str, bool, Condition], ...]:
    """The readings name known fields and clauses and are each of one kind; returns the
    conditional ones (``unknown_reads_as`` with ``when``), parsed."""
    conditional: list[tuple[str, bool, Condition]] = []
    parser = ConditionParser("policy.yaml", "", set())
    for i, reading in enumerate(resolved.readings):
        where = f"readings[{i}]"

        def fail(message: str, field: str = where) -> RuleError:
            return RuleError(message, path="policy.yaml", field=field)

        if reading.field not in FIELD_PATHS:
            raise fail(
                f"unknown field path {reading.field!r}" + closest(reading.field, FIELD_PATHS)
            )
        check_clause(reading.clause, "policy.yaml", None, where)
        if (reading.false_reads_as is None) == (reading.unknown_reads_as is None):
            raise fail("a reading has exactly one of false_reads_as or unknown_reads_as")
        if (reading.when is None) != (reading.unknown_reads_as is None):
            raise fail("when is required with unknown_reads_as, and only with it")
        if reading.unknown_reads_as is None:
            continue
        if FIELDS[reading.field].kind != "bool" or not FIELDS[reading.field].fact:
            raise fail(f"{reading.field} is not a true/false fact: it cannot be read as one")
        if any(path == reading.field for path, _, _ in conditional):
            raise fail(f"{reading.field} already has a conditional reading (join the conditions)")
        when = parser.parse(reading.when, f"{where}.when")
        conditional.append((reading.field, reading.unknown_reads_as, when))
    return tuple(conditional)


def _prompts(resolved: Resolved, built: tuple[Rule, ...]) -> dict[str, str]:
    """The question prompts by field; every fact a scope or exclusion rule can ask needs one."""
    prompts: dict[str, str] = {}
    for rel, q in resolved.prompts.values():
        if q.field not in FIELD_PATHS:
            raise RuleError(
                f"unknown field path {q.field!r}" + closest(q.field, FIELD_PATHS),
                path=rel,
                field=q.field,
            )
        prompts[q.field] = q.prompt
    questions_file = next((rel for rel, _ in resolved.prompts.values()), "questions.yaml")
    for rule in built:
        if rule.kind in DECISION_KINDS:
            for path in rule.fields:
                if path not in prompts:
                    raise RuleError(
                        f"no question prompt for {path}, which this rule can ask",
                        path=resolved.manifest.questions or questions_file,
                        rule_id=rule.id,
                        field=path,
                    )
    return prompts


_NEEDS_OUTCOMES = {"charging", "provision", "action", "next_step", "override"}
_MAY_HAVE_OUTCOMES = {"appeal"}


def _check_shape(spec: RuleSpec, condition: Condition, unless: Condition | None, fail: Any) -> None:
    """The fields that a rule of this kind must, or must not, have."""
    if unless is not None and spec.kind != "exclusion":
        raise fail("only an exclusion has a defeater (unless)", "unless")
    if spec.kind in ("scope", "exclusion", "provide") and isinstance(condition, Always):
        raise fail(f"a {spec.kind} rule needs a real condition, not always", "condition")
    if spec.kind in _MAY_HAVE_OUTCOMES:
        pass
    elif (spec.outcomes is None) == (spec.kind in _NEEDS_OUTCOMES):
        raise fail(
            f"outcomes is {'required' if spec.kind in _NEEDS_OUTCOMES else 'not used'} "
            f"for a {spec.kind} rule",
            "outcomes",
        )
    if (spec.effect is None) == (spec.kind == "override"):
        raise fail("effect is required for an override rule, and only for it", "effect")
    if spec.role is not None and spec.kind != "exclusion":
        raise fail("role belongs to exclusion rules (alternative or expectation)", "role")
    if spec.temporary and spec.kind != "provide":
        raise fail("temporary belongs to provide rules", "temporary")
    if spec.review and spec.kind not in ("provide", "action"):
        raise fail("review belongs to provide and action rules", "review")


def _considered(rel: str, spec: RuleSpec, unless: Condition | None, fail: Any) -> dict[str, str]:
    """The checked considered texts (only exclusion, provide and provision rules have them)."""
    considered: dict[str, str] = {}
    if spec.kind in ("exclusion", "provide", "provision"):
        if spec.considered is None:
            raise fail(f"a {spec.kind} rule needs considered texts (fails, unknown)", "considered")
        if (spec.considered.defeated is None) != (unless is None):
            raise fail(
                "considered.defeated is required exactly when the rule has unless", "considered"
            )
        considered = {
            k: _check_text(v, rel, spec.id, f"considered.{k}")
            for k, v in spec.considered.model_dump(exclude_none=True).items()
        }
    elif spec.considered is not None:
        raise fail(f"a {spec.kind} rule has no considered texts", "considered")
    return considered


def _summary(
    rel: str, spec: RuleSpec, parser: ConditionParser, fail: Any
) -> tuple[TextChoice, ...]:
    """The summary variants, each with its condition; the last one is the default text."""
    variants: list[str | TextVariant] = (
        [spec.summary] if isinstance(spec.summary, str) else list(spec.summary)
    )
    summary: list[TextChoice] = []
    for i, v in enumerate(variants):
        if isinstance(v, str):
            summary.append(TextChoice(Always(), _check_text(v, rel, spec.id, "summary")))
        else:
            when = parser.parse(v.when, f"summary[{i}].when") if v.when is not None else Always()
            summary.append(
                TextChoice(when, _check_text(v.text, rel, spec.id, f"summary[{i}].text"))
            )
    if not isinstance(summary[-1].when, Always):
        raise fail("the last summary variant must have no when (the default text)", "summary")
    return tuple(summary)


def _build_rule(rel: str, spec: RuleSpec, rule_ids: set[str], check_clause: Any) -> Rule:
    parser = ConditionParser(rel, spec.id, rule_ids - {spec.id})

    def fail(message: str, where: str) -> RuleError:
        return RuleError(message, path=rel, rule_id=spec.id, field=where)

    check_clause(spec.clause, rel, spec.id, "clause")
    condition = parser.parse(spec.condition, "condition")
    unless = parser.parse(spec.unless, "unless") if spec.unless is not None else None
    _check_shape(spec, condition, unless, fail)
    considered = _considered(rel, spec, unless, fail)
    also = tuple(
        (
            check_clause(a.clause, rel, spec.id, f"also_cites[{i}].clause"),
            parser.parse(a.when, f"also_cites[{i}].when") if a.when is not None else Always(),
        )
        for i, a in enumerate(spec.also_cites)
    )
    also_summaries = tuple(
        _check_text(a.summary, rel, spec.id, f"also_cites[{i}].summary") if a.summary else None
        for i, a in enumerate(spec.also_cites)
    )
    summary = _summary(rel, spec, parser, fail)
    for i, path in enumerate(spec.evidence):
        if path not in FIELD_PATHS:
            raise fail(
                f"unknown field path {path!r}" + closest(path, FIELD_PATHS), f"evidence[{i}]"
            )
        if not FIELDS[path].fact:
            raise fail(f"{path} is recorded only, not a fact a rule can show", f"evidence[{i}]")
    return Rule(
        id=spec.id,
        kind=spec.kind,
        clause=spec.clause,
        description=spec.description,
        note=spec.note,
        condition=condition,
        unless=unless,
        also_cites=also,
        also_summaries=also_summaries,
        summary=summary,
        considered=considered,
        outcomes=tuple(spec.outcomes or ()),
        basis=spec.basis,
        temporary=spec.temporary,
        review=spec.review,
        effect=spec.effect,
        source=rel,
        evidence=tuple(spec.evidence),
        role=spec.role or ("alternative" if spec.kind == "exclusion" else None),
    )


def _replace_conditions(rule: Rule, fix: Any) -> Rule:
    from dataclasses import replace

    return replace(
        rule,
        condition=fix(rule.condition),
        unless=fix(rule.unless) if rule.unless is not None else None,
        also_cites=tuple((c, fix(w)) for c, w in rule.also_cites),
        summary=tuple(TextChoice(fix(t.when), t.text) for t in rule.summary),
    )
