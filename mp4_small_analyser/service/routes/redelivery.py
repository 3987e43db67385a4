"""`POST /callback/{task_id}/redeliver`, `POST /callback/batch/{batch_id}/redeliver`.

Callbacks that ended `failed` are sent again (a new series of attempts); they need the
API key when API_KEY is set, as submissions do.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool

from mp4_small_analyser.service.auth import require_api_key
from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.json_body import JsonRoute
from mp4_small_analyser.service.redelivery import redeliver_batch, redeliver_task
from mp4_small_analyser.service.schemas import ID_PATTERN, ErrorResponse, RedeliveryResponse

router = APIRouter(
    tags=["callbacks and results"],
    dependencies=[Depends(require_api_key)],
    route_class=JsonRoute,
    strict_content_type=False,
)
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]
_errors: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong x-api-key"},
    404: {"model": ErrorResponse, "description": "Unknown task or batch"},
    503: {"model": ErrorResponse, "description": "Queue unavailable"},
}


@router.post(
    "/callback/{task_id}/redeliver",
    status_code=202,
    response_model=RedeliveryResponse,
    responses={**_errors, 409: {"model": ErrorResponse, "description": "Callback not failed"}},
    summary="Send a failed callback again",
)
async def redeliver_one(task_id: IdPath, context: Context) -> RedeliveryResponse:
    """Queue again the callback of a task whose delivery ended `failed`."""
    task_ids = await run_in_threadpool(redeliver_task, task_id, context)
    return RedeliveryResponse(task_ids=task_ids, count=len(task_ids))


@router.post(
    "/callback/batch/{batch_id}/redeliver",
    status_code=202,
    response_model=RedeliveryResponse,
    responses=_errors,
    summary="Send a batch's failed callbacks again",
)
async def redeliver_many(batch_id: IdPath, context: Context) -> RedeliveryResponse:
    """Queue again every callback of the batch whose delivery ended `failed`."""
    task_ids = await run_in_threadpool(redeliver_batch, batch_id, context)
    return RedeliveryResponse(task_ids=task_ids, count=len(task_ids))
