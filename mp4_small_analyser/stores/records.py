"""What the result store keeps: one record per (task_id, timestamp), as the original table.

A task the service runs has one record, written `queued` at submission and
updated in place as it runs and as its callback is delivered. A callback
received on `POST /callback/{task_id}` (or simulated) adds a record of its own,
so the latest record of a task is the one with the greatest `timestamp`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_serializer

from mp4_small_analyser.models import CompletedResult, FailedResult, ReceivedResult, VerdictStatus

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
"""Task and batch ids: 1-128 letters, digits, '.', '_', ':', '-' (safe in a URL path, a file
name and a DynamoDB key; "~" starts none, so store-internal items cannot collide)."""
TaskStatus = Literal["queued", "running", "completed", "failed"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed"})
RecordSource = Literal["service", "callback", "simulated"]
CallbackStatus = Literal["pending", "retrying", "delivered", "failed"]
CallbackMethod = Literal["POST", "PUT"]

StoredPayload = CompletedResult | FailedResult | ReceivedResult
RecordPayload = Annotated[StoredPayload, Field(union_mode="left_to_right")]
"""What a record holds: a task result (the service's own, or one received that is one), else
a received body kept as it came (a callback from another analyser, or a result the store had
to shorten past the task result's shape)."""
record_payload_adapter: TypeAdapter[StoredPayload] = TypeAdapter(RecordPayload)


def payload_json(payload: StoredPayload) -> dict[str, Any]:
    """The payload as stored and sent: a task result whole, a received body as it came."""
    return payload.model_dump(mode="json", exclude_unset=isinstance(payload, ReceivedResult))


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds, fixed width, so text order is time order."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expiry(ttl_days: float, moment: datetime | None = None) -> int | None:
    """Unix time a record may be deleted at (DynamoDB TTL attribute), None to keep it."""
    if ttl_days <= 0:
        return None
    return int(((moment or datetime.now(UTC)) + timedelta(days=ttl_days)).timestamp())


class Delivery(BaseModel):
    """Where a task's callback goes and how its delivery went."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        description="As given (the sender needs it whole); answers and logs show it redacted."
    )
    method: CallbackMethod = "POST"
    status: CallbackStatus = "pending"
    attempts: int = 0
    last_http_status: int | None = None
    last_error: str | None = None
    first_attempt: int = Field(
        1, description="The attempt the current series began with (> 1 after a re-delivery)."
    )


class TaskRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_id: str
    timestamp: str = Field(description="Sort key: ISO 8601 UTC, microseconds.")
    batch_id: str | None = None
    status: TaskStatus
    source: RecordSource = "service"
    file_url: str | None = None
    payload: RecordPayload | None = Field(
        None, description="The task result (service) or the received callback body."
    )
    callback: Delivery | None = Field(None, description="Absent when there is no callback URL.")
    updated_at: str
    expires_at: int | None = Field(None, description="Unix time; the record may go after it.")
    truncated: dict[str, int] | None = Field(
        None,
        description="Lists and strings of `payload` the store shortened to keep the record "
        "under its item size limit (DynamoDB: 400 KB): JSON Pointer → original length.",
    )
    request_digest: str | None = Field(
        None,
        description="SHA-256 of the command that queued the task (service records): a later "
        "submission of the same task_id is idempotent when identical, refused otherwise.",
    )

    @field_serializer("payload")
    def _payload_as_stored(self, payload: StoredPayload | None) -> dict[str, Any] | None:
        return None if payload is None else payload_json(payload)


def received_record(
    task_id: str,
    payload: StoredPayload,
    *,
    status: TaskStatus,
    batch_id: str | None,
    file_url: str | None,
    source: RecordSource,
    ttl_days: float,
) -> TaskRecord:
    """A new record for a payload that came from outside the service's own workers."""
    now = utc_timestamp()
    return TaskRecord(
        task_id=task_id,
        timestamp=now,
        batch_id=batch_id,
        status=status,
        source=source,
        file_url=file_url,
        payload=payload,
        updated_at=now,
        expires_at=expiry(ttl_days),
    )


class RecordUpdate(BaseModel):
    """Fields to change on a stored record; fields left unset are kept."""

    model_config = ConfigDict(extra="forbid")

    status: TaskStatus | None = None
    payload: RecordPayload | None = None
    callback: Delivery | None = None

    def apply(self, record: TaskRecord, updated_at: str) -> TaskRecord:
        changes = {name: getattr(self, name) for name in self.model_fields_set}
        return record.model_copy(update={**changes, "updated_at": updated_at})


def record_verdict(payload: StoredPayload | None) -> VerdictStatus | None:
    """The QC verdict a record's payload (a task result) carries, if any."""
    if isinstance(payload, CompletedResult):
        return None if payload.results.verdict is None else payload.results.verdict.status
    results = payload.results if isinstance(payload, ReceivedResult) else None
    verdict = results.get("verdict") if isinstance(results, dict) else None
    status = verdict.get("status") if isinstance(verdict, dict) else None
    return status if status in get_args(VerdictStatus) else None


def _no_verdicts() -> dict[VerdictStatus, int]:
    return dict.fromkeys(get_args(VerdictStatus), 0)


class BatchSummary(BaseModel):
    total: int = 0
    queued: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    verdicts: dict[VerdictStatus, int] = Field(
        default_factory=_no_verdicts,
        description="Completed tasks by QC verdict (pass / warn / fail).",
    )

    @classmethod
    def of(cls, statuses: Sequence[str], verdicts: Sequence[str | None] = ()) -> BatchSummary:
        summary = cls(total=len(statuses))
        for status in ("queued", "running", "completed", "failed"):
            setattr(summary, status, statuses.count(status))
        for verdict in summary.verdicts:
            summary.verdicts[verdict] = list(verdicts).count(verdict)
        return summary

    @property
    def done(self) -> bool:
        return self.completed + self.failed == self.total


class BatchDigest(BaseModel):
    """One batch in a list of recent batches: when it was submitted and how far it got."""

    batch_id: str
    submitted_at: str = Field(description="Timestamp of the batch's first record.")
    summary: BatchSummary


class BatchPage(BaseModel):
    """One page of a batch's tasks (latest record each, in submission order)."""

    records: list[TaskRecord]
    next_token: str | None = None
