"""Analyses in a child process that can be killed: how a file that hangs or crashes is contained.

One `AnalysisProcess` serves one analysis at a time over a pipe. Past the
timeout the child is killed, the task gets `ANALYSIS_TIMEOUT`, and a fresh
child replaces it; a child that dies (a crash in a native decoder) gives
`DECODER_CRASHED` and is replaced too. The child ignores SIGINT/SIGTERM (the
parent decides) and exits by itself when its parent goes away. The service's
workers and `mp4-analyser analyse` both run every file this way.
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
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mp4_small_analyser.analysis.judging import ProfileDocument
from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.models import CompletedResult, FailedResult, task_result_adapter
from mp4_small_analyser.options import AnalysisOptions, SourceLimits
from mp4_small_analyser.service.outcomes import failed_result
from mp4_small_analyser.stores.messages import AnalyseMessage

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT = 120.0
_READY = "ready"
ChildLogs = Literal["json", "text", "cli"]
"""How the child logs: the service's formats (redacted), or the CLI's (no tracebacks)."""


class AnalysisJob(BaseModel):
    """One file to analyse, as the child receives it."""

    model_config = ConfigDict(frozen=True)

    file_url: str
    task_id: str
    batch_id: str | None = None
    options: AnalysisOptions = Field(default_factory=AnalysisOptions)
    profile: ProfileDocument | None = None
    """The QC profile, parents merged in; None: the built-in `options.profile`."""

    @classmethod
    def of(cls, message: AnalyseMessage) -> AnalysisJob:
        return cls(
            file_url=message.file_url,
            task_id=message.task_id,
            batch_id=message.batch_id,
            options=message.options,
            profile=message.profile,
        )


class AnalysisInterruptedError(Exception):
    """The analysis was stopped on purpose (shutdown); the task should be re-queued."""


class AnalysisProcess:
    def __init__(
        self,
        limits: SourceLimits,
        timeout: float,
        *,
        context: SpawnContext | ForkContext | ForkServerContext | None = None,
        logs: ChildLogs = "text",
    ) -> None:
        self._limits = limits
        self._timeout = timeout
        # spawn by default: the parent runs threads, which a fork would copy mid-flight.
        self._context = context or multiprocessing.get_context("spawn")
        self._logs = logs
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
            args=(child_end, self._logs),
            name="mp4-analyser-worker",
            daemon=True,
        )
        process.start()
        child_end.close()
        self._process, self._conn, self._ready = process, parent_end, False

    def analyse(self, message: AnalyseMessage) -> CompletedResult | FailedResult:
        """The task result of a queued task (see `run`)."""
        return self.run(AnalysisJob.of(message))

    def run(self, job: AnalysisJob) -> CompletedResult | FailedResult:
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
            conn.send((job.model_dump_json(), self._limits.model_dump_json()))
            if not conn.poll(self._timeout):
                self._replace()
                return failed_result(
                    job,
                    ErrorCode.ANALYSIS_TIMEOUT,
                    f"Analysis took longer than {self._timeout:g} s (ANALYSIS_TIMEOUT) "
                    "and was stopped",
                    time.monotonic() - started,
                )
            return task_result_adapter.validate_json(conn.recv())
        except (EOFError, OSError):
            if self._interrupted.is_set():
                raise AnalysisInterruptedError(job.task_id) from None
            return self._crashed(job, time.monotonic() - started)

    def _crashed(self, job: AnalysisJob, elapsed: float) -> FailedResult:
        exit_code = None
        if self._process is not None:
            # The pipe closes as the child dies; its exit status comes a moment later.
            self._process.join(1)
            exit_code = self._process.exitcode
        how = f"exit code {exit_code}"
        if exit_code is not None and exit_code < 0:
            how = f"signal {signal.Signals(-exit_code).name}"
        logger.error("analysis process died (%s); replaced", how)
        self._replace()
        return failed_result(
            job,
            ErrorCode.DECODER_CRASHED,
            f"The analysis process crashed ({how}) while decoding this file; the file is "
            "probably damaged",
            elapsed,
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


def _child_main(conn: Connection, logs: ChildLogs) -> None:
    # Ctrl-C and a SIGTERM sent to the whole process group are the parent's to
    # handle: it lets the analysis finish or re-queues it, then kills this child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The process that made this one: the parent itself, or (forkserver) its fork server,
    # which exits with the parent. Either way, this child is orphaned when it goes.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _configure_child_logging(logs)
    from mp4_small_analyser.analysis.task import run_task

    conn.send(_READY)
    while True:
        try:
            job_json, limits_json = conn.recv()
        except (EOFError, OSError):
            return
        job = AnalysisJob.model_validate_json(job_json)
        result = run_task(
            job.file_url,
            task_id=job.task_id,
            batch_id=job.batch_id,
            options=job.options,
            profile=job.profile,
            limits=SourceLimits.model_validate_json(limits_json),
        )
        conn.send(result.model_dump_json())


def _configure_child_logging(logs: ChildLogs) -> None:
    from mp4_small_analyser.service.logs import configure_cli_logging, configure_logging

    if logs == "cli":
        configure_cli_logging()
    else:
        configure_logging(logs)


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)
