"""Records received from outside (callbacks, simulations) next to the service's own.

A received record never replaces the service's record of a task: both are kept, and
reads say which is which. Nor does it count in a batch when the service ran the task:
a batch never counts one file twice, and a callback cannot move a task into another
batch. It joins its batch only for tasks the service does not know (the original
design's callback stack, receiving results from analysers elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterable

from mp4_small_analyser.stores.records import TaskRecord
from mp4_small_analyser.stores.result_store import ResultStore


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
