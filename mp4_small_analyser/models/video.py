"""The video track: container facts, picture measures and quality score, flat in JSON."""

from __future__ import annotations

from typing import Literal

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


class MasteringDisplay(Model):
    """SMPTE ST 2086: CIE 1931 xy of the primaries and white point, luminance in cd/m²."""

    red: tuple[float, float]
    green: tuple[float, float]
    blue: tuple[float, float]
    white: tuple[float, float]
    max_luminance: float
    min_luminance: float


class ContentLight(Model):
    """CTA-861.3, cd/m²."""

    max_cll: int
    max_fall: int


class DolbyVision(Model):
    profile: int
    level: int
    compatibility_id: int = Field(description="0 none, 1 HDR10, 2 SDR, 4 HLG, 6 BT.2020.")
    rpu: bool
    el: bool
    bl: bool


class ColourMismatch(Model):
    field: str = Field(description="primaries, transfer, matrix, range, mastering_display, ...")
    container: str
    bitstream: str


HdrFormat = Literal["SDR", "SDR (BT.2020)", "HDR10", "HDR10+", "PQ10", "HLG", "Dolby Vision"]


class Hdr(Model):
    format: HdrFormat = Field(description="The strongest format the stream signals.")
    formats: list[HdrFormat] = Field(
        description="Every format it qualifies for: Dolby Vision 8.1 also plays as HDR10."
    )
    mastering_display: MasteringDisplay | None = None
    content_light: ContentLight | None = None
    dolby_vision: DolbyVision | None = None
    metadata_source: Literal["container", "bitstream", "both"] | None = None
    mismatches: list[ColourMismatch] = Field(
        default_factory=list, description="Container (colr, mdcv, clli) against the bitstream."
    )


class Gop(Model):
    """From the sample tables (and the sync samples' NAL types); nothing is decoded."""

    keyframes: int
    interval_min: float | None = Field(None, description="Seconds between sync samples.")
    interval_max: float | None = None
    interval_mean: float | None = None
    frames_min: int | None = None
    frames_max: int | None = None
    b_frames: bool = Field(description="Frames shown in another order than decoded.")
    open_gop: bool | None = Field(
        None, description="Pictures after a keyframe refer before it; null when unknown."
    )


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
    hdr: Hdr | None = None
    gop: Gop | None = None


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
