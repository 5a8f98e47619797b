"""Stop signals for commands that write as they go (``batch``): SIGINT, SIGTERM and SIGHUP end
the run cleanly, never in the middle of a line."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import click

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(BaseException):
    """A stop signal arrived (SIGINT, SIGTERM or SIGHUP): end the run, keeping what is written.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """While installed, SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    Inside :meth:`writing` a signal waits until the output line and its log entry are both
    written, so that neither is left half-written; a second signal there stops at once (an
    output that blocks for ever cannot hold the run up). A signal that was being ignored when
    the run began (``nohup``, a background job) stays ignored.
    """

    def __init__(self) -> None:
        self.pending: int | None = None
        self._writing = False

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._writing and self.pending is None:
            self.pending = signum
            return
        raise Stopped(signum)

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        previous: dict[int, object] = {}
        try:
            for signum in STOP_SIGNALS:
                if signal.getsignal(signum) != signal.SIG_IGN:
                    previous[signum] = signal.signal(signum, self._handle)
        except ValueError:  # not the main thread: leave the signals alone
            pass
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]

    @contextmanager
    def writing(self) -> Iterator[None]:
        self._writing = True
        try:
            yield
        finally:
            self._writing = False
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise Stopped(signum)


@contextmanager
def stopping(command: str, done: Callable[[], str] = str) -> Iterator[StopSignals]:
    """:class:`StopSignals` installed for a command's work: a stop signal ends the command with
    128 plus the signal's number, saying so on standard error with ``done()`` (what had been done
    by then) after it. The workers are stopped on the way out, as on any early exit."""
    stop = StopSignals()
    try:
        with stop.installed():
            yield stop
    except Stopped as exc:
        click.echo(f"{command}: stopped by {signal.Signals(exc.signum).name}{done()}", err=True)
        raise SystemExit(128 + exc.signum) from None
