"""What every request of the service needs: the settings, the rules, the decision log, and the
checks on a request (bearer token and scope, body size, time limit)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..audit.log import DecisionLog
from ..rules.versions import PolicyStore
from .auth import Token, scopes_of
from .problems import Denied, problem, title
from .state import RulesState


@dataclass
class Settings:
    tokens: tuple[Token, ...]
    rules: str | None = None
    log: str | None = None
    max_body: int = 1_048_576
    request_timeout: float = 30.0
    """Seconds a request may take, from its headers to its last byte out."""


def declared_length(scope: Scope) -> int | None:
    """The body length a request declares (``Content-Length``), if it declares one."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


class BodyLimit:
    """Refuse a body whose declared length is over the limit (413) before reading it; a body
    sent without a length is counted as it is read (:meth:`Service.body`). Plain ASGI, so it
    adds next to nothing to each request. Paths under ``pages`` (the assessor pages) are left to
    their own limit, which answers with a page instead of a problem document."""

    def __init__(self, app: ASGIApp, max_body: int, pages: str = "/assess/") -> None:
        self.app, self.max_body, self.pages = app, max_body, pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(self.pages):
            length = declared_length(scope)
            if length is not None and length > self.max_body:
                detail = f"the request body is over {self.max_body} bytes"
                await problem(413, title(413), detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Deadline:
    """The time by which a request must be answered (:attr:`Settings.request_timeout` from when
    its handler starts)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def check(self) -> None:
        """Refuse the request (503) if its time is up: nothing more is decided for it."""
        if self.passed():
            raise Denied(
                503,
                f"the request took longer than its time limit ({self.seconds:g} s); "
                "nothing more was decided for it",
            )


class Service:
    """The settings, the rules, the log, and the checks on a request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = RulesState(settings.rules)
        self.log = DecisionLog(settings.log).__enter__() if settings.log else None

    def require(self, authorization: str, scope: str) -> None:
        """The ``Authorization`` header holds a configured bearer token (401) with ``scope``
        (403)."""
        kind, _, token = authorization.partition(" ")
        tokens = self.settings.tokens
        found = scopes_of(token, tokens) if kind.lower() == "bearer" and token else None
        if found is None:
            raise Denied(401, "a valid bearer token is required")
        if scope not in found:
            raise Denied(403, f"this token does not have the {scope} scope")

    async def decider(self, request: Request) -> None:
        """A dependency: the request's token has the ``decide`` scope (``async``, so that FastAPI
        calls it inline rather than in a thread)."""
        self.require(request.headers.get("authorization", ""), "decide")

    async def auditor(self, request: Request) -> None:
        self.require(request.headers.get("authorization", ""), "audit")

    def store(self) -> PolicyStore:
        current = self.state.store()
        if current is None:
            raise Denied(503, "the rules could not be loaded; see /readyz")
        return current

    def deadline(self) -> Deadline:
        return Deadline(self.settings.request_timeout)

    async def body(self, request: Request, deadline: Deadline | None = None) -> bytes:
        """The request body (see :meth:`read`); the time limit runs from now unless a deadline
        is given."""
        return await self.read(request.receive, deadline or self.deadline())

    async def read(self, receive: Receive, deadline: Deadline) -> bytes:
        """The request body, read within the size limit (413) and the time limit (408: the
        client did not send it in time)."""
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                return await self._read(receive)
        except TimeoutError:
            raise Denied(
                408, f"the request body was not received within {deadline.seconds:g} s"
            ) from None

    async def _read(self, receive: Receive) -> bytes:
        chunks, size, limit = [], 0, self.settings.max_body
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                raise Denied(400, "the request body was not sent in full")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise Denied(413, f"the request body is over {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _loop_time(deadline: Deadline) -> float:
    """The deadline on the event loop's clock (which may not be ``time.monotonic``)."""
    return asyncio.get_running_loop().time() + (deadline.at - time.monotonic())
