"""The backends a runtime works with: one result store and the two queues it reads.

Only the interfaces live here; `mp4_small_analyser.composition` picks the
concrete classes from the settings, and only entry points import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mp4_small_analyser.stores.result_store import ResultStore
from mp4_small_analyser.stores.task_queue import TaskQueue
from mp4_small_analyser.stores.thumbnail_store import ThumbnailStore


class BackendUnavailableError(RuntimeError):
    """The configured backend is not available in this installation or this process."""


@dataclass(frozen=True)
class Backends:
    store: ResultStore
    tasks: TaskQueue
    """Analyses to run."""
    deliveries: TaskQueue
    """Callback retries (the same queue as `tasks` on SQS)."""
    thumbnails: ThumbnailStore | None = None
    """Where workers keep thumbnails and pages read them; None: none are cut."""
