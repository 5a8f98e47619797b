"""The assessor pages under ``/assess/``: sign in, start or upload a case, the interview, check
answers, the decision, and saving the case. Every step is a plain form POST, so the pages work
with no JavaScript; every form is CSRF-checked and every page needs a signed-in token with the
``decide`` scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import FieldError, RecordError
from ..model.fields import FIELDS
from ..model.record import FIELD_PATHS
from ..service.auth import scopes_of
from ..service.context import declared_length
from .documents import DOCUMENT_FILES
from .entries import EntryUnreadable, Logged, read_logged
from .forms import read_answers, read_date, read_one, record_messages, widget
from .interview import STATE_FIELD, Interview, StateError, new_case, read_upload
from .pages import Pages
from .security import Guard, secret_from_env
from .steps import Steps

if TYPE_CHECKING:
    from ..service.context import Service

STATIC = Path(__file__).resolve().parent / "static"
Handler = Callable[[Request], Awaitable[Response]]
EXPIRED = "This form has expired"
EXPIRED_DETAIL = (
    "The page was open too long, signed out, or did not come from this service. Nothing was "
    "changed. Go back to the start and try again (cookies must be allowed for this site)."
)
NOT_YOURS = "This decision cannot be shown"
NOT_YOURS_DETAIL = (
    "The link is not one this service gave you when you got a decision, signed in as you are "
    "now, or it was changed. Nothing was shown or changed. Go back to the start."
)
UNREADABLE = "The decision could not be read from the decision log"
UNREADABLE_DETAIL = (
    "The log no longer holds this decision as it was logged. Nothing was changed. Ask whoever "
    "runs the service to check the log with transport-policy audit verify."
)


class Web:
    def __init__(self, service: Service) -> None:
        self.log = service.settings.log
        self.guard = Guard(service.settings.tokens, secret_from_env())
        self.pages = Pages(self.guard, logging=service.log is not None)
        self.steps = Steps(service, self.pages)

    def safe(self, handler: Handler) -> Handler:
        """Any failure becomes an error page: no trace, no input value."""

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                if getattr(exc, "status", None) == 503:
                    detail = "The policy rules could not be loaded. Try again later."
                    return self.pages.problem(request, 503, "The service is not ready", detail)
                detail = "Nothing was decided or kept. Go back and try again."
                return self.pages.problem(request, 500, "Sorry, something went wrong", detail)

        return run

    async def posted(self, request: Request) -> FormData | Response:
        """The form of a signed-in POST from these pages, or the response refusing it."""
        if not self.guard.signed_in(request):
            return self.pages.redirect(request, "/login")
        form = await request.form(max_files=1, max_fields=100)
        if not self.guard.form_ok(request, form):
            return self.pages.problem(request, 400, EXPIRED, EXPIRED_DETAIL)
        return form

    async def case(self, request: Request) -> tuple[FormData, Interview] | Response:
        form = await self.posted(request)
        if isinstance(form, Response):
            return form
        try:
            return form, Interview.from_form(form.get(STATE_FIELD))
        except (StateError, RecordError):
            detail = "Nothing was changed. Start again, or upload the record you saved."
            return self.pages.problem(
                request, 400, "The case on this page could not be read", detail
            )

    # Signing in and out

    async def home(self, request: Request) -> Response:
        if not self.guard.signed_in(request):
            return self.pages.redirect(request, "/login")
        return self.pages.render(request, "start.html")

    async def login_page(self, request: Request) -> Response:
        if self.guard.signed_in(request):
            return self.pages.redirect(request, "/")
        out = "signed-out" in request.query_params
        return self.pages.render(request, "login.html", errors=[], signed_out=out)

    async def login(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        if not self.guard.form_ok(request, form):
            return self.pages.problem(request, 400, EXPIRED, EXPIRED_DETAIL)
        token = form.get("token")
        token = token.strip() if isinstance(token, str) else ""
        scopes = scopes_of(token, self.guard.tokens) if token else None
        if scopes is None or "decide" not in scopes:
            message = (
                "Enter your access token"
                if not token
                else "Enter a valid access token with the decide scope"
            )
            errors = [("token", message)]
            return self.pages.render(request, "login.html", 400, errors=errors, signed_out=False)
        response = self.pages.redirect(request, "/")
        self.guard.sign_in(response, token)
        return response

    async def logout(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        if not self.guard.form_ok(request, form):
            return self.pages.problem(request, 400, EXPIRED, EXPIRED_DETAIL)
        response = self.pages.redirect(request, "/login?signed-out")
        self.guard.sign_out(response)
        return response

    # Starting a case

    async def new_page(self, request: Request) -> Response:
        if not self.guard.signed_in(request):
            return self.pages.redirect(request, "/login")
        return self.new_form(request, None, [])

    def new_form(self, request: Request, sent: Any, errors: list[FieldError]) -> Response:
        messages = record_messages(errors)
        widgets = [
            widget(p, "", None, asked=False, sent=sent, error=messages.get(p))
            for p in ("case_id", "assessment_date")
        ]
        summary = [(w.anchor, w.error) for w in widgets if w.error]
        status = 400 if errors else 200
        return self.pages.render(request, "new.html", status, widgets=widgets, errors=summary)

    async def new(self, request: Request) -> Response:
        form = await self.posted(request)
        if isinstance(form, Response):
            return form
        errors = []
        try:
            case_id = read_one(FIELDS["case_id"], form)
        except ValueError as exc:
            errors.append(FieldError("case_id", str(exc)))
        try:
            date = read_date("assessment_date", form)
        except ValueError as exc:
            errors.append(FieldError("assessment_date", str(exc)))
        if errors:
            return self.new_form(request, form, errors)
        try:
            return self.steps.next_step(request, new_case(case_id, date))
        except RecordError as err:
            return self.new_form(request, form, err.errors)

    async def upload_page(self, request: Request) -> Response:
        if not self.guard.signed_in(request):
            return self.pages.redirect(request, "/login")
        return self.pages.render(request, "upload.html", errors=[])

    async def upload(self, request: Request) -> Response:
        form = await self.posted(request)
        if isinstance(form, Response):
            return form
        sent = form.get("record")
        raw = await sent.read() if isinstance(sent, UploadFile) else b""
        if not raw:
            errors = [("f-record", "Select a saved record (a YAML or JSON file)")]
            return self.pages.render(request, "upload.html", 400, errors=errors)
        try:
            name = sent.filename or "" if isinstance(sent, UploadFile) else ""
            return self.steps.next_step(request, read_upload(raw, name))
        except RecordError as err:
            errors = [("f-record", f"{e.field}: {e.message}") for e in err.errors]
            return self.pages.render(request, "upload.html", 400, errors=errors)

    # The interview

    async def answer(self, request: Request) -> Response:
        got = await self.case(request)
        if isinstance(got, Response):
            return got
        form, interview = got
        fields = str(form.get("fields", "")).split(",")
        paths = tuple(p for p in fields if p in FIELDS)
        if not paths or len(paths) != len(fields):
            return self.pages.problem(request, 400, EXPIRED, EXPIRED_DETAIL)
        values, errors = read_answers(paths, form)
        if not errors:
            try:
                return self.steps.next_step(request, interview.answered(values))
            except RecordError as err:
                errors = err.errors
        decided = self.steps.decide(interview)
        return self.steps.question(request, decided, paths, sent=form, errors=errors)

    async def change(self, request: Request) -> Response:
        got = await self.case(request)
        if isinstance(got, Response):
            return got
        form, interview = got
        return self.steps.change(request, interview, str(form.get("change", "")))

    async def check(self, request: Request) -> Response:
        got = await self.case(request)
        if isinstance(got, Response):
            return got
        return self.steps.check(request, self.steps.decide(got[1]))

    async def decision(self, request: Request) -> Response:
        got = await self.case(request)
        if isinstance(got, Response):
            return got
        return self.steps.decision(request, got[1])

    def entry(self, request: Request, ref: object) -> Logged | Response:
        """The logged decision a signed reference names, if this sign-in's token made it; else
        the error page refusing it (the reference is never shown)."""
        named = self.guard.entry_of(request, ref) if self.log is not None else None
        if self.log is None or named is None or not isinstance(ref, str):
            return self.pages.problem(request, 404, NOT_YOURS, NOT_YOURS_DETAIL)
        try:
            return read_logged(self.log, *named, ref)
        except EntryUnreadable:
            return self.pages.problem(request, 500, UNREADABLE, UNREADABLE_DETAIL)

    async def decision_page(self, request: Request) -> Response:
        """GET: the decision a logged decision POST redirected to (reloading appends nothing)."""
        if not self.guard.signed_in(request):
            return self.pages.redirect(request, "/login")
        logged = self.entry(request, request.query_params.get("entry"))
        if isinstance(logged, Response):
            return logged
        sent = request.query_params.get("asked", "")
        asked = tuple(p for p in sent.split(",") if p in FIELD_PATHS) if sent else ()
        return self.steps.logged(request, logged, asked)

    async def download(self, request: Request) -> Response:
        got = await self.case(request)
        if isinstance(got, Response):
            return got
        form, interview = got
        kind = str(form.get("format", ""))
        if kind not in ("yaml", "json", "decision", *DOCUMENT_FILES):
            return self.pages.problem(request, 400, "No such download", "Go back and try again.")
        if "entry" not in form:
            return self.steps.download(request, interview, kind)
        logged = self.entry(request, form.get("entry"))  # a logged decision: from its entry
        if isinstance(logged, Response):
            return logged
        return self.steps.download(request, interview, kind, logged)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        title = "Page not found" if status == 404 else "That cannot be done here"
        return self.pages.problem(request, status, title, "Go back to the start of the service.")


class PageLimit:
    """The service's body-size limit for the pages: a form or upload declared over it gets the
    pages' own error page (413), before any of it is read."""

    def __init__(self, app: ASGIApp, web: Web, max_body: int) -> None:
        self.app, self.web, self.max_body = app, web, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = declared_length(scope) if scope["type"] == "http" else None
        if length is not None and length > self.max_body:
            size = f"{self.max_body // 1024:,} KB"
            detail = f"Choose a saved record smaller than {size}, or start a new case."
            page = self.web.pages.problem(Request(scope), 413, "The file is too large", detail)
            await page(scope, receive, send)
            return
        await self.app(scope, receive, send)


def web_app(service: Service) -> ASGIApp:
    """The pages, to be mounted at ``/assess`` on the service's app."""
    web = Web(service)
    pages: list[tuple[str, Handler, str]] = [
        ("/", web.home, "GET"),
        ("/login", web.login_page, "GET"),
        ("/login", web.login, "POST"),
        ("/logout", web.logout, "POST"),
        ("/new", web.new_page, "GET"),
        ("/new", web.new, "POST"),
        ("/upload", web.upload_page, "GET"),
        ("/upload", web.upload, "POST"),
        ("/answer", web.answer, "POST"),
        ("/change", web.change, "POST"),
        ("/check", web.check, "POST"),
        ("/decision", web.decision, "POST"),
        ("/decision", web.decision_page, "GET"),
        ("/download", web.download, "POST"),
    ]
    routes: list[Route | Mount] = [
        Route(path, web.safe(handler), methods=[method]) for path, handler, method in pages
    ]
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))
    app = Starlette(routes=routes, exception_handlers={HTTPException: web.not_found})
    return PageLimit(app, web, service.settings.max_body)
