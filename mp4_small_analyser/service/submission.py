"""Accepting a batch: check it, write its tasks and queue them, then answer.

Async batches are answered 202 once every task is in the store and the queue;
sync batches (no callback URL) go through the same queue, with priority, and
the request waits for their results up to SYNC_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from dataclasses import replace

from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.models import CompletedResult, FailedResult, task_result_adapter
from mp4_small_analyser.service.context import ServiceContext
from mp4_small_analyser.service.errors import ErrorDetail, ServiceError, ServiceErrorCode
from mp4_small_analyser.service.json_body import field_path
from mp4_small_analyser.service.logs import task_context
from mp4_small_analyser.service.outcomes import failed_result
from mp4_small_analyser.service.planning import BatchPlan
from mp4_small_analyser.service.redaction import redact_text, redacted_payload
from mp4_small_analyser.service.schemas import FILES_URL_SHAPE
from mp4_small_analyser.service.tasks import command_digest, queued_record
from mp4_small_analyser.service.urls import UrlChecker
from mp4_small_analyser.stores.records import (
    TERMINAL_STATUSES,
    RecordUpdate,
    TaskRecord,
    payload_json,
)

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
    problems: dict[tuple[str | int, ...], ErrorDetail] = {}
    codes: list[ServiceErrorCode] = []
    for index, message in enumerate(plan.messages):
        checks = [("file_url", message.file_url, checker.file_url_problem)]
        if message.callback_url:
            checks.append(("callback_url", message.callback_url, checker.http_url_problem))
        for field, url, check in checks:
            problem = check(url)
            if problem is not None:
                loc = _loc(shape, index, field)
                codes.append(ServiceErrorCode(problem.code.value))
                problems[loc] = ErrorDetail(
                    loc=list(loc),
                    field=field_path(loc),
                    error_code=problem.code.value,
                    msg=redact_text(problem.message),
                )
    if problems:
        first = next(iter(problems.values()))
        raise ServiceError(
            422,
            codes[0],
            f"{len(problems)} URL(s) refused; first: {first.msg}",
            details=list(problems.values()),
        )


def check_durations(plan: BatchPlan, context: ServiceContext) -> None:
    """Raise 422 when a task's options (its profile's included) ask to decode more media
    than MAX_MEDIA_DURATION."""
    for message in plan.messages:
        problem = context.settings.duration_problem(message.options)
        if problem is not None:
            loc = ("options", "max_media_duration")
            raise ServiceError(
                422,
                ServiceErrorCode.INVALID_REQUEST,
                f"Invalid request: {field_path(loc)}: {problem}",
                details=[ErrorDetail(loc=list(loc), field=field_path(loc), msg=problem)],
            )


def _loc(shape: str, index: int, field: str) -> tuple[str | int, ...]:
    if shape == FILES_URL_SHAPE:
        return ("files_url", index) if field == "file_url" else ("callback_url",)
    return ("mp4_small_analyser", index, field)


def known_tasks(
    plan: BatchPlan, context: ServiceContext
) -> tuple[BatchPlan, dict[str, TaskRecord]]:
    """The plan with the tasks this service already has taken out of the work to do.

    A task_id submitted again is the same task when the command is identical (file,
    callback, method, options, profile and batch_id): it is not queued again, and the answer shows
    it as it stands (an idempotent retry). A different command under a known task_id is
    refused, 409 TASK_ID_CONFLICT: results are kept by task_id, and one id is one file."""
    store = context.backends.store
    known: dict[str, TaskRecord] = {}
    conflicts: list[str] = []
    messages = []
    for message in plan.messages:
        own = (
            store.task_records(message.task_id, own=True, limit=1)
            if (message.task_id in plan.given_ids)
            else []
        )
        if not own:
            messages.append(message)
        elif own[0].request_digest == command_digest(message):
            known[message.task_id] = own[0]
            messages.append(message.model_copy(update={"timestamp": own[0].timestamp}))
        else:
            conflicts.append(message.task_id)
    if conflicts:
        raise ServiceError(
            409,
            ServiceErrorCode.TASK_ID_CONFLICT,
            f"task_id already used for another command: {', '.join(conflicts)}. Submit the "
            "identical command (same file_url, callback_url, method, options, profile and "
            "batch_id) "
            "to get the existing task, or use a new task_id.",
            details=[ErrorDetail(task_id=task_id) for task_id in conflicts],
        )
    return replace(plan, messages=messages), known


def queue_batch(
    plan: BatchPlan,
    context: ServiceContext,
    *,
    priority: int = 0,
    known: Collection[str] = (),
) -> None:
    """Write the batch's new records, then their messages; both are durable when this
    returns. Tasks in `known` exist already and are left as they are."""
    store = context.backends.store
    new = [m for m in plan.messages if m.task_id not in known]
    if not new:
        return
    store.put_many([queued_record(m, context.settings.result_ttl_days) for m in new])
    try:
        context.backends.tasks.enqueue(new, priority=priority)
    except Exception:
        logger.exception("could not queue batch %s", plan.batch_id)
        for message in new:
            result = failed_result(
                message, ErrorCode.INTERNAL_ERROR, "The task could not be queued"
            )
            store.update(
                message.task_id,
                message.timestamp,
                RecordUpdate(status="failed", payload=redacted_payload(result)),
            )
        raise ServiceError(
            503, ServiceErrorCode.QUEUE_UNAVAILABLE, "The task queue is unavailable; retry later"
        ) from None
    context.notify_workers()
    with task_context(None, plan.batch_id):
        mode = "async" if plan.is_async else "sync"
        logger.info("batch of %d file(s) queued (%s)", len(new), mode)


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
                results[task_id] = task_result_adapter.validate_python(payload_json(record.payload))
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
