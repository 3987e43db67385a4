"""The picture measures beyond black, frozen, blur and blockiness: framing, scan, levels,
shots, flashes, and how densely the pictures were looked at (docs/quality.md).

Every block is `None` when it was not measured: under `--probe`, at a depth that cannot
give it (flashes, shots, TI and interlace need `every_frame`), or when the sampling was
too sparse for it (`sampling.unmeasured` says which and why).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic.config import JsonDict

from mp4_small_analyser.models.base import Model

PictureDepth = Literal["sampled", "keyframes", "every_frame"]
Framing = Literal["full", "letterbox", "pillarbox", "windowbox"]
Scan = Literal["progressive", "tff", "bff", "undetermined"]
SignalledScan = Literal["progressive", "tff", "bff", "unknown"]
ScanMismatch = Literal[
    "none", "interlaced_flagged_progressive", "progressive_flagged_interlaced", "field_order"
]
RangeFlag = Literal["limited", "full"]
RangeVerdict = Literal["consistent", "full_content_flagged_limited", "limited_content_flagged_full"]
FlashKind = Literal["general", "red"]


def _unit(unit: str) -> JsonDict:
    """The field's unit, read by the QC profiles' field catalogue."""
    return {"unit": unit}


class Bars(Model):
    """Black bar thickness per side, in pixels of the coded picture."""

    top: int = Field(json_schema_extra=_unit("px"))
    bottom: int = Field(json_schema_extra=_unit("px"))
    left: int = Field(json_schema_extra=_unit("px"))
    right: int = Field(json_schema_extra=_unit("px"))


class FramingSegment(Model):
    start: float = Field(json_schema_extra=_unit("s"))
    end: float = Field(json_schema_extra=_unit("s"))
    x: int = Field(json_schema_extra=_unit("px"))
    y: int = Field(json_schema_extra=_unit("px"))
    width: int = Field(json_schema_extra=_unit("px"))
    height: int = Field(json_schema_extra=_unit("px"))
    kind: Framing


class ActiveArea(Model):
    """The picture inside black bars, as FFmpeg's cropdetect finds it (limit 24 of 255)."""

    x: int = Field(json_schema_extra=_unit("px"))
    y: int = Field(json_schema_extra=_unit("px"))
    width: int = Field(
        description="Union of the active rectangles of every analysed picture (cropdetect's "
        "x1..x2).",
        json_schema_extra=_unit("px"),
    )
    height: int = Field(json_schema_extra=_unit("px"))
    bars: Bars
    bar_share: float = Field(
        description="Share of the frame's area covered by the bars, 0 to 1.",
        json_schema_extra=_unit("share"),
    )
    kind: Framing = Field(description="A bar counts from max(2 px, 1 % of the side).")
    active_aspect_ratio: float = Field(
        description="Display width over height of the active area (pixel aspect applied)."
    )
    stable: bool = Field(description="One framing throughout (no segment of 1 s or more).")
    segments: list[FramingSegment] = Field(
        description="Runs of one framing lasting at least 1 s (at most 100)."
    )


class ScanCounts(Model):
    tff: int
    bff: int
    progressive: int
    undetermined: int


class RepeatedFields(Model):
    top: int
    bottom: int
    neither: int


class Interlace(Model):
    """Interlace and pulldown measured from the pictures (FFmpeg's idet rules), against what
    the stream signals."""

    detected: Scan = Field(description="Majority of the determined multi-picture verdicts.")
    telecine: bool = Field(description="Repeated fields in at least 15 % of the pictures.")
    signalled_field_order: SignalledScan = Field(
        description="The codec parameters' field order (ffprobe's field_order)."
    )
    signalled_interlaced_share: float = Field(
        description="Share of decoded frames flagged interlaced, 0 to 1.",
        json_schema_extra=_unit("share"),
    )
    pictures: int = Field(description="Pictures classified (a triplet every ~0.5 s).")
    single: ScanCounts = Field(description="Per-picture verdicts (idet's single frame).")
    multi: ScanCounts = Field(description="Smoothed verdicts (idet's multi frame).")
    repeated_fields: RepeatedFields
    mismatch: ScanMismatch | None = Field(
        description="The pictures against the signalling; null when the pictures do not tell "
        "(too little motion)."
    )


class ChannelLevels(Model):
    """One plane's 8-bit code values (signalstats' MIN, LOW, AVG, HIGH, MAX)."""

    minimum: int = Field(description="Lowest code in any analysed picture.")
    low: float = Field(description="Mean over pictures of the 10th percentile.")
    average: float
    high: float = Field(description="Mean over pictures of the 90th percentile.")
    maximum: int
    p1: int = Field(description="File-wide percentiles of the summed histograms.")
    p10: int
    p50: int
    p90: int
    p99: int


class Levels(Model):
    """Code levels and broadcast-legal range (signalstats, stat=brng), once a second."""

    y: ChannelLevels
    u: ChannelLevels | None = None
    v: ChannelLevels | None = None
    out_of_range_mean: float = Field(
        description="Mean share of pixels outside Y 16-235 / C 16-240 (signalstats BRNG), 0 to 1.",
        json_schema_extra=_unit("share"),
    )
    out_of_range_max: float = Field(json_schema_extra=_unit("share"))
    out_of_range_pictures: float = Field(
        description="Share of analysed pictures with more than 1 % of pixels out of range.",
        json_schema_extra=_unit("share"),
    )
    range_flag: RangeFlag = Field(description="The range the stream signals.")
    range_verdict: RangeVerdict = Field(
        description="Whether the content's levels fit the signalled range (a heuristic)."
    )


class Shots(Model):
    """Hard cuts found as FFmpeg's scdet finds them (threshold 10)."""

    cut_count: int
    shot_count: int
    average_shot_length: float | None = Field(json_schema_extra=_unit("s"))
    cuts: list[float] = Field(description="Cut times in seconds (the first 1000).")


class FlashSegment(Model):
    start: float = Field(json_schema_extra=_unit("s"))
    end: float = Field(json_schema_extra=_unit("s"))
    kind: FlashKind
    peak_frequency: float = Field(json_schema_extra=_unit("flashes/s"))


class Flashes(Model):
    """Photosensitive-epilepsy flashes, ITU-R BT.1702 / Ofcom thresholds (docs/quality.md)."""

    passed: bool = Field(description="No more than 3 flashes in any second over > 1/4 screen.")
    peak_frequency: float = Field(
        description="Most general flashes in any one second over more than a quarter of the "
        "screen.",
        json_schema_extra=_unit("flashes/s"),
    )
    red_peak_frequency: float = Field(json_schema_extra=_unit("flashes/s"))
    flashes_per_second: list[float] = Field(
        description="General flashes in each whole second of media (at most 3600)."
    )
    red_flashes_per_second: list[float]
    failing_segments: list[FlashSegment]
    extended_segments: list[FlashSegment] = Field(
        description="2-3 flashes a second kept up for 4 s within 5 s (a warning, not a fail)."
    )
    extended_seconds: float = Field(
        description="Length of the longest extended segment, 0 when there is none.",
        json_schema_extra=_unit("s"),
    )
    max_flashing_area: float = Field(
        description="Largest share of the screen flashing more than 3 times in a second.",
        json_schema_extra=_unit("share"),
    )
    display_peak: float = Field(
        description="White of the display model the luminances assume.",
        json_schema_extra=_unit("cd/m²"),
    )


class Unmeasured(Model):
    measure: str = Field(
        description="The measure left null: black (black_percentage, black_segments), frozen, "
        "blur, blockiness, brightness, contrast, active_area, levels, si (si_mean, si_max), "
        "ti (ti_mean, ti_max), shots, interlace or flashes."
    )
    cause: Literal["depth", "sparse"] = Field(
        description="depth: the depth used never measures it (every_frame does); sparse: the "
        "analysed pictures were too far apart for it."
    )
    reason: str


class PictureSampling(Model):
    """How densely the pictures were looked at, and what that could not support."""

    depth: PictureDepth
    frames_decoded: int
    max_gap: float = Field(
        description="Largest stretch of media without an analysed picture (start and end "
        "included).",
        json_schema_extra=_unit("s"),
    )
    unmeasured: list[Unmeasured] = Field(
        description="Measures left null at this depth or because the sampling was too sparse."
    )
