"""The FastAPI application of ``transport-policy serve``.

Every ``/v1/`` endpoint needs a bearer token (``audit`` scope for the log); errors are
``application/problem+json`` with field paths and never an input value; bodies over the size
limit are refused (413). TLS, rate limiting and CORS are left to the reverse proxy.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..audit.log import DecisionLog
from ..audit.logfile import last_line
from ..audit.verify import Checkpoint
from ..casefile import reject_constant
from ..errors import PolicyVersionError, RecordError, TransportPolicyError
from ..model.decision import Decision
from ..model.schema import schema
from ..rules.versions import PolicyStore
from ..web.routes import web_app
from .auth import Token, scopes_of
from .deciding import batch_items, batch_line, decide_one
from .openapi import BATCH_BODY, RECORD_REF, install, problems, request_body
from .problems import problem, validation_paths
from .questions import next_questions
from .state import RulesState


@dataclass
class Settings:
    tokens: tuple[Token, ...]
    rules: str | None = None
    log: str | None = None
    max_body: int = 1_048_576


class Denied(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail


class BodyLimit:
    """Refuse a body whose declared length is over the limit (413) before reading it; a body
    sent without a length is counted as it is read (:meth:`Service.body`). Plain ASGI, so it
    adds next to nothing to each request."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                    detail = f"the request body is over {self.max_body} bytes"
                    await problem(413, "Payload Too Large", detail)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class Service:
    """What every request needs: settings, the rules, the log, and the checks on a request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = RulesState(settings.rules)
        self.log = DecisionLog(settings.log).__enter__() if settings.log else None

    def scopes(self, request: Request) -> frozenset[str]:
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        tokens = self.settings.tokens
        found = scopes_of(token, tokens) if kind.lower() == "bearer" and token else None
        if found is None:
            raise Denied(401, "a valid bearer token is required")
        return found

    def decider(self, request: Request) -> None:
        if "decide" not in self.scopes(request):
            raise Denied(403, "this token does not have the decide scope")

    def auditor(self, request: Request) -> None:
        if "audit" not in self.scopes(request):
            raise Denied(403, "this token does not have the audit scope")

    def store(self) -> PolicyStore:
        current = self.state.store()
        if current is None:
            raise Denied(503, "the rules could not be loaded; see /readyz")
        return current

    async def body(self, request: Request) -> bytes:
        chunks, size, limit = [], 0, self.settings.max_body
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Denied(413, f"the request body is over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def create_app(settings: Settings) -> FastAPI:
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if service.log is not None:
                service.log.close()  # synced once the last in-flight request has finished

    app = FastAPI(title="transport-policy decision service", version=__version__, lifespan=lifespan)

    app.add_middleware(BodyLimit, max_body=settings.max_body)
    _errors(app)
    install(app)
    _decision_routes(app, service)
    _info_routes(app, service)
    app.mount("/assess", web_app(service))  # the assessor pages (transport_policy.web)
    return app


def _decision_routes(app: FastAPI, svc: Service) -> None:
    @app.post(
        "/v1/decisions",
        dependencies=[Depends(svc.decider)],
        responses={200: {"model": Decision}, **problems(400, 401, 403, 404, 413, 422)},
        openapi_extra=request_body(RECORD_REF, "application/json"),
    )
    async def decisions(request: Request, policy: str | None = None) -> Response:
        data = _json(await svc.body(request))
        # Inline, not in a thread: a decision takes well under a millisecond and holds the GIL
        # throughout (durable-rules' C code), so a thread hop would only add latency.
        decision = decide_one(svc.store(), data, policy, svc.log)
        return Response(decision.to_json(), media_type="application/json")

    @app.post(
        "/v1/decisions:batch",
        dependencies=[Depends(svc.decider)],
        responses={
            200: {
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                "description": "one decision or error object per line",
            },
            **problems(400, 401, 403, 413, 422),
        },
        openapi_extra=BATCH_BODY,
    )
    async def batch(request: Request, policy: str | None = None) -> StreamingResponse:
        raw = await svc.body(request)
        if not raw.strip():
            raise Denied(400, "the request body is empty: send a JSON array or NDJSON records")
        kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        items = batch_items(raw, ndjson=kind in ("application/x-ndjson", "application/jsonl"))
        current, log = svc.store(), svc.log

        def lines() -> Iterator[str]:
            for index, (source, data) in enumerate(items, start=1):
                yield batch_line(current, index, source, data, policy, log) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.post(
        "/v1/questions",
        dependencies=[Depends(svc.decider)],
        responses=problems(400, 401, 403, 404, 413, 422),
        openapi_extra=request_body(RECORD_REF, "application/json"),
    )
    async def questions(request: Request, policy: str | None = None) -> dict[str, Any]:
        data = _json(await svc.body(request))
        decision = decide_one(svc.store(), data, policy, None)
        return {
            "case_id": decision.case_id,
            "outcome": decision.outcome,
            "questions": next_questions(decision),
        }


def _info_routes(app: FastAPI, svc: Service) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        ready = svc.state.readiness()
        out = {"ready": ready.ready, "rules_problem": ready.problem}
        return JSONResponse(out, status_code=200 if ready.ready else 503)

    @app.get("/v1/policies", dependencies=[Depends(svc.decider)], responses=problems(401, 403))
    def policies() -> list[dict[str, Any]]:
        current = svc.store()
        return [_summary(current, v) for v in current.versions]

    @app.get(
        "/v1/policies/{version}",
        dependencies=[Depends(svc.decider)],
        responses=problems(401, 403, 404),
    )
    def policy_detail(version: str) -> dict[str, Any]:
        current = svc.store()
        policy = current.get(version)
        return {
            **_summary(current, version),
            "clauses": list(policy.clauses),
            "rules": [{"id": r.id, "kind": r.kind, "clause": r.clause} for r in policy.rules],
        }

    @app.get(
        "/v1/schema/{name}", dependencies=[Depends(svc.decider)], responses=problems(401, 403, 404)
    )
    def schemas(name: str) -> dict[str, Any]:
        if name not in ("record", "decision"):
            raise Denied(404, "the schemas are record and decision")
        return schema(name)

    @app.get(
        "/v1/log/checkpoint", dependencies=[Depends(svc.auditor)], responses=problems(401, 403, 404)
    )
    def checkpoint() -> dict[str, Any]:
        if svc.settings.log is None:
            raise Denied(404, "the service was started without --log")
        return _checkpoint(Path(svc.settings.log))


def _summary(store: PolicyStore, version: str) -> dict[str, Any]:
    policy = store.get(version)
    return {
        "version": version,
        "id": policy.id,
        "title": policy.title,
        "effective_from": policy.effective_from.isoformat(),
        "digest": policy.digest,
    }


def _checkpoint(path: Path) -> dict[str, Any]:
    from ..audit.log import GENESIS, check_entry

    with open(path, "rb") as handle:
        line, end, _ = last_line(handle)
    entry = check_entry(line)[0] if end else None
    mark = Checkpoint(int(entry["seq"]), str(entry["hash"])) if entry else Checkpoint(0, GENESIS)
    return {"checkpoint": str(mark), "entries": mark.entries, "hash": mark.hash}


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw, parse_constant=reject_constant)
    except (ValueError, RecursionError):
        raise Denied(400, "the request body is not valid JSON") from None


def _errors(app: FastAPI) -> None:
    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        titles = {
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            400: "Bad Request",
            413: "Payload Too Large",
            503: "Service Unavailable",
        }
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, titles.get(exc.status, "Error"), exc.detail, headers=headers)

    @app.exception_handler(RecordError)
    async def invalid(request: Request, exc: RecordError) -> Response:
        return problem(
            422,
            "Invalid record",
            "the record is not valid; nothing was decided",
            errors=[e.as_dict() for e in exc.errors],
        )

    @app.exception_handler(PolicyVersionError)
    async def no_version(request: Request, exc: PolicyVersionError) -> Response:
        return problem(
            404,
            "No such policy version",
            str(exc),
            errors=[{"field": "policy", "message": str(exc)}],
        )

    @app.exception_handler(TransportPolicyError)
    async def failed(request: Request, exc: TransportPolicyError) -> Response:
        return problem(500, "Decision failed", "the service could not decide this record")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return problem(
            422,
            "Invalid request",
            "the request is not valid",
            errors=validation_paths(list(exc.errors())),
        )

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> Response:
        return problem(
            exc.status_code, str(exc.detail), str(exc.detail), headers=dict(exc.headers or {})
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        return problem(500, "Internal error", "the service failed; nothing was decided")
