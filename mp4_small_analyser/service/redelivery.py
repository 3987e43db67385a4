"""Sending again the callbacks that ended `failed` (every attempt of their series spent).

A re-delivery starts a new series on the callback's record: the next attempt is queued at
once, and retries follow the same schedule (CALLBACK_MAX_ATTEMPTS attempts, backoff with
jitter) as the first series. Per task or per batch, by API and by `mp4-analyser redeliver`.
"""

from __future__ import annotations

import logging
import time

from mp4_small_analyser.service.context import ServiceContext
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.paging import MAX_PAGE_SIZE
from mp4_small_analyser.stores.messages import DeliverMessage
from mp4_small_analyser.stores.records import RecordUpdate, TaskRecord

logger = logging.getLogger(__name__)


def redeliver_task(task_id: str, context: ServiceContext) -> list[str]:
    own = context.backends.store.task_records(task_id, own=True, limit=1)
    if not own:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No task {task_id!r}")
    record = own[0]
    if record.callback is None or record.callback.status != "failed":
        status = "no callback" if record.callback is None else record.callback.status
        raise ServiceError(
            409,
            ServiceErrorCode.CALLBACK_NOT_FAILED,
            f"Only a callback that ended failed is sent again; task {task_id!r}: {status}",
        )
    return _redrive([record], context)


def redeliver_batch(batch_id: str, context: ServiceContext) -> list[str]:
    """Every task of the batch whose callback ended failed (none is not an error)."""
    store = context.backends.store
    if store.batch_summary(batch_id).total == 0:
        raise ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No batch {batch_id!r}")
    failed: list[TaskRecord] = []
    token: str | None = None
    while True:
        page = store.batch_page(batch_id, MAX_PAGE_SIZE, token)
        failed += [
            record
            for record in page.records
            if record.source == "service"
            and record.callback is not None
            and record.callback.status == "failed"
        ]
        token = page.next_token
        if token is None:
            return _redrive(failed, context)


def _redrive(records: list[TaskRecord], context: ServiceContext) -> list[str]:
    store = context.backends.store
    messages = []
    for record in records:
        assert record.callback is not None
        attempt = record.callback.attempts + 1
        store.update(
            record.task_id,
            record.timestamp,
            RecordUpdate(
                callback=record.callback.model_copy(
                    update={"status": "retrying", "first_attempt": attempt}
                )
            ),
        )
        messages.append(
            DeliverMessage(
                task_id=record.task_id,
                timestamp=record.timestamp,
                batch_id=record.batch_id,
                attempt=attempt,
                due_at=time.time(),
            )
        )
    if not messages:
        return []
    try:
        context.backends.deliveries.enqueue(messages)
    except Exception:
        logger.exception("could not queue %d re-deliveries", len(messages))
        for record in records:
            store.update(record.task_id, record.timestamp, RecordUpdate(callback=record.callback))
        raise ServiceError(
            503, ServiceErrorCode.QUEUE_UNAVAILABLE, "The task queue is unavailable; retry later"
        ) from None
    context.notify_workers()
    logger.info("%d callback(s) queued for re-delivery", len(messages))
    return [message.task_id for message in messages]
