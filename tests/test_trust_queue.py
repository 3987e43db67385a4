"""A poison message is dead-lettered at once, never retried (issue 9, finding 1).

The message the old API let through (`max_media_duration: Infinity`, stored as `null`)
is put in a running service's SQLite queue as it was; the worker fails its task with
UNREADABLE_TASK, sends that result to the task's callback and moves the body to the
dead-letter queue, while a normal task queued behind ten of them completes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from mp4_small_analyser.service.tasks import queued_record
from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.messages import AnalyseMessage
from mp4_small_analyser.stores.records import utc_timestamp
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

POISON_COUNT = 10


def poison(task_id: str, callback_url: str) -> tuple[AnalyseMessage, str]:
    """A queued task and the body the old service wrote for it: `Infinity` became `null`."""
    message = AnalyseMessage(
        task_id=task_id,
        timestamp=utc_timestamp(),
        batch_id="poisoned",
        file_url="https://media.example.com/never-read.mp4",
        callback_url=callback_url,
    )
    body = json.loads(message.model_dump_json())
    body["options"]["max_media_duration"] = None
    return message, json.dumps(body)


def insert_raw(db: Path, queue: str, body: str) -> None:
    with SqliteDatabase(db).write() as connection:
        connection.execute(
            "INSERT INTO queue_messages (queue, body, priority, visible_at) VALUES (?, ?, 0, ?)",
            (queue, body, time.time()),
        )


def test_poison_messages_fail_their_tasks_and_are_dead_lettered(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    store = service.store()
    for index in range(POISON_COUNT):
        message, body = poison(f"poison-{index}", callback_receiver.url(f"/hook/{index}"))
        store.put(queued_record(message, 1))
        insert_raw(service.db, "tasks", body)
    url = served_files.publish(service_clip, "after-poison.mp4")
    with service.client() as client:
        answer = client.post(
            "/mp4_small_analyser", json={"files_url": [url], "options": {"probe_only": True}}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "completed"

    received = callback_receiver.wait_for(POISON_COUNT, timeout=30)
    assert {r.path for r in received} == {f"/hook/{i}" for i in range(POISON_COUNT)}
    for request in received:
        result = request.json
        assert (result["status"], result["error_code"]) == ("failed", "UNREADABLE_TASK")
        assert "max_media_duration" in result["error"]
    for index in range(POISON_COUNT):
        record = store.task_records(f"poison-{index}", own=True, limit=1)[0]
        assert record.status == "failed" and record.callback is not None
        assert record.callback.status == "delivered"
    rows = (
        SqliteDatabase(service.db)
        .connection()
        .execute("SELECT queue, body FROM queue_messages WHERE body LIKE '%poison-%'")
        .fetchall()
    )
    assert sorted(queue for queue, _ in rows) == ["tasks.dead"] * POISON_COUNT
    with service.client() as client:
        assert client.get("/health").json()["worker_restarts"] == 0
