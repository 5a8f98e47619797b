"""The process's state: policy stores by rules root, and compiled engines by policy content.

A long-running process (the HTTP service, a notebook) must see a rule edit on its next call. A
store is kept per rules root with a stamp of every path it depends on (the root, each version
folder and its files, and any base folder outside the root): one ``stat`` per path, compared on
a call made at least :data:`RECHECK_SECONDS` after the previous comparison. When the stamp
differs the store is made again, and the versions loaded anew. An
engine is kept per policy folder and digest; when a folder's policy changes, the engine of its
earlier content is evicted and its durable-rules ruleset deleted, which frees its memory. At most
``max_engines`` engines are kept (least recently used evicted first).

Everything here belongs to one process: after a fork the child starts empty.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..rules.model import Policy
from ..rules.versions import PolicyStore, stamp

if TYPE_CHECKING:
    from . import Engine

RECHECK_SECONDS = 0.02
"""How long a store is trusted without looking at the files again. File modification times come
from the kernel's coarse clock (a tick of 1 to 10 ms), so an edit within the same tick as a check
could be missed anyway. The check is about 15 ``stat`` calls, 40 µs on a virtual machine: made
every 2 ms it cost 2 to 5% of in-process decisions; made at most every 20 ms it costs about 0.5%,
and any call made 20 ms or more after an edit sees it."""


class ProcessCache:
    """Policy stores and engines of this process, checked against the files on every use."""

    def __init__(self, max_engines: int = 16, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.max_engines = max_engines
        self.recheck_seconds = recheck_seconds
        self._lock = threading.RLock()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._stores: dict[str | None, tuple[tuple[object, ...], PolicyStore]] = {}
        self._checked: dict[str | None, float] = {}
        self._engines: OrderedDict[tuple[str, str], Engine] = OrderedDict()

    def _mine(self) -> None:
        if os.getpid() != self._pid:  # a forked child: the parent's rulesets are not ours
            self._reset()

    def store(self, root: str | None, *, fresh: bool = False) -> PolicyStore:
        """The store of a rules root (``None``: the bundled rules), made again if it changed.
        ``fresh``: compare the files now, even if they were compared less than
        :data:`RECHECK_SECONDS` ago."""
        if os.getpid() == self._pid and not fresh:  # the fast path: checked a moment ago
            hit = self._stores.get(root)
            if hit is not None and time.monotonic() - self._checked[root] < self.recheck_seconds:
                return hit[1]
        with self._lock:
            self._mine()
            hit = self._stores.get(root)
            now = time.monotonic()
            if hit is not None and not fresh and now - self._checked[root] < self.recheck_seconds:
                return hit[1]
            if hit is not None and stamp(hit[1].watched) == hit[0]:
                self._checked[root] = now
                return hit[1]
            made = PolicyStore(root)
            # The stamp is taken before the versions are loaded (lazily, later), so an edit made
            # meanwhile is seen on the next check.
            self._stores[root] = (stamp(made.watched), made)
            self._checked[root] = now
            return made

    def engine(self, policy: Policy, make: Callable[[Policy], Engine]) -> Engine:
        """The engine of a policy, compiled once per folder and content."""
        key = (policy.directory, policy.digest)
        if os.getpid() == self._pid:  # the fast path: compiled already
            engine = self._engines.get(key)
            if engine is not None:
                try:  # noqa: SIM105 (cheaper than contextlib.suppress, once per decision)
                    self._engines.move_to_end(key)
                except KeyError:  # evicted meanwhile by another thread
                    pass
                return engine
        with self._lock:
            self._mine()
            engine = self._engines.get(key)
            if engine is not None:
                self._engines.move_to_end(key)
                return engine
            stale = [k for k in self._engines if k[0] == policy.directory]
            for k in stale:
                self._engines.pop(k).close()
            engine = self._engines[key] = make(policy)
            while len(self._engines) > self.max_engines:
                self._engines.popitem(last=False)[1].close()
            return engine

    @property
    def engine_count(self) -> int:
        return len(self._engines)

    def clear(self) -> None:
        """Forget every store and engine, deleting the engines' rulesets."""
        with self._lock:
            self._mine()
            for engine in self._engines.values():
                engine.close()
            self._reset()


CACHE = ProcessCache()
"""The one cache of this process."""
