"""QC profiles: list them, read one, and judge stored results again against any profile.

Judging again reads the stored result only (no download, no decoding) and
stores nothing: the task keeps the verdict of the profile it was submitted with,
and the answer is what another profile would say. It judges the record
`GET /callback/{task_id}` shows at its top level (the service's own when it ran the
task, never a received callback in its place), redacted as every answer is, and
needs the credentials reading results needs (see docs/service.md "Security").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool

from mp4_small_analyser.analysis.judging import ProfileError, judge_task
from mp4_small_analyser.models import CompletedResult, FailedResult, TaskResult
from mp4_small_analyser.options import PROFILE_NAME_PATTERN
from mp4_small_analyser.service.auth import require_reader
from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.json_body import JsonRoute
from mp4_small_analyser.service.judging import (
    JudgedBatch,
    JudgeRequest,
    ProfileList,
    ProfileResolver,
    ProfileView,
    invalid_profile,
    judged_page,
    stored_result,
    summary,
    view,
)
from mp4_small_analyser.service.paging import MAX_PAGE_SIZE, batch_page
from mp4_small_analyser.service.received import shown_record
from mp4_small_analyser.service.schemas import ID_PATTERN, ErrorResponse

router = APIRouter(
    tags=["QC profiles"],
    dependencies=[Depends(require_reader)],
    route_class=JsonRoute,
    strict_content_type=False,
)

_errors: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid JSON"},
    401: {"model": ErrorResponse, "description": "Missing or wrong x-api-key"},
    404: {"model": ErrorResponse, "description": "Unknown profile, task or batch"},
    409: {"model": ErrorResponse, "description": "The task has no result to judge yet"},
    415: {"model": ErrorResponse, "description": "Body not sent as JSON"},
    422: {"model": ErrorResponse, "description": "Invalid request or QC profile"},
}


@router.get("/profiles", response_model=ProfileList, summary="Every QC profile")
async def list_profiles(context: Context) -> ProfileList:
    """The built-in profiles and those of the PROFILES_DIR folder (a folder profile that
    cannot be used is left out; the service's log says why)."""
    library = context.profiles
    found = []
    for name in library.names():
        try:
            profile = library.get(name)
        except ProfileError:
            continue
        found.append(summary(profile, library.origin(name) == "built-in"))
    return ProfileList(profiles=found)


@router.get(
    "/profiles/{name}", response_model=ProfileView, responses=_errors, summary="One QC profile"
)
async def get_profile(
    name: Annotated[str, Path(pattern=PROFILE_NAME_PATTERN)], context: Context
) -> ProfileView:
    """The profile with its parents merged in: every rule, and which profile defined it."""
    library = context.profiles
    if name not in library.names():
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No QC profile {name!r}")
    try:
        profile = library.get(name)
    except ProfileError as exc:
        raise invalid_profile(exc, "profiles") from exc
    return view(profile, library.origin(name) == "built-in")


@router.post(
    "/callback/{task_id}/judge",
    response_model=TaskResult,
    responses=_errors,
    summary="Judge a stored task again against another profile",
)
async def judge_stored_task(
    task_id: Annotated[str, Path(pattern=ID_PATTERN)], body: JudgeRequest, context: Context
) -> CompletedResult | FailedResult:
    """The task's stored result with the checks and verdict `profile` gives it. Nothing is
    analysed or stored; a failed task comes back as it is."""
    profile = ProfileResolver(context.profiles)(body.profile, "profile")
    record = await run_in_threadpool(shown_record, context.backends.store, task_id)
    if record is None:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No task {task_id!r}")
    stored = stored_result(record)
    if stored is None:
        raise ServiceError(
            409,
            ServiceErrorCode.TASK_NOT_COMPLETED,
            f"Task {task_id!r} is {record.status} and holds no result to judge",
        )
    return judge_task(stored, profile)


@router.post(
    "/callback/batch/{batch_id}/judge",
    response_model=JudgedBatch,
    responses=_errors,
    summary="Judge a stored batch again against another profile",
)
async def judge_stored_batch(
    batch_id: Annotated[str, Path(pattern=ID_PATTERN)],
    body: JudgeRequest,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> JudgedBatch:
    """One page of the batch (as `GET /callback/batch/{batch_id}` pages it) judged against
    `profile`: finished tasks' results with their new verdicts, counted by verdict; tasks not
    finished are listed in `pending`. Nothing is analysed or stored."""
    profile = ProfileResolver(context.profiles)(body.profile, "profile")
    store = context.backends.store
    page = await batch_page(store, batch_id, limit, next_token)
    if not page.records and next_token is None:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No batch {batch_id!r}")
    return await run_in_threadpool(judged_page, batch_id, page.records, profile, page.next_token)
