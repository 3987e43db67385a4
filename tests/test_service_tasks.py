"""The task function run again on the same message (at-least-once queues) does no harm.

Real SQLite store and queues, a real sender and receiver; the analyser, which
each runtime provides, counts its calls.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mp4_small_analyser.models import CompletedResult, FailedResult
from mp4_small_analyser.options import SourceLimits
from mp4_small_analyser.service.delivery import CallbackSender, RetryPolicy
from mp4_small_analyser.service.tasks import (
    TaskDeps,
    handle_message,
    inline_analyser,
    process_delivery,
    process_task,
    queued_record,
)
from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.adapters.sqlite_queue import SqliteTaskQueue
from mp4_small_analyser.stores.adapters.sqlite_store import SqliteResultStore
from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage
from mp4_small_analyser.stores.records import RecordUpdate
from tests.fixtures_http import CallbackReceiver, FileServer


class CountingAnalyser:
    def __init__(self) -> None:
        self.calls = 0
        self._analyse = inline_analyser(SourceLimits())

    def __call__(self, message: AnalyseMessage) -> CompletedResult | FailedResult:
        self.calls += 1
        return self._analyse(message)


@pytest.fixture
def analyser() -> CountingAnalyser:
    return CountingAnalyser()


@pytest.fixture
def deps(tmp_path: Path, analyser: CountingAnalyser) -> TaskDeps:
    database = SqliteDatabase(tmp_path / "service.db")
    return TaskDeps(
        store=SqliteResultStore(database),
        deliveries=SqliteTaskQueue(database, "deliveries"),
        sender=CallbackSender(allow_private=True, timeout=5, signing_secret=None),
        retry=RetryPolicy(max_attempts=3, base_delay=1, max_delay=1),
        analyse=analyser,
    )


def message(url: str, callback: str | None) -> AnalyseMessage:
    return AnalyseMessage(
        task_id="t1",
        timestamp="2025-08-04T12:00:00.000000Z",
        batch_id="b1",
        file_url=url,
        callback_url=callback,
    )


def test_a_finished_task_is_not_analysed_again(
    analyser: CountingAnalyser,
    deps: TaskDeps,
    file_server: FileServer,
    callback_receiver: CallbackReceiver,
    service_clip: Path,
) -> None:
    task = message(file_server.publish(service_clip), callback_receiver.url("/cb"))
    deps.store.put(queued_record(task, 0))
    handle_message(task, deps)
    handle_message(task, deps, receive_count=2)
    assert analyser.calls == 1
    assert len(callback_receiver.requests) == 1
    record = deps.store.get(task.task_id, task.timestamp)
    assert record is not None and record.status == "completed"
    assert record.callback is not None and record.callback.status == "delivered"


def test_a_result_stored_before_a_crash_is_delivered_on_redelivery(
    analyser: CountingAnalyser,
    deps: TaskDeps,
    file_server: FileServer,
    callback_receiver: CallbackReceiver,
    service_clip: Path,
) -> None:
    task = message(file_server.publish(service_clip), callback_receiver.url("/cb"))
    deps.store.put(queued_record(task, 0))
    result = inline_analyser(SourceLimits())(task)
    # The crash came after the result was stored, before the callback went out.
    deps.store.update(
        task.task_id,
        task.timestamp,
        RecordUpdate(status=result.status, payload=result),
    )
    process_task(task, deps, receive_count=2)
    assert analyser.calls == 0
    (request,) = callback_receiver.wait_for(1)
    assert request.json["task_id"] == "t1"


def test_a_task_received_too_often_is_failed_and_reported(
    analyser: CountingAnalyser, deps: TaskDeps, callback_receiver: CallbackReceiver
) -> None:
    task = message("http://127.0.0.1:9/never.mp4", callback_receiver.url("/cb"))
    deps.store.put(queued_record(task, 0))
    process_task(task, deps, receive_count=4)
    assert analyser.calls == 0
    (request,) = callback_receiver.wait_for(1)
    assert request.json["error_code"] == "INTERNAL_ERROR"
    assert "stopped 3 times" in request.json["error"]


def test_a_missing_record_is_recreated(
    deps: TaskDeps, file_server: FileServer, service_clip: Path
) -> None:
    task = message(file_server.publish(service_clip), None)
    process_task(task, deps)
    record = deps.store.get(task.task_id, task.timestamp)
    assert record is not None and record.status == "completed" and record.callback is None


def test_a_retry_already_made_is_not_made_again(
    deps: TaskDeps, file_server: FileServer, callback_receiver: CallbackReceiver, service_clip: Path
) -> None:
    callback_receiver.fail_next(1, status=502)
    task = message(file_server.publish(service_clip), callback_receiver.url("/cb"))
    deps.store.put(queued_record(task, 0))
    process_task(task, deps)
    record = deps.store.get(task.task_id, task.timestamp)
    assert record is not None and record.callback is not None
    assert (record.callback.status, record.callback.attempts) == ("retrying", 1)
    retry = DeliverMessage(task_id=task.task_id, timestamp=task.timestamp, attempt=2)
    process_delivery(retry, deps)
    process_delivery(retry, deps)
    assert [r.status for r in callback_receiver.requests] == [502, 200]
    record = deps.store.get(task.task_id, task.timestamp)
    assert record is not None and record.callback is not None
    assert (record.callback.status, record.callback.attempts) == ("delivered", 2)
