"""Batches as the pages list them: recent ones with their counts, and one batch's rows.

Rows are built from records as every answer shows them (`public_record`: URLs
and payloads redacted), so no page or export shows a signed URL's secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from mp4_small_analyser.models import VerdictStatus
from mp4_small_analyser.service.paging import MAX_PAGE_SIZE
from mp4_small_analyser.service.redaction import public_record
from mp4_small_analyser.service.web.rows import BatchRow, record_row
from mp4_small_analyser.stores.records import BatchDigest, BatchSummary
from mp4_small_analyser.stores.result_store import ResultStore


@dataclass(frozen=True)
class BatchListing:
    digest: BatchDigest
    verdicts: dict[VerdictStatus, int] | None


def summary_verdicts(summary: BatchSummary) -> dict[VerdictStatus, int] | None:
    """The summary's completed files by verdict (pass / warn / fail); None while none has
    one."""
    if not any(summary.verdicts.values()):
        return None
    return dict(summary.verdicts)


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
        page = store.batch_page(batch_id, MAX_PAGE_SIZE, token)
        records += page.records
        token = page.next_token
        if token is None:
            break
    submitted = min((record.timestamp for record in records), default="")
    rows = [record_row(public_record(record)) for record in records]
    return BatchTable(summary, submitted, rows)
