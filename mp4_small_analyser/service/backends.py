"""Backends chosen by settings: the result store and the two queues (tasks, callbacks)."""

from __future__ import annotations

from dataclasses import dataclass

from mp4_small_analyser.service.result_store import ResultStore
from mp4_small_analyser.service.sqlite_db import SqliteDatabase
from mp4_small_analyser.service.sqlite_queue import SqliteTaskQueue
from mp4_small_analyser.service.sqlite_store import SqliteResultStore
from mp4_small_analyser.service.task_queue import TaskQueue
from mp4_small_analyser.settings import Settings

TASKS_QUEUE = "tasks"
DELIVERIES_QUEUE = "deliveries"


class BackendUnavailableError(RuntimeError):
    """The configured backend is not available in this installation."""


@dataclass(frozen=True)
class Backends:
    store: ResultStore
    tasks: TaskQueue
    deliveries: TaskQueue


def open_backends(settings: Settings) -> Backends:
    """The store and the analysis and callback-retry queues (one SQS queue may serve both)."""
    # The SQLite store and queues share one database object, hence its connections.
    database = SqliteDatabase(settings.database_path)
    if settings.store_backend == "sqlite":
        store: ResultStore = SqliteResultStore(database)
    else:
        raise BackendUnavailableError(
            f"STORE_BACKEND={settings.store_backend} is not implemented yet; use sqlite"
        )
    if settings.queue_backend == "sqlite":
        tasks: TaskQueue = SqliteTaskQueue(database, TASKS_QUEUE)
        deliveries: TaskQueue = SqliteTaskQueue(database, DELIVERIES_QUEUE)
    else:
        raise BackendUnavailableError(
            f"QUEUE_BACKEND={settings.queue_backend} is not implemented yet; use sqlite"
        )
    return Backends(store=store, tasks=tasks, deliveries=deliveries)
