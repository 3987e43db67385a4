"""Records stored before the payload was typed still load, on both backends.

Rows are written as the stores wrote them when the payload was plain JSON (SQLite: the
record as JSON text; DynamoDB: the record's fields as attributes, the verdict copied out),
bypassing the store, then read back through it: a task result comes back as one, a
received body as it came, and writing the record again stores the same JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from mp4_small_analyser.models import (
    CompletedResult,
    FailedResult,
    FileInfo,
    Metadata,
    ReceivedResult,
    Results,
    Verdict,
)
from mp4_small_analyser.stores.adapters.dynamodb_items import serialize
from mp4_small_analyser.stores.adapters.dynamodb_store import DynamoDbResultStore
from mp4_small_analyser.stores.adapters.dynamodb_table import VERDICT_ATTRIBUTE
from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.adapters.sqlite_store import SqliteResultStore
from mp4_small_analyser.stores.records import payload_json
from mp4_small_analyser.stores.result_store import ResultStore

TIMESTAMP = "2025-08-04T12:00:00.000000Z"

RawWriter = Callable[[dict[str, Any]], None]
"""Writes one record, given as the JSON the stores kept, behind the store's back."""


def service_result() -> dict[str, Any]:
    """A completed task result as the workers stored it: the result's JSON dump."""
    facts = FileInfo.model_validate(
        {"file_size": 35_000, "duration": 1.0, "format": "mp4", "track_count": 2}
        | {"faststart": True, "fragmented": False}
    )
    return CompletedResult(
        task_id="served",
        file_url="https://example.com/served.mp4?X-Amz-Signature=REDACTED",
        processing_time=1.25,
        results=Results(file_info=facts, verdict=Verdict(status="warn", profile="web")),
        metadata=Metadata(processed_at=datetime(2025, 8, 4, tzinfo=UTC), mode="full"),
    ).model_dump(mode="json")


def stored_record(task_id: str, source: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON as `TaskRecord.model_dump_json()` wrote it with an untyped payload."""
    return {
        "task_id": task_id,
        "timestamp": TIMESTAMP,
        "batch_id": "b1",
        "status": payload["status"],
        "source": source,
        "file_url": f"https://example.com/{task_id}.mp4",
        "payload": payload,
        "callback": None,
        "updated_at": TIMESTAMP,
        "expires_at": None,
        "truncated": None,
        "request_digest": None,
    }


RECORDS = {
    "served": stored_record("served", "service", service_result()),
    "failed": stored_record(
        "failed",
        "service",
        {
            "status": "failed",
            "task_id": "failed",
            "batch_id": None,
            "file_url": "https://example.com/failed.mp4",
            "processing_time": 0.01,
            "error": "The file is not an MP4: it looks like a PNG image",
            "error_code": "NOT_MP4",
            "metadata": Metadata(processed_at=datetime(2025, 8, 4, tzinfo=UTC)).model_dump(
                mode="json"
            ),
        },
    ),
    "received": stored_record(
        "received",
        "callback",
        {
            "status": "completed",
            "task_id": "received",
            "results": {"verdict": {"status": "pass"}, "notes": ["élan", 3]},
            "analyser": {"name": "elsewhere", "build": 7},
        },
    ),
}


def _sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[ResultStore, RawWriter]:
    database = SqliteDatabase(tmp_path / "store.db")
    store = SqliteResultStore(database)

    def write(record: dict[str, Any]) -> None:
        with database.write() as db:
            db.execute(
                "INSERT INTO records (task_id, timestamp, batch_id, status, expires_at, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record["task_id"],
                    record["timestamp"],
                    record["batch_id"],
                    record["status"],
                    record["expires_at"],
                    json.dumps(record),
                ),
            )

    return store, write


def _dynamodb(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[ResultStore, RawWriter]:
    table: str = request.getfixturevalue("results_table")
    store = DynamoDbResultStore(table)

    def write(record: dict[str, Any]) -> None:
        verdict = (record["payload"].get("results") or {}).get("verdict") or {}
        fields = {name: value for name, value in record.items() if value is not None}
        if "status" in verdict:
            fields[VERDICT_ATTRIBUTE] = verdict["status"]
        boto3.client("dynamodb").put_item(TableName=table, Item=serialize(fields))

    return store, write


BACKENDS = {"sqlite": _sqlite, "dynamodb": _dynamodb}


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_records_stored_with_an_untyped_payload_load_as_typed_payloads(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store, write = BACKENDS[backend](tmp_path, request)
    for record in RECORDS.values():
        write(record)

    kinds = {"served": CompletedResult, "failed": FailedResult, "received": ReceivedResult}
    for task_id, kind in kinds.items():
        loaded = store.get(task_id, TIMESTAMP)
        assert loaded is not None and isinstance(loaded.payload, kind), task_id
        assert payload_json(loaded.payload) == RECORDS[task_id]["payload"]
        assert loaded.model_dump(mode="json") == RECORDS[task_id]
        # Written again by today's code, the record is what it was.
        store.put(loaded)
        assert store.get(task_id, TIMESTAMP) == loaded

    served = store.get("served", TIMESTAMP)
    assert served is not None and isinstance(served.payload, CompletedResult)
    assert served.payload.results.verdict is not None
    assert served.payload.results.verdict.status == "warn"
    assert store.batch_summary("b1").verdicts == {"pass": 1, "warn": 1, "fail": 0}
