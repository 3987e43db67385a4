"""What the SQS queue does beyond the queue contract, and where SQS differs from it.

Against the moto server, on queues defined as the analyser stack's (with the
dead-letter queue and its redrive policy); the contract itself runs in
test_service_queue_contract.py.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import boto3
import pytest

from mp4_small_analyser.stores.adapters.sqs_queue import SqsTaskQueue
from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage, UnreadableMessage
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


def test_a_delay_beyond_900_s_is_capped_and_the_message_keeps_its_due_time(
    queues: Queues,
) -> None:
    queue = SqsTaskQueue(queues.url)
    due = 1_900_000_000.0
    later = DeliverMessage(task_id="later", timestamp="t", attempt=2, due_at=due)
    queue.enqueue([later], delay=3600)
    assert queue.claim(10, 30) == []
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queues.url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    # Handed out early, the handler queues it again for the rest (test_trust_redelivery).
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_without_a_redrive_policy_dead_lettering_leaves_the_message_visible(
    aws_env: str, caplog: pytest.LogCaptureFixture
) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"plain-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="not a message")
    queue = SqsTaskQueue(url)
    (lease,) = queue.claim(10, 60)
    assert isinstance(lease.message, UnreadableMessage)
    with caplog.at_level(logging.ERROR):
        queue.dead_letter(lease)
    assert "dead-letter queue" in caplog.text
    (again,) = queue.claim(10, 60)
    assert again.receive_count == 2
    sqs.delete_queue(QueueUrl=url)


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
