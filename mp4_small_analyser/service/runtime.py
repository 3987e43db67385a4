"""Local workers: the supervisor `mp4-analyser serve` runs next to the API.

`settings.workers` analysis slots, each a thread driving one killable
`AnalysisProcess`, claim tasks from the queue; a few delivery threads claim
callback retries, so a slow receiver never holds an analysis slot for longer
than one attempt. On start, leases left by a crashed predecessor are taken
back; on stop (SIGTERM), running analyses get `shutdown_grace` seconds to
finish, then are killed and their tasks re-queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import NoReturn, Protocol

from mp4_small_analyser.service.executor import AnalysisInterruptedError, AnalysisProcess
from mp4_small_analyser.service.logs import task_context
from mp4_small_analyser.service.tasks import (
    Analyser,
    TaskDeps,
    deps_from_settings,
    handle_message,
)
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.backends import Backends
from mp4_small_analyser.stores.messages import AnalyseMessage, UnreadableMessage
from mp4_small_analyser.stores.records import RecordUpdate
from mp4_small_analyser.stores.task_queue import Lease, TaskQueue

logger = logging.getLogger(__name__)

DELIVERY_THREADS = 4
POLL_INTERVAL = 0.5
LEASE_MARGIN = 60.0
ERROR_BACKOFF = 5.0


class Runtime(Protocol):
    """What the app needs from whatever runs the work next to it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def notify(self) -> None:
        """New messages were queued."""

    def status(self) -> dict[str, int]: ...


class LocalRuntime:
    def __init__(self, settings: Settings, backends: Backends) -> None:
        self._settings = settings
        self._backends = backends
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._slots = [
            AnalysisProcess(
                settings.source_limits(), settings.analysis_timeout, logs=settings.log_format
            )
            for _ in range(settings.workers)
        ]
        self._threads: list[threading.Thread] = []
        self._delivery_threads: list[threading.Thread] = []

    def start(self) -> None:
        abandoned = self._backends.tasks.requeue_abandoned()
        abandoned += self._backends.deliveries.requeue_abandoned()
        if abandoned:
            logger.info("took back %d message(s) left by a stopped service", abandoned)
        purged = self._backends.store.purge_expired()
        if purged:
            logger.info("deleted %d expired record(s)", purged)
        for index, slot in enumerate(self._slots):
            slot.start()
            self._threads.append(
                self._spawn(f"analysis-{index}", partial(self._analysis_loop, slot))
            )
        for index in range(DELIVERY_THREADS):
            self._delivery_threads.append(self._spawn(f"delivery-{index}", self._delivery_loop))
        logger.info("%d analysis worker(s) started", len(self._slots))

    def stop(self) -> None:
        self._stopping.set()
        self.notify()
        deadline = time.monotonic() + self._settings.shutdown_grace
        for thread, slot in zip(self._threads, self._slots, strict=True):
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                slot.interrupt()
        for thread in self._threads + self._delivery_threads:
            thread.join(self._settings.callback_timeout + 10)
        for slot in self._slots:
            slot.close()
        logger.info("workers stopped")

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def status(self) -> dict[str, int]:
        return {
            "workers": sum(thread.is_alive() for thread in self._threads),
            "worker_restarts": sum(slot.restarts for slot in self._slots),
        }

    def _spawn(self, name: str, target: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def _deps(self, analyse: Analyser) -> TaskDeps:
        backends = self._backends
        return deps_from_settings(self._settings, backends.store, backends.deliveries, analyse)

    def _analysis_loop(self, slot: AnalysisProcess) -> None:
        deps = self._deps(slot.analyse)
        lease_seconds = (
            self._settings.analysis_timeout + self._settings.callback_timeout + LEASE_MARGIN
        )
        try:
            self._consume(self._backends.tasks, lease_seconds, deps)
        finally:
            deps.sender.close()

    def _delivery_loop(self) -> None:
        deps = self._deps(_no_analysis)
        try:
            self._consume(
                self._backends.deliveries, self._settings.callback_timeout + LEASE_MARGIN, deps
            )
        finally:
            deps.sender.close()

    def _consume(self, queue: TaskQueue, lease_seconds: float, deps: TaskDeps) -> None:
        while not self._stopping.is_set():
            try:
                leases = queue.claim(1, lease_seconds)
            except Exception:
                logger.exception("cannot claim work from the queue")
                self._stopping.wait(ERROR_BACKOFF)
                continue
            if not leases:
                with self._wake:
                    self._wake.wait(POLL_INTERVAL)
                continue
            self._handle(queue, leases[0], deps)

    def _handle(self, queue: TaskQueue, lease: Lease, deps: TaskDeps) -> None:
        message = lease.message
        if isinstance(message, UnreadableMessage):
            # Never retried: its task fails (UNREADABLE_TASK) and the body is kept aside.
            handle_message(message, deps)
            queue.dead_letter(lease)
            return
        with task_context(message.task_id, message.batch_id):
            try:
                handle_message(message, deps, receive_count=lease.receive_count)
            except AnalysisInterruptedError:
                logger.info("analysis interrupted by shutdown; task re-queued")
                deps.store.update(message.task_id, message.timestamp, RecordUpdate(status="queued"))
                queue.release(lease.receipt)
                return
            except Exception:
                logger.exception("task handling failed; it will be retried")
                queue.release(lease.receipt, delay=ERROR_BACKOFF)
                return
            queue.ack(lease.receipt)


def _no_analysis(message: AnalyseMessage) -> NoReturn:
    raise RuntimeError("delivery workers do not analyse")
