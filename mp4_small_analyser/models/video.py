"""The video track: container facts, picture measures and quality score, flat in JSON."""

from __future__ import annotations

from pydantic import Field

from mp4_small_analyser.models.base import Model, Segment
from mp4_small_analyser.models.picture import (
    ActiveArea,
    Flashes,
    Interlace,
    Levels,
    PictureSampling,
    Shots,
)
from mp4_small_analyser.models.scoring import QualityScore, Scored, scored


class Color(Model):
    primaries: str | None = None
    transfer: str | None = None
    matrix: str | None = None
    range: str | None = None


class VideoFacts(Model):
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


class PictureMeasures(Model):
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
    active_area: ActiveArea | None = None
    interlace: Interlace | None = None
    levels: Levels | None = None
    shots: Shots | None = None
    si_mean: float | None = Field(
        None, description="ITU-T P.910 spatial information, mean over the sampled pictures."
    )
    si_max: float | None = None
    ti_mean: float | None = Field(
        None, description="ITU-T P.910 temporal information, mean over the frames (every_frame)."
    )
    ti_max: float | None = None
    flashes: Flashes | None = None
    sampling: PictureSampling | None = None


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
            **scored(quality).model_dump(),
        )
