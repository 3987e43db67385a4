"""Queue messages: the work a worker is handed, small and self-describing (JSON bodies).

`AnalyseMessage` carries everything to run a task and to recreate its record;
`DeliverMessage` is a delayed retry of a callback whose body is in the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from mp4_small_analyser.analysis.judging import ProfileDocument
from mp4_small_analyser.options import AnalysisOptions
from mp4_small_analyser.stores.records import CallbackMethod


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str
    timestamp: str = Field(description="Sort key of the task's record.")


class AnalyseMessage(_Message):
    kind: Literal["analyse"] = "analyse"
    batch_id: str
    file_url: str
    callback_url: str | None = None
    method: CallbackMethod = "POST"
    options: AnalysisOptions = Field(default_factory=AnalysisOptions)
    profile: ProfileDocument | None = Field(
        None,
        description="The QC profile validated at submission, parents merged in (self-contained); "
        "None: the built-in `options.profile`.",
    )


class DeliverMessage(_Message):
    kind: Literal["deliver"] = "deliver"
    batch_id: str | None = None
    attempt: int = Field(ge=2, description="The attempt this message makes (the 1st is inline).")
    due_at: float | None = Field(
        None,
        allow_inf_nan=False,
        description="Unix time the attempt is due. A queue that cannot delay it that long "
        "(SQS: 900 s) hands it out early; the handler then queues it again for the rest.",
    )


@dataclass(frozen=True)
class UnreadableMessage:
    """A queue body that does not parse as a message (a poison message): never retried,
    its task failed (UNREADABLE_TASK) and the body dead-lettered."""

    body: str
    error: str

    def field(self, name: str) -> str | None:
        """A string field of the body, when the body is a JSON object holding one."""
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return None
        value = parsed.get(name) if isinstance(parsed, dict) else None
        return value if isinstance(value, str) else None


QueueMessage = Annotated[AnalyseMessage | DeliverMessage, Field(discriminator="kind")]
message_adapter: TypeAdapter[AnalyseMessage | DeliverMessage] = TypeAdapter(QueueMessage)


def encode_message(message: AnalyseMessage | DeliverMessage) -> str:
    return message.model_dump_json()


def decode_message(body: str | bytes) -> AnalyseMessage | DeliverMessage:
    """Parse a message body; raises pydantic.ValidationError on a malformed one."""
    return message_adapter.validate_json(body)


def read_message(body: str) -> AnalyseMessage | DeliverMessage | UnreadableMessage:
    """Parse a message body; a malformed one comes back as an UnreadableMessage."""
    try:
        return decode_message(body)
    except ValidationError as exc:
        errors = exc.errors()
        reason = (
            f"{'.'.join(map(str, errors[0]['loc']))}: {errors[0]['msg']}" if errors else str(exc)
        )
        return UnreadableMessage(body=body, error=reason)
