"""Accepting a batch: check it, write its tasks and queue them, then answer.

Async batches are answered 202 once every task is in the store and the queue;
sync batches (no callback URL) go through the same queue, with priority, and
the request waits for their results up to SYNC_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.models import CompletedResult, FailedResult, task_result_adapter
from mp4_small_analyser.service.context import ServiceContext
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.logs import task_context
from mp4_small_analyser.service.outcomes import failed_result
from mp4_small_analyser.service.planning import BatchPlan
from mp4_small_analyser.service.tasks import queued_record
from mp4_small_analyser.service.urls import UrlChecker
from mp4_small_analyser.stores.records import TERMINAL_STATUSES, RecordUpdate

logger = logging.getLogger(__name__)

SYNC_PRIORITY = 1
SYNC_POLL_INTERVAL = 0.1


def check_urls(plan: BatchPlan, context: ServiceContext, shape: str) -> None:
    """Raise 422 listing every file or callback URL that is malformed or not allowed."""
    settings = context.settings
    checker = UrlChecker(
        allow_private=settings.allow_private_urls,
        allowed_s3_buckets=frozenset(settings.allowed_s3_buckets),
    )
    problems: dict[tuple[str | int, ...], dict[str, Any]] = {}
    for index, message in enumerate(plan.messages):
        checks = [("file_url", message.file_url, checker.file_url_problem)]
        if message.callback_url:
            checks.append(("callback_url", message.callback_url, checker.http_url_problem))
        for field, url, check in checks:
            problem = check(url)
            if problem is not None:
                loc = _loc(shape, index, field)
                problems[loc] = {
                    "loc": list(loc),
                    "error_code": problem.code.value,
                    "msg": problem.message,
                }
    if problems:
        first = next(iter(problems.values()))
        raise ServiceError(
            422,
            ServiceErrorCode(first["error_code"]),
            f"{len(problems)} URL(s) refused; first: {first['msg']}",
            details=list(problems.values()),
        )


def _loc(shape: str, index: int, field: str) -> tuple[str | int, ...]:
    if shape == "files_url":
        return ("files_url", index) if field == "file_url" else ("callback_url",)
    return (shape, index, field)


def queue_batch(plan: BatchPlan, context: ServiceContext, *, priority: int = 0) -> None:
    """Write the batch's records, then its messages; both are durable when this returns."""
    store = context.backends.store
    store.put_many([queued_record(m, context.settings.result_ttl_days) for m in plan.messages])
    try:
        context.backends.tasks.enqueue(plan.messages, priority=priority)
    except Exception:
        logger.exception("could not queue batch %s", plan.batch_id)
        for message in plan.messages:
            result = failed_result(
                message, ErrorCode.INTERNAL_ERROR, "The task could not be queued"
            )
            store.update(
                message.task_id,
                message.timestamp,
                RecordUpdate(status="failed", payload=result.model_dump(mode="json")),
            )
        raise ServiceError(
            503, ServiceErrorCode.QUEUE_UNAVAILABLE, "The task queue is unavailable; retry later"
        ) from None
    context.notify_workers()
    with task_context(None, plan.batch_id):
        mode = "async" if plan.is_async else "sync"
        logger.info("batch of %d file(s) queued (%s)", len(plan.messages), mode)


async def wait_for_results(
    plan: BatchPlan, context: ServiceContext, timeout: float
) -> list[CompletedResult | FailedResult]:
    """The batch's results in submission order, or 504 SYNC_TIMEOUT."""
    deadline = time.monotonic() + timeout
    pending = {m.task_id: m for m in plan.messages}
    results: dict[str, CompletedResult | FailedResult] = {}
    store = context.backends.store
    while pending:
        for task_id, message in list(pending.items()):
            record = await asyncio.to_thread(store.get, task_id, message.timestamp)
            if record is not None and record.status in TERMINAL_STATUSES and record.payload:
                results[task_id] = task_result_adapter.validate_python(record.payload)
                del pending[task_id]
        if not pending:
            break
        if time.monotonic() > deadline:
            raise ServiceError(
                504,
                ServiceErrorCode.SYNC_TIMEOUT,
                f"The batch did not finish within {timeout:g} s (SYNC_TIMEOUT); its results "
                f"will be at /callback/batch/{plan.batch_id}. Give a callback_url to submit "
                "asynchronously.",
                batch_id=plan.batch_id,
            )
        await asyncio.sleep(SYNC_POLL_INTERVAL)
    return [results[m.task_id] for m in plan.messages]
