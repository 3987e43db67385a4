"""`ResultStore` on one SQLite table keyed as the original DynamoDB table."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence

from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.records import (
    BatchDigest,
    BatchPage,
    BatchSummary,
    RecordUpdate,
    TaskRecord,
    utc_timestamp,
)
from mp4_small_analyser.stores.result_store import InvalidPageTokenError, RecordNotFoundError

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    task_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    batch_id TEXT,
    status TEXT NOT NULL,
    expires_at INTEGER,
    body TEXT NOT NULL,
    PRIMARY KEY (task_id, timestamp)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_batch ON records (batch_id, timestamp);
CREATE INDEX IF NOT EXISTS records_by_time ON records (timestamp);
CREATE TABLE IF NOT EXISTS nonces (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
"""

_LIVE = "(expires_at IS NULL OR expires_at > :now)"

# Tasks of a batch: when each first appeared (its order) and its latest record.
_BATCH_TASKS = f"""
WITH tasks AS (
    SELECT task_id, min(timestamp) AS first_ts, max(timestamp) AS last_ts
    FROM records WHERE batch_id = :batch_id AND {_LIVE}
    GROUP BY task_id
)
"""


class SqliteResultStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database
        database.add_schema(SCHEMA)

    def put(self, record: TaskRecord) -> None:
        self.put_many([record])

    def put_many(self, records: Sequence[TaskRecord]) -> None:
        rows = [_row(record) for record in records]
        with self._db.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO records"
                " (task_id, timestamp, batch_id, status, expires_at, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def get(self, task_id: str, timestamp: str) -> TaskRecord | None:
        row = (
            self._db.connection()
            .execute(
                "SELECT body FROM records"
                f" WHERE task_id = :task_id AND timestamp = :ts AND {_LIVE}",
                {"task_id": task_id, "ts": timestamp, "now": time.time()},
            )
            .fetchone()
        )
        return None if row is None else TaskRecord.model_validate_json(row[0])

    def update(self, task_id: str, timestamp: str, changes: RecordUpdate) -> TaskRecord:
        with self._db.write() as db:
            row = db.execute(
                "SELECT body FROM records WHERE task_id = ? AND timestamp = ?", (task_id, timestamp)
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(task_id, timestamp)
            record = changes.apply(TaskRecord.model_validate_json(row[0]), utc_timestamp())
            db.execute(
                "UPDATE records SET status = ?, body = ? WHERE task_id = ? AND timestamp = ?",
                (record.status, record.model_dump_json(), task_id, timestamp),
            )
        return record

    def latest(self, task_id: str) -> TaskRecord | None:
        row = (
            self._db.connection()
            .execute(
                f"SELECT body FROM records WHERE task_id = :task_id AND {_LIVE}"
                " ORDER BY timestamp DESC LIMIT 1",
                {"task_id": task_id, "now": time.time()},
            )
            .fetchone()
        )
        return None if row is None else TaskRecord.model_validate_json(row[0])

    def task_records(self, task_id: str, *, own: bool, limit: int) -> list[TaskRecord]:
        rows = (
            self._db.connection()
            .execute(
                f"SELECT body FROM records WHERE task_id = :task_id AND {_LIVE}"
                f" AND (body ->> '$.source' = 'service') = :own"
                " ORDER BY timestamp DESC LIMIT :limit",
                {"task_id": task_id, "now": time.time(), "own": own, "limit": limit},
            )
            .fetchall()
        )
        return [TaskRecord.model_validate_json(row[0]) for row in rows]

    def claim_nonce(self, key: str, expires_at: float) -> bool:
        with self._db.write() as db:
            db.execute("DELETE FROM nonces WHERE key = ? AND expires_at <= ?", (key, time.time()))
            cursor = db.execute(
                "INSERT OR IGNORE INTO nonces (key, expires_at) VALUES (?, ?)", (key, expires_at)
            )
        return cursor.rowcount == 1

    def batch_page(self, batch_id: str, limit: int, next_token: str | None = None) -> BatchPage:
        after_ts, after_id = _decode_token(next_token) if next_token else ("", "")
        rows = (
            self._db.connection()
            .execute(
                _BATCH_TASKS
                + """
                SELECT r.body, t.first_ts, t.task_id FROM tasks t
                JOIN records r ON r.task_id = t.task_id AND r.timestamp = t.last_ts
                WHERE (t.first_ts, t.task_id) > (:after_ts, :after_id)
                ORDER BY t.first_ts, t.task_id LIMIT :limit
                """,
                {
                    "batch_id": batch_id,
                    "now": time.time(),
                    "after_ts": after_ts,
                    "after_id": after_id,
                    "limit": limit + 1,
                },
            )
            .fetchall()
        )
        records = [TaskRecord.model_validate_json(row[0]) for row in rows[:limit]]
        token = _encode_token(rows[limit - 1][1], rows[limit - 1][2]) if len(rows) > limit else None
        return BatchPage(records=records, next_token=token)

    def batch_summary(self, batch_id: str) -> BatchSummary:
        rows = (
            self._db.connection()
            .execute(
                _BATCH_TASKS
                + """
                SELECT r.status, json_extract(r.body, '$.payload.results.verdict.status')
                FROM tasks t
                JOIN records r ON r.task_id = t.task_id AND r.timestamp = t.last_ts
                """,
                {"batch_id": batch_id, "now": time.time()},
            )
            .fetchall()
        )
        return BatchSummary.of([row[0] for row in rows], [row[1] for row in rows])

    def recent_batches(self, limit: int) -> list[BatchDigest]:
        rows = (
            self._db.connection()
            .execute(
                "SELECT batch_id, min(timestamp) AS first_ts FROM records"
                f" WHERE batch_id IS NOT NULL AND {_LIVE}"
                " GROUP BY batch_id ORDER BY first_ts DESC, batch_id LIMIT :limit",
                {"now": time.time(), "limit": limit},
            )
            .fetchall()
        )
        return [
            BatchDigest(batch_id=batch_id, submitted_at=first, summary=self.batch_summary(batch_id))
            for batch_id, first in rows
        ]

    def newest(self, limit: int) -> list[TaskRecord]:
        rows = (
            self._db.connection()
            .execute(
                f"SELECT body FROM records WHERE {_LIVE} ORDER BY timestamp DESC LIMIT :limit",
                {"now": time.time(), "limit": limit},
            )
            .fetchall()
        )
        return [TaskRecord.model_validate_json(row[0]) for row in rows]

    def purge_expired(self) -> int:
        with self._db.write() as db:
            cursor = db.execute("DELETE FROM records WHERE expires_at <= ?", (time.time(),))
            db.execute("DELETE FROM nonces WHERE expires_at <= ?", (time.time(),))
        return cursor.rowcount


def _row(record: TaskRecord) -> tuple[str, str, str | None, str, int | None, str]:
    return (
        record.task_id,
        record.timestamp,
        record.batch_id,
        record.status,
        record.expires_at,
        record.model_dump_json(),
    )


def _encode_token(first_ts: str, task_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([first_ts, task_id]).encode()).decode()


def _decode_token(token: str) -> tuple[str, str]:
    try:
        first_ts, task_id = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, UnicodeError, ValueError, TypeError) as exc:
        raise InvalidPageTokenError("next_token is not one this service gave") from exc
    if not isinstance(first_ts, str) or not isinstance(task_id, str):
        raise InvalidPageTokenError("next_token is not one this service gave")
    return first_ts, task_id
