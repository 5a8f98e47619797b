"""Policy versions: finding the rule folders, and choosing the version in force at a date."""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources
from pathlib import Path

from ..errors import PolicyVersionError, RuleError
from .loader import load_policy, read_manifest
from .model import Policy
from .parser import closest

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

    A store reads the manifests and the digest of each version folder when it is made; a
    version is loaded when first used, and loaded again only if its folder's digest differs, so a
    new store sees rule files edited since an earlier one was made.
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
        manifests: dict[str, tuple[str, dt.date, str]] = {}
        for folder in folders:
            manifest = read_manifest(folder)
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
            manifests[manifest.version] = (
                str(folder), manifest.effective_from, folder_stamp(str(folder))
            )
        # Versions in order of coming into force; each is loaded only when first used.
        self._manifests = dict(sorted(manifests.items(), key=lambda item: item[1][1]))

    @property
    def versions(self) -> dict[str, dt.date]:
        """Every version name with the date it came into force, oldest first (nothing loaded)."""
        return {version: when for version, (_, when, _) in self._manifests.items()}

    @property
    def fingerprint(self) -> tuple[str, ...]:
        """A cheap stamp (file names, sizes, modification times) of every version folder, oldest
        first, as read when the store was made: it changes when a rule file is edited."""
        return tuple(digest for _, _, digest in self._manifests.values())

    @property
    def policies(self) -> dict[str, Policy]:
        """Every version, loaded, oldest first."""
        return {version: self.get(version) for version in self._manifests}

    def get(self, version: str) -> Policy:
        try:
            folder, _, _stamp = self._manifests[version]
        except KeyError:
            raise PolicyVersionError(
                f"no policy version {version!r} under {self.root}"
                + closest(version, self._manifests)
                + f"; versions: {', '.join(self._manifests)}"
            ) from None
        policy = cached_policy(folder)
        if policy.version != version:  # the folder changed since the manifests were read
            raise RuleError(f"policy.yaml now names version {policy.version}", path=folder)
        return policy

    def folder(self, version: str) -> Path:
        """The folder of a version (loading and checking it first)."""
        return Path(self.get(version).directory)

    def in_force(self, on: dt.date) -> Policy:
        """The version in force on a date: the latest whose ``effective_from`` is not after it."""
        candidates = [v for v, when in self.versions.items() if when <= on]
        if not candidates:
            first, when = next(iter(self.versions.items()))
            raise PolicyVersionError(
                "no policy version was in force on this date: the earliest, "
                f"{first}, came into force on {when.isoformat()}"
            )
        return self.get(candidates[-1])


_policies: dict[str, tuple[tuple[str, ...], Policy]] = {}
"""The process's loaded policies: folder -> (stamps of every folder it was loaded from, policy)."""


def folder_stamp(folder: str) -> str:
    """Names, sizes and modification times of the files of a folder: cheap to read (one
    ``stat`` per file), and changed by any edit, so the folder is read again only then."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
        parts = [f"{e.name}:{e.stat().st_size}:{e.stat().st_mtime_ns}" for e in entries]
    except OSError:
        return ""
    return "|".join(parts)


def cached_policy(folder: str) -> Policy:
    """The policy in ``folder``, loaded again only when it or a base folder changed on disk."""
    hit = _policies.get(folder)
    if hit is not None and hit[0] == tuple(folder_stamp(f) for f in hit[1].folders):
        return hit[1]
    before = folder_stamp(folder)  # taken first, so an edit made during loading is seen later
    policy = load_policy(folder)
    stamps = (before, *(folder_stamp(f) for f in policy.folders[1:]))
    _policies[folder] = (stamps, policy)
    return policy
