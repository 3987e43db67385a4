"""The console's JSON and downloads: live batch summaries, and a batch as CSV or JSON.

Same sign-in as the pages (session cookie or `x-api-key`), answering 401 rather
than redirecting: these are fetched by scripts and download links. Unlike the
pages, they are in the OpenAPI schema (tag `console`), so the schema's tests
fuzz them as they do the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from mp4_small_analyser.models import VerdictStatus
from mp4_small_analyser.service.auth import require_reader
from mp4_small_analyser.service.context import Context, ServiceContext
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.schemas import ID_PATTERN, ErrorResponse
from mp4_small_analyser.service.web.batches import batch_rows, summary_verdicts
from mp4_small_analyser.service.web.render import CONSOLE_PREFIX
from mp4_small_analyser.service.web.rows import BatchRow, rows_csv
from mp4_small_analyser.stores.records import BatchSummary

router = APIRouter(prefix=CONSOLE_PREFIX, tags=["console"])

MAX_IDS = 50
IDS_PATTERN = r"^[A-Za-z0-9._:,-]*$"
"""Batch ids (their characters) and commas: nothing a URL must escape, so the longest
query stays within the HTTP servers' request-line limits."""
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]


class LiveBatch(BaseModel):
    batch_id: str
    summary: BatchSummary
    verdicts: dict[VerdictStatus, int] | None = None


class LiveBatches(BaseModel):
    batches: list[LiveBatch]


_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Sign in or send x-api-key"}
}
_EXPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **_UNAUTHORIZED,
    404: {"model": ErrorResponse, "description": "Unknown batch"},
}


@router.get(
    "/api/batches",
    response_model=LiveBatches,
    responses=_UNAUTHORIZED,
    summary="Live summaries of batches (the Batches page)",
)
async def live_batches(
    request: Request,
    context: Context,
    ids: Annotated[str, Query(max_length=MAX_IDS * 130, pattern=IDS_PATTERN)] = "",
) -> LiveBatches:
    """The summaries of the named batches (comma-separated), for pages that follow them."""
    require_reader(request, context)
    wanted = [batch_id for batch_id in ids.split(",") if batch_id][:MAX_IDS]
    store = context.backends.store
    batches = []
    for batch_id in wanted:
        summary = await run_in_threadpool(store.batch_summary, batch_id)
        if summary.total:
            batches.append(
                LiveBatch(batch_id=batch_id, summary=summary, verdicts=summary_verdicts(summary))
            )
    return LiveBatches(batches=batches)


async def _rows(batch_id: str, request: Request, context: ServiceContext) -> list[BatchRow]:
    require_reader(request, context)
    table = await run_in_threadpool(batch_rows, context.backends.store, batch_id)
    if table is None:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No batch {batch_id!r}")
    return table.rows


def _download(batch_id: str, extension: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="batch-{batch_id}.{extension}"'}


@router.get(
    "/batches/{batch_id}/export.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One row per file"},
        **_EXPORT_ERRORS,
    },
    summary="A batch's table as CSV",
)
async def export_csv(batch_id: IdPath, request: Request, context: Context) -> Response:
    rows = await _rows(batch_id, request, context)
    return Response(
        rows_csv(rows), media_type="text/csv; charset=utf-8", headers=_download(batch_id, "csv")
    )


class BatchExport(BaseModel):
    batch_id: str
    rows: list[BatchRow]


@router.get(
    "/batches/{batch_id}/export.json",
    response_class=Response,
    responses={200: {"model": BatchExport, "description": "One row per file"}, **_EXPORT_ERRORS},
    summary="A batch's table as JSON",
)
async def export_json(batch_id: IdPath, request: Request, context: Context) -> Response:
    rows = await _rows(batch_id, request, context)
    body = BatchExport(batch_id=batch_id, rows=rows).model_dump_json(indent=2)
    return Response(body, media_type="application/json", headers=_download(batch_id, "json"))
