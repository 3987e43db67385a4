"""Task results the service makes itself, for failures outside `run_task`."""

from __future__ import annotations

from datetime import UTC, datetime

from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.models import FailedResult, Metadata
from mp4_small_analyser.stores.messages import AnalyseMessage


def failed_result(
    message: AnalyseMessage, code: ErrorCode, error: str, elapsed: float = 0.0
) -> FailedResult:
    return FailedResult(
        task_id=message.task_id,
        batch_id=message.batch_id,
        file_url=message.file_url,
        processing_time=round(elapsed, 4),
        error=error,
        error_code=code.value,
        metadata=Metadata(
            processed_at=datetime.now(UTC),
            mode="probe" if message.options.probe_only else "full",
        ),
    )
