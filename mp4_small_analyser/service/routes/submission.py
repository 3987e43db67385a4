"""`POST /mp4_small_analyser`: both request shapes, async (202) or sync (200)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from mp4_small_analyser.service.auth import require_api_key
from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.json_body import JsonRoute
from mp4_small_analyser.service.planning import file_count, plan_batch
from mp4_small_analyser.service.redaction import redact_url
from mp4_small_analyser.service.schemas import (
    COMMANDS_SHAPE,
    FILES_URL_SHAPE,
    AsyncResponse,
    CommandsRequest,
    ErrorResponse,
    QueuedTask,
    SubmissionRequest,
    SyncResponse,
)
from mp4_small_analyser.service.submission import (
    SYNC_PRIORITY,
    check_durations,
    check_urls,
    known_tasks,
    queue_batch,
    wait_for_results,
)

router = APIRouter(tags=["submission"], route_class=JsonRoute, strict_content_type=False)

_errors: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "Invalid JSON, duplicate task_id, conflicting batch_id",
        401: "Missing or wrong x-api-key",
        409: "A task_id already used for another command",
        413: "Body, batch or sync batch too large",
        415: "Body not sent as JSON",
        422: "Invalid request, URL refused or invalid QC profile",
        503: "Queue unavailable",
        504: "Sync batch took longer than SYNC_TIMEOUT",
    }.items()
}


@router.post(
    "/mp4_small_analyser",
    status_code=202,
    response_model=AsyncResponse,
    responses={200: {"model": SyncResponse, "description": "Sync results"}, **_errors},
    dependencies=[Depends(require_api_key)],
    summary="Analyse a batch of MP4 files",
)
async def submit_batch(
    request: Request, body: Annotated[SubmissionRequest, Body()], context: Context
) -> JSONResponse:
    """With any `callback_url` the batch is queued and answered 202 at once, each result
    going to its callback; without, it is analysed and answered 200 with the results.
    Query parameters of this request are appended to every callback URL."""
    settings = context.settings
    count = file_count(body)
    if count > settings.max_batch_files:
        raise ServiceError(
            413,
            ServiceErrorCode.TOO_MANY_FILES,
            f"{count} files in one batch; the limit is {settings.max_batch_files}"
            " (MAX_BATCH_FILES)",
        )
    plan = plan_batch(body, request.query_params.multi_items(), profiles=context.profiles)
    check_durations(plan, context)
    if not plan.is_async and count > settings.max_sync_files:
        raise ServiceError(
            413,
            ServiceErrorCode.SYNC_LIMIT_EXCEEDED,
            f"Without a callback_url at most {settings.max_sync_files} files are analysed while "
            "you wait (MAX_SYNC_FILES); give a callback_url to submit asynchronously.",
        )
    shape = COMMANDS_SHAPE if isinstance(body, CommandsRequest) else FILES_URL_SHAPE
    await run_in_threadpool(check_urls, plan, context, shape)
    plan, known = await run_in_threadpool(known_tasks, plan, context)
    if plan.is_async:
        await run_in_threadpool(queue_batch, plan, context, known=known)
        response = AsyncResponse(
            batch_id=plan.batch_id,
            total_files=count,
            tasks=[
                QueuedTask(
                    task_id=m.task_id,
                    file_url=redact_url(m.file_url),
                    callback_url=redact_url(m.callback_url) if m.callback_url else None,
                    status=known[m.task_id].status if m.task_id in known else "queued",
                )
                for m in plan.messages
            ],
            batch_url=(
                f"{settings.results_base_url.rstrip('/')}/callback/batch/{plan.batch_id}"
                if settings.results_base_url
                else str(request.url_for("get_batch", batch_id=plan.batch_id))
            ),
        )
        return JSONResponse(response.model_dump(mode="json"), status_code=202)
    await run_in_threadpool(queue_batch, plan, context, priority=SYNC_PRIORITY, known=known)
    results = await wait_for_results(plan, context, settings.sync_timeout)
    return JSONResponse(SyncResponse.of(plan.batch_id, results).model_dump(mode="json"))
