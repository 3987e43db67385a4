"""The SQS worker: each record of a Lambda SQS event through the local workers' task function.

`handle_message` (service/tasks.py) does the work, as in `mp4-analyser serve`;
the analysis runs in the same killable child process (`AnalysisProcess`), so
ANALYSIS_TIMEOUT turns a file that hangs into a failed result before Lambda's
own timeout stops the worker. A task whose analysis fails is a handled
message. An unreadable body is never retried: its task fails (UNREADABLE_TASK) and
the body moves to the dead-letter queue at once. Only a message that could not be
handled (store unreachable, ...) is reported in `batchItemFailures`: it is made
visible again after WORKER_RETRY_DELAY and, after three receives, SQS's redrive
policy moves it to the dead-letter queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from mp4_small_analyser.aws.settings import WORKER_TIME_MARGIN, LambdaSettings
from mp4_small_analyser.service.executor import AnalysisProcess
from mp4_small_analyser.service.logs import task_context
from mp4_small_analyser.service.tasks import deps_from_settings, handle_message
from mp4_small_analyser.stores.adapters.sqs_queue import to_lease
from mp4_small_analyser.stores.backends import Backends
from mp4_small_analyser.stores.messages import UnreadableMessage
from mp4_small_analyser.stores.task_queue import MAX_RECEIVES, Lease

logger = logging.getLogger(__name__)

SqsRecord = Mapping[str, Any]
BatchResponse = dict[str, list[dict[str, str]]]


class InvocationContext(Protocol):
    """The part of Lambda's context object the worker uses."""

    def get_remaining_time_in_millis(self) -> int: ...


class SqsWorker:
    def __init__(self, settings: LambdaSettings, backends: Backends) -> None:
        self._queue = backends.tasks
        self._retry_delay = settings.worker_retry_delay
        self._slot = AnalysisProcess(
            settings.source_limits(),
            settings.analysis_timeout,
            logs=settings.log_format,
            thumbnails=backends.thumbnails,
        )
        # Started now, the child imports PyAV while the first message's record is read.
        self._slot.start()
        deps = deps_from_settings(settings, backends.store, backends.deliveries, self._slot.analyse)
        # SQS never hands a message out a fourth time (it dead-letters it), so the third
        # receive gives up on the file: a failed result and its callback, not a task left
        # running.
        self._deps = replace(deps, max_receives=MAX_RECEIVES - 1)
        self._time_per_message = (
            settings.analysis_timeout + settings.callback_timeout + WORKER_TIME_MARGIN
        )

    def handle(self, event: Mapping[str, Any], context: InvocationContext) -> BatchResponse:
        records: Sequence[SqsRecord] = event.get("Records", [])
        failed: list[str] = []
        for index, record in enumerate(records):
            remaining = context.get_remaining_time_in_millis() / 1000
            if index and remaining < self._time_per_message:
                failed += self._defer(records[index:])
                break
            if not self._process(record):
                failed.append(record["messageId"])
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    def close(self) -> None:
        self._slot.close()
        self._deps.sender.close()

    def _process(self, record: SqsRecord) -> bool:
        lease = _lease(record)
        message = lease.message
        if isinstance(message, UnreadableMessage):
            return self._dead_letter(lease, message)
        with task_context(message.task_id, message.batch_id):
            try:
                handle_message(message, self._deps, receive_count=lease.receive_count)
            except Exception:
                logger.exception("the message could not be handled; SQS will hand it out again")
                self._retry_later(record)
                return False
        return True

    def _dead_letter(self, lease: Lease, message: UnreadableMessage) -> bool:
        """An unreadable message is never retried: its task fails (UNREADABLE_TASK, with its
        callback) and the body goes to the dead-letter queue at once."""
        try:
            handle_message(message, self._deps)
        except Exception:
            logger.exception("could not fail the task of an unreadable message")
        self._queue.dead_letter(lease)
        return True

    def _retry_later(self, record: SqsRecord) -> None:
        try:
            self._queue.release(record["receiptHandle"], delay=self._retry_delay)
        except Exception:
            logger.exception("could not shorten the message's visibility timeout")

    def _defer(self, records: Sequence[SqsRecord]) -> list[str]:
        """Messages this invocation has no time left to run: queued again as new ones,
        so a receive that never ran them does not count towards the dead-letter queue.
        Returns the ids to report as failures (unreadable ones, or all if queueing fails)."""
        leases = [(record, _lease(record)) for record in records]
        unreadable = [r for r, lease in leases if isinstance(lease.message, UnreadableMessage)]
        for record in unreadable:
            self._retry_later(record)
        readable = [
            lease.message for _, lease in leases if not isinstance(lease.message, UnreadableMessage)
        ]
        try:
            self._queue.enqueue(readable)
        except Exception:
            logger.exception("could not queue again the messages left for another invocation")
            return [record["messageId"] for record in records]
        logger.info("%d message(s) left for another invocation", len(records) - len(unreadable))
        return [record["messageId"] for record in unreadable]


def _lease(record: SqsRecord) -> Lease:
    return to_lease(record["body"], record["receiptHandle"], record)
