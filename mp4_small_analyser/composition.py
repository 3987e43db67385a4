"""Which store and queues a process uses: the one place that names concrete backends.

Only entry points import this module (`mp4-analyser serve`, the Lambda
handlers, the SQS worker); the service works with the interfaces in
`mp4_small_analyser.stores.backends`, so it runs unchanged on any of them.
"""

from __future__ import annotations

from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.adapters.local_thumbnails import LocalThumbnailStore
from mp4_small_analyser.stores.adapters.no_queue import NoQueue
from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.adapters.sqlite_queue import SqliteTaskQueue
from mp4_small_analyser.stores.adapters.sqlite_store import SqliteResultStore
from mp4_small_analyser.stores.backends import Backends, BackendUnavailableError
from mp4_small_analyser.stores.result_store import ResultStore
from mp4_small_analyser.stores.task_queue import TaskQueue
from mp4_small_analyser.stores.thumbnail_store import ThumbnailStore

TASKS_QUEUE = "tasks"
DELIVERIES_QUEUE = "deliveries"
_NEEDS_AWS_EXTRA = "the AWS backends need pip install 'mp4-small-analyser[aws]' ({})"


def open_backends(settings: Settings) -> Backends:
    """The store and the analysis and callback-retry queues (one SQS queue serves both)."""
    # The SQLite store and queues share one database object, hence its connections; it
    # touches no file until a SQLite backend uses it.
    database = SqliteDatabase(settings.database_path)
    store: ResultStore
    if settings.store_backend == "dynamodb":
        # The AWS backends need the `aws` extra (boto3): imported only when chosen.
        try:
            from mp4_small_analyser.stores.adapters.dynamodb_store import DynamoDbResultStore
        except ImportError as exc:
            raise BackendUnavailableError(_NEEDS_AWS_EXTRA.format(exc)) from exc
        # Settings refuses STORE_BACKEND=dynamodb without TABLE_NAME (the one check).
        assert settings.table_name is not None
        store = DynamoDbResultStore(settings.table_name)
    else:
        store = SqliteResultStore(database)
    tasks: TaskQueue
    deliveries: TaskQueue
    if settings.queue_backend == "sqs":
        try:
            from mp4_small_analyser.stores.adapters.sqs_queue import SqsTaskQueue
        except ImportError as exc:
            raise BackendUnavailableError(_NEEDS_AWS_EXTRA.format(exc)) from exc

        # The Lambda worker takes analyses and callback retries alike from the one queue;
        # Settings refuses QUEUE_BACKEND=sqs without QUEUE_URL.
        assert settings.queue_url is not None
        tasks = deliveries = SqsTaskQueue(settings.queue_url)
    elif settings.queue_backend == "none":
        tasks = deliveries = NoQueue()
    else:
        tasks = SqliteTaskQueue(database, TASKS_QUEUE)
        deliveries = SqliteTaskQueue(database, DELIVERIES_QUEUE)
    return Backends(
        store=store, tasks=tasks, deliveries=deliveries, thumbnails=open_thumbnails(settings)
    )


def open_thumbnails(settings: Settings) -> ThumbnailStore | None:
    """The S3 bucket when named, else a folder beside the SQLite store, else none."""
    if settings.thumbnail_bucket:
        try:
            from mp4_small_analyser.stores.adapters.s3_thumbnails import S3ThumbnailStore
        except ImportError as exc:
            raise BackendUnavailableError(_NEEDS_AWS_EXTRA.format(exc)) from exc
        return S3ThumbnailStore(settings.thumbnail_bucket)
    if settings.store_backend == "sqlite":
        folder = settings.thumbnails_path or settings.database_path.parent / "thumbnails"
        return LocalThumbnailStore(folder, settings.result_ttl_days)
    return None
