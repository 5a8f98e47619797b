"""Bearer tokens: read from a file or an environment variable, kept only as SHA-256 hashes,
compared in constant time.

Each non-blank line (or ``;``-separated item of the variable) is ``<token-sha256-hex> <scopes>``,
scopes comma-separated: ``decide`` (decisions, questions, policies, schemas) and ``audit`` (the
decision log's checkpoint). Lines starting with ``#`` are comments. Make a hash with
``printf %s "$TOKEN" | sha256sum``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from ..errors import TransportPolicyError

ENV_TOKENS = "TRANSPORT_POLICY_TOKENS"
SCOPES = frozenset({"decide", "audit"})
_HEX = re.compile(r"[0-9a-f]{64}")


class TokenError(TransportPolicyError):
    """The token configuration cannot be read."""


@dataclass(frozen=True)
class Token:
    digest: bytes
    scopes: frozenset[str]


def parse_tokens(text: str, *, source: str) -> tuple[Token, ...]:
    """The tokens in a configuration text; a bad line is named by number (never echoed)."""
    tokens = []
    items = text.replace(";", "\n").splitlines()
    for number, raw in enumerate(items, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, scopes = line.partition(" ")
        names = frozenset(s.strip() for s in scopes.split(",") if s.strip())
        if not _HEX.fullmatch(digest.lower()):
            raise TokenError(f"{source}: line {number}: a token is given as its SHA-256 (64 hex)")
        if not names or not names <= SCOPES:
            raise TokenError(
                f"{source}: line {number}: scopes must be some of {', '.join(sorted(SCOPES))}"
            )
        tokens.append(Token(bytes.fromhex(digest.lower()), names))
    if not tokens:
        raise TokenError(f"{source}: no token is configured")
    return tuple(tokens)


def scopes_of(presented: str, tokens: tuple[Token, ...]) -> frozenset[str] | None:
    """The scopes of a presented token, or ``None``: every configured hash is compared, each in
    constant time, so the time taken does not depend on which (if any) matched."""
    digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
    found: frozenset[str] | None = None
    for token in tokens:
        if hmac.compare_digest(digest, token.digest):
            found = token.scopes
    return found
