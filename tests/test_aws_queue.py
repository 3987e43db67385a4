"""What the SQS queue does beyond the queue contract, and where SQS differs from it.

Against the moto server, on queues defined as the analyser stack's (with the
dead-letter queue and its redrive policy); the contract itself runs in
test_service_queue_contract.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import boto3
import pytest

from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage
from mp4_small_analyser.stores.sqs_queue import SqsTaskQueue
from tests.aws_deployment import Queues


@pytest.fixture
def queues(sqs_queues: Callable[[str], Queues]) -> Queues:
    return sqs_queues("tasks")


def analyse(task_id: str, url_length: int = 40) -> AnalyseMessage:
    return AnalyseMessage(
        task_id=task_id,
        timestamp="2025-08-04T12:00:00.000000Z",
        batch_id="b1",
        file_url="https://example.com/" + "a" * url_length,
    )


def receive_all(queue: SqsTaskQueue) -> list[str]:
    ids: list[str] = []
    while leases := queue.claim(10, 60):
        ids += [lease.message.task_id for lease in leases]
    return ids


def test_a_batch_goes_out_in_groups_of_ten_within_256_kib(queues: Queues) -> None:
    queue = SqsTaskQueue(queues.url)
    # 23 messages of ~40 KiB: batches of ten would be 400 KiB, over SQS's request limit.
    queue.enqueue([analyse(f"t{i:02d}", url_length=40_000) for i in range(23)])
    assert sorted(receive_all(queue)) == [f"t{i:02d}" for i in range(23)]


def test_a_delay_beyond_900_s_is_shortened_not_refused(
    queues: Queues, caplog: pytest.LogCaptureFixture
) -> None:
    queue = SqsTaskQueue(queues.url)
    with caplog.at_level(logging.WARNING):
        queue.enqueue([DeliverMessage(task_id="later", timestamp="t", attempt=2)], delay=3600)
    assert "900 s" in caplog.text
    assert queue.claim(10, 30) == []
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queues.url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_an_unreadable_message_is_never_handed_out_and_is_dead_lettered(
    queues: Queues, caplog: pytest.LogCaptureFixture
) -> None:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queues.url, MessageBody="not a message")
    queue = SqsTaskQueue(queues.url)
    # Lease 0: the message is visible again at once, for the next receive.
    for _ in range(3):
        assert queue.claim(10, 0) == []
    assert caplog.text.count("unreadable queue message") == 3
    # Its fourth receive: the redrive policy (3 receives) moves it instead.
    assert queue.claim(10, 0) == []
    assert caplog.text.count("unreadable queue message") == 3
    dead = sqs.receive_message(QueueUrl=queues.dead_letter_url, WaitTimeSeconds=1)["Messages"]
    assert [message["Body"] for message in dead] == ["not a message"]


def test_a_release_counts_as_a_receive(queues: Queues) -> None:
    queue = SqsTaskQueue(queues.url)
    queue.enqueue([analyse("t")])
    (lease,) = queue.claim(1, 30)
    queue.release(lease.receipt)
    (again,) = queue.claim(1, 30)
    assert again.receive_count == 2


def test_receipts_of_deleted_messages_are_ignored(queues: Queues) -> None:
    queue = SqsTaskQueue(queues.url)
    queue.enqueue([analyse("t")])
    (lease,) = queue.claim(1, 30)
    queue.ack(lease.receipt)
    queue.ack(lease.receipt)
    queue.release(lease.receipt, delay=5)
    assert queue.claim(10, 30) == []
