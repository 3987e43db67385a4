"""The task queue interface: at-least-once delivery with leases, shaped on SQS.

A claimed message is invisible for its lease (SQS visibility timeout); it comes back if
not acknowledged in time, with `receive_count` grown by one. `claim` hands out an
unreadable body too (as `UnreadableMessage`), so the consumer fails its task and
`dead_letter`s it at once instead of retrying it. `enqueue` writes a whole batch or raises
(SQS: batches of 10, failed entries retried by the implementation). Delays and leases are
seconds; backends with whole-second granularity round up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage, UnreadableMessage

MAX_RECEIVES = 3
"""Receives after which a task is given up (the SQS dead-letter redrive count)."""


@dataclass(frozen=True)
class Lease:
    message: AnalyseMessage | DeliverMessage | UnreadableMessage
    receipt: str
    receive_count: int


class TaskQueue(Protocol):
    def enqueue(
        self,
        messages: Sequence[AnalyseMessage | DeliverMessage],
        *,
        delay: float = 0.0,
        priority: int = 0,
    ) -> None:
        """Add messages, visible after `delay` seconds. `priority` is a hint (higher
        first) that backends without priorities ignore."""

    def claim(self, max_messages: int, lease: float) -> list[Lease]:
        """Take up to `max_messages` visible messages for `lease` seconds; never blocks long."""

    def ack(self, receipt: str) -> None:
        """Delete a claimed message; a stale receipt is ignored (SQS: it may still delete
        the message, which handlers, being idempotent, tolerate)."""

    def release(self, receipt: str, delay: float = 0.0) -> None:
        """Give a claimed message back, visible again after `delay` seconds."""

    def dead_letter(self, lease: Lease) -> None:
        """Take a claimed message out of the queue for good, kept for inspection (SQLite:
        the queue `<name>.dead`; SQS: the queue's redrive dead-letter queue)."""

    def requeue_abandoned(self) -> int:
        """Release leases whose consumer is known to be gone (a crashed local service)
        and return how many; backends that rely on lease expiry alone return 0."""
