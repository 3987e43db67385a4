"""Callbacks outlive a receiver's outage, and failed ones can be sent again (issue 9, finding 9).

The default schedule spans more than a day; on SQS, waits beyond its 900 s are chained;
a callback that ended `failed` is re-driven per task (CLI) and per batch (API).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import boto3

from mp4_small_analyser.models import ReceivedResult
from mp4_small_analyser.options import SourceLimits
from mp4_small_analyser.service.delivery import CallbackSender, RetryPolicy
from mp4_small_analyser.service.tasks import TaskDeps, inline_analyser, process_delivery
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.adapters.sqlite_store import SqliteResultStore
from mp4_small_analyser.stores.adapters.sqs_queue import SqsTaskQueue
from mp4_small_analyser.stores.messages import DeliverMessage, encode_message
from mp4_small_analyser.stores.records import Delivery, TaskRecord, utc_timestamp
from tests.aws_deployment import Queues
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

API_KEY = "redeliver-key"
DAY = 86_400


def test_the_default_retry_schedule_spans_more_than_a_day() -> None:
    settings = Settings()
    policy = RetryPolicy(
        settings.callback_max_attempts,
        settings.callback_retry_base_delay,
        settings.callback_retry_max_delay,
    )
    assert policy.shortest_span() >= DAY
    waits = [policy.delay_after(attempt) for attempt in range(1, settings.callback_max_attempts)]
    assert sum(waits) >= DAY and waits[0] <= settings.callback_retry_base_delay
    assert max(waits) <= settings.callback_retry_max_delay


def test_failed_callbacks_are_sent_again_per_task_and_per_batch(
    service_factory: Callable[..., ServiceProcess],
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    service = service_factory(
        {
            "API_KEY": API_KEY,
            "CALLBACK_MAX_ATTEMPTS": "2",
            "CALLBACK_RETRY_BASE_DELAY": "0.2",
        }
    )
    urls = [served_files.publish(service_clip, f"redeliver-{i}.mp4") for i in range(3)]
    callback_receiver.always_fail(503)
    key = {"x-api-key": API_KEY}
    with service.client(headers=key) as client:
        answer = client.post(
            "/mp4_small_analyser",
            json={"files_url": urls, "callback_url": callback_receiver.url("/cb")},
        ).json()
    batch_id, task_ids = answer["batch_id"], [t["task_id"] for t in answer["tasks"]]
    records = service.wait_for_deliveries(batch_id)
    assert {(r.callback.status, r.callback.attempts) for r in records if r.callback} == {
        ("failed", 2)
    }
    callback_receiver.reset()

    # One task, from the shell.
    done = subprocess.run(
        [
            *(sys.executable, "-m", "mp4_small_analyser.cli", "redeliver", task_ids[0]),
            *("--server", service.url, "--api-key", API_KEY),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"count": 1' in done.stdout
    (request,) = callback_receiver.wait_for(1, timeout=30)
    assert request.json["task_id"] == task_ids[0]
    assert request.headers["x-mp4-analyser-attempt"] == "3"
    delivered = service.wait_for_own_delivery(task_ids[0])
    assert delivered.callback is not None
    assert (delivered.callback.status, delivered.callback.first_attempt) == ("delivered", 3)

    with service.client() as client:
        assert client.post(f"/callback/batch/{batch_id}/redeliver").status_code == 401
    with service.client(headers=key) as client:
        again = client.post(f"/callback/{task_ids[0]}/redeliver")
        assert (again.status_code, again.json()["error_code"]) == (409, "CALLBACK_NOT_FAILED")
        assert client.post("/callback/nobody/redeliver").status_code == 404
        # The rest of the batch, through the API.
        batch = client.post(f"/callback/batch/{batch_id}/redeliver")
    assert batch.status_code == 202, batch.text
    assert sorted(batch.json()["task_ids"]) == sorted(task_ids[1:])
    callback_receiver.wait_for(3, timeout=30)
    records = service.wait_for_deliveries(batch_id)
    assert {r.callback.status for r in records if r.callback} == {"delivered"}


def test_a_retry_due_beyond_sqs_limit_is_chained_not_sent_early(
    sqs_queues: Callable[[str], Queues], tmp_path: Path, callback_receiver: CallbackReceiver
) -> None:
    queue = SqsTaskQueue(sqs_queues("deliveries").url)
    store = SqliteResultStore(SqliteDatabase(tmp_path / "store.db"))
    record = TaskRecord(
        task_id="later",
        timestamp=utc_timestamp(),
        status="completed",
        payload=ReceivedResult(status="completed", task_id="later"),
        callback=Delivery(url=callback_receiver.url("/cb"), status="retrying", attempts=3),
        updated_at=utc_timestamp(),
    )
    store.put(record)
    deps = TaskDeps(
        store=store,
        deliveries=queue,
        sender=CallbackSender(allow_private=True, timeout=5, signing_secret=None),
        retry=RetryPolicy(max_attempts=20, base_delay=10, max_delay=6 * 3600),
        analyse=inline_analyser(SourceLimits()),
    )
    due = time.time() + 2000
    message = DeliverMessage(task_id="later", timestamp=record.timestamp, attempt=4, due_at=due)
    process_delivery(message, deps)
    assert callback_receiver.requests == [], "not sent before its time"
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    stored = store.get("later", record.timestamp)
    assert stored is not None and stored.callback is not None and stored.callback.attempts == 3
    # Once due, the same message is attempted.
    process_delivery(message.model_copy(update={"due_at": time.time()}), deps)
    assert [r.status for r in callback_receiver.wait_for(1)] == [200]
    assert encode_message(message).count("due_at") == 1
