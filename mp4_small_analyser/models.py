"""The task result: what the CLI prints, the store keeps and callbacks carry.

Defined once here; `task_result_json_schema()` is what the docs show.
Fields that a given mode does not compute (signal metrics under `--probe`)
stay `None`, so consumers can tell "not measured" from "zero".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from mp4_small_analyser import __version__

Segment = tuple[float, float]
"""A [start, end] interval in seconds of media time."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileInfo(_Model):
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


class Color(_Model):
    primaries: str | None = None
    transfer: str | None = None
    matrix: str | None = None
    range: str | None = None


class QualityScore(_Model):
    score: float = Field(ge=0.0, le=1.0)
    components: dict[str, float] = Field(
        default_factory=dict, description="Each component in [0, 1]; see docs/quality.md."
    )


class Clipping(_Model):
    count: int = Field(description="Samples at full scale inside runs of >= 3 consecutive ones.")
    ratio: float
    runs: int


class VideoFacts(_Model):
    """What the container and the codec parameters say about the video track (the probe)."""

    codec: str
    profile: str | None = None
    level: int | None = None
    width: int | None = None
    height: int | None = None
    resolution: str | None = None
    display_aspect_ratio: str | None = None
    frame_rate: float | None = None
    variable_frame_rate: bool = False
    frame_count: int | None = None
    duration: float | None = None
    bit_rate: int | None = None
    pixel_format: str | None = None
    bit_depth: int | None = None
    rotation: int = 0
    color: Color | None = None
    keyframe_interval: float | None = None
    encrypted: bool = False


class PictureMeasures(_Model):
    """What the decoded pictures show (full analysis only; `None` when not measured)."""

    frames_analysed: int | None = None
    black_percentage: float | None = None
    black_segments: list[Segment] | None = None
    frozen_percentage: float | None = None
    frozen_segments: list[Segment] | None = None
    blur: float | None = None
    blockiness: float | None = None
    brightness: float | None = None
    contrast: float | None = None


class Scored(_Model):
    quality_score: float | None = Field(None, ge=0.0, le=1.0)
    quality: QualityScore | None = None


class VideoAnalysis(Scored, PictureMeasures, VideoFacts):
    """The video track: its facts, the picture measures and the quality score, in one flat
    object (the callback contract); built through `assemble`, never piecemeal."""

    @classmethod
    def assemble(
        cls,
        facts: VideoFacts,
        measures: PictureMeasures | None = None,
        quality: QualityScore | None = None,
    ) -> VideoAnalysis:
        return cls(
            **facts.model_dump(),
            **(measures or PictureMeasures()).model_dump(),
            **_scored(quality).model_dump(),
        )


class AudioFacts(_Model):
    """What the container and the codec parameters say about an audio track (the probe)."""

    codec: str
    profile: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    channel_layout: str | None = None
    bit_rate: int | None = None
    duration: float | None = None
    encrypted: bool = False


class AudioMeasures(_Model):
    """What the decoded signal shows (full analysis only; `None` when not measured)."""

    loudness_integrated: float | None = Field(None, description="LUFS, gated (BS.1770-4).")
    loudness_range: float | None = Field(None, description="LU (EBU Tech 3342).")
    true_peak: float | None = Field(None, description="dBTP, 4x oversampled.")
    sample_peak: float | None = Field(None, description="dBFS.")
    max_momentary: float | None = None
    max_short_term: float | None = None
    short_term_series: list[float | None] | None = Field(
        None, description="Short-term loudness once a second (LUFS; null below -70)."
    )
    silence_percentage: float | None = None
    silence_segments: list[Segment] | None = Field(
        None, description="[start, end] seconds of the first 100 silences (silencedetect rules)."
    )
    silence_segment_count: int | None = Field(
        None, description="How many silences there are, including those not listed."
    )
    clipping: Clipping | None = None
    dc_offset: list[float] | None = Field(None, description="Mean sample value per channel.")
    channels_silent: list[int] | None = Field(
        None, description="Indexes of channels that are digital silence while others are not."
    )
    phase_correlation: float | None = None
    phase_issue: bool | None = None


class AudioAnalysis(Scored, AudioMeasures, AudioFacts):
    """An audio track: its facts, the signal measures and the quality score, in one flat
    object (the callback contract); built through `assemble`, never piecemeal."""

    @classmethod
    def assemble(
        cls,
        facts: AudioFacts,
        measures: AudioMeasures | None = None,
        quality: QualityScore | None = None,
    ) -> AudioAnalysis:
        return cls(
            **facts.model_dump(),
            **(measures or AudioMeasures()).model_dump(),
            **_scored(quality).model_dump(),
        )


def _scored(quality: QualityScore | None) -> Scored:
    if quality is None:
        return Scored()
    return Scored(quality_score=round(quality.score, 3), quality=quality)


class Track(_Model):
    index: int
    type: Literal["video", "audio", "subtitle", "data", "attachment", "unknown"]
    codec: str | None = None
    duration: float | None = None
    language: str | None = None
    encrypted: bool = False


class Check(_Model):
    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    value: float | str | bool | None = None
    limit: float | str | None = None


class Results(_Model):
    file_info: FileInfo
    video_analysis: VideoAnalysis | None = None
    audio_analysis: AudioAnalysis | None = None
    tracks: list[Track] = Field(default_factory=list)
    profile: str | None = Field(None, description="QC profile the checks were judged against.")
    checks: list[Check] = Field(default_factory=list)

    def judged(self, checks: list[Check]) -> Results:
        """These results with the checks they raised (`checks` replaces any earlier list)."""
        return Results(
            file_info=self.file_info,
            video_analysis=self.video_analysis,
            audio_analysis=self.audio_analysis,
            tracks=self.tracks,
            profile=self.profile,
            checks=checks,
        )


class Metadata(_Model):
    processor: Literal["mp4_small_analyser"] = "mp4_small_analyser"
    version: str = __version__
    processed_at: datetime
    mode: Literal["probe", "full"] = "probe"
    bytes_read: int = 0
    requests: int = 0


class CompletedResult(_Model):
    status: Literal["completed"] = "completed"
    task_id: str
    batch_id: str | None = None
    file_url: str
    processing_time: float = Field(description="Seconds spent on this file.")
    results: Results
    metadata: Metadata


class FailedResult(_Model):
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


def task_result_json_schema() -> dict[str, object]:
    return task_result_adapter.json_schema()
