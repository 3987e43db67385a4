"""Analyses in a child process that can be killed: how a file that hangs is stopped.

One `AnalysisProcess` serves one analysis at a time over a pipe. Past the
timeout the child is killed, the task gets `ANALYSIS_TIMEOUT`, and a fresh
child replaces it; a child that dies (a crash in a decoder) gives
`INTERNAL_ERROR`. The child ignores SIGINT/SIGTERM (the parent decides) and exits by itself
when its parent goes away.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess

from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.models import CompletedResult, FailedResult, task_result_adapter
from mp4_small_analyser.options import SourceLimits
from mp4_small_analyser.service.outcomes import failed_result
from mp4_small_analyser.stores.messages import AnalyseMessage

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT = 120.0
_READY = "ready"


class AnalysisInterruptedError(Exception):
    """The analysis was stopped on purpose (shutdown); the task should be re-queued."""


class AnalysisProcess:
    def __init__(
        self,
        limits: SourceLimits,
        timeout: float,
        *,
        context: SpawnContext | ForkContext | ForkServerContext | None = None,
    ) -> None:
        self._limits = limits
        self._timeout = timeout
        # spawn by default: the parent runs threads, which a fork would copy mid-flight.
        self._context = context or multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._interrupted = threading.Event()
        self.restarts = 0

    def start(self) -> None:
        """Launch the child without waiting for it to be ready."""
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_child_main,
            args=(child_end, os.getpid()),
            name="mp4-analyser-worker",
            daemon=True,
        )
        process.start()
        child_end.close()
        self._process, self._conn, self._ready = process, parent_end, False

    def analyse(self, message: AnalyseMessage) -> CompletedResult | FailedResult:
        """The task result, computed in the child; never raises but AnalysisInterruptedError."""
        if self._process is None:
            self.start()
        elif not self._process.is_alive():
            self._replace()
        conn = self._conn
        assert conn is not None
        started = time.monotonic()
        try:
            self._wait_ready(conn)
            conn.send((message.model_dump_json(), self._limits.model_dump_json()))
            if not conn.poll(self._timeout):
                self._replace()
                return failed_result(
                    message,
                    ErrorCode.ANALYSIS_TIMEOUT,
                    f"Analysis took longer than {self._timeout:g} s and was stopped",
                    time.monotonic() - started,
                )
            return task_result_adapter.validate_json(conn.recv())
        except (EOFError, OSError):
            if self._interrupted.is_set():
                raise AnalysisInterruptedError(message.task_id) from None
            exit_code = None
            if self._process is not None:
                # The pipe closes as the child dies; its exit status comes a moment later.
                self._process.join(1)
                exit_code = self._process.exitcode
            logger.error("analysis process died (exit code %s)", exit_code)
            self._replace()
            return failed_result(
                message,
                ErrorCode.INTERNAL_ERROR,
                f"The analysis process died (exit code {exit_code}) while reading this file",
                time.monotonic() - started,
            )

    def interrupt(self) -> None:
        """Stop the running analysis from another thread (shutdown)."""
        self._interrupted.set()
        if self._process is not None:
            self._process.kill()

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def _wait_ready(self, conn: Connection) -> None:
        if self._ready:
            return
        if not conn.poll(STARTUP_TIMEOUT) or conn.recv() != _READY:
            raise OSError("analysis process did not start")
        self._ready = True

    def _replace(self) -> None:
        if self._interrupted.is_set():
            raise AnalysisInterruptedError("shutting down")
        self.close()
        self.restarts += 1
        self.start()


def _child_main(conn: Connection, parent_pid: int) -> None:
    # Ctrl-C and a SIGTERM sent to the whole process group are the parent's to
    # handle: it lets the analysis finish or re-queues it, then kills this child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    from mp4_small_analyser.analysis.task import run_task

    conn.send(_READY)
    while True:
        try:
            message_json, limits_json = conn.recv()
        except (EOFError, OSError):
            return
        message = AnalyseMessage.model_validate_json(message_json)
        result = run_task(
            message.file_url,
            task_id=message.task_id,
            batch_id=message.batch_id,
            options=message.options,
            profile=message.profile,
            limits=SourceLimits.model_validate_json(limits_json),
        )
        conn.send(result.model_dump_json())


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)
