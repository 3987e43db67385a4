"""The result store interface: records keyed by `task_id` + `timestamp`.

Shaped on the original DynamoDB table (partition `task_id`, sort `timestamp`,
index `BatchIdIndex` on `batch_id` + `timestamp`) so that table and the SQLite
file implement it alike. Reads must see earlier writes of the same process
(DynamoDB: consistent reads), except that the batch views (`batch_page`'s
membership, `batch_summary`) may trail writes by an index's lag (DynamoDB's
global index is eventually consistent); expired records (`expires_at` in the
past) are never returned, deleted or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mp4_small_analyser.stores.records import (
    BatchDigest,
    BatchPage,
    BatchSummary,
    RecordUpdate,
    TaskRecord,
)


class RecordNotFoundError(LookupError):
    def __init__(self, task_id: str, timestamp: str) -> None:
        super().__init__(f"no record for task {task_id!r} at {timestamp}")
        self.task_id = task_id
        self.timestamp = timestamp


class InvalidPageTokenError(ValueError):
    """A `next_token` this store did not give (or for another batch). Its message is ours
    alone, safe to answer with; the decoder's exception is kept as its cause."""


class ResultStore(Protocol):
    def put(self, record: TaskRecord) -> None:
        """Write a record, replacing one with the same key."""

    def put_many(self, records: Sequence[TaskRecord]) -> None:
        """Write a batch's records, all of them or (on error) as many as the backend could."""

    def get(self, task_id: str, timestamp: str) -> TaskRecord | None:
        """The record with exactly this key."""

    def update(self, task_id: str, timestamp: str, changes: RecordUpdate) -> TaskRecord:
        """Apply `changes` to an existing record and return it; RecordNotFoundError if absent."""

    def latest(self, task_id: str) -> TaskRecord | None:
        """The task's record with the greatest timestamp."""

    def task_records(self, task_id: str, *, own: bool, limit: int) -> list[TaskRecord]:
        """The task's records newest first, at most `limit`: those the service wrote itself
        (`source` "service") when `own`, else those it received (callbacks, simulations)."""

    def claim_nonce(self, key: str, expires_at: float) -> bool:
        """Remember `key` until `expires_at` (Unix time): True the first time, False while a
        live claim of the same key exists (a replayed signature). Atomic across processes."""

    def batch_page(self, batch_id: str, limit: int, next_token: str | None = None) -> BatchPage:
        """The batch's tasks, latest record each, in order of their first record.

        `next_token` is opaque to callers; a token this method did not return
        raises ValueError.
        """

    def batch_summary(self, batch_id: str) -> BatchSummary:
        """Counts of the batch's tasks by the status of their latest record."""

    def recent_batches(self, limit: int) -> list[BatchDigest]:
        """The `limit` batches submitted last (by their first record), newest first, each
        with its `batch_summary`; may trail writes as the batch views do."""

    def newest(self, limit: int) -> list[TaskRecord]:
        """The most recent records of any task, newest first (a debugging view)."""

    def purge_expired(self) -> int:
        """Delete expired records (and nonces) and return how many records; backends that
        expire items themselves (DynamoDB TTL) return 0."""
