"""Task results the service makes itself, for failures outside `run_task`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.models import FailedResult, Metadata
from mp4_small_analyser.options import AnalysisOptions


class Task(Protocol):
    """What a failed result is made of: a queued message, or a CLI job."""

    @property
    def task_id(self) -> str: ...

    @property
    def batch_id(self) -> str | None: ...

    @property
    def file_url(self) -> str: ...

    @property
    def options(self) -> AnalysisOptions: ...


def failed_result(task: Task, code: ErrorCode, error: str, elapsed: float = 0.0) -> FailedResult:
    return FailedResult(
        task_id=task.task_id,
        batch_id=task.batch_id,
        file_url=task.file_url,
        processing_time=round(elapsed, 4),
        error=error,
        error_code=code.value,
        metadata=Metadata(
            processed_at=datetime.now(UTC),
            mode="probe" if task.options.probe_only else "full",
        ),
    )
