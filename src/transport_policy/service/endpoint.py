"""``POST /v1/decisions`` as plain ASGI, ahead of FastAPI's routing.

It is the endpoint case-management systems call most, and a decision takes a few hundred
microseconds: FastAPI's routing, dependency solving and request objects would add about 100 µs,
some 40% of a decision. So it is served by this middleware, which reads the body as bytes,
parses and validates it once with the record model (as the command line does), decides, and sends
the decision's JSON bytes, exactly as ``decide --format json`` prints them. Its checks are the
service's own (:class:`.context.Service`: token and scope, size and time limits) and its errors
the same problems (:func:`.problems.problem_for`); it is documented in :mod:`.openapi`. Every other
request goes on to the FastAPI app.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import TransportPolicyError
from .context import Service
from .deciding import decide_one, json_fault, read_json
from .problems import Denied, problem_for

PATH = "/v1/decisions"
JSON_HEADERS = [(b"content-type", b"application/json")]


class DecisionEndpoint:
    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        try:
            body = await self.decide(scope, receive)
        except (Denied, TransportPolicyError) as exc:
            response = problem_for(exc)
            assert response is not None  # every one of these is a problem
            await response(scope, receive, send)
            return
        headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def decide(self, scope: Scope, receive: Receive) -> bytes:
        """The decision's JSON, or the exception that becomes the problem."""
        if scope["method"] != "POST":
            raise Denied(405, "use POST", headers={"Allow": "POST"})
        svc = self.service
        svc.require(header(scope, b"authorization"), "decide")
        deadline = svc.deadline()
        raw = await svc.read(receive, deadline)
        deadline.check()
        data = parse_json(raw)
        # Inline, not in a thread: a decision takes well under a millisecond and holds the GIL
        # throughout (durable-rules' C code), so a thread hop would only add latency.
        decision = decide_one(svc.store(), data, query(scope, "policy"), svc.log)
        return decision.to_json().encode()


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def query(scope: Scope, name: str) -> str | None:
    """The value of a query parameter (``None`` when absent); the last, if it is repeated, as
    Starlette and so the FastAPI routes read it."""
    text = bytes(scope.get("query_string", b"")).decode("latin-1")
    return dict(parse_qsl(text, keep_blank_values=True)).get(name)


def parse_json(raw: bytes) -> object:
    """A request body as JSON, read as ``decide`` reads a record (400 if it cannot be: not
    UTF-8, not JSON, an object that repeats a key, ``NaN`` or ``Infinity``)."""
    try:
        return read_json(raw)
    except (ValueError, RecursionError) as exc:
        raise Denied(400, f"the request body {json_fault(exc)}") from None
