"""Batches as the pages list them: recent ones with their counts, and one batch's rows."""

from __future__ import annotations

from dataclasses import dataclass

from mp4_small_analyser.service.web.rows import BatchRow, record_row
from mp4_small_analyser.stores.records import BatchDigest, BatchSummary
from mp4_small_analyser.stores.result_store import ResultStore

PAGE = 1000


@dataclass(frozen=True)
class BatchListing:
    digest: BatchDigest
    verdicts: dict[str, int] | None


def summary_verdicts(summary: BatchSummary) -> dict[str, int] | None:
    """The summary's counts by verdict, when the store's summary carries them (`verdicts`,
    filled by the QC profile engine); None before."""
    verdicts = summary.model_dump().get("verdicts")
    if not isinstance(verdicts, dict) or not any(verdicts.values()):
        return None
    return {str(verdict): int(count) for verdict, count in verdicts.items()}


def recent_batches(store: ResultStore, limit: int) -> list[BatchListing]:
    return [
        BatchListing(digest, summary_verdicts(digest.summary))
        for digest in store.recent_batches(limit)
    ]


@dataclass(frozen=True)
class BatchTable:
    summary: BatchSummary
    submitted_at: str
    rows: list[BatchRow]


def batch_rows(store: ResultStore, batch_id: str) -> BatchTable | None:
    """Every task of the batch as a row, in submission order; None for an unknown batch."""
    summary = store.batch_summary(batch_id)
    if summary.total == 0:
        return None
    records = []
    token: str | None = None
    while True:
        page = store.batch_page(batch_id, PAGE, token)
        records += page.records
        token = page.next_token
        if token is None:
            break
    submitted = min((record.timestamp for record in records), default="")
    return BatchTable(summary, submitted, [record_row(record) for record in records])
