"""Policy versions: finding the rule folders, and choosing the version in force at a date."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import PolicyVersionError, RuleError
from .rules.loader import closest, load_policy
from .rules.model import Policy

ENV_RULES = "TRANSPORT_POLICY_RULES"


def default_rules_root() -> Path:
    """The rules shipped with the package (``rules/`` of a source checkout when run from one)."""
    import os

    if os.environ.get(ENV_RULES):
        return Path(os.environ[ENV_RULES])
    bundled = Path(str(resources.files("transport_policy") / "_rules"))
    if bundled.is_dir():
        return bundled
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    raise RuleError("no rules folder found (set TRANSPORT_POLICY_RULES)", path=str(bundled))


class PolicyStore:
    """Every policy version under a rules root (one folder per version with a ``policy.yaml``)."""

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
        self._folders = folders
        self._policies: dict[str, Policy] | None = None

    @property
    def policies(self) -> dict[str, Policy]:
        if self._policies is None:
            loaded = [_load(str(folder)) for folder in self._folders]
            versions: dict[str, Policy] = {}
            for policy in sorted(loaded, key=lambda p: p.effective_from):
                if policy.version in versions:
                    raise RuleError(
                        f"version {policy.version} is defined twice", path=policy.directory
                    )
                versions[policy.version] = policy
            self._policies = versions
        return self._policies

    def get(self, version: str) -> Policy:
        try:
            return self.policies[version]
        except KeyError:
            raise PolicyVersionError(
                f"no policy version {version!r} under {self.root}"
                + closest(version, self.policies)
                + f"; versions: {', '.join(self.policies)}"
            ) from None

    def in_force(self, on: dt.date) -> Policy:
        """The version in force on a date: the latest whose ``effective_from`` is not after it."""
        candidates = [p for p in self.policies.values() if p.effective_from <= on]
        if not candidates:
            first = min(self.policies.values(), key=lambda p: p.effective_from)
            raise PolicyVersionError(
                "no policy version was in force on this date: the earliest, "
                f"{first.version}, came into force on {first.effective_from.isoformat()}"
            )
        return max(candidates, key=lambda p: p.effective_from)


@cache
def _load(folder: str) -> Policy:
    return load_policy(folder)
