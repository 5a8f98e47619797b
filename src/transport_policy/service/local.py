"""A real ``transport-policy serve`` on a free 127.0.0.1 port, in a child process: started as
the command line starts it, ready once ``/readyz`` answers 200, stopped with SIGTERM (in-flight
requests finish). The end-to-end tests and the service benchmarks start their servers with it.

>>> with local_server("--workers", "2", "--tokens", "tokens.txt") as server:  # doctest: +SKIP
...     urllib.request.urlopen(server.url + "/healthz")
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from ..errors import TransportPolicyError

COMMAND = (sys.executable, "-c", "from transport_policy.cli import run; run()", "serve")
"""``transport-policy serve`` run by this interpreter (the console script may not be on PATH)."""


class ServerError(TransportPolicyError):
    """The server did not start."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 60.0) -> int:
        """Stop the server as a service manager would (SIGTERM), and its exit status; killed if
        it has not stopped within ``timeout`` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def _ready(server: LocalServer, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(f"the server exited with status {server.process.returncode}")
        try:
            with urllib.request.urlopen(server.url + "/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise ServerError(f"the server was not ready within {seconds:g} s")


@contextmanager
def local_server(
    *args: str,
    env: Mapping[str, str] | None = None,
    stderr: int | IO[bytes] | None = None,
    ready_seconds: float = 60.0,
) -> Iterator[LocalServer]:
    """``transport-policy serve --host 127.0.0.1 --port <free> *args``, ready; stopped (SIGTERM,
    else killed) on leaving the block if it is still running."""
    port = free_port()
    command = [*COMMAND, "--host", "127.0.0.1", "--port", str(port), *args]
    process = subprocess.Popen(command, env=dict(env) if env is not None else None, stderr=stderr)
    server = LocalServer(process, port)
    try:
        _ready(server, ready_seconds)
        yield server
    finally:
        server.stop()
