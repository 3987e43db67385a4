"""The callback API of the original design: receive callbacks, read results back."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.schemas import (
    ID_PATTERN,
    BatchResponse,
    ErrorResponse,
    ReceivedCallback,
)
from mp4_small_analyser.service.signing import SIGNATURE_HEADER, SignatureError, verify
from mp4_small_analyser.stores.records import TaskRecord, received_record

router = APIRouter(tags=["callbacks and results"])

TaskIdPath = Annotated[str, Path(pattern=ID_PATTERN)]
_not_found: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown task or batch"}
}


_RECEIVE_CALLBACK: dict[str, Any] = {
    "response_model": TaskRecord,
    "responses": {
        400: {"model": ErrorResponse, "description": "Invalid JSON"},
        401: {"model": ErrorResponse, "description": "Bad or stale signature"},
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
    """Store a result sent to this task's callback URL. The `task_id` of the path wins
    over the body's. With CALLBACK_SIGNING_SECRET set, the `X-Mp4-Analyser-Signature`
    header must sign the body (and be less than 5 minutes old)."""
    body = await request.body()
    secret = context.settings.callback_signing_secret
    if secret is not None:
        try:
            verify(secret.get_secret_value(), body, request.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            raise ServiceError(401, ServiceErrorCode.INVALID_SIGNATURE, str(exc)) from None
    payload = _parse(body)
    payload["task_id"] = task_id
    callback = ReceivedCallback.model_validate(payload)
    record = received_record(
        task_id,
        payload,
        status=callback.status,
        batch_id=callback.batch_id,
        file_url=callback.file_url,
        source="callback",
        ttl_days=context.settings.result_ttl_days,
    )
    await run_in_threadpool(context.backends.store.put, record)
    return record


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {exc}"}]
        ) from None
    if not isinstance(payload, dict):
        raise RequestValidationError(
            [{"type": "dict_type", "loc": ("body",), "msg": "Input should be a JSON object"}]
        )
    try:
        ReceivedCallback.model_validate(payload)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None
    return payload


@router.get(
    "/callback/{task_id}",
    response_model=TaskRecord,
    responses=_not_found,
    summary="Latest record of a task",
)
async def get_task(task_id: TaskIdPath, context: Context) -> TaskRecord:
    """The task's latest record: the service's own tasks from the moment they are queued
    (`queued`, `running`, `completed`, `failed`, with their callback's delivery), and
    callbacks received for any task."""
    record = await run_in_threadpool(context.backends.store.latest, task_id)
    if record is None:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No task {task_id!r}")
    return record


@router.get(
    "/callback/batch/{batch_id}",
    response_model=BatchResponse,
    responses=_not_found,
    summary="Every task of a batch",
)
async def get_batch(
    batch_id: Annotated[str, Path(pattern=ID_PATTERN)],
    context: Context,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> BatchResponse:
    """The batch's tasks in submission order, latest record each, with a summary of
    their statuses; `next_token` pages through batches longer than `limit`."""
    store = context.backends.store
    summary = await run_in_threadpool(store.batch_summary, batch_id)
    if summary.total == 0:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No batch {batch_id!r}")
    try:
        page = await run_in_threadpool(store.batch_page, batch_id, limit, next_token)
    except ValueError as exc:
        raise ServiceError(400, ServiceErrorCode.INVALID_TOKEN, str(exc)) from None
    return BatchResponse(
        batch_id=batch_id, summary=summary, tasks=page.records, next_token=page.next_token
    )
