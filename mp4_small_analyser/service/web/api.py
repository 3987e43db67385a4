"""The console's JSON and downloads: live batch summaries, and a batch as CSV or JSON.

Same sign-in as the pages (session cookie or `x-api-key`), answering 401 rather
than redirecting: these are fetched by scripts and download links.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from mp4_small_analyser.service.context import Context, ServiceContext
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.schemas import ID_PATTERN
from mp4_small_analyser.service.web.batches import batch_rows, summary_verdicts
from mp4_small_analyser.service.web.render import CONSOLE_PREFIX
from mp4_small_analyser.service.web.rows import BatchRow, rows_csv
from mp4_small_analyser.service.web.security import signed_in
from mp4_small_analyser.stores.records import BatchSummary

router = APIRouter(prefix=CONSOLE_PREFIX, include_in_schema=False)

MAX_IDS = 50
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]


class LiveBatch(BaseModel):
    batch_id: str
    summary: BatchSummary
    verdicts: dict[str, int] | None = None


class LiveBatches(BaseModel):
    batches: list[LiveBatch]


def _require_sign_in(request: Request, context: ServiceContext) -> None:
    if not signed_in(request, context.settings):
        raise ServiceError(401, ServiceErrorCode.UNAUTHORIZED, "Sign in or send x-api-key")


@router.get("/api/batches", response_model=LiveBatches)
async def live_batches(
    request: Request,
    context: Context,
    ids: Annotated[str, Query(max_length=MAX_IDS * 130)] = "",
) -> LiveBatches:
    """The summaries of the named batches (comma-separated), for pages that follow them."""
    _require_sign_in(request, context)
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
    _require_sign_in(request, context)
    table = await run_in_threadpool(batch_rows, context.backends.store, batch_id)
    if table is None:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No batch {batch_id!r}")
    return table.rows


def _download(batch_id: str, extension: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="batch-{batch_id}.{extension}"'}


@router.get("/batches/{batch_id}/export.csv")
async def export_csv(batch_id: IdPath, request: Request, context: Context) -> Response:
    rows = await _rows(batch_id, request, context)
    return Response(
        rows_csv(rows), media_type="text/csv; charset=utf-8", headers=_download(batch_id, "csv")
    )


class BatchExport(BaseModel):
    batch_id: str
    rows: list[BatchRow]


@router.get("/batches/{batch_id}/export.json")
async def export_json(batch_id: IdPath, request: Request, context: Context) -> Response:
    rows = await _rows(batch_id, request, context)
    body = BatchExport(batch_id=batch_id, rows=rows).model_dump_json(indent=2)
    return Response(body, media_type="application/json", headers=_download(batch_id, "json"))
