"""The task result: what the CLI prints, the store keeps and callbacks carry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from mp4_small_analyser import __version__
from mp4_small_analyser.models.base import Model
from mp4_small_analyser.models.results import Results
from mp4_small_analyser.options import AnalysisOptions


class Metadata(Model):
    processor: Literal["mp4_small_analyser"] = "mp4_small_analyser"
    version: str = __version__
    processed_at: datetime
    mode: Literal["probe", "full"] = "probe"
    bytes_read: int = 0
    requests: int = 0
    options: AnalysisOptions | None = Field(
        None,
        description="The analysis options the result was measured with (the profile's `analysis` "
        "block applied): re-judging compares them with what another profile asks for.",
    )


class CompletedResult(Model):
    status: Literal["completed"] = "completed"
    task_id: str
    batch_id: str | None = None
    file_url: str
    processing_time: float = Field(description="Seconds spent on this file.")
    results: Results
    metadata: Metadata


class FailedResult(Model):
    status: Literal["failed"] = "failed"
    task_id: str
    batch_id: str | None = None
    file_url: str
    processing_time: float
    error: str = Field(description="A human sentence; may change between versions.")
    error_code: str = Field(description="Stable code, see mp4_small_analyser.errors.ErrorCode.")
    metadata: Metadata


TaskResult = Annotated[CompletedResult | FailedResult, Field(discriminator="status")]
task_result_adapter: TypeAdapter[CompletedResult | FailedResult] = TypeAdapter(TaskResult)


class ReceivedResult(BaseModel):
    """A result as another analyser sends it (the original design's callback body): lenient
    on content, strict on types. Unknown fields are kept as they are; `task_id` may be left
    out (the callback's path gives it)."""

    model_config = ConfigDict(extra="allow")

    status: Literal["queued", "running", "completed", "failed"]
    task_id: str | None = None
    batch_id: str | None = None
    file_url: str | None = None
    processing_time: float | None = None
    # Another analyser's results and metadata: their content is its own, not ours to type.
    results: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    error: str | None = None
    error_code: str | None = None


def task_result_json_schema() -> dict[str, object]:
    return task_result_adapter.json_schema()
