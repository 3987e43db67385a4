"""Debugging endpoints of the original design (ENABLE_TEST_ENDPOINTS)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.schemas import RecordList, SimulateRequest
from mp4_small_analyser.stores.records import TaskRecord, received_record

router = APIRouter(prefix="/test", tags=["test endpoints"])


@router.get("/results", response_model=RecordList, summary="Newest records")
async def newest_results(
    context: Context, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> RecordList:
    """The most recent records of any task, newest first."""
    records = await run_in_threadpool(context.backends.store.newest, limit)
    return RecordList(count=len(records), items=records)


@router.post("/simulate", response_model=TaskRecord, status_code=201, summary="Simulate a callback")
async def simulate(request: SimulateRequest, context: Context) -> TaskRecord:
    """Store a callback like the original's examples, as if a worker had sent it."""
    task_id = request.task_id or str(uuid.uuid4())
    payload = simulated_payload(task_id, request)
    record = received_record(
        task_id,
        payload,
        status=request.status,
        batch_id=request.batch_id,
        file_url=request.file_url,
        source="simulated",
        ttl_days=context.settings.result_ttl_days,
    )
    await run_in_threadpool(context.backends.store.put, record)
    return record


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
