"""The callback API of the original design: receive callbacks, read results back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from mp4_small_analyser.service.auth import require_reader
from mp4_small_analyser.service.context import Context, ServiceContext
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.json_body import JsonRoute
from mp4_small_analyser.service.paging import MAX_PAGE_SIZE, batch_page
from mp4_small_analyser.service.received import store_received
from mp4_small_analyser.service.redaction import public_record
from mp4_small_analyser.service.schemas import (
    ID_PATTERN,
    RECEIVED_SHOWN,
    BatchResponse,
    ErrorResponse,
    ReceivedCallback,
    TaskView,
)
from mp4_small_analyser.stores.records import TaskRecord

router = APIRouter(tags=["callbacks and results"], route_class=JsonRoute, strict_content_type=False)

TaskIdPath = Annotated[str, Path(pattern=ID_PATTERN)]
_not_found: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong x-api-key"},
    404: {"model": ErrorResponse, "description": "Unknown task or batch"},
}


_RECEIVE_CALLBACK: dict[str, Any] = {
    "response_model": TaskRecord,
    "responses": {
        400: {"model": ErrorResponse, "description": "Invalid JSON"},
        401: {"model": ErrorResponse, "description": "Missing, bad, stale or replayed credentials"},
        415: {"model": ErrorResponse, "description": "Body not sent as JSON"},
        422: {"model": ErrorResponse, "description": "Invalid callback body"},
    },
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ReceivedCallback.model_json_schema()}},
        }
    },
}


@router.post("/callback/{task_id}", summary="Store a received callback", **_RECEIVE_CALLBACK)
@router.put("/callback/{task_id}", summary="Store a received callback (PUT)", **_RECEIVE_CALLBACK)
async def receive_callback(task_id: TaskIdPath, request: Request, context: Context) -> TaskRecord:
    """Store a result sent to this task's callback URL, next to (never instead of) the
    service's own record of the task. The `task_id` of the path wins over the body's.
    With API_KEY set, the callback needs `x-api-key` or an `in1` signature made by this
    service (the `v2` one every receiver can make is not enough); a signature is accepted
    once. With CALLBACK_SIGNING_SECRET but no API_KEY, callbacks are refused."""
    return await store_received(request, context, task_id, await request.json(), "callback")


@router.get(
    "/callback/{task_id}",
    dependencies=[Depends(require_reader)],
    response_model=TaskView,
    responses=_not_found,
    summary="A task's record, and the callbacks received for it",
)
async def get_task(task_id: TaskIdPath, context: Context) -> TaskView:
    """The service's own record of the task when it ran it (`source: "service"`: `queued`,
    `running`, `completed`, `failed`, with its callback's delivery), else the latest
    callback received for it; `received` lists the other received records."""
    own, received = await run_in_threadpool(_task_records, context, task_id)
    primary = own or (received.pop(0) if received else None)
    if primary is None:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No task {task_id!r}")
    return TaskView(
        **public_record(primary).model_dump(),
        received=[public_record(record) for record in received[:RECEIVED_SHOWN]],
    )


def _task_records(
    context: ServiceContext, task_id: str
) -> tuple[TaskRecord | None, list[TaskRecord]]:
    store = context.backends.store
    own = store.task_records(task_id, own=True, limit=1)
    received = store.task_records(task_id, own=False, limit=RECEIVED_SHOWN + 1)
    return (own[0] if own else None), received


@router.get(
    "/callback/batch/{batch_id}",
    dependencies=[Depends(require_reader)],
    response_model=BatchResponse,
    responses=_not_found,
    summary="Every task of a batch",
)
async def get_batch(
    batch_id: Annotated[str, Path(pattern=ID_PATTERN)],
    context: Context,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> BatchResponse:
    """The batch's tasks in submission order, one record each (the service's own for the
    tasks it ran), with a summary of their statuses; `next_token` pages through batches
    longer than `limit`."""
    store = context.backends.store
    summary = await run_in_threadpool(store.batch_summary, batch_id)
    if summary.total == 0:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No batch {batch_id!r}")
    page = await batch_page(store, batch_id, limit, next_token)
    return BatchResponse(
        batch_id=batch_id,
        summary=summary,
        tasks=[public_record(record) for record in page.records],
        next_token=page.next_token,
    )
