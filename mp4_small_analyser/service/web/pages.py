"""The console's pages: batches, a batch, a file, submit, profiles, and the login.

Each page reads the store through the `ResultStore` interface (so it runs on
SQLite locally and DynamoDB on Lambda alike) and renders a template; with
API_KEY set, a page asks for the key first. Records are shown as the API answers
them (`public_record`: secrets in URLs redacted), a task's page showing the
record `GET /callback/{task_id}` puts first. The forms (sign-in, sign-out,
submit) take form-encoded bodies only (415 otherwise) and refuse requests from
other sites (403; `security.cross_site`), on top of the SameSite=Strict session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from mp4_small_analyser.options import DEFAULT_PROFILE, AnalysisOptions
from mp4_small_analyser.service.context import Context, ServiceContext
from mp4_small_analyser.service.errors import ServiceError
from mp4_small_analyser.service.planning import plan_batch
from mp4_small_analyser.service.received import shown_record
from mp4_small_analyser.service.redaction import public_record
from mp4_small_analyser.service.schemas import ID_PATTERN, FilesUrlRequest
from mp4_small_analyser.service.submission import check_durations, check_urls, queue_batch
from mp4_small_analyser.service.web.batches import BatchListing, batch_rows, recent_batches
from mp4_small_analyser.service.web.file_view import file_view
from mp4_small_analyser.service.web.profiles import known_profiles
from mp4_small_analyser.service.web.render import CONSOLE_PREFIX, PageLinks, render
from mp4_small_analyser.service.web.rows import verdict_counts
from mp4_small_analyser.service.web.security import (
    FORM_TYPE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    cross_site,
    is_https,
    key_matches,
    session_token,
    signed_in,
)

router = APIRouter(prefix=CONSOLE_PREFIX, include_in_schema=False)

RECENT_BATCHES = 50
NO_QUEUE = (
    "This server only shows results (it has no task queue): submit batches to the "
    "submission API, POST /mp4_small_analyser with your x-api-key."
)
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]
_NEXT = re.compile(r"^(?:[a-z]+(?:/[A-Za-z0-9._:%-]+)*)?$")


def _page(
    request: Request, context: ServiceContext, template: str, status: int = 200, **values: object
) -> HTMLResponse:
    body = render(
        template,
        links=PageLinks(request.url.path),
        report=None,
        # Only a session can be signed out of (the key alone has nothing to sign out).
        signed_in=context.settings.api_key is not None and signed_in(request, context.settings),
        **values,
    )
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


def _login_first(request: Request, context: ServiceContext) -> Response | None:
    """A redirect to the login page when the request may not see the console."""
    if signed_in(request, context.settings):
        return None
    links = PageLinks(request.url.path)
    below = request.url.path[len(CONSOLE_PREFIX) + 1 :]
    return RedirectResponse(f"{links.base}login?next={quote(below, safe='/')}", status_code=303)


def _not_found(request: Request, context: ServiceContext, what: str) -> HTMLResponse:
    return _page(request, context, "message.html", 404, page="", heading="Not found", message=what)


def _refused_form(request: Request, context: ServiceContext) -> HTMLResponse | None:
    """A page saying why a form post is refused: sent from another site, or not a form."""
    if cross_site(request):
        message = "This form can only be sent from the console's own pages."
        return _page(
            request, context, "message.html", 403, page="", heading="Refused", message=message
        )
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        message = f"Send this form as {FORM_TYPE}, not {content_type or 'without a type'}."
        return _page(
            request, context, "message.html", 415, page="", heading="Refused", message=message
        )
    return None


@router.get("/", response_class=HTMLResponse)
async def batches_page(request: Request, context: Context) -> Response:
    if (login := _login_first(request, context)) is not None:
        return login
    listing: list[BatchListing] = await run_in_threadpool(
        recent_batches, context.backends.store, RECENT_BATCHES
    )
    return _page(request, context, "batches.html", page="batches", batches=listing)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
async def batch_page(batch_id: IdPath, request: Request, context: Context) -> Response:
    if (login := _login_first(request, context)) is not None:
        return login
    batch = await run_in_threadpool(batch_rows, context.backends.store, batch_id)
    if batch is None:
        return _not_found(request, context, f"There is no batch {batch_id!r} (or it has expired).")
    return _page(
        request,
        context,
        "batch.html",
        page="batch",
        batch_id=batch_id,
        summary=batch.summary,
        submitted_at=batch.submitted_at,
        rows=batch.rows,
        verdicts=verdict_counts(batch.rows),
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def file_page(task_id: IdPath, request: Request, context: Context) -> Response:
    if (login := _login_first(request, context)) is not None:
        return login
    stored = await run_in_threadpool(shown_record, context.backends.store, task_id)
    if stored is None:
        return _not_found(request, context, f"There is no task {task_id!r} (or it has expired).")
    record = public_record(stored)
    profiles = known_profiles(context.profiles)
    view = file_view(record.task_id, record.status, record.file_url, record.payload, profiles)
    return _page(
        request, context, "file.html", page="file", view=view, anchor=None, batch_id=record.batch_id
    )


@router.get("/profiles", response_class=HTMLResponse)
async def profiles_page(request: Request, context: Context) -> Response:
    if (login := _login_first(request, context)) is not None:
        return login
    profiles = list(known_profiles(context.profiles).values())
    return _page(request, context, "profiles.html", page="profiles", profiles=profiles)


@dataclass(frozen=True)
class SubmitForm:
    urls: str = ""
    profile: str = DEFAULT_PROFILE
    callback_url: str = ""
    fast: bool = False

    @classmethod
    def parse(cls, body: bytes) -> SubmitForm:
        fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)

        def first(name: str) -> str:
            return fields.get(name, [""])[0]

        return cls(
            first("urls"), first("profile"), first("callback_url").strip(), first("fast") == "1"
        )

    def request(self) -> FilesUrlRequest:
        urls = [line.strip() for line in self.urls.splitlines() if line.strip()]
        return FilesUrlRequest.model_validate(
            {
                "files_url": urls,
                "callback_url": self.callback_url or None,
                "profile": self.profile,
                "options": AnalysisOptions(video_keyframes_only=True) if self.fast else None,
            }
        )


def _submit_page(
    request: Request,
    context: ServiceContext,
    form: SubmitForm,
    errors: list[str],
    status: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        context,
        "submit.html",
        status,
        page="submit",
        form=form,
        errors=errors,
        profiles=list(known_profiles(context.profiles).values()),
        max_files=context.settings.max_batch_files,
        queue=context.settings.queue_backend != "none",
    )


@router.get("/submit", response_class=HTMLResponse)
async def submit_page(request: Request, context: Context) -> Response:
    if (login := _login_first(request, context)) is not None:
        return login
    return _submit_page(request, context, SubmitForm(), [])


@router.post("/submit", response_class=HTMLResponse)
async def submit(request: Request, context: Context) -> Response:
    """Queue the URLs as one batch (results by callback too, when a URL is given) and
    show its page, which follows its progress."""
    if (login := _login_first(request, context)) is not None:
        return login
    if (refused := _refused_form(request, context)) is not None:
        return refused
    form = SubmitForm.parse(await request.body())
    if context.settings.queue_backend == "none":
        return _submit_page(request, context, form, [NO_QUEUE], 503)
    try:
        submission = form.request()
    except ValidationError as exc:
        errors = [_field_error(error) for error in exc.errors()]
        return _submit_page(request, context, form, errors, 422)
    if len(submission.files_url) > context.settings.max_batch_files:
        limit = context.settings.max_batch_files
        errors = [f"{len(submission.files_url)} URLs; one batch takes at most {limit}."]
        return _submit_page(request, context, form, errors, 413)
    try:
        plan = plan_batch(submission, profiles=context.profiles)
        check_durations(plan, context)
        await run_in_threadpool(check_urls, plan, context, "files_url")
        await run_in_threadpool(queue_batch, plan, context)
    except ServiceError as exc:
        errors = [detail.msg or "" for detail in exc.details or []] or [exc.message]
        return _submit_page(request, context, form, errors, exc.status_code)
    return RedirectResponse(f"batches/{quote(plan.batch_id, safe='')}", status_code=303)


def _field_error(error: object) -> str:
    details = error if isinstance(error, dict) else {}
    where = [str(part) for part in details.get("loc", ()) if not isinstance(part, int)]
    names = {"files_url": "File URLs", "callback_url": "Callback URL", "profile": "Profile"}
    field = names.get(where[0], where[0]) if where else "Form"
    return f"{field}: {details.get('msg', 'invalid')}"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, context: Context, next: str = "") -> Response:
    return _page(
        request,
        context,
        "login.html",
        page="login",
        next=next if _NEXT.match(next) else "",
        failed=False,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, context: Context) -> Response:
    if (refused := _refused_form(request, context)) is not None:
        return refused
    fields = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    key = fields.get("key", [""])[0]
    target = fields.get("next", [""])[0]
    target = target if _NEXT.match(target) else ""
    settings = context.settings
    if settings.api_key is None:
        return RedirectResponse(f"./{target}", status_code=303)
    if not key_matches(settings, key):
        return _page(request, context, "login.html", 401, page="login", next=target, failed=True)
    response = RedirectResponse(f"./{target}", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_token(settings.api_key.get_secret_value()),
        max_age=SESSION_SECONDS,
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request, context: Context) -> Response:
    if (refused := _refused_form(request, context)) is not None:
        return refused
    response = RedirectResponse("login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=is_https(request), httponly=True, samesite="strict"
    )
    return response
