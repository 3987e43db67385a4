"""Queue messages: the work a worker is handed, small and self-describing (JSON bodies).

`AnalyseMessage` carries everything to run a task and to recreate its record;
`DeliverMessage` is a delayed retry of a callback whose body is in the store.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

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


QueueMessage = Annotated[AnalyseMessage | DeliverMessage, Field(discriminator="kind")]
message_adapter: TypeAdapter[AnalyseMessage | DeliverMessage] = TypeAdapter(QueueMessage)


def encode_message(message: AnalyseMessage | DeliverMessage) -> str:
    return message.model_dump_json()


def decode_message(body: str | bytes) -> AnalyseMessage | DeliverMessage:
    """Parse a message body; raises pydantic.ValidationError on a malformed one."""
    return message_adapter.validate_json(body)
