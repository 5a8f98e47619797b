"""The rules the service decides with, from the process cache (:mod:`..engine.cache`): a changed
rule folder is picked up by the first request made after the cache's recheck interval (20 ms), and
a broken edit keeps the last good version serving (reported by ``/readyz``).

The cache compares the files it depends on (one ``stat`` each) at most every 20 ms and makes a new
:class:`PolicyStore` when they changed; this module only checks that a new store loads before it
serves, so a request never meets a half-edited folder.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from ..engine.cache import CACHE
from ..errors import TransportPolicyError
from ..rules.versions import PolicyStore, default_rules_root, stamp


@dataclass(frozen=True)
class Readiness:
    ready: bool
    problem: str | None
    """Why the last edit of the rules could not be loaded (the last good version still serves)."""


def _tree(root: str) -> tuple[str, ...]:
    """Every folder and file under ``root`` (two levels: versions and their files)."""
    paths = [root]
    for folder, dirs, files in os.walk(root):
        paths += [os.path.join(folder, n) for n in (*dirs, *files)]
        if folder != root:
            dirs.clear()
    return tuple(sorted(paths))


class RulesState:
    """The last good :class:`PolicyStore` for a rules root (``None``: the bundled rules)."""

    def __init__(self, root: str | None = None) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._good: PolicyStore | None = None
        self._seen: PolicyStore | None = None
        """The cache's store last checked (loaded, or found broken)."""
        self._problem: str | None = None
        self._failed: tuple[object, ...] | None = None
        """While the cache cannot make a store at all: the stamp of the folder when it failed."""
        self.store(fresh=True)

    def store(self, *, fresh: bool = False) -> PolicyStore | None:
        """The store to decide with: the cache's, once all its versions loaded; otherwise the
        last good one (``None`` only if the rules never loaded). ``fresh``: compare the files
        now rather than trusting a check made within the last 2 ms."""
        if self._failed is not None:  # the folder did not make a store: has it changed since?
            if stamp(_tree(self._folder())) == self._failed:
                return self._good
            self._failed, fresh = None, True
        try:
            current = CACHE.store(self.root, fresh=fresh)
        except (TransportPolicyError, OSError) as exc:
            with self._lock:
                self._problem = str(exc)
                self._failed = stamp(_tree(self._folder()))
                return self._good
        if current is self._seen:  # the usual case: nothing changed
            return self._good
        with self._lock:
            if current is not self._seen:
                self._seen = current
                try:
                    for version in current.versions:
                        current.get(version)  # load now: a broken edit shows here
                except (TransportPolicyError, OSError) as exc:
                    self._problem = str(exc)
                else:
                    self._good, self._problem = current, None
            return self._good

    def _folder(self) -> str:
        return self.root if self.root is not None else str(default_rules_root())

    def readiness(self) -> Readiness:
        self.store(fresh=True)
        return Readiness(self._good is not None, self._problem)
