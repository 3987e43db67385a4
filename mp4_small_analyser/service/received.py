"""Records received from outside (callbacks, simulations) next to the service's own.

A received record never replaces the service's record of a task: both are kept, and
reads say which is which. Nor does it count in a batch when the service ran the task:
a batch never counts one file twice, and a callback cannot move a task into another
batch. It joins its batch only for tasks the service does not know (the original
design's callback stack, receiving results from analysers elsewhere).

`store_received` is the one path of both ways in, `POST /callback/{task_id}` and
`POST /test/simulate`: credentials, validation, redaction, batch, store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from mp4_small_analyser.service.auth import require_callback_credentials
from mp4_small_analyser.service.context import ServiceContext
from mp4_small_analyser.service.redaction import public_record, redact_json
from mp4_small_analyser.service.schemas import ReceivedCallback
from mp4_small_analyser.stores.records import (
    RecordSource,
    TaskRecord,
    received_record,
    record_payload_adapter,
)
from mp4_small_analyser.stores.result_store import ResultStore


async def store_received(
    request: Request, context: ServiceContext, task_id: str, payload: Any, source: RecordSource
) -> TaskRecord:
    """Store `payload` received for `task_id` (the path's id wins over the body's) once the
    request's credentials are checked; the record as answers show it."""
    await require_callback_credentials(request, context, await request.body())
    checked = _validated(payload)
    named = checked.get("task_id")
    checked = redact_json({**checked, "task_id": task_id})
    callback = ReceivedCallback.model_validate(checked)
    store = context.backends.store
    batch_id = await run_in_threadpool(
        received_batch_id, store, (task_id, named), callback.batch_id
    )
    record = received_record(
        task_id,
        record_payload_adapter.validate_python(checked),
        status=callback.status,
        batch_id=batch_id,
        file_url=callback.file_url,
        source=source,
        ttl_days=context.settings.result_ttl_days,
    )
    await run_in_threadpool(store.put, record)
    return public_record(record)


def _validated(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise RequestValidationError(
            [{"type": "dict_type", "loc": ("body",), "msg": "Input should be a JSON object"}]
        )
    try:
        ReceivedCallback.model_validate(payload)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None
    return payload


def received_batch_id(
    store: ResultStore, task_ids: Iterable[object], batch_id: str | None
) -> str | None:
    """The batch a record received for these task ids (path and body) is listed in."""
    ran_it = any(
        store.task_records(task_id, own=True, limit=1)
        for task_id in set(task_ids)
        if isinstance(task_id, str) and task_id
    )
    return None if ran_it else batch_id


def shown_record(store: ResultStore, task_id: str) -> TaskRecord | None:
    """The record reads show for a task: the service's own when it ran it, else the latest
    one received."""
    own = store.task_records(task_id, own=True, limit=1)
    return own[0] if own else next(iter(store.task_records(task_id, own=False, limit=1)), None)
