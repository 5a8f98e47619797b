"""Signing in to the pages and protecting their forms.

- **Sign-in**: the login page takes one of the service's bearer tokens (the same tokens, hashed
  and compared in constant time, as the API) and keeps it in a cookie that is ``Secure``,
  ``HttpOnly``, ``SameSite=Strict`` and limited to ``/assess``. Each request checks the token
  again, so a token removed from the token file stops working when the service restarts.
- **CSRF**: a signed double-submit token. A random nonce lives in its own cookie (same flags);
  every form carries ``HMAC(secret, nonce, session)``, where *session* is a hash of the sign-in
  cookie, so a form token is good only with the browser's own cookies and for one sign-in. The
  secret comes from ``TRANSPORT_POLICY_WEB_SECRET`` (``serve`` sets a random one shared by its
  workers), else a random one for this process.
- **Log entries**: with a decision log, the decision page is a GET of the entry it appended,
  named by a reference ``SEQ.AT.HASH.MAC`` where ``MAC = HMAC(secret, SEQ, AT, HASH, hash of
  the token)`` (``AT``: where the entry's line starts in the file): only the token that made the
  decision can read it back, and only that entry (its sequence number, place and hash signed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from ..service.auth import Token, scopes_of

ENV_SECRET = "TRANSPORT_POLICY_WEB_SECRET"
SESSION_COOKIE = "tp_session"
CSRF_COOKIE = "tp_csrf"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/assess"
ENTRY_REF = re.compile(r"([1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,17})\.([0-9a-f]{64})\.([0-9a-f]{64})")
"""An entry reference: sequence number, byte offset of its line, entry hash (hex, without
``sha256:``), signature."""
SESSION_SECONDS = 8 * 3600
"""A sign-in lasts a working day at most (the browser drops the cookie after it)."""

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
"""Sent with every page: pages hold personal data, so nothing is cached, framed or referred."""


def secret_from_env() -> bytes:
    value = os.environ.get(ENV_SECRET, "")
    return value.encode("utf-8") if value else secrets.token_bytes(32)


class Guard:
    """Checks who is signed in and whether a form came from this service's own pages."""

    def __init__(self, tokens: tuple[Token, ...], secret: bytes) -> None:
        self.tokens, self.secret = tokens, secret

    def token(self, request: Request) -> str | None:
        raw = request.cookies.get(SESSION_COOKIE, "")
        try:
            padded = raw + "=" * (-len(raw) % 4)
            return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8") if raw else None
        except (ValueError, binascii.Error, UnicodeError):
            return None

    def signed_in(self, request: Request) -> bool:
        """Whether the sign-in cookie holds a configured token with the ``decide`` scope."""
        token = self.token(request)
        found = scopes_of(token, self.tokens) if token else None
        return found is not None and "decide" in found

    def nonce(self, request: Request) -> str:
        """The browser's CSRF nonce, or a new one (set by :meth:`finish`)."""
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if len(nonce) != 43:
            nonce = request.state.new_nonce = secrets.token_urlsafe(32)
        return nonce

    def form_token(self, request: Request) -> str:
        """The token every form on this page carries."""
        return self._sign(self.nonce(request), request.cookies.get(SESSION_COOKIE, ""))

    def form_ok(self, request: Request, form: Mapping[str, object]) -> bool:
        nonce = request.cookies.get(CSRF_COOKIE, "")
        sent = form.get(CSRF_FIELD)
        if not nonce or not isinstance(sent, str):
            return False
        expected = self._sign(nonce, request.cookies.get(SESSION_COOKIE, ""))
        return hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode("ascii"))

    def entry_ref(self, request: Request, seq: int, offset: int, entry_hash: str) -> str:
        """A reference to the log entry ``seq`` (its line at byte ``offset``, its hash
        ``entry_hash``) that this request's token just appended, which only that token can use
        (:meth:`entry_of`)."""
        digest = entry_hash.removeprefix("sha256:")
        return f"{seq}.{offset}.{digest}.{self._entry_mac(request, seq, offset, digest)}"

    def entry_of(self, request: Request, ref: object) -> tuple[int, int, str] | None:
        """The sequence number, byte offset and ``sha256:`` hash of the entry ``ref`` names, if
        ``ref`` was made by :meth:`entry_ref` for this request's token; else ``None``."""
        found = ENTRY_REF.fullmatch(ref) if isinstance(ref, str) else None
        if found is None or self.token(request) is None:
            return None
        seq, offset, digest, sent = int(found[1]), int(found[2]), found[3], found[4]
        expected = self._entry_mac(request, seq, offset, digest)
        if not hmac.compare_digest(sent.encode("ascii"), expected.encode("ascii")):
            return None
        return seq, offset, "sha256:" + digest

    def _entry_mac(self, request: Request, seq: int, offset: int, digest: str) -> str:
        who = hashlib.sha256((self.token(request) or "").encode("utf-8", "replace")).hexdigest()
        message = f"log-entry\x00{seq}\x00{offset}\x00{digest}\x00{who}".encode("ascii")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def _sign(self, nonce: str, session: str) -> str:
        bound = hashlib.sha256(session.encode("utf-8", "replace")).hexdigest()
        message = f"{nonce}\x00{bound}".encode("utf-8", "replace")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def sign_in(self, response: Response, token: str) -> None:
        value = base64.urlsafe_b64encode(token.encode("utf-8")).decode("ascii").rstrip("=")
        _cookie(response, SESSION_COOKIE, value, SESSION_SECONDS)
        _cookie(response, CSRF_COOKIE, secrets.token_urlsafe(32), None)  # a new nonce per sign-in

    def sign_out(self, response: Response) -> None:
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            response.delete_cookie(
                name, path=COOKIE_PATH, secure=True, httponly=True, samesite="strict"
            )

    def finish(self, request: Request, response: Response) -> Response:
        """Add the page headers, and the nonce cookie if this request made one."""
        response.headers.update(HEADERS)
        new = getattr(request.state, "new_nonce", None)
        if new is not None:
            _cookie(response, CSRF_COOKIE, new, None)
        return response


def _cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )
