"""``transport-policy serve``: the HTTP decision service on uvicorn."""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import TransportPolicyError
from .common import CannotRun, fail, rules_option
from .exits import Exit, epilog

FILE = click.Path(dir_okay=False)
F = TypeVar("F", bound=Callable[..., Any])


def setting(name: str, default: object, kind: click.ParamType[Any], help: str) -> Callable[[F], F]:
    """An option with a default, shown in ``--help``."""
    return click.option(name, default=default, show_default=True, type=kind, help=help)


@click.command(
    "serve",
    epilog=epilog(
        """Examples:
  export TRANSPORT_POLICY_TOKENS="$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) decide"
  transport-policy serve
  transport-policy serve --port 8080 --workers 2 --log decisions.log --tokens tokens.txt""",
        {
            Exit.OK: "stopped by SIGTERM or Ctrl-C after the in-flight requests finished",
            Exit.CANNOT_RUN: "the tokens, the rules or the log could not be used, or the port "
            "is taken",
        },
    ),
)
@setting("--host", "127.0.0.1", click.STRING, "Address to listen on.")
@setting("--port", 8000, click.IntRange(1, 65535), "Port to listen on.")
@setting("--workers", 1, click.IntRange(1, 64), "Worker processes (one per core).")
@rules_option
@click.option("--log", "log_path", type=FILE, help="Append every decision to this decision log.")
@click.option(
    "--tokens",
    "tokens_file",
    type=FILE,
    help="Token file (lines '<sha256-hex> <scopes>'); else $TRANSPORT_POLICY_TOKENS.",
)
@setting("--max-body", 1_048_576, click.IntRange(1), "Largest request body in bytes (413 beyond).")
@setting(
    "--request-timeout",
    30.0,
    click.FloatRange(0, min_open=True),
    "Seconds a request may take (408 for a body not sent in time, 503 beyond; a batch gives "
    "its undecided records an error in place).",
)
@setting(
    "--timeout",
    30,
    click.IntRange(1),
    "Seconds an idle connection is kept, and a stop waits for in-flight requests.",
)
def serve_command(
    host: str,
    port: int,
    workers: int,
    rules_dir: Path | None,
    log_path: str | None,
    tokens_file: str | None,
    max_body: int,
    request_timeout: float,
    timeout: int,
) -> None:
    """Serve decisions over HTTP (see the README: bearer tokens, reverse proxy for TLS)."""
    try:  # the service's modules import uvicorn and FastAPI
        from ..service import main as service_main
    except ImportError:
        raise CannotRun(
            "the service needs its extra: pip install 'transport-policy[service]'"
        ) from None
    # The workers read their settings from the environment (uvicorn starts them afresh).
    settings = {
        service_main.ENV_TOKENS_FILE: tokens_file,
        service_main.ENV_RULES_DIR: rules_dir,
        service_main.ENV_LOG: log_path,
        service_main.ENV_MAX_BODY: max_body,
        service_main.ENV_REQUEST_TIMEOUT: request_timeout,
    }
    os.environ.update({name: str(value) for name, value in settings.items() if value is not None})
    # One secret for the pages' form tokens, shared by every worker (kept if already set).
    os.environ.setdefault("TRANSPORT_POLICY_WEB_SECRET", secrets.token_hex(32))
    try:  # fail here, clearly, rather than with a traceback in every worker
        service_main.preflight()
    except TransportPolicyError as exc:
        raise fail(exc) from None
    with _stops_cleanly():
        _run(host, port, workers, timeout)


class _Stopped(Exception):
    """A stop signal, passed on by uvicorn once it has shut down."""


def _stop(_signum: int, _frame: object) -> None:
    raise _Stopped


@contextmanager
def _stops_cleanly() -> Iterator[None]:
    """SIGTERM or Ctrl-C ends the command with status 0: uvicorn stops gracefully on either,
    then sends the signal again to the handler it found (with one worker), which would end the
    process by the signal itself (143) or as interrupted (130)."""
    signals = (signal.SIGTERM, signal.SIGINT)
    found = {sig: signal.signal(sig, _stop) for sig in signals}
    try:
        yield
    except _Stopped:
        pass
    finally:
        for sig, handler in found.items():
            signal.signal(sig, handler)


def _run(host: str, port: int, workers: int, timeout: int) -> None:
    import uvicorn

    from ..service import main as service_main

    uvicorn.run(
        "transport_policy.service.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_keep_alive=timeout,
        timeout_graceful_shutdown=timeout,
        access_log=False,  # requests are personal data: only the decision log records them
        proxy_headers=False,  # client addresses are never used, so X-Forwarded-* need no reading
        server_header=False,
        log_level="warning",
        log_config=service_main.LOG_CONFIG,
    )
