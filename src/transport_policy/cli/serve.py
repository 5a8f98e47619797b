"""``transport-policy serve``: the HTTP decision service on uvicorn."""

from __future__ import annotations

import os
import secrets

import click

from ..errors import TransportPolicyError
from .common import CannotRun
from .exits import Exit, epilog


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
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (durable-rules holds the GIL: use one per core).",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False),
    help="Rules folder (default: the bundled rules). Edits are picked up live.",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False),
    help="Append every decision to this hash-chained decision log.",
)
@click.option(
    "--tokens",
    "tokens_file",
    type=click.Path(dir_okay=False),
    help="Token file (lines '<sha256-hex> <scopes>'); else $TRANSPORT_POLICY_TOKENS.",
)
@click.option(
    "--max-body",
    default=1_048_576,
    show_default=True,
    type=click.IntRange(1),
    help="Largest request body in bytes (413 beyond).",
)
@click.option(
    "--timeout",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds before an idle or slow connection is closed.",
)
def serve_command(
    host: str,
    port: int,
    workers: int,
    rules_dir: str | None,
    log_path: str | None,
    tokens_file: str | None,
    max_body: int,
    timeout: int,
) -> None:
    """Serve decisions over HTTP (see the README: bearer tokens, reverse proxy for TLS)."""
    try:
        import uvicorn

        from ..service import main as service_main
    except ImportError:
        raise CannotRun(
            "the service needs its extra: pip install 'transport-policy[service]'"
        ) from None
    if tokens_file:
        os.environ[service_main.ENV_TOKENS_FILE] = tokens_file
    if rules_dir:
        os.environ[service_main.ENV_RULES_DIR] = rules_dir
    if log_path:
        os.environ[service_main.ENV_LOG] = log_path
    os.environ[service_main.ENV_MAX_BODY] = str(max_body)
    # One secret for the pages' form tokens, shared by every worker (kept if already set).
    os.environ.setdefault("TRANSPORT_POLICY_WEB_SECRET", secrets.token_hex(32))
    try:  # fail here, clearly, rather than with a traceback in every worker
        service_main.load_tokens()
        from ..audit.log import DecisionLog
        from ..rules.versions import PolicyStore

        _ = PolicyStore(rules_dir).policies
        if log_path:
            with DecisionLog(log_path):
                pass
    except TransportPolicyError as exc:
        raise CannotRun(str(exc)) from None
    uvicorn.run(
        "transport_policy.service.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_keep_alive=timeout,
        timeout_graceful_shutdown=timeout,
        access_log=False,
        log_level="warning",
    )
