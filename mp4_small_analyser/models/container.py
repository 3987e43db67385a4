"""The file as a whole and its tracks, as the container describes them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mp4_small_analyser.models.base import Model


class FileInfo(Model):
    file_size: int
    duration: float | None = Field(None, description="Seconds, as ffprobe's format duration.")
    format: str = Field(description='"mp4", "mov", "3gp", "m4a", ...')
    major_brand: str | None = None
    compatible_brands: list[str] = Field(default_factory=list)
    bit_rate: int | None = Field(None, description="Overall bits per second.")
    faststart: bool = Field(description="moov comes before mdat, so playback can start early.")
    fragmented: bool = Field(description="Has mvex/moof (fragmented MP4).")
    track_count: int
    creation_time: datetime | None = None


class Track(Model):
    index: int
    type: Literal["video", "audio", "subtitle", "data", "attachment", "unknown"]
    codec: str | None = None
    duration: float | None = None
    language: str | None = None
    encrypted: bool = False
