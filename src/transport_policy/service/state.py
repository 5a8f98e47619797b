"""The rules the service decides with: changed rule folders are picked up on the next request,
and a broken edit keeps the last good version serving (reported by ``/readyz``).

Kept apart from the app so that it can later sit on a process-wide policy cache.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import TransportPolicyError
from ..rules.versions import PolicyStore, default_rules_root


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file under ``root`` with its modification time and size (cheap to take per
    request; the folder digests are recomputed only when it changes)."""
    out = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            out.append((path, info.st_mtime_ns, info.st_size))
    return tuple(sorted(out))


@dataclass(frozen=True)
class Readiness:
    ready: bool
    problem: str | None
    """Why the last edit of the rules could not be loaded (the last good version still serves)."""


class RulesState:
    """The last good :class:`PolicyStore` for a rules root, refreshed when the files change."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_rules_root()
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._store: PolicyStore | None = None
        self._problem: str | None = None
        self.store()

    def store(self) -> PolicyStore | None:
        """The store to decide with: reloaded if any rule file changed and the new rules load;
        otherwise the last good one (``None`` only if the rules never loaded)."""
        signature = _signature(self.root)
        with self._lock:
            if signature == self._signature:
                return self._store
            self._signature = signature
            try:
                store = PolicyStore(self.root)
                for version in store.versions:
                    store.get(version)  # load now, so a broken edit shows here, not mid-request
            except (TransportPolicyError, OSError) as exc:
                self._problem = str(exc)
                return self._store
            self._store, self._problem = store, None
            return store

    def readiness(self) -> Readiness:
        self.store()
        return Readiness(self._store is not None, self._problem)
