"""One row per file: what the batch table, its CSV and JSON exports and the report's summary show.

A row comes from a task result (the service's own, or a received callback
whose body is a task result); a record whose payload is not one (a callback of
another shape, a task still queued) keeps its status and file URL only.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field

from mp4_small_analyser.models import (
    CompletedResult,
    FailedResult,
    Results,
    VerdictStatus,
)
from mp4_small_analyser.stores.records import StoredPayload, TaskRecord, TaskStatus

MAIN_RULES = 3
"""Failed rules a row names; the file page lists them all."""
VERDICTS: tuple[VerdictStatus, ...] = ("pass", "warn", "fail")


class BatchRow(BaseModel):
    task_id: str
    file_url: str | None
    status: TaskStatus
    verdict: VerdictStatus | None = Field(None, description="None: not judged.")
    duration: float | None = Field(None, description="Seconds.")
    video_codec: str | None = None
    audio_codec: str | None = None
    resolution: str | None = None
    frame_rate: float | None = None
    loudness: float | None = Field(None, description="Integrated loudness, LUFS.")
    true_peak: float | None = Field(None, description="dBTP.")
    failed_rules: list[str] = Field(default_factory=list)
    error_code: str | None = None


def parsed_result(payload: StoredPayload | None) -> CompletedResult | FailedResult | None:
    """The payload as a task result, or None when it is not one."""
    return payload if isinstance(payload, CompletedResult | FailedResult) else None


def record_row(record: TaskRecord) -> BatchRow:
    return result_row(record.task_id, record.status, record.file_url, parsed_result(record.payload))


def result_row(
    task_id: str,
    status: TaskStatus,
    file_url: str | None,
    result: CompletedResult | FailedResult | None,
) -> BatchRow:
    row = BatchRow(task_id=task_id, file_url=file_url, status=status)
    if isinstance(result, FailedResult):
        return row.model_copy(update={"error_code": result.error_code})
    if result is None:
        return row
    results = result.results
    video, audio = results.video_analysis, results.audio_analysis
    return BatchRow(
        task_id=task_id,
        file_url=file_url or result.file_url,
        status=status,
        verdict=results.verdict.status if results.verdict else None,
        duration=results.file_info.duration,
        video_codec=video.codec if video else None,
        audio_codec=audio.codec if audio else None,
        resolution=video.resolution if video else None,
        frame_rate=video.frame_rate if video else None,
        loudness=audio.loudness_integrated if audio else None,
        true_peak=audio.true_peak if audio else None,
        failed_rules=main_failed_rules(results),
    )


def main_failed_rules(results: Results) -> list[str]:
    """The codes that decided the verdict; unjudged, the errors, else the warnings."""
    if results.verdict is not None:
        return results.verdict.decided_by[:MAIN_RULES]
    for severity in ("error", "warning"):
        codes = [check.code for check in results.checks if check.severity == severity]
        if codes:
            return list(dict.fromkeys(codes))[:MAIN_RULES]
    return []


def verdict_counts(rows: Iterable[BatchRow]) -> dict[str, int]:
    """Rows by verdict, `pass`/`warn`/`fail` always present, then `not judged` if any."""
    counts = Counter(row.verdict or "not judged" for row in rows if row.status == "completed")
    return {verdict: counts.get(verdict, 0) for verdict in VERDICTS} | (
        {"not judged": counts["not judged"]} if counts["not judged"] else {}
    )


CSV_COLUMNS = [
    "task_id",
    "file_url",
    "status",
    "verdict",
    "duration_s",
    "video_codec",
    "audio_codec",
    "resolution",
    "frame_rate",
    "loudness_lufs",
    "true_peak_dbtp",
    "failed_rules",
    "error_code",
]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows_csv(rows: Iterable[BatchRow]) -> str:
    """The rows as CSV; text cells that a spreadsheet would run as a formula are quoted
    with a leading apostrophe (file names come from strangers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                _text(row.task_id),
                _text(row.file_url),
                row.status,
                row.verdict or "",
                _number(row.duration),
                _text(row.video_codec),
                _text(row.audio_codec),
                _text(row.resolution),
                _number(row.frame_rate),
                _number(row.loudness),
                _number(row.true_peak),
                _text(" ".join(row.failed_rules)),
                _text(row.error_code),
            ]
        )
    return out.getvalue()


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
