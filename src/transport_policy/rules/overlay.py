"""Resolving a policy version's manifest, with ``extends:``, into the content it stands for.

A version either holds its whole policy (``files``, ``clauses``, ``questions``) or ``extends`` a
base version and holds only what differs: its ``files`` hold rules that replace base rules of the
same id (in the base rule's place) or are added (after the base's last rule of the same kind),
``remove_rules`` drops base rules by id, its ``clauses`` file replaces or adds clauses by id, its
``questions`` file replaces or adds prompts by field, and ``readings`` / ``procedure``, when given,
replace the base's. Its manifest metadata (id, version, title, dates, notes) is its own.

Every file a manifest names must lie inside the version's own folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RuleError
from ..model.fields import closest
from .schema import ClauseSpec, Manifest, ProcedureReason, QuestionSpec, ReadingSpec, RuleSpec

ReadFile = Callable[[type[Any], Path, str], Any]
"""Read and validate one YAML file: (model, absolute path, path named in errors)."""


@dataclass
class Resolved:
    """The content of a policy version, its base versions applied."""

    manifest: Manifest
    clauses: dict[str, tuple[str, ClauseSpec]]
    rules: list[tuple[str, RuleSpec]]
    prompts: dict[str, tuple[str, QuestionSpec]]
    readings: list[ReadingSpec]
    procedure: list[ProcedureReason]
    folders: tuple[str, ...]
    """This version's folder, then its base's, and so on."""

    def content(self) -> dict[str, Any]:
        """The resolved policy as JSON-ready data: what the policy digest covers."""
        own = self.manifest.model_dump(
            mode="json",
            include={"id", "version", "title", "effective_from", "supersedes", "approved", "notes"},
        )
        if self.manifest.next_review is not None:  # versions without one keep their digest
            own["next_review"] = self.manifest.next_review.isoformat()
        return {
            "manifest": own,
            "clauses": [c.model_dump(mode="json") for _, c in self.clauses.values()],
            "rules": [r.model_dump(mode="json") for _, r in self.rules],
            "questions": [q.model_dump(mode="json") for _, q in self.prompts.values()],
            # keys left unset are left out, so readings of one kind keep their digest
            "readings": [r.model_dump(mode="json", exclude_none=True) for r in self.readings],
            "procedure": [p.model_dump(mode="json") for p in self.procedure],
        }


def is_inside(root: Path, rel: str) -> bool:
    """Whether ``root / rel`` stays inside ``root`` (symlinks followed)."""
    try:
        return not Path(rel).is_absolute() and (root / rel).resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def inside(root: Path, rel: str, field: str) -> Path:
    """``root / rel``, refused unless it stays inside ``root`` (symlinks followed)."""
    target = root / rel
    if not is_inside(root, rel):
        raise RuleError(
            f"{rel!r} is outside this version's folder: a version may only name its own files "
            "(use extends: to build on another version)",
            path="policy.yaml",
            field=field,
        )
    return target


def find_base(root: Path, name: str) -> Path:
    """The folder of version ``name``: a sibling of ``root``, else one of the bundled rules."""
    from .versions import default_rules_root  # versions imports this module

    places = [root.resolve().parent]
    with contextlib.suppress(RuleError):
        places.append(default_rules_root().resolve())
    found: list[str] = []
    for place in places:
        for folder in sorted(place.iterdir()) if place.is_dir() else []:
            manifest = folder / "policy.yaml"
            if manifest.is_file() and folder.resolve() != root.resolve():
                version = _version_of(manifest)
                if version == name:
                    return folder
                found += [version] if version is not None else []
    raise RuleError(
        f"extends {name!r}, but no version {name!r} was found beside this folder or in the "
        "bundled rules" + (closest(name, found) or f" (found: {', '.join(found) or 'none'})"),
        path="policy.yaml",
        field="extends",
    )


def _version_of(manifest: Path) -> str | None:
    import yaml

    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return str(version) if version is not None else None


def resolve(
    root: Path, manifest: Manifest, read: ReadFile, load_base: Callable[[Path], Resolved]
) -> Resolved:
    """The content of the version in ``root`` whose manifest is ``manifest``."""
    from .schema import ClauseFile, QuestionFile, RuleFile

    if manifest.extends is None:
        if manifest.files is None:
            raise RuleError(
                "files is required (or extends, naming a base version)",
                path="policy.yaml",
                field="files",
            )
        base = Resolved(manifest, {}, [], {}, [], [], ())
    elif manifest.extends == manifest.version:
        raise RuleError("a version cannot extend itself", path="policy.yaml", field="extends")
    else:
        base = _seen_from(root, load_base(find_base(root, manifest.extends)))
    clauses = dict(base.clauses)
    rel = manifest.clauses or ("clauses.yaml" if manifest.extends is None else None)
    if rel is not None:
        own: dict[str, tuple[str, ClauseSpec]] = {}
        for c in read(ClauseFile, inside(root, rel, "clauses"), rel).clauses:
            if c.id in own:
                raise RuleError(f"duplicate clause id {c.id!r}", path=rel)
            own[c.id] = (rel, c)
        clauses.update(own)
    prompts = dict(base.prompts)
    rel = manifest.questions or ("questions.yaml" if manifest.extends is None else None)
    if rel is not None:
        asked: set[str] = set()
        for q in read(QuestionFile, inside(root, rel, "questions"), rel).questions:
            if q.field in asked:
                raise RuleError(f"a second prompt for {q.field}", path=rel, field=q.field)
            asked.add(q.field)
            prompts[q.field] = (rel, q)
    rules = _apply_rules(base.rules, manifest, root, read, RuleFile)
    return Resolved(
        manifest=manifest,
        clauses=clauses,
        rules=rules,
        prompts=prompts,
        readings=manifest.readings if manifest.readings is not None else base.readings,
        procedure=manifest.procedure if manifest.procedure is not None else base.procedure,
        folders=(str(root), *base.folders),
    )


def _seen_from(root: Path, base: Resolved) -> Resolved:
    """``base`` with its file paths relative to ``root``, so that a message about a base rule,
    clause or prompt names the file it is really in."""
    folder = Path(base.folders[0])

    def rel(path: str) -> str:
        return Path(os.path.relpath(folder / path, root)).as_posix()

    return Resolved(
        manifest=base.manifest,
        clauses={k: (rel(r), c) for k, (r, c) in base.clauses.items()},
        rules=[(rel(r), spec) for r, spec in base.rules],
        prompts={k: (rel(r), q) for k, (r, q) in base.prompts.items()},
        readings=base.readings,
        procedure=base.procedure,
        folders=base.folders,
    )


def _apply_rules(
    base: list[tuple[str, RuleSpec]],
    manifest: Manifest,
    root: Path,
    read: ReadFile,
    rule_file: type[Any],
) -> list[tuple[str, RuleSpec]]:
    known = {spec.id for _, spec in base}
    for i, rule_id in enumerate(manifest.remove_rules):
        if rule_id not in known:
            raise RuleError(
                f"remove_rules names {rule_id!r}, which the base version does not have"
                + closest(rule_id, known),
                path="policy.yaml",
                field=f"remove_rules[{i}]",
            )
    out = [(rel, spec) for rel, spec in base if spec.id not in manifest.remove_rules]
    seen: dict[str, str] = {}
    for i, rel in enumerate(manifest.files or []):
        for spec in read(rule_file, inside(root, rel, f"files[{i}]"), rel).rules:
            if spec.id in seen:
                first = "earlier in this file" if seen[spec.id] == rel else f"in {seen[spec.id]}"
                raise RuleError(
                    f"duplicate rule id (a rule of this id is {first})",
                    path=rel,
                    rule_id=spec.id,
                    field="id",
                )
            seen[spec.id] = rel
            if manifest.extends is None:
                out.append((rel, spec))
                continue
            place = next((k for k, (_, s) in enumerate(out) if s.id == spec.id), None)
            if place is not None:
                out[place] = (rel, spec)
                continue
            same_kind = [k for k, (_, s) in enumerate(out) if s.kind == spec.kind]
            out.insert(same_kind[-1] + 1 if same_kind else len(out), (rel, spec))
    return out
