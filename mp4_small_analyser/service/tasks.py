"""The task function shared by local workers and the Lambda worker.

`handle_message` takes one queue message: an analysis (mark running → analyse
→ store the result → first callback attempt → store its outcome) or a callback
retry. Every step is written to the store before the next, and each handler
can run again on the same message (at-least-once queues): a task already
finished is not analysed again, only its pending callback is re-driven.
Runtime-specific parts (process pools, SQS events, timeouts) come in `TaskDeps`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.models import CompletedResult, FailedResult, Metadata
from mp4_small_analyser.options import SourceLimits
from mp4_small_analyser.service.delivery import CallbackSender, RetryPolicy, Sender
from mp4_small_analyser.service.logs import task_context
from mp4_small_analyser.service.outcomes import failed_result
from mp4_small_analyser.service.redaction import redact_text, redact_url, redacted_payload
from mp4_small_analyser.service.signing import inbound_key, own_hosts, signing_key
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage, UnreadableMessage
from mp4_small_analyser.stores.records import (
    TERMINAL_STATUSES,
    Delivery,
    RecordUpdate,
    TaskRecord,
    expiry,
    utc_timestamp,
)
from mp4_small_analyser.stores.result_store import ResultStore
from mp4_small_analyser.stores.task_queue import MAX_RECEIVES, TaskQueue

logger = logging.getLogger(__name__)

EARLY_TOLERANCE = 1.0
"""Seconds a callback retry may come before its due time and still be attempted."""

Analyser = Callable[[AnalyseMessage], CompletedResult | FailedResult]


@dataclass(frozen=True)
class TaskDeps:
    """What the task function needs; `analyse` is where runtimes differ (a killable
    child process locally, whatever bounds the time on Lambda)."""

    store: ResultStore
    deliveries: TaskQueue
    sender: Sender
    retry: RetryPolicy
    analyse: Analyser
    ttl_days: float = 0.0
    max_receives: int = MAX_RECEIVES


def deps_from_settings(
    settings: Settings, store: ResultStore, deliveries: TaskQueue, analyse: Analyser
) -> TaskDeps:
    """The dependencies of the task function as the settings configure them; the caller
    closes `deps.sender` when done (a Lambda keeps it for the container's life)."""
    return TaskDeps(
        store=store,
        deliveries=deliveries,
        sender=CallbackSender(
            allow_private=settings.allow_private_urls,
            timeout=settings.callback_timeout,
            signing_secret=signing_key(settings),
            inbound_key=inbound_key(settings),
            own_hosts=own_hosts(settings),
        ),
        retry=RetryPolicy(
            max_attempts=settings.callback_max_attempts,
            base_delay=settings.callback_retry_base_delay,
            max_delay=settings.callback_retry_max_delay,
        ),
        analyse=analyse,
        ttl_days=settings.result_ttl_days,
    )


def inline_analyser(limits: SourceLimits) -> Analyser:
    """Analyse in the calling process (no timeout of its own: the caller's runtime bounds it)."""
    from mp4_small_analyser.analysis.task import run_task

    def analyse(message: AnalyseMessage) -> CompletedResult | FailedResult:
        return run_task(
            message.file_url,
            task_id=message.task_id,
            batch_id=message.batch_id,
            options=message.options,
            profile=message.profile,
            limits=limits,
        )

    return analyse


def queued_record(message: AnalyseMessage, ttl_days: float) -> TaskRecord:
    """The record a task starts with, written before the submission is answered. Its
    file URL is redacted; the callback URL is kept whole, for the deliveries to come."""
    callback = (
        Delivery(url=message.callback_url, method=message.method) if message.callback_url else None
    )
    return TaskRecord(
        task_id=message.task_id,
        timestamp=message.timestamp,
        batch_id=message.batch_id,
        status="queued",
        file_url=redact_url(message.file_url),
        callback=callback,
        updated_at=utc_timestamp(),
        expires_at=expiry(ttl_days),
        request_digest=command_digest(message),
    )


def command_digest(message: AnalyseMessage) -> str:
    """What a submission asked of a task (file, callback, method, options, profile, batch),
    hashed: the same task_id submitted again is the same command only if this is equal."""
    fields = message.model_dump(mode="json", exclude={"task_id", "timestamp", "kind"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def handle_message(
    message: AnalyseMessage | DeliverMessage | UnreadableMessage,
    deps: TaskDeps,
    *,
    receive_count: int = 1,
) -> None:
    """Run one message. The caller dead-letters an UnreadableMessage once this returns."""
    if isinstance(message, AnalyseMessage):
        process_task(message, deps, receive_count=receive_count)
    elif isinstance(message, DeliverMessage):
        process_delivery(message, deps)
    else:
        fail_unreadable(message, deps)


def fail_unreadable(message: UnreadableMessage, deps: TaskDeps) -> None:
    """Fail the task of a message that cannot be read (UNREADABLE_TASK), when the body still
    names its record, and send that result to the record's callback URL."""
    logger.error(
        "unreadable queue message, dead-lettered (%s): %.300s",
        message.error,
        redact_text(message.body),
    )
    task_id, timestamp = message.field("task_id"), message.field("timestamp")
    if task_id is None or timestamp is None or message.field("kind") == "deliver":
        return
    record = deps.store.get(task_id, timestamp)
    if record is None or record.status in TERMINAL_STATUSES:
        return
    result = FailedResult(
        task_id=task_id,
        batch_id=record.batch_id,
        file_url=record.file_url or "",
        processing_time=0.0,
        error=f"The queued task could not be read back ({message.error}); it was not analysed",
        error_code=ErrorCode.UNREADABLE_TASK.value,
        metadata=Metadata(processed_at=datetime.now(UTC)),
    )
    with task_context(task_id, record.batch_id):
        store_result(task_id, timestamp, result, deps)


def process_task(message: AnalyseMessage, deps: TaskDeps, *, receive_count: int = 1) -> None:
    record = deps.store.get(message.task_id, message.timestamp)
    if record is None:
        logger.warning("record missing for a queued task; recreating it")
        record = queued_record(message, deps.ttl_days)
        deps.store.put(record)
    if record.status in TERMINAL_STATUSES:
        if record.callback is not None and record.callback.status == "pending":
            attempt_delivery(record, 1, deps)
        return
    if receive_count > deps.max_receives:
        abandon_task(message, deps, f"the worker stopped {receive_count - 1} times on this file")
        return
    deps.store.update(message.task_id, message.timestamp, RecordUpdate(status="running"))
    logger.info("analysing %s", redact_url(message.file_url))
    finish_task(message, deps.analyse(message), deps)


def abandon_task(message: AnalyseMessage, deps: TaskDeps, reason: str) -> None:
    """Fail a task that cannot be run (a dead-lettered message) and deliver that result."""
    error = f"Analysis abandoned: {reason}"
    finish_task(message, failed_result(message, ErrorCode.INTERNAL_ERROR, error), deps)


def finish_task(
    message: AnalyseMessage, result: CompletedResult | FailedResult, deps: TaskDeps
) -> None:
    """Store a task's result, then make the first callback attempt."""
    store_result(message.task_id, message.timestamp, result, deps)


def store_result(
    task_id: str, timestamp: str, result: CompletedResult | FailedResult, deps: TaskDeps
) -> None:
    """Store the result (redacted: no URL secret leaves the worker), then send it."""
    payload = redacted_payload(result)
    stored = deps.store.update(
        task_id, timestamp, RecordUpdate(status=result.status, payload=payload)
    )
    logger.info(
        "task %s%s",
        result.status,
        f" ({result.error_code})" if isinstance(result, FailedResult) else "",
    )
    if stored.callback is not None:
        attempt_delivery(stored, stored.callback.attempts + 1, deps)


def process_delivery(message: DeliverMessage, deps: TaskDeps) -> None:
    record = deps.store.get(message.task_id, message.timestamp)
    if record is None or record.callback is None:
        logger.warning("callback retry for an unknown task; dropped")
        return
    if record.callback.status in ("delivered", "failed"):
        return
    if record.callback.attempts >= message.attempt:
        return
    wait = (message.due_at or 0.0) - time.time()
    if wait > EARLY_TOLERANCE:
        # The queue could not hold it that long (SQS: 900 s at most): the next link.
        deps.deliveries.enqueue([message], delay=wait)
        return
    attempt_delivery(record, message.attempt, deps)


def attempt_delivery(record: TaskRecord, attempt: int, deps: TaskDeps) -> None:
    """One callback attempt; on a retryable failure the next one is queued with a delay.
    Each series (the first, and each re-delivery) has CALLBACK_MAX_ATTEMPTS attempts."""
    callback = record.callback
    assert callback is not None and record.payload is not None
    outcome = deps.sender.send(callback.url, callback.method, record.payload, attempt)
    in_series = attempt - callback.first_attempt + 1
    will_retry = not outcome.delivered and outcome.retryable and in_series < deps.retry.max_attempts
    if will_retry:
        delay = deps.retry.delay_after(in_series)
        retry = DeliverMessage(
            task_id=record.task_id,
            timestamp=record.timestamp,
            batch_id=record.batch_id,
            attempt=attempt + 1,
            due_at=time.time() + delay,
        )
        deps.deliveries.enqueue([retry], delay=delay)
        logger.info(
            "callback attempt %d failed (%s); retrying in %.1f s",
            attempt,
            redact_text(outcome.error or ""),
            delay,
        )
    elif outcome.delivered:
        logger.info("callback delivered (HTTP %s)", outcome.http_status)
    else:
        logger.warning(
            "callback failed after %d attempt(s): %s", attempt, redact_text(outcome.error or "")
        )
    status = "delivered" if outcome.delivered else "retrying" if will_retry else "failed"
    delivery = callback.model_copy(
        update={
            "status": status,
            "attempts": attempt,
            "last_http_status": outcome.http_status,
            "last_error": redact_text(outcome.error) if outcome.error else None,
        }
    )
    deps.store.update(record.task_id, record.timestamp, RecordUpdate(callback=delivery))
