"""The app as uvicorn's workers build it, from environment variables set by ``serve``."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from .app import Settings, create_app
from .auth import ENV_TOKENS, Token, TokenError, parse_tokens

ENV_TOKENS_FILE = "TRANSPORT_POLICY_TOKENS_FILE"
ENV_RULES_DIR = "TRANSPORT_POLICY_SERVE_RULES"
ENV_LOG = "TRANSPORT_POLICY_SERVE_LOG"
ENV_MAX_BODY = "TRANSPORT_POLICY_SERVE_MAX_BODY"


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


def app_from_env() -> FastAPI:
    return create_app(
        Settings(
            tokens=load_tokens(),
            rules=os.environ.get(ENV_RULES_DIR) or None,
            log=os.environ.get(ENV_LOG) or None,
            max_body=int(os.environ.get(ENV_MAX_BODY, "1048576")),
        )
    )
