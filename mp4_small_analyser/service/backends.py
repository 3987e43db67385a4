"""Backends chosen by settings: the result store and the two queues (tasks, callbacks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mp4_small_analyser.service.messages import AnalyseMessage, DeliverMessage
from mp4_small_analyser.service.result_store import ResultStore
from mp4_small_analyser.service.sqlite_db import SqliteDatabase
from mp4_small_analyser.service.sqlite_queue import SqliteTaskQueue
from mp4_small_analyser.service.sqlite_store import SqliteResultStore
from mp4_small_analyser.service.task_queue import Lease, TaskQueue
from mp4_small_analyser.settings import Settings

TASKS_QUEUE = "tasks"
DELIVERIES_QUEUE = "deliveries"
_NEEDS_AWS_EXTRA = "the AWS backends need pip install 'mp4-small-analyser[aws]' ({})"


class BackendUnavailableError(RuntimeError):
    """The configured backend is not available in this installation."""


@dataclass(frozen=True)
class Backends:
    store: ResultStore
    tasks: TaskQueue
    deliveries: TaskQueue


def open_backends(settings: Settings) -> Backends:
    """The store and the analysis and callback-retry queues (one SQS queue serves both)."""
    # The SQLite store and queues share one database object, hence its connections; it
    # touches no file until a SQLite backend uses it.
    database = SqliteDatabase(settings.database_path)
    store: ResultStore
    if settings.store_backend == "dynamodb":
        # The AWS backends need the `aws` extra (boto3): imported only when chosen.
        try:
            from mp4_small_analyser.aws.dynamodb_store import DynamoDbResultStore
        except ImportError as exc:
            raise BackendUnavailableError(_NEEDS_AWS_EXTRA.format(exc)) from None
        store = DynamoDbResultStore(_required(settings.table_name, "TABLE_NAME", "dynamodb"))
    else:
        store = SqliteResultStore(database)
    tasks: TaskQueue
    deliveries: TaskQueue
    if settings.queue_backend == "sqs":
        try:
            from mp4_small_analyser.aws.sqs_queue import SqsTaskQueue
        except ImportError as exc:
            raise BackendUnavailableError(_NEEDS_AWS_EXTRA.format(exc)) from None

        # The Lambda worker takes analyses and callback retries alike from the one queue.
        tasks = deliveries = SqsTaskQueue(_required(settings.queue_url, "QUEUE_URL", "sqs"))
    elif settings.queue_backend == "none":
        tasks = deliveries = NoQueue()
    else:
        tasks = SqliteTaskQueue(database, TASKS_QUEUE)
        deliveries = SqliteTaskQueue(database, DELIVERIES_QUEUE)
    return Backends(store=store, tasks=tasks, deliveries=deliveries)


def _required(value: str | None, name: str, backend: str) -> str:
    if not value:
        raise BackendUnavailableError(f"{name} must be set for the {backend} backend")
    return value


class NoQueue:
    """QUEUE_BACKEND=none: no queue, for a process that only serves results (the
    callback function on AWS); a submission to it answers 503 QUEUE_UNAVAILABLE."""

    def enqueue(
        self,
        messages: Sequence[AnalyseMessage | DeliverMessage],
        *,
        delay: float = 0.0,
        priority: int = 0,
    ) -> None:
        raise BackendUnavailableError("this process has no task queue (QUEUE_BACKEND=none)")

    def claim(self, max_messages: int, lease: float) -> list[Lease]:
        return []

    def ack(self, receipt: str) -> None:
        return None

    def release(self, receipt: str, delay: float = 0.0) -> None:
        return None

    def requeue_abandoned(self) -> int:
        return 0
