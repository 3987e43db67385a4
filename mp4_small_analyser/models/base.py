"""What every result model shares: unknown fields are refused, so a renamed field fails loudly."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Segment = tuple[float, float]
"""A [start, end] interval in seconds of media time."""


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")
