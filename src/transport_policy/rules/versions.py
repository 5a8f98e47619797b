"""Policy versions: finding the rule folders, and choosing the version in force at a date."""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PolicyVersionError, RuleError
from .model import Policy
from .stored import files_key, kept

if TYPE_CHECKING:
    from .schema import Manifest

ENV_RULES = "TRANSPORT_POLICY_RULES"


def default_rules_root() -> Path:
    """The rules shipped with the package (``rules/`` of a source checkout when run from one)."""
    if os.environ.get(ENV_RULES):
        return Path(os.environ[ENV_RULES])
    bundled = Path(str(resources.files("transport_policy") / "_rules"))
    if bundled.is_dir():
        return bundled
    checkout = Path(__file__).resolve().parents[3] / "rules"
    if checkout.is_dir():
        return checkout
    raise RuleError("no rules folder found (set TRANSPORT_POLICY_RULES)", path=str(bundled))


class PolicyStore:
    """Every policy version under a rules root (one folder per version with a ``policy.yaml``).

    A store reads the manifests of the version folders when it is made, and loads a version
    when first used, once: a store is a snapshot. A process that must see edits asks
    :data:`transport_policy.engine.cache.CACHE` for its store, which makes a new one when a
    watched file changed.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_rules_root()
        if (self.root / "policy.yaml").is_file():
            folders = [self.root]
        else:
            folders = (
                sorted(p for p in self.root.iterdir() if (p / "policy.yaml").is_file())
                if self.root.is_dir()
                else []
            )
        if not folders:
            raise RuleError(
                "no policy version found (a folder with policy.yaml)", path=str(self.root)
            )
        manifests: dict[str, tuple[str, dt.date, str | None]] = {}
        key = files_key([str(folder / "policy.yaml") for folder in folders])
        read = kept("manifests", key, lambda: _read_manifests(folders))
        for folder, manifest in zip(folders, read, strict=True):
            if manifest.version in manifests:
                raise RuleError(f"version {manifest.version} is defined twice", path=str(folder))
            starts = manifest.effective_from
            same_day = [v for v, (_, when, _) in manifests.items() if when == starts]
            if same_day:
                raise RuleError(
                    f"versions {same_day[0]} and {manifest.version} both come into force on "
                    f"{manifest.effective_from.isoformat()}: which one applies would be ambiguous",
                    path=str(folder / "policy.yaml"),
                    field="effective_from",
                )
            manifests[manifest.version] = (str(folder), manifest.effective_from, manifest.extends)
        for folder, manifest in zip(folders, read, strict=True):
            earlier = manifests.get(manifest.supersedes or "")
            if earlier is not None and earlier[1] >= manifest.effective_from:
                raise RuleError(
                    f"supersedes {manifest.supersedes}, which comes into force on "
                    f"{earlier[1].isoformat()}, not before this version "
                    f"({manifest.effective_from.isoformat()}): {manifest.supersedes} would be "
                    "the one in force from then on",
                    path=str(folder / "policy.yaml"),
                    field="supersedes",
                )
        # Versions in order of coming into force; each is loaded only when first used.
        self._manifests = dict(sorted(manifests.items(), key=lambda item: item[1][1]))
        self._starts = tuple((version, when) for version, (_, when, _) in self._manifests.items())
        """Each version and the date it came into force, oldest first."""
        self._loaded: dict[str, Policy] = {}
        watched = [str(self.root)]
        for folder, manifest in zip(folders, read, strict=True):
            watched += _depends_on(folder, manifest)
        for where, _, base in self._manifests.values():
            if base is not None and base not in self._manifests:
                watched += _bases_outside(Path(where), base)
        self.watched = tuple(dict.fromkeys(watched))
        """Every path the versions depend on, for :func:`stamp` (folders, files, bases)."""

    @property
    def versions(self) -> dict[str, dt.date]:
        """Every version name with the date it came into force, oldest first (nothing loaded)."""
        return {version: when for version, (_, when, _) in self._manifests.items()}

    @property
    def fingerprint(self) -> tuple[str, ...]:
        """The size and modification time of every path the versions depend on, as read now:
        it changes when a rule file (of a base version too) is edited."""
        return tuple(repr(s) for s in stamp(self.watched))

    @property
    def policies(self) -> dict[str, Policy]:
        """Every version, loaded, oldest first."""
        return {version: self.get(version) for version in self._manifests}

    def get(self, version: str) -> Policy:
        try:
            folder, _, _base = self._manifests[version]
        except KeyError:
            from .parser import closest

            raise PolicyVersionError(
                f"no policy version {version!r} under {self.root}"
                + closest(version, self._manifests)
                + f"; versions: {', '.join(self._manifests)}"
            ) from None
        policy = self._loaded.get(version)
        if policy is None:
            # Kept between processes, keyed on the bytes of every file the versions depend on.
            key = [version.encode(), folder.encode(), *files_key(self.watched)]
            policy = self._loaded[version] = kept("policy", key, lambda: load_policy(folder))
        if policy.version != version:  # the folder changed since the manifests were read
            raise RuleError(f"policy.yaml now names version {policy.version}", path=folder)
        return policy

    def folder(self, version: str) -> Path:
        """The folder of a version (loading and checking it first)."""
        return Path(self.get(version).directory)

    def in_force(self, on: dt.date) -> Policy:
        """The version in force on a date: the latest whose ``effective_from`` is not after it."""
        chosen = None
        for version, when in self._starts:  # oldest first
            if when > on:
                break
            chosen = version
        if chosen is None:
            first, when = self._starts[0]
            raise PolicyVersionError(
                "no policy version was in force on this date: the earliest, "
                f"{first}, came into force on {when.isoformat()}"
            )
        return self.get(chosen)


def _read_manifests(folders: list[Path]) -> list[Manifest]:
    from .loader import read_manifest  # imported on use: kept manifests need no YAML reading

    return [read_manifest(folder) for folder in folders]


def load_policy(directory: str | Path) -> Policy:
    """Load and validate the policy version in ``directory`` (which holds ``policy.yaml``).

    A :class:`~transport_policy.RuleError` names the file relative to the folder (``path``) and,
    in its message, the folder too, since every version has files of the same names.
    """
    from . import loader  # imported on use: deciding with a kept policy never loads one

    return loader.load_policy(directory)


def _files(folder: Path) -> list[str]:
    try:
        return sorted(str(p) for p in folder.iterdir())
    except OSError:
        return []


def _depends_on(folder: Path, manifest: Manifest) -> list[str]:
    """The folder of a version, its files, and every file its manifest names (a rule file in a
    subfolder too): what loading it reads, besides its bases. A name outside the folder is left
    out: loading refuses it without reading it."""
    from .overlay import is_inside

    own = manifest.extends is None
    named = [
        *(manifest.files or []),
        manifest.clauses or ("clauses.yaml" if own else None),
        manifest.questions or ("questions.yaml" if own else None),
    ]
    inside = [str(folder / rel) for rel in named if rel and is_inside(folder, rel)]
    return [str(folder), *_files(folder), *inside]


def _bases_outside(where: Path, base: str) -> list[str]:
    """What the base ``base`` of the version in ``where``, found outside its rules folder, and
    every base below it depend on (nothing for a base that cannot be found: loading reports it)."""
    from .loader import read_manifest
    from .overlay import find_base

    out: list[str] = []
    seen: set[Path] = set()
    name: str | None = base
    while name is not None:
        try:
            folder = find_base(where, name)
            manifest = read_manifest(folder)
        except RuleError:
            break
        if folder.resolve() in seen:  # a cycle: loading reports it
            break
        seen.add(folder.resolve())
        out += _depends_on(folder, manifest)
        where, name = folder, manifest.extends
    return out


def stamp(paths: tuple[str, ...]) -> tuple[object, ...]:
    """Size and modification time of each path (``None`` if it is gone): one ``stat`` each,
    cheap enough to compare on every call, and changed by any edit."""
    out: list[object] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)
