"""Debugging endpoints of the original design (ENABLE_TEST_ENDPOINTS, off by default).

Both need the API key when API_KEY is set; `/test/simulate` stores a callback through
the path of received ones (received.py), credentials included.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from mp4_small_analyser.service.auth import require_api_key
from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.json_body import JsonRoute
from mp4_small_analyser.service.paging import MAX_PAGE_SIZE
from mp4_small_analyser.service.received import store_received
from mp4_small_analyser.service.redaction import public_record, redact_url
from mp4_small_analyser.service.schemas import RecordList, SimulateRequest
from mp4_small_analyser.stores.records import TaskRecord

router = APIRouter(
    prefix="/test",
    tags=["test endpoints"],
    dependencies=[Depends(require_api_key)],
    route_class=JsonRoute,
    strict_content_type=False,
)


@router.get("/results", response_model=RecordList, summary="Newest records")
async def newest_results(
    context: Context, limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50
) -> RecordList:
    """The most recent records of any task, newest first."""
    records = await run_in_threadpool(context.backends.store.newest, limit)
    return RecordList(count=len(records), items=[public_record(record) for record in records])


@router.post("/simulate", response_model=TaskRecord, status_code=201, summary="Simulate a callback")
async def simulate(request: SimulateRequest, http_request: Request, context: Context) -> TaskRecord:
    """Store a callback like the original's examples, as if a worker had sent it."""
    request = request.model_copy(update={"file_url": redact_url(request.file_url)})
    task_id = request.task_id or str(uuid.uuid4())
    payload = simulated_payload(task_id, request)
    return await store_received(http_request, context, task_id, payload, "simulated")


def simulated_payload(task_id: str, request: SimulateRequest) -> dict[str, Any]:
    """The payloads of callback_payload_exemple.json and callback_error_exemple.json."""
    base: dict[str, Any] = {"status": request.status, "task_id": task_id}
    if request.batch_id is not None:
        base["batch_id"] = request.batch_id
    base["file_url"] = request.file_url
    if request.status == "failed":
        return {
            **base,
            "error": "Unable to download file: HTTP 404 Not Found",
            "error_code": "FILE_NOT_FOUND",
        }
    return {
        **base,
        "processing_time": 15.23,
        "results": {
            "file_info": {"file_size": 2048576, "duration": 30.067, "format": "mp4"},
            "video_analysis": {"codec": "h264", "resolution": "1920x1080", "quality_score": 0.85},
            "audio_analysis": {"codec": "aac", "quality_score": 0.9},
        },
    }
