"""Low-level file access for the decision log: an exclusive lock, and the last line read fast."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Final

TAIL_BLOCK: Final = 65536


@contextmanager
def flocked(handle: IO[bytes]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on an open file (other processes, and other open files on the
    same path in this process, wait for it)."""
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def last_line(handle: IO[bytes]) -> tuple[bytes, int, bool]:
    """The file's last line without its newline, the file's size, and whether the file ends with
    a newline (when it does not, the line is not read and ``b""`` is returned).

    Reads backwards block by block to the start of the line, then the line once: linear in the
    line's length (a 100 MiB line costs one read of it, not one per block). Leaves the file
    positioned at its end.
    """
    end = handle.seek(0, os.SEEK_END)
    if end == 0:
        return b"", 0, True
    handle.seek(end - 1)
    if handle.read(1) != b"\n":
        handle.seek(0, os.SEEK_END)
        return b"", end, False
    start = end - 1
    while start > 0:
        step = min(TAIL_BLOCK, start)
        handle.seek(start - step)
        newline = handle.read(step).rfind(b"\n")
        if newline >= 0:
            start = start - step + newline + 1
            break
        start -= step
    handle.seek(start)
    line = handle.read(end - 1 - start)
    handle.seek(0, os.SEEK_END)
    return line, end, True
