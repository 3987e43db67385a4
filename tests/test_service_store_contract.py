"""Contract of `ResultStore`: every backend in `STORE_FACTORIES` must pass all of it.

Batch views may be read from an index that lags the table (DynamoDB's
BatchIdIndex is eventually consistent): the contract is that they converge on
the writes and are exact once they have. Tests wait for that state as
`batch_summary` shows it (`index_caught_up`), then check the views.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from mp4_small_analyser.stores.records import (
    BatchSummary,
    Delivery,
    RecordUpdate,
    TaskRecord,
    payload_json,
    record_payload_adapter,
    utc_timestamp,
)
from mp4_small_analyser.stores.result_store import RecordNotFoundError, ResultStore

T0 = datetime(2025, 8, 4, 12, 0, 0, tzinfo=UTC)
INDEX_DEADLINE = 10.0


def ts(seconds: float) -> str:
    return utc_timestamp(T0 + timedelta(seconds=seconds))


def record(
    task_id: str,
    at: float,
    *,
    batch_id: str | None = "batch-1",
    status: str = "queued",
    source: str = "service",
    expires_at: int | None = None,
    payload: dict[str, object] | None = None,
) -> TaskRecord:
    return TaskRecord.model_validate(
        {
            "task_id": task_id,
            "timestamp": ts(at),
            "batch_id": batch_id,
            "status": status,
            "source": source,
            "file_url": f"https://example.com/{task_id}.mp4",
            "payload": payload,
            "updated_at": ts(at),
            "expires_at": expires_at,
        }
    )


def index_caught_up(store: ResultStore, batch_id: str, **counts: int) -> BatchSummary:
    """The batch's summary once it shows `counts`, or at the deadline (for the test's
    assertion to report). Backends without index lag are there at the first read."""
    expected = BatchSummary(**counts)
    deadline = time.monotonic() + INDEX_DEADLINE
    pause = 0.01
    while True:
        summary = store.batch_summary(batch_id)
        if summary == expected or time.monotonic() > deadline:
            return summary
        time.sleep(pause)
        pause = min(2 * pause, 0.5)


def test_put_then_get_returns_the_same_record(result_store: ResultStore) -> None:
    original = record(
        "t1",
        0,
        payload={
            "status": "completed",
            "nested": {"list": [1, 2.5, None, "é"], "flag": True},
            "loudness": -23.04,
        },
    ).model_copy(update={"callback": Delivery(url="https://cb.example/t1", method="PUT")})
    result_store.put(original)
    assert result_store.get("t1", original.timestamp) == original
    assert result_store.get("t1", ts(1)) is None
    assert result_store.get("unknown", original.timestamp) is None


def test_put_replaces_a_record_with_the_same_key(result_store: ResultStore) -> None:
    result_store.put(record("t1", 0))
    result_store.put(record("t1", 0, status="failed"))
    stored = result_store.get("t1", ts(0))
    assert stored is not None and stored.status == "failed"


def test_update_changes_only_given_fields(result_store: ResultStore) -> None:
    result_store.put(record("t1", 0).model_copy(update={"callback": Delivery(url="https://cb/")}))
    updated = result_store.update("t1", ts(0), RecordUpdate(status="running"))
    assert updated.status == "running"
    assert updated.callback == Delivery(url="https://cb/")
    assert updated.updated_at > ts(0)
    delivery = Delivery(url="https://cb/", status="delivered", attempts=2, last_http_status=200)
    received = record_payload_adapter.validate_python({"status": "failed", "custom": [1, "x"]})
    result_store.update("t1", ts(0), RecordUpdate(callback=delivery, payload=received))
    stored = result_store.get("t1", ts(0))
    assert stored is not None and stored.payload is not None
    assert (stored.status, stored.callback, payload_json(stored.payload)) == (
        "running",
        delivery,
        {"status": "failed", "custom": [1, "x"]},
    )


def test_update_of_a_missing_record_raises(result_store: ResultStore) -> None:
    with pytest.raises(RecordNotFoundError):
        result_store.update("nobody", ts(0), RecordUpdate(status="running"))


def test_latest_is_the_greatest_timestamp(result_store: ResultStore) -> None:
    result_store.put_many([record("t1", 5, status="completed"), record("t1", 1), record("t2", 9)])
    latest = result_store.latest("t1")
    assert latest is not None and (latest.timestamp, latest.status) == (ts(5), "completed")
    assert result_store.latest("nobody") is None


def test_batch_lists_tasks_in_submission_order_latest_record_each(
    result_store: ResultStore,
) -> None:
    result_store.put_many([record(f"t{i}", i) for i in range(5)])
    result_store.put(record("other", 2.5, batch_id="batch-2"))
    # A callback received later for t1 becomes its latest record, without moving it.
    result_store.put(record("t1", 100, status="completed", source="callback"))
    index_caught_up(result_store, "batch-1", total=5, queued=4, completed=1)
    page = result_store.batch_page("batch-1", 10)
    assert [r.task_id for r in page.records] == ["t0", "t1", "t2", "t3", "t4"]
    assert page.records[1].source == "callback" and page.records[1].status == "completed"
    assert page.next_token is None


def test_batch_pages_cover_every_task_once(result_store: ResultStore) -> None:
    ids = [f"task-{i:03d}" for i in range(23)]
    result_store.put_many([record(task_id, i * 0.001) for i, task_id in enumerate(ids)])
    index_caught_up(result_store, "batch-1", total=23, queued=23)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = result_store.batch_page("batch-1", 5, token)
        assert len(page.records) <= 5
        seen += [r.task_id for r in page.records]
        pages += 1
        token = page.next_token
        if token is None:
            break
    assert seen == ids
    assert pages == 5


def test_batch_page_refuses_a_foreign_token(result_store: ResultStore) -> None:
    with pytest.raises(ValueError):
        result_store.batch_page("batch-1", 5, "not-a-token")


def test_batch_summary_counts_latest_statuses(result_store: ResultStore) -> None:
    result_store.put_many(
        [
            record("a", 0, status="queued"),
            record("b", 1, status="running"),
            record("c", 2, status="completed"),
            record("d", 3, status="failed"),
            record("e", 4, status="queued"),
        ]
    )
    result_store.put(record("e", 50, status="completed", source="callback"))
    summary = index_caught_up(
        result_store, "batch-1", total=5, queued=1, running=1, completed=2, failed=1
    )
    assert summary.model_dump() == {
        "total": 5,
        "queued": 1,
        "running": 1,
        "completed": 2,
        "failed": 1,
        "verdicts": {"pass": 0, "warn": 0, "fail": 0},
    }
    assert result_store.batch_summary("no-such-batch").total == 0


def judged(status: str) -> dict[str, object]:
    """A task result payload with a QC verdict, as the workers store it."""
    return {"status": "completed", "results": {"verdict": {"status": status, "profile": "x"}}}


def test_batch_summary_counts_the_verdicts_of_latest_records(result_store: ResultStore) -> None:
    result_store.put_many(
        [
            record("a", 0, status="completed", payload=judged("pass")),
            record("b", 1, status="completed", payload=judged("fail")),
            record("c", 2, status="completed", payload=judged("fail")),
            record("d", 3, status="failed", payload={"status": "failed", "error_code": "NOT_MP4"}),
            record("e", 4, status="running"),
        ]
    )
    # A later record of a task (a received callback) carries that task's verdict now.
    result_store.put(record("c", 50, status="completed", source="callback", payload=judged("warn")))
    # An update that stores a result sets the verdict too.
    result_store.update(
        "e",
        ts(4),
        RecordUpdate(
            status="completed", payload=record_payload_adapter.validate_python(judged("pass"))
        ),
    )
    expected = {"pass": 2, "warn": 1, "fail": 1}
    deadline = time.monotonic() + INDEX_DEADLINE
    summary = result_store.batch_summary("batch-1")
    while summary.verdicts != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        summary = result_store.batch_summary("batch-1")
    assert (summary.completed, summary.failed, summary.verdicts) == (4, 1, expected)
    assert [r.task_id for r in result_store.batch_page("batch-1", 10).records] == list("abcde")


def test_newest_lists_records_newest_first(result_store: ResultStore) -> None:
    result_store.put_many([record(f"t{i}", i, batch_id=None) for i in range(6)])
    newest = result_store.newest(3)
    assert [r.task_id for r in newest] == ["t5", "t4", "t3"]


def test_expired_records_are_never_returned(result_store: ResultStore) -> None:
    past = int(time.time()) - 10
    future = int(time.time()) + 3600
    result_store.put_many([record("old", 0, expires_at=past), record("new", 1, expires_at=future)])
    assert result_store.get("old", ts(0)) is None
    assert result_store.latest("old") is None
    assert index_caught_up(result_store, "batch-1", total=1, queued=1).total == 1
    assert [r.task_id for r in result_store.batch_page("batch-1", 10).records] == ["new"]
    assert [r.task_id for r in result_store.newest(10)] == ["new"]
    assert result_store.purge_expired() >= 0
    assert result_store.latest("new") is not None


def test_a_large_batch_is_written_and_read_back(result_store: ResultStore) -> None:
    records = [record(f"t{i:04d}", i * 1e-6) for i in range(1000)]
    result_store.put_many(records)
    assert index_caught_up(result_store, "batch-1", total=1000, queued=1000).queued == 1000
    page = result_store.batch_page("batch-1", 1000)
    assert [r.task_id for r in page.records] == [r.task_id for r in records]


def test_task_records_tell_the_services_own_from_received_ones(result_store: ResultStore) -> None:
    result_store.put_many(
        [
            record("t1", 0, status="completed"),
            record("t1", 5, status="failed", source="callback"),
            record("t1", 6, status="completed", source="simulated"),
            record("t2", 1, source="callback"),
        ]
    )
    (own,) = result_store.task_records("t1", own=True, limit=10)
    assert (own.timestamp, own.status, own.source) == (ts(0), "completed", "service")
    received = result_store.task_records("t1", own=False, limit=10)
    assert [r.timestamp for r in received] == [ts(6), ts(5)]
    assert len(result_store.task_records("t1", own=False, limit=1)) == 1
    assert result_store.task_records("t2", own=True, limit=10) == []
    assert result_store.task_records("nobody", own=False, limit=10) == []


def test_a_nonce_is_claimed_once_while_it_lives(result_store: ResultStore) -> None:
    later = time.time() + 3600
    assert result_store.claim_nonce("signature:abc", later) is True
    assert result_store.claim_nonce("signature:abc", later) is False
    assert result_store.claim_nonce("signature:other", later) is True
    assert result_store.claim_nonce("signature:old", time.time() - 1) is True
    assert result_store.claim_nonce("signature:old", later) is True, "an expired claim is gone"
    assert result_store.newest(10) == [], "nonces are not records"


def test_concurrent_claims_of_a_nonce_have_one_winner(result_store: ResultStore) -> None:
    later = time.time() + 3600
    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(lambda _: result_store.claim_nonce("signature:race", later), range(8)))
    assert wins.count(True) == 1


def test_recent_batches_lists_the_newest_batches_first_with_their_summaries(
    result_store: ResultStore,
) -> None:
    result_store.put_many(
        [
            record("a1", 0, batch_id="older", status="completed"),
            record("b1", 10, batch_id="newer", status="running"),
            record("b2", 11, batch_id="newer", status="queued"),
            record("c1", 20, batch_id="newest", status="failed"),
            record("solo", 30, batch_id=None, status="completed"),
        ]
    )
    # A callback received later does not make its batch newer, only updates its summary.
    result_store.put(record("a1", 40, batch_id="older", status="failed", source="callback"))
    index_caught_up(result_store, "newer", total=2, queued=1, running=1)
    index_caught_up(result_store, "older", total=1, failed=1)
    index_caught_up(result_store, "newest", total=1, failed=1)
    recent = result_store.recent_batches(2)
    assert [(b.batch_id, b.submitted_at) for b in recent] == [("newest", ts(20)), ("newer", ts(10))]
    assert recent[1].summary == BatchSummary(total=2, queued=1, running=1)
    everything = result_store.recent_batches(10)
    assert [b.batch_id for b in everything] == ["newest", "newer", "older"]
    assert everything[2].summary == BatchSummary(total=1, failed=1)


def test_recent_batches_leave_out_expired_records(result_store: ResultStore) -> None:
    past = int(time.time()) - 10
    result_store.put_many(
        [record("x", 0, batch_id="gone", expires_at=past), record("y", 1, batch_id="kept")]
    )
    index_caught_up(result_store, "kept", total=1, queued=1)
    assert [b.batch_id for b in result_store.recent_batches(10)] == ["kept"]
