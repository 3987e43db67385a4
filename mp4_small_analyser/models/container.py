"""The file as a whole and its tracks, as the container describes them.

Three durations are easily confused (docs/quality.md, "Durations"): `FileInfo.duration`
is ffprobe's format duration (the movie header's for unfragmented files, as ffprobe
5.x prints it), `duration_from_streams` what newer FFmpeg computes from the tracks,
and per track `declared_duration` (tkhd), `duration` (ffprobe's stream duration) and
`media_duration` (what actually plays: the edit list applied to the samples present).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mp4_small_analyser.models.base import Model


class FileInfo(Model):
    file_size: int
    duration: float | None = Field(
        None, description="Seconds, as ffprobe's format duration (mvhd unless fragmented)."
    )
    duration_from_streams: float | None = Field(
        None, description="Seconds from the tracks' ends, as FFmpeg 6+ computes it."
    )
    start_time: float | None = Field(None, description="Seconds, as ffprobe's format start.")
    format: str = Field(description='"mp4", "mov", "3gp", "m4a", ...')
    major_brand: str | None = None
    compatible_brands: list[str] = Field(default_factory=list)
    bit_rate: int | None = Field(None, description="Overall bits per second.")
    faststart: bool = Field(description="moov comes before mdat, so playback can start early.")
    fragmented: bool = Field(description="Has mvex/moof (fragmented MP4).")
    track_count: int
    creation_time: datetime | None = None
    truncated: bool = Field(
        False, description="Samples the tables list lie beyond the end of the file."
    )
    bytes_missing: int = Field(0, description="Bytes the tables and boxes claim past the end.")
    seconds_missing: float = Field(0.0, description="Longest missing stretch of any track.")
    playable_until: float | None = Field(
        None, description="Seconds of media present before the first missing sample."
    )


class Track(Model):
    index: int
    type: Literal["video", "audio", "subtitle", "data", "attachment", "unknown"]
    codec: str | None = None
    duration: float | None = Field(None, description="Seconds, as ffprobe's stream duration.")
    language: str | None = None
    encrypted: bool = False
    track_id: int | None = Field(None, description="tkhd track_ID.")
    start_time: float | None = Field(None, description="Seconds; later by leading empty edits.")
    declared_duration: float | None = Field(None, description="Seconds, as tkhd declares.")
    media_duration: float | None = Field(
        None, description="Seconds that play: the edit list applied to the samples present."
    )
    samples_missing: int = Field(0, description="Samples whose bytes lie past the end.")
    samples_outside_mdat: int = Field(0, description="Samples the tables put outside mdat.")
    bit_rate: int | None = Field(None, description="Bits per second of the samples.")
    bit_rate_series: list[int] | None = Field(
        None, description="Bits in each second of the track (decode time), first hour."
    )
    bit_rate_peak_1s: int | None = Field(
        None, description="Most bits in any 1 s window (bits/s); null under 1 s."
    )
    bit_rate_peak_5s: int | None = Field(
        None, description="Most bits in any 5 s window, per second; null under 5 s."
    )
