"""The app as uvicorn's workers build it, from environment variables set by ``serve``; and the
checks ``serve`` makes before it starts them."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

from ..audit.log import DecisionLog
from ..rules.versions import PolicyStore
from .app import create_app
from .auth import ENV_TOKENS, Token, TokenError, parse_tokens
from .context import Settings

ENV_TOKENS_FILE = "TRANSPORT_POLICY_TOKENS_FILE"
ENV_RULES_DIR = "TRANSPORT_POLICY_SERVE_RULES"
ENV_LOG = "TRANSPORT_POLICY_SERVE_LOG"
ENV_MAX_BODY = "TRANSPORT_POLICY_SERVE_MAX_BODY"
ENV_REQUEST_TIMEOUT = "TRANSPORT_POLICY_SERVE_REQUEST_TIMEOUT"


def load_tokens() -> tuple[Token, ...]:
    """Tokens from the file named by ``TRANSPORT_POLICY_TOKENS_FILE``, else from the variable
    ``TRANSPORT_POLICY_TOKENS``."""
    path = os.environ.get(ENV_TOKENS_FILE)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenError(f"{path}: cannot be read ({exc.strerror})") from None
        return parse_tokens(text, source=path)
    if os.environ.get(ENV_TOKENS):
        return parse_tokens(os.environ[ENV_TOKENS], source=ENV_TOKENS)
    raise TokenError(f"no tokens: set {ENV_TOKENS_FILE} or {ENV_TOKENS} (or use --tokens FILE)")


def settings_from_env() -> Settings:
    return Settings(
        tokens=load_tokens(),
        rules=os.environ.get(ENV_RULES_DIR) or None,
        log=os.environ.get(ENV_LOG) or None,
        max_body=int(os.environ.get(ENV_MAX_BODY, "1048576")),
        request_timeout=float(os.environ.get(ENV_REQUEST_TIMEOUT, "30")),
    )


def preflight() -> None:
    """What the workers will need, checked once: the tokens, the rules and the log (a
    :class:`TransportPolicyError` names what is wrong)."""
    settings = settings_from_env()
    _ = PolicyStore(settings.rules).policies
    if settings.log:
        with DecisionLog(settings.log):
            pass


def app_from_env() -> FastAPI:
    return create_app(settings_from_env())


class Withheld(DefaultFormatter):
    """uvicorn's log lines without tracebacks: a traceback can quote a request's data (personal
    data), so only the kind of exception is logged."""

    def formatException(self, ei: Any) -> str:
        kind = ei[0].__name__ if ei[0] is not None else "exception"
        return f"{kind} (traceback withheld: it may quote the request's data)"


LOG_CONFIG: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
LOG_CONFIG["formatters"]["default"]["()"] = f"{__name__}.{Withheld.__name__}"
