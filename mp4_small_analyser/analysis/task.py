"""One file in, one task result out: the unit of work of the CLI, the workers and Lambda.

`run_task` never raises: every failure becomes a `FailedResult` with a stable
code, so a batch never loses a file to an exception. `run_task_with_thumbnails`
also cuts thumbnails, for a runtime that has somewhere to keep them.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Literal

from mp4_small_analyser.analysis.container.layout import BoxLimits
from mp4_small_analyser.analysis.judging import (
    ProfileDocument,
    ProfileError,
    ResolvedProfile,
    builtin_library,
)
from mp4_small_analyser.analysis.report import Analysis, analyse
from mp4_small_analyser.analysis.sources.base import ByteSource, open_source
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.models import CompletedResult, FailedResult, ImageFile, Metadata
from mp4_small_analyser.options import AnalysisOptions, SourceLimits

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)


@cache
def _blas_threads() -> ThreadpoolController:
    """Found once per process: discovering the loaded libraries costs milliseconds.
    Imported here, not at the top: threadpoolctl sets KMP_DUPLICATE_LIB_OK on import, and
    importing the package must leave the environment alone."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@dataclass(frozen=True)
class TaskOutput:
    result: CompletedResult | FailedResult
    images: tuple[ImageFile, ...] = ()
    """The pictures `result.results.thumbnails` names, to store beside the result."""


def run_task(
    file_url: str,
    *,
    task_id: str | None = None,
    batch_id: str | None = None,
    options: AnalysisOptions | None = None,
    limits: SourceLimits | None = None,
    profile: ProfileDocument | None = None,
) -> CompletedResult | FailedResult:
    """Analyse `file_url` and judge it by `profile` (a self-contained document, as
    `ResolvedProfile.document()` writes it), by default the built-in `options.profile`."""
    return run_task_with_thumbnails(
        file_url,
        task_id=task_id,
        batch_id=batch_id,
        options=options,
        limits=limits,
        profile=profile,
        cut=False,
    ).result


def run_task_with_thumbnails(
    file_url: str,
    *,
    task_id: str | None = None,
    batch_id: str | None = None,
    options: AnalysisOptions | None = None,
    limits: SourceLimits | None = None,
    profile: ProfileDocument | None = None,
    cut: bool = True,
) -> TaskOutput:
    """`run_task`, and with `cut` the thumbnails' pictures beside the result."""
    options = options or AnalysisOptions()
    task_id = task_id or str(uuid.uuid4())
    run = _Run(mode="probe" if options.probe_only else "full")
    try:
        analysis = _analysed(run, file_url, options, limits or SourceLimits(), profile, cut)
        completed = CompletedResult(
            task_id=task_id,
            batch_id=batch_id,
            file_url=file_url,
            processing_time=run.elapsed(),
            results=analysis.results,
            metadata=run.metadata(),
        )
        return TaskOutput(completed, analysis.images)
    except Exception as exc:
        code, message = _failure(exc, file_url)
    finally:
        if run.source is not None:
            run.source.close()
    failed = FailedResult(
        task_id=task_id,
        batch_id=batch_id,
        file_url=file_url,
        processing_time=run.elapsed(),
        error=message,
        error_code=code.value,
        metadata=run.metadata(),
    )
    return TaskOutput(failed)


@dataclass
class _Run:
    """How far one task got: its result's metadata, however it ends."""

    mode: Literal["probe", "full"]
    started: float = field(default_factory=time.perf_counter)
    source: ByteSource | None = None
    used: AnalysisOptions | None = None

    def elapsed(self) -> float:
        return round(time.perf_counter() - self.started, 4)

    def metadata(self) -> Metadata:
        return Metadata(
            processed_at=datetime.now(UTC),
            mode=self.mode,
            bytes_read=self.source.bytes_read if self.source else 0,
            requests=self.source.requests if self.source else 0,
            options=self.used,
        )


def _analysed(
    run: _Run,
    file_url: str,
    options: AnalysisOptions,
    limits: SourceLimits,
    profile: ProfileDocument | None,
    cut: bool,
) -> Analysis:
    judged_by = _resolve(profile, options)
    run.used = judged_by.analysis_options(options)
    run.source = open_source(file_url, limits)
    box_limits = BoxLimits(max_edit_list_entries=limits.max_edit_list_entries)
    # BLAS threads that spin between the meters' small products steal the cores the
    # decoder needs; the limit holds whatever OPENBLAS_NUM_THREADS says, so importing the
    # package never has to touch the environment.
    with _blas_threads().limit(limits=1, user_api="blas"):
        return analyse(run.source, run.used, judged_by, box_limits, thumbnails=cut)


def _failure(exc: Exception, file_url: str) -> tuple[ErrorCode, str]:
    """The stable code and the sentence of a task that failed with `exc`."""
    if isinstance(exc, AnalysisError):
        return exc.code, exc.message
    if isinstance(exc, ProfileError):
        return ErrorCode.INVALID_PROFILE, str(exc)
    if isinstance(exc, MemoryError):
        return ErrorCode.INTERNAL_ERROR, "Out of memory while analysing the file"
    logger.error("unexpected error analysing %s", file_url, exc_info=exc)
    return ErrorCode.INTERNAL_ERROR, f"Unexpected error: {type(exc).__name__}: {exc}"


def _resolve(profile: ProfileDocument | None, options: AnalysisOptions) -> ResolvedProfile:
    if profile is None:
        return builtin_library().get(options.profile)
    return builtin_library().from_document(profile)
