"""`TaskQueue` on an SQS standard queue: the visibility timeout is the lease.

Where SQS differs from the interface (and the SQLite queue), and why the
service does not mind:

- `priority` is ignored (SQS has none): a sync batch waits behind a backlog,
  and answers SYNC_TIMEOUT if it is not done in time (its results still land).
- Delays longer than SQS's 900 s are shortened to 900 s: the only delayed
  messages are callback retries, which carry their due time (`due_at`); handed
  out early, the handler queues them again for the rest, 900 s at a time.
  Leases and release delays are capped at SQS's 12 hours. Fractions of a second
  are rounded up.
- Every receive counts (`ApproximateReceiveCount`), a released message too,
  and after three the redrive policy moves the message to the dead-letter
  queue instead of delivering it again.
- An old receipt handle may still delete a message received again since
  (SQS documents that it "might"). Handlers are idempotent, so deleting a copy
  another consumer is running only spares a redelivery.
- `claim` short-polls: SQS samples a subset of its servers, so it may return
  fewer messages than are waiting, or none; consumers poll again.
- A message whose body cannot be parsed is handed out as an `UnreadableMessage`;
  `dead_letter` sends its body to the queue's redrive dead-letter queue and deletes
  it. Should that fail (no redrive policy, no permission), the message is made
  visible at once, so the redrive policy moves it after its few receives.
- `requeue_abandoned` returns 0: a lease ends when its visibility timeout does.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from mp4_small_analyser.stores.adapters.aws_clients import aws_client, backoff_delays, in_parallel
from mp4_small_analyser.stores.messages import (
    AnalyseMessage,
    DeliverMessage,
    UnreadableMessage,
    encode_message,
    read_message,
)
from mp4_small_analyser.stores.task_queue import Lease

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

logger = logging.getLogger(__name__)

MAX_DELAY_SECONDS = 900
MAX_VISIBILITY_SECONDS = 12 * 3600
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
RECEIVE_COUNT: Final = "ApproximateReceiveCount"
# Errors of a receipt that no longer designates a message in flight.
_STALE_RECEIPT = {"ReceiptHandleIsInvalid", "MessageNotInflight", "InvalidParameterValue"}


class QueueSendError(RuntimeError):
    """Messages could not be queued."""


class SqsTaskQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self._client: SQSClient = client or aws_client("sqs")
        self._dead_letter: str | None = None

    def enqueue(
        self,
        messages: Sequence[AnalyseMessage | DeliverMessage],
        *,
        delay: float = 0.0,
        priority: int = 0,
    ) -> None:
        delay_seconds = _whole_seconds(delay, MAX_DELAY_SECONDS)
        groups = _groups([encode_message(message) for message in messages])
        in_parallel(lambda group: self._send(group, delay_seconds), groups)

    def _send(self, bodies: list[str], delay_seconds: int) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(index), "MessageBody": body, "DelaySeconds": delay_seconds}
            for index, body in enumerate(bodies)
        ]
        for pause in backoff_delays():
            response = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = response.get("Failed", [])
            if not failed:
                return
            refused = [entry for entry in failed if entry.get("SenderFault")]
            if refused:
                reason = refused[0].get("Message") or refused[0].get("Code")
                raise QueueSendError(f"SQS refused {len(refused)} message(s): {reason}")
            retry = {entry["Id"] for entry in failed}
            entries = [entry for entry in entries if entry["Id"] in retry]
            time.sleep(pause)
        raise QueueSendError(f"{len(entries)} message(s) not queued: SQS kept failing")

    def claim(self, max_messages: int, lease: float) -> list[Lease]:
        response = self._client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(max_messages, MAX_BATCH_ENTRIES)),
            VisibilityTimeout=_whole_seconds(lease, MAX_VISIBILITY_SECONDS),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=[RECEIVE_COUNT],
        )
        return [
            to_lease(message["Body"], message["ReceiptHandle"], message)
            for message in response.get("Messages", [])
        ]

    def ack(self, receipt: str) -> None:
        try:
            self._client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)
        except ClientError as exc:
            if not is_stale_receipt(exc):
                raise

    def release(self, receipt: str, delay: float = 0.0) -> None:
        try:
            self._client.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=receipt,
                VisibilityTimeout=_whole_seconds(delay, MAX_VISIBILITY_SECONDS),
            )
        except ClientError as exc:
            if not is_stale_receipt(exc):
                raise

    def dead_letter(self, lease: Lease) -> None:
        message = lease.message
        body = message.body if isinstance(message, UnreadableMessage) else encode_message(message)
        try:
            self._client.send_message(QueueUrl=self._dead_letter_url(), MessageBody=body)
        except (ClientError, ValueError) as exc:
            logger.error(
                "cannot move a message to the dead-letter queue (%s); made visible again for "
                "the redrive policy to move it",
                exc,
            )
            self.release(lease.receipt)
            return
        self.ack(lease.receipt)

    def _dead_letter_url(self) -> str:
        if self._dead_letter is None:
            attributes = self._client.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"]
            ).get("Attributes", {})
            if "RedrivePolicy" not in attributes:
                raise ValueError("the queue has no redrive policy")
            arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
            account, name = arn.split(":")[4:6]
            self._dead_letter = self._client.get_queue_url(
                QueueName=name, QueueOwnerAWSAccountId=account
            )["QueueUrl"]
        return self._dead_letter

    def requeue_abandoned(self) -> int:
        return 0


def to_lease(body: str, receipt: str, message: Any) -> Lease:
    """A received message as a lease (the SQS API's and Lambda's SQS events alike)."""
    attributes = message.get("Attributes") or message.get("attributes") or {}
    return Lease(
        message=read_message(body),
        receipt=receipt,
        receive_count=int(attributes.get(RECEIVE_COUNT, 1)),
    )


def is_stale_receipt(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code.rpartition(".")[2] in _STALE_RECEIPT


def _whole_seconds(seconds: float, ceiling: int) -> int:
    return min(ceiling, max(0, math.ceil(seconds)))


def _groups(bodies: list[str]) -> list[list[str]]:
    """Bodies in send_message_batch groups: at most 10 entries and 256 KiB each."""
    groups: list[list[str]] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if not groups or len(groups[-1]) == MAX_BATCH_ENTRIES or size + length > MAX_BATCH_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(body)
        size += length
    return groups
