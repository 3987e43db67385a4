"""What the DynamoDB store does beyond the store contract: item size cap, numbers, tokens.

Against the moto server, on a table defined as the callback stack's
(tests/aws_deployment.py); the contract itself runs in test_service_store_contract.py.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError

from mp4_small_analyser.models import (
    AudioAnalysis,
    CompletedResult,
    FileInfo,
    Metadata,
    Results,
    task_result_adapter,
)
from mp4_small_analyser.stores.adapters.dynamodb_items import (
    ITEM_LIMIT,
    PAYLOAD_BUDGET,
    TRUNCATION_MARK,
    estimated_size,
    record_to_item,
    serialize,
    to_dynamo,
)
from mp4_small_analyser.stores.adapters.dynamodb_store import DynamoDbResultStore
from mp4_small_analyser.stores.records import (
    RecordUpdate,
    TaskRecord,
    payload_json,
    record_payload_adapter,
    utc_timestamp,
)

SERIES_LENGTH = 60_000
"""Seconds of short-term loudness: a 16 h 40 min recording, over the item limit."""


def record(task_id: str, payload: dict[str, Any] | None, **fields: Any) -> TaskRecord:
    now = utc_timestamp()
    values: dict[str, Any] = {
        "task_id": task_id,
        "timestamp": now,
        "batch_id": "b1",
        "status": "completed",
        "file_url": f"https://example.com/{task_id}.mp4",
        "payload": payload,
        "updated_at": now,
    }
    return TaskRecord.model_validate({**values, **fields})


def long_result() -> dict[str, Any]:
    series = np.random.default_rng(3).uniform(-60, -10, SERIES_LENGTH).tolist()
    result = CompletedResult(
        task_id="long",
        batch_id="b1",
        file_url="https://example.com/long.mp4",
        processing_time=812.5,
        results=Results(
            file_info=FileInfo(
                file_size=3_000_000_000,
                duration=60_000.0,
                format="mp4",
                faststart=True,
                fragmented=False,
                track_count=1,
            ),
            audio_analysis=AudioAnalysis(
                codec="aac", loudness_integrated=-23.04, short_term_series=series
            ),
        ),
        metadata=Metadata(processed_at=datetime(2025, 8, 4, tzinfo=UTC), mode="full"),
    )
    return result.model_dump(mode="json")


@pytest.fixture
def store(results_table: str) -> DynamoDbResultStore:
    return DynamoDbResultStore(results_table)


def test_a_result_over_the_item_limit_is_stored_with_its_series_cut(
    store: DynamoDbResultStore,
) -> None:
    payload = long_result()
    too_big = record("long", payload)
    # As it is, DynamoDB (here moto) refuses the item.
    item = record_to_item(too_big.model_copy(update={"payload": None}))
    item["payload"] = serialize({"payload": payload})["payload"]
    with pytest.raises(ClientError) as refused:
        boto3.client("dynamodb").put_item(TableName=store.table_name, Item=item)
    assert "size" in str(refused.value).lower()

    store.put(too_big)
    stored = store.get("long", too_big.timestamp)
    assert stored is not None and stored.payload is not None
    stored_payload = payload_json(stored.payload)
    pointer = "/results/audio_analysis/short_term_series"
    assert stored.truncated == {pointer: SERIES_LENGTH}
    series = stored_payload["results"]["audio_analysis"]["short_term_series"]
    kept = payload["results"]["audio_analysis"]["short_term_series"]
    assert 0 < len(series) < SERIES_LENGTH
    assert series == kept[: len(series)]
    # Everything else is intact, and the stored result is still a valid result.
    stored_audio = {**stored_payload["results"]["audio_analysis"], "short_term_series": kept}
    assert {**stored_payload["results"], "audio_analysis": stored_audio} == payload["results"]
    assert isinstance(stored.payload, CompletedResult) and stored.payload.task_id == "long"
    assert estimated_size(to_dynamo(stored_payload)) <= PAYLOAD_BUDGET < ITEM_LIMIT


def test_an_update_with_a_long_result_is_capped_and_marked(store: DynamoDbResultStore) -> None:
    queued = record("t1", None, status="queued")
    store.put(queued)
    updated = store.update(
        "t1",
        queued.timestamp,
        RecordUpdate(payload=task_result_adapter.validate_python(long_result())),
    )
    assert updated.truncated is not None and set(updated.truncated) == {
        "/results/audio_analysis/short_term_series"
    }
    assert store.get("t1", queued.timestamp) == updated
    # A later result that fits drops the marker.
    received = record_payload_adapter.validate_python({"status": "failed"})
    small = store.update("t1", queued.timestamp, RecordUpdate(payload=received))
    assert small.truncated is None and small.payload == received


def test_a_received_callback_with_a_huge_text_keeps_its_start(store: DynamoDbResultStore) -> None:
    text = "é" * 400_000
    payload = {"status": "completed", "results": {"notes": text, "items": [1, 2, 3]}}
    store.put(record("ext", payload, source="callback"))
    stored = store.latest("ext")
    assert stored is not None and stored.payload is not None
    notes = payload_json(stored.payload)["results"]["notes"]
    assert notes.endswith(TRUNCATION_MARK) and text.startswith(notes.removesuffix(TRUNCATION_MARK))
    assert payload_json(stored.payload)["results"]["items"] == [1, 2, 3]
    assert stored.truncated == {"/results/notes": len(text)}


def test_a_payload_too_wide_to_cut_keeps_its_summary(store: DynamoDbResultStore) -> None:
    payload = {"status": "failed", "error": "boom", "error_code": "X"}
    payload |= {f"field_{i}": i for i in range(40_000)}
    store.put(record("wide", payload, status="failed", source="callback"))
    stored = store.latest("wide")
    assert stored is not None
    assert stored.payload is not None
    assert payload_json(stored.payload) == {"status": "failed", "error": "boom", "error_code": "X"}
    assert stored.truncated == {"": len(payload)}


def test_numbers_come_back_as_they_went_in(store: DynamoDbResultStore) -> None:
    floats = [0.1, -23.04, 1e-7, 5e-324, 1.7976931348623157e308, 1e20, 2.5, 0.30000000000000004]
    payload = {
        "status": "completed",
        "floats": floats,
        "ints": [0, -5, 2**40, 10**37],
        "huge": 10**40,
        "nan": math.nan,
        "inf": -math.inf,
        "flag": True,
        "none": None,
        "empty": "",
        "nested": {"list": [[1.5, 2], {"x": -0.0}]},
    }
    store.put(record("n", payload))
    stored = store.latest("n")
    assert stored is not None and stored.payload is not None
    back = payload_json(stored.payload)
    # Beyond DynamoDB's range: 5e-324 → 0, 1.8e308 and non-finite → null.
    assert back["floats"] == [0.1, -23.04, 1e-7, 0, None, 1e20, 2.5, 0.30000000000000004]
    assert back["ints"] == payload["ints"] and all(isinstance(i, int) for i in back["ints"])
    assert back["huge"] == str(10**40)
    assert (back["nan"], back["inf"], back["flag"], back["none"], back["empty"]) == (
        None,
        None,
        True,
        None,
        "",
    )
    assert back["nested"] == {"list": [[1.5, 2], {"x": 0}]}


def test_a_record_without_batch_stays_out_of_the_batch_index(store: DynamoDbResultStore) -> None:
    alone = record("alone", {"status": "completed"}, batch_id=None)
    store.put(alone)
    item = boto3.client("dynamodb").get_item(
        TableName=store.table_name,
        Key={"task_id": {"S": "alone"}, "timestamp": {"S": alone.timestamp}},
    )["Item"]
    assert "batch_id" not in item and "expires_at" not in item


@pytest.mark.parametrize(
    "token",
    [
        "not base64 !",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"batch_id": "b1"}).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"batch_id": "other", "timestamp": "t", "task_id": "x"}).encode()
        ).decode(),
    ],
)
def test_a_token_that_is_not_this_batchs_is_refused(store: DynamoDbResultStore, token: str) -> None:
    store.put_many([record(f"t{i}", None, status="queued") for i in range(3)])
    with pytest.raises(ValueError):
        store.batch_page("b1", 1, token)


def test_a_token_is_the_batch_index_key_of_the_page_end(store: DynamoDbResultStore) -> None:
    records = [record(f"t{i}", None, status="queued") for i in range(3)]
    store.put_many(records)
    page = store.batch_page("b1", 2)
    assert page.next_token is not None
    key = json.loads(base64.urlsafe_b64decode(page.next_token))
    assert key == {"batch_id": "b1", "timestamp": records[1].timestamp, "task_id": "t1"}
