"""The FastAPI application of ``transport-policy serve``.

Every ``/v1/`` endpoint needs a bearer token (``audit`` scope for the log); errors are
``application/problem+json`` with field paths and never an input value; bodies over the size
limit are refused (413). TLS, rate limiting and CORS are left to the reverse proxy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from .. import __version__
from ..audit.logfile import last_line
from ..audit.verify import Checkpoint
from ..errors import TransportPolicyError
from ..model.schema import schema
from ..rules.versions import PolicyStore
from ..web.routes import web_app
from .context import BodyLimit, Service, Settings
from .deciding import asking, batch_items, batch_line, batch_stream, pinned
from .endpoint import DecisionEndpoint
from .endpoint import parse_json as _json
from .openapi import BATCH_BODY, RECORD_REF, install, problems, request_body
from .problems import Denied, problem, problem_for, validation_paths

__all__ = ["Settings", "create_app"]

NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings) -> FastAPI:
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if service.log is not None:
                service.log.close()  # synced once the last in-flight request has finished

    app = FastAPI(
        title="transport-policy decision service",
        version=__version__,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry would record failures with their messages and stack
        # traces (personal data) wherever the host sends telemetry, and costs time per request.
        telemetry=NO_TELEMETRY,
        # A path with a trailing slash is a 404 problem, not a redirect: the redirect named an
        # absolute http:// address built from the Host header (behind a TLS proxy, a client
        # would re-send its records in clear text), repeated the query, before any token check.
        redirect_slashes=False,
    )

    app.add_middleware(DecisionEndpoint, service=service)  # POST /v1/decisions
    app.add_middleware(BodyLimit, max_body=settings.max_body)  # added last: runs first
    _errors(app)
    install(app)
    # Each group of endpoints is a router: more (pages, say) are added the same way.
    app.include_router(_decision_routes(service))
    app.include_router(_info_routes(service))
    app.add_route("/assess", _to_pages, include_in_schema=False)
    app.mount("/assess", web_app(service))  # the assessor pages (transport_policy.web)
    return app


async def _to_pages(_request: Request) -> Response:
    """``/assess`` to the pages' home, by a relative address (the scheme stays the client's)."""
    return RedirectResponse("/assess/", status_code=307)


def _decision_routes(svc: Service) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/decisions:batch",
        dependencies=[Depends(svc.decider)],
        responses={
            200: {
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                "description": "one decision or error object per line",
            },
            **problems(400, 401, 403, 408, 413, 422, 503),
        },
        openapi_extra=BATCH_BODY,
    )
    async def batch(request: Request, policy: str | None = None) -> StreamingResponse:
        deadline = svc.deadline()
        raw = await svc.body(request, deadline)
        if not raw.strip():
            raise Denied(400, "the request body is empty: send a JSON array or NDJSON records")
        kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        ndjson = kind in ("application/x-ndjson", "application/jsonl")
        items = batch_items(raw, ndjson=ndjson, deadline=deadline)
        deadline.check()
        current, log = svc.store(), svc.log

        def line(index: int, source: str, data: object) -> str:
            return batch_line(current, index, source, data, policy, log)

        lines = batch_stream(items, line, deadline)
        return StreamingResponse(lines, media_type="application/x-ndjson")

    @router.post(
        "/v1/questions",
        dependencies=[Depends(svc.decider)],
        responses=problems(400, 401, 403, 404, 413, 422),
        openapi_extra=request_body(RECORD_REF, "application/json"),
    )
    async def questions(
        request: Request,
        policy: str | None = None,
        skip: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, Any]:
        data = _json(await svc.body(request))
        decision, questions = asking(svc.store(), data, policy, skip or ())
        return {
            "case_id": decision.case_id,
            "outcome": decision.outcome,
            "questions": [q.model_dump(mode="json") for q in questions],
        }

    return router


def _info_routes(svc: Service) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        ready = svc.state.readiness()
        out = {"ready": ready.ready, "rules_problem": ready.problem}
        return JSONResponse(out, status_code=200 if ready.ready else 503)

    @router.get("/v1/policies", dependencies=[Depends(svc.decider)], responses=problems(401, 403))
    def policies() -> list[dict[str, Any]]:
        current = svc.store()
        return [_summary(current, v) for v in current.versions]

    @router.get(
        "/v1/policies/{version}",
        dependencies=[Depends(svc.decider)],
        responses=problems(401, 403, 404),
    )
    def policy_detail(version: str) -> dict[str, Any]:
        current = svc.store()
        policy = pinned(current, version)
        return {
            **_summary(current, policy.version),
            "clauses": list(policy.clauses),
            "rules": [{"id": r.id, "kind": r.kind, "clause": r.clause} for r in policy.rules],
        }

    @router.get(
        "/v1/schema/{name}", dependencies=[Depends(svc.decider)], responses=problems(401, 403, 404)
    )
    def schemas(name: str) -> dict[str, Any]:
        if name not in ("record", "decision"):
            raise Denied(404, "the schemas are record and decision")
        return schema(name)

    @router.get(
        "/v1/log/checkpoint", dependencies=[Depends(svc.auditor)], responses=problems(401, 403, 404)
    )
    def checkpoint() -> dict[str, Any]:
        if svc.settings.log is None:
            raise Denied(404, "the service was started without --log")
        return _checkpoint(Path(svc.settings.log))

    return router


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


def _errors(app: FastAPI) -> None:
    async def known(request: Request, exc: Exception) -> Response:
        response = problem_for(exc)
        if response is None:  # not reached: registered for these kinds only
            raise exc
        return response

    for kind in (Denied, TransportPolicyError):
        app.add_exception_handler(kind, known)

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
