"""Loading and validating a policy version from its folder of YAML files.

Every problem is a :class:`~transport_policy.errors.RuleError` naming the file, the rule id and
the field, with the closest valid name when a name is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from ..casefile import load_yaml
from ..digest import canonical_json, sha256_digest
from ..errors import RuleError
from ..model.fields import FIELDS
from ..model.record import FIELD_PATHS
from .building import build_rules, check_text
from .conditions import Always, Condition
from .model import Policy, Rule
from .overlay import Resolved, resolve
from .parser import ConditionParser, closest
from .schema import ClauseSpec, Manifest

DECISION_KINDS = ("scope", "exclusion")  # kinds whose unknown facts are asked


def _read_yaml(path: Path, rel: str) -> Any:
    try:
        docs = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError("file not found", path=rel) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        where = str(exc).replace('in "<unicode string>", ', "")  # the file is named already
        raise RuleError(f"cannot be read as YAML ({where})", path=rel) from None
    if len(docs) > 1:
        raise RuleError(f"must hold one YAML document, found {len(docs)}", path=rel)
    return docs[0] if docs else None


def _validate(model: type[BaseModel], data: Any, rel: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # An unknown (e.g. misspelt) key explains a missing one: report it first.
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        unknown_key = err["type"] == "extra_forbidden"
        where, holder = _location(model, err["loc"], unknown_key)
        rule_id = None
        if len(where) >= 2 and where[0] == "rules" and isinstance(where[1], int):
            if isinstance(data, Mapping):
                try:
                    rule_id = data["rules"][where[1]].get("id")
                except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                    rule_id = None
            where = where[2:]
        field = _written(where) or None
        msg = err["msg"]
        if unknown_key and where:
            msg = "is not a known key" + closest(str(where[-1]), holder.model_fields)
        elif err["type"] == "missing":
            msg = "is required"
        elif not err["loc"] and not isinstance(data, Mapping):
            keys = [k for k, f in model.model_fields.items() if f.is_required()]
            found = "holds a list" if isinstance(data, list) else "holds a single value"
            msg = (
                f"{'is empty' if data is None else found}: it must hold the "
                f"key{'s' * (len(keys) > 1)} {', '.join(keys)}"
            )
        elif err["type"] == "bool_type":
            msg = "must be true or false"
        elif err["type"] == "string_type" and isinstance(err.get("input"), (int, float)):
            msg += " (a number here: put it in quotes)"
        raise RuleError(msg, path=rel, rule_id=rule_id, field=field) from None


def _location(
    model: type[BaseModel], loc: tuple[int | str, ...], unknown_key: bool
) -> tuple[list[int | str], type[BaseModel]]:
    """Where an error is, as written in the file (keys and list positions; pydantic's names of
    the members of a union left out), and the model whose keys are allowed there."""
    where: list[int | str] = []
    holder: type[BaseModel] = model
    current: type[BaseModel] | None = model
    for i, part in enumerate(loc):
        if isinstance(part, int):
            where.append(part)
        elif current is not None and part in current.model_fields:
            where.append(part)
            holder, current = current, _model_in(current.model_fields[part].annotation)
        elif unknown_key and i == len(loc) - 1:
            where.append(part)
            holder = current or holder
    return where, holder


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, in a list, or as a member of a union), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _written(where: list[int | str]) -> str:
    """``readings[0].when``: a location as the other messages write it."""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def policy_digest(resolved: Resolved) -> str:
    """``sha256:`` over the RFC 8785 canonical JSON of the resolved policy content (its base
    versions applied): the manifest's own metadata, clauses, rules, prompts, readings and
    procedure reasons, so editing a base changes the digest of every version built on it."""
    return sha256_digest(canonical_json(resolved.content()))


def read_manifest(directory: str | Path) -> Manifest:
    """The validated ``policy.yaml`` of a policy-version folder (the rules are not loaded)."""
    root = Path(directory)
    try:
        manifest: Manifest = _validate(
            Manifest, _read_yaml(root / "policy.yaml", "policy.yaml"), "policy.yaml"
        )
    except RuleError as exc:  # every version has a policy.yaml: name which
        raise exc.in_folder(str(directory)) from None
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


def _clauses(resolved: Resolved) -> dict[str, ClauseSpec]:
    """The clause catalogue by id, each clause's role and source checked."""
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
    return clauses


def _load_policy(root: Path) -> Policy:
    resolved = resolve_version(root)
    manifest = resolved.manifest
    clauses = _clauses(resolved)

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
    built = build_rules(specs, check_clause, manifest.remove_rules)

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
        check_text(reason.summary, "policy.yaml", None, "procedure")
        parser = ConditionParser("policy.yaml", "", set())
        when = reason.when
        conditions.append(Always() if when is None else parser.parse(when, f"procedure[{i}].when"))
    return tuple(conditions)


def _readings(resolved: Resolved, check_clause: Any) -> tuple[tuple[str, bool, Condition], ...]:
    """The readings name known fields and clauses and are each of one kind; returns the
    conditional ones (``unknown_reads_as`` with ``when``), parsed."""
    conditional: list[tuple[str, bool, Condition]] = []
    read_false: set[str] = set()
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
        if FIELDS[reading.field].kind != "bool" or not FIELDS[reading.field].fact:
            raise fail(f"{reading.field} is not a true/false fact: it cannot be read as one")
        if reading.unknown_reads_as is None:
            if reading.field in read_false:
                raise fail(f"{reading.field} already has a false_reads_as reading")
            read_false.add(reading.field)
            continue
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
