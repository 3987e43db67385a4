"""Request and response bodies of the HTTP API (what /docs shows).

Submissions come in the two shapes of the original design, told apart by
their list key: `mp4_small_analyser` (one object per file) or `files_url`
(plain URLs sharing one callback base URL).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)

from mp4_small_analyser.models import CompletedResult, FailedResult, ReceivedResult, TaskResult
from mp4_small_analyser.options import AnalysisOptions
from mp4_small_analyser.service.errors import ErrorResponse as ErrorResponse
from mp4_small_analyser.service.judging import ProfileReference
from mp4_small_analyser.stores.records import ID_PATTERN as ID_PATTERN
from mp4_small_analyser.stores.records import (
    BatchSummary,
    CallbackMethod,
    TaskRecord,
    TaskStatus,
)

MAX_URL_LENGTH = 4096
RECEIVED_SHOWN = 10

Identifier = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN),
    Field(description="1-128 characters: letters, digits, '.', '_', ':', '-'."),
]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL_LENGTH)
]


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


Method = Annotated[CallbackMethod, BeforeValidator(_upper)]


class _Request(BaseModel):
    # Strict: "yes" is not a boolean, "5" not a number; infinities and NaN are refused.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class AnalysisCommand(_Request):
    file_url: Url
    callback_url: Url | None = Field(None, description="Where this file's result is sent.")
    task_id: Identifier | None = Field(None, description="Generated (UUID4) when absent.")
    batch_id: Identifier | None = None
    method: Method | None = Field(None, description="Callback method, POST (default) or PUT.")
    profile: ProfileReference | None = Field(None, description="This file's QC profile.")


class _Submission(_Request):
    batch_id: Identifier | None = Field(None, description="Generated (UUID4) when absent.")
    method: Method | None = Field(None, description="Callback method, POST (default) or PUT.")
    profile: ProfileReference | None = Field(
        None, description="QC profile of every file (a file's own `profile` wins)."
    )
    options: AnalysisOptions | None = None


class CommandsRequest(_Submission):
    mp4_small_analyser: list[AnalysisCommand] = Field(min_length=1)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mp4_small_analyser": [
                        {
                            "file_url": "https://example.com/video1.mp4",
                            "callback_url": "https://your-api.com/callback/task-001",
                            "task_id": "task-001",
                        }
                    ]
                }
            ]
        }
    )


class FilesUrlRequest(_Submission):
    files_url: list[Url] = Field(min_length=1)
    callback_url: Url | None = Field(
        None, description="Base URL: each task's callback goes to {callback_url}/{task_id}."
    )


COMMANDS_SHAPE = "mp4_small_analyser request"
FILES_URL_SHAPE = "files_url request"
SHAPE_TAGS = frozenset({COMMANDS_SHAPE, FILES_URL_SHAPE})
"""Tags of the submission union: validation errors put one first in their `loc`; being no
field name, the error handler drops them so errors name the request's own fields."""


def _shape(value: Any) -> str | None:
    keys = value if isinstance(value, dict) else vars(value) if isinstance(value, BaseModel) else {}
    if "mp4_small_analyser" in keys:
        return COMMANDS_SHAPE
    if "files_url" in keys:
        return FILES_URL_SHAPE
    return None


SubmissionRequest = Annotated[
    Annotated[CommandsRequest, Tag(COMMANDS_SHAPE)]
    | Annotated[FilesUrlRequest, Tag(FILES_URL_SHAPE)],
    Discriminator(
        _shape,
        custom_error_type="request_shape",
        custom_error_message="Give either 'mp4_small_analyser' (a list of objects with "
        "'file_url') or 'files_url' (a list of URLs)",
    ),
]


class QueuedTask(BaseModel):
    task_id: str
    file_url: str = Field(description="Redacted: no password or signed-URL token.")
    callback_url: str | None
    status: TaskStatus = Field(
        "queued", description="queued; or, for a task submitted again identically, its status."
    )


class AsyncResponse(BaseModel):
    mode: Literal["async"] = "async"
    batch_id: str
    total_files: int
    tasks: list[QueuedTask]
    batch_url: str = Field(description="Where to read the batch's progress and results.")


class SyncResponse(BaseModel):
    mode: Literal["sync"] = "sync"
    batch_id: str
    total_files: int
    successful: int
    failed: int
    results: list[TaskResult]

    @classmethod
    def of(cls, batch_id: str, results: list[CompletedResult | FailedResult]) -> SyncResponse:
        successful = sum(result.status == "completed" for result in results)
        return cls(
            batch_id=batch_id,
            total_files=len(results),
            successful=successful,
            failed=len(results) - successful,
            results=results,
        )


class ReceivedCallback(ReceivedResult):
    """A callback body as the original's examples (the stored `ReceivedResult`), its batch id
    one the service's reads can name."""

    batch_id: Identifier | None = None


class SimulateRequest(_Request):
    task_id: Identifier | None = Field(None, description="Generated (UUID4) when absent.")
    status: Literal["completed", "failed"] = "completed"
    file_url: Url = "https://example.com/test.mp4"
    batch_id: Identifier | None = None


class TaskView(TaskRecord):
    """`GET /callback/{task_id}`: the task's record, with `source` telling whose it is.

    When the service ran the task, the top-level fields are its own record (`source`
    "service"), whatever callbacks came in since: a received callback never replaces
    it. Otherwise they are the latest received record (`callback` or `simulated`), as in
    the original callback stack."""

    received: list[TaskRecord] = Field(
        default_factory=list,
        description="Records received for this task (callbacks, simulations) other than the "
        f"top-level one, newest first, at most {RECEIVED_SHOWN}.",
    )


class RedeliveryResponse(BaseModel):
    task_ids: list[str] = Field(description="Tasks whose failed callback is queued again.")
    count: int


class BatchResponse(BaseModel):
    batch_id: str
    summary: BatchSummary
    tasks: list[TaskRecord]
    next_token: str | None = Field(None, description="Pass as ?next_token= for the next page.")


class RecordList(BaseModel):
    count: int
    items: list[TaskRecord]
