"""Contract of `TaskQueue` (every backend in `QUEUE_FACTORIES`), then SQLite specifics.

Leases and delays are whole seconds so that SQS, whose timeouts are integers,
can run the same tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import boto3

from mp4_small_analyser.options import AnalysisOptions
from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.adapters.sqlite_queue import SqliteTaskQueue
from mp4_small_analyser.stores.adapters.sqs_queue import SqsTaskQueue
from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage, UnreadableMessage
from mp4_small_analyser.stores.task_queue import TaskQueue

QueueFactory = Callable[[str], TaskQueue]


def analyse(task_id: str) -> AnalyseMessage:
    return AnalyseMessage(
        task_id=task_id,
        timestamp="2025-08-04T12:00:00.000000Z",
        batch_id="b1",
        file_url=f"https://example.com/{task_id}.mp4",
        callback_url="https://cb.example/x?client=1",
        method="PUT",
        options=AnalysisOptions(profile="web", probe_only=True),
    )


def claim_all(queue: TaskQueue, lease: float = 30) -> list[str]:
    ids: list[str] = []
    while batch := queue.claim(10, lease):
        ids += [lease_.message.task_id for lease_ in batch]
    return ids


def test_messages_round_trip(queue_factory: QueueFactory) -> None:
    queue = queue_factory("tasks")
    sent: list[AnalyseMessage | DeliverMessage] = [
        analyse("a"),
        DeliverMessage(task_id="b", timestamp="t", attempt=3),
    ]
    queue.enqueue(sent)
    leases = queue.claim(10, 30)
    assert sorted((lease.message for lease in leases), key=lambda m: m.task_id) == sent
    assert all(lease.receive_count == 1 for lease in leases)
    assert len({lease.receipt for lease in leases}) == 2


def test_a_claimed_message_is_hidden_until_acked_or_expired(queue_factory: QueueFactory) -> None:
    queue = queue_factory("tasks")
    queue.enqueue([analyse(f"t{i}") for i in range(25)])
    first = queue.claim(10, 30)
    assert len(first) == 10
    rest = claim_all(queue)
    assert len(rest) == 15
    assert not {lease.message.task_id for lease in first} & set(rest)
    assert queue.claim(10, 30) == []


def test_ack_deletes_and_expiry_redelivers(queue_factory: QueueFactory) -> None:
    queue = queue_factory("tasks")
    queue.enqueue([analyse("acked"), analyse("dropped")])
    leases = {lease.message.task_id: lease for lease in queue.claim(10, 1)}
    queue.ack(leases["acked"].receipt)
    time.sleep(1.5)
    again = queue.claim(10, 30)
    assert [lease.message.task_id for lease in again] == ["dropped"]
    assert again[0].receive_count == 2
    queue.ack(again[0].receipt)
    queue.ack(again[0].receipt)  # acking twice is harmless
    assert queue.claim(10, 30) == []


def test_a_stale_receipt_deletes_nothing(receipt_checking_queue_factory: QueueFactory) -> None:
    # Not SQS's contract: an old receipt handle "might" still delete the message there.
    queue = receipt_checking_queue_factory("tasks")
    queue.enqueue([analyse("t")])
    (first,) = queue.claim(10, 1)
    time.sleep(1.5)
    (again,) = queue.claim(10, 30)
    queue.ack(first.receipt)
    queue.release(again.receipt)
    assert [lease.message.task_id for lease in queue.claim(10, 30)] == ["t"]


def test_release_makes_a_message_visible_after_its_delay(queue_factory: QueueFactory) -> None:
    queue = queue_factory("tasks")
    queue.enqueue([analyse("t")])
    (lease,) = queue.claim(1, 30)
    queue.release(lease.receipt, delay=1)
    assert queue.claim(1, 30) == []
    time.sleep(1.5)
    assert [lease.message.task_id for lease in queue.claim(1, 30)] == ["t"]


def test_delayed_messages_wait(queue_factory: QueueFactory) -> None:
    queue = queue_factory("tasks")
    queue.enqueue([DeliverMessage(task_id="later", timestamp="t", attempt=2)], delay=1)
    queue.enqueue([analyse("now")])
    assert claim_all(queue) == ["now"]
    time.sleep(1.5)
    assert claim_all(queue) == ["later"]


def test_named_queues_are_separate(queue_factory: QueueFactory) -> None:
    tasks, deliveries = queue_factory("tasks"), queue_factory("deliveries")
    tasks.enqueue([analyse("t")])
    deliveries.enqueue([DeliverMessage(task_id="d", timestamp="t", attempt=2)])
    assert claim_all(tasks) == ["t"]
    assert claim_all(deliveries) == ["d"]


# ---------------------------------------------------------------- SQLite only


def test_sqlite_priority_goes_first(tmp_path: Path) -> None:
    queue = SqliteTaskQueue(SqliteDatabase(tmp_path / "q.db"), "tasks")
    queue.enqueue([analyse(f"bulk{i}") for i in range(3)])
    queue.enqueue([analyse("urgent")], priority=1)
    (first,) = queue.claim(1, 30)
    assert first.message.task_id == "urgent"


def test_sqlite_release_does_not_count_as_a_receive(tmp_path: Path) -> None:
    queue = SqliteTaskQueue(SqliteDatabase(tmp_path / "q.db"), "tasks")
    queue.enqueue([analyse("t")])
    (lease,) = queue.claim(1, 30)
    queue.release(lease.receipt)
    (again,) = queue.claim(1, 30)
    assert again.receive_count == 1


def test_sqlite_takes_back_leases_of_a_dead_process(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    queue = SqliteTaskQueue(SqliteDatabase(db), "tasks")
    queue.enqueue([analyse("orphan"), analyse("other")])
    claimer = (
        "import sys; from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase;"
        "from mp4_small_analyser.stores.adapters.sqlite_queue import SqliteTaskQueue;"
        "q = SqliteTaskQueue(SqliteDatabase(sys.argv[1]), 'tasks');"
        "print(len(q.claim(1, 3600)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", claimer, str(db)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "1", done.stderr
    assert claim_all(queue, lease=3600) == ["other"]
    assert queue.requeue_abandoned() == 1
    (lease,) = queue.claim(1, 30)
    assert (lease.message.task_id, lease.receive_count) == ("orphan", 2)
    # Our own live leases are never taken back.
    assert queue.requeue_abandoned() == 0


def test_sqlite_processes_claiming_together_never_share_a_message(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    SqliteTaskQueue(SqliteDatabase(db), "tasks").enqueue([analyse(f"m{i}") for i in range(300)])
    # Each consumer imports, says it is ready, and starts claiming when told to; the
    # pause between claims stands for the work done on each message.
    consumer = (
        "import sys, time; from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase;"
        "from mp4_small_analyser.stores.adapters.sqlite_queue import SqliteTaskQueue;"
        "q = SqliteTaskQueue(SqliteDatabase(sys.argv[1]), 'tasks'); got = []\n"
        "print('ready', flush=True); sys.stdin.readline()\n"
        "while batch := q.claim(3, 3600):\n"
        "    got += [lease.message.task_id for lease in batch]\n"
        "    time.sleep(0.005)\n"
        "print(' '.join(got))"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", consumer, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    claimed = [worker.communicate(timeout=120)[0].split() for worker in workers]
    everything = [task_id for ids in claimed for task_id in ids]
    assert sorted(everything) == sorted(f"m{i}" for i in range(300))
    assert all(claimed), "a consumer got nothing: the test did not race"


def put_raw(queue: TaskQueue, body: str) -> None:
    """A body no message model reads, as a bug or an older version could have queued."""
    if isinstance(queue, SqliteTaskQueue):
        with queue._db.write() as db:
            db.execute(
                "INSERT INTO queue_messages (queue, body, priority, visible_at)"
                " VALUES (?, ?, 0, ?)",
                (queue.name, body, time.time()),
            )
    else:
        assert isinstance(queue, SqsTaskQueue)
        boto3.client("sqs").send_message(QueueUrl=queue.queue_url, MessageBody=body)


def test_an_unreadable_message_is_handed_out_and_dead_lettered(
    queue_factory: QueueFactory,
) -> None:
    queue = queue_factory("tasks")
    poison = (
        analyse("p")
        .model_dump_json()
        .replace('"max_media_duration":600.0', '"max_media_duration":null')
    )
    put_raw(queue, poison)
    put_raw(queue, "not json at all")
    queue.enqueue([analyse("fine")])
    leases = {
        lease.message.task_id
        if not isinstance(lease.message, UnreadableMessage)
        else lease.message.body: lease
        for lease in queue.claim(10, 30)
    }
    assert set(leases) == {poison, "not json at all", "fine"}
    unreadable = leases[poison].message
    assert isinstance(unreadable, UnreadableMessage)
    assert "max_media_duration" in unreadable.error and unreadable.field("task_id") == "p"
    queue.dead_letter(leases[poison])
    queue.dead_letter(leases["not json at all"])
    queue.release(leases["fine"].receipt)
    assert claim_all(queue) == ["fine"]
    assert dead_letters(queue) == sorted([poison, "not json at all"])


def dead_letters(queue: TaskQueue) -> list[str]:
    if isinstance(queue, SqliteTaskQueue):
        rows = queue._db.connection().execute(
            "SELECT body FROM queue_messages WHERE queue = ?", (queue.dead_letter_name,)
        )
        return sorted(row[0] for row in rows)
    assert isinstance(queue, SqsTaskQueue)
    sqs = boto3.client("sqs")
    arn = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["RedrivePolicy"])[
            "Attributes"
        ]["RedrivePolicy"]
    )["deadLetterTargetArn"]
    url = sqs.get_queue_url(QueueName=arn.split(":")[5])["QueueUrl"]
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [message["Body"] for message in messages]
    return sorted(bodies)
