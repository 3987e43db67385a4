"""Pages of records: the largest `limit` the API takes, which its own clients page with,
and reading one page of a batch as the API answers it."""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool

from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.stores.records import BatchPage
from mp4_small_analyser.stores.result_store import InvalidPageTokenError, ResultStore

MAX_PAGE_SIZE = 1000
"""Records in one page of `GET /callback/batch/{id}`, of re-judging a batch and of
`GET /test/results`, at most; the console, re-delivery and `submit --wait` read batches in
pages this large."""


async def batch_page(
    store: ResultStore, batch_id: str, limit: int, next_token: str | None
) -> BatchPage:
    """The page, or 400 INVALID_TOKEN with the store's own sentence (never a decoder's)."""
    try:
        return await run_in_threadpool(store.batch_page, batch_id, limit, next_token)
    except InvalidPageTokenError as exc:
        raise ServiceError(400, ServiceErrorCode.INVALID_TOKEN, str(exc)) from exc
