"""QUEUE_BACKEND=none: a process that only serves results (the callback function on AWS)."""

from __future__ import annotations

from collections.abc import Sequence

from mp4_small_analyser.stores.backends import BackendUnavailableError
from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage
from mp4_small_analyser.stores.task_queue import Lease


class NoQueue:
    """No queue at all: a submission to such a process answers 503 QUEUE_UNAVAILABLE."""

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

    def dead_letter(self, lease: Lease) -> None:
        return None

    def requeue_abandoned(self) -> int:
        return 0
