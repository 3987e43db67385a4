"""The active picture area: black bars around the picture (letterbox, pillarbox).

Follows FFmpeg's cropdetect (default mode "black"): a line or column of the
luma plane belongs to a bar when its mean level, truncated to an integer, is
at most `limit` (24 on 8 bits, cropdetect's default 24/255 of the range; the
same code value whatever the range, as cropdetect does). The active rectangle
of a picture runs from the first to the last line and column above the
limit. cropdetect reports the union over all frames since its start (its
corners only ever move outwards, without `reset`); `ActiveAreaResult` gives
that union too (x, y, width, height, bars), and in addition the rectangle of
each run of pictures, so a change of framing (a 4:3 insert in 16:9, an ad
with different bars) shows as segments with times.

Differences from cropdetect, on purpose: no rounding of width and height to
multiples of 16 (cropdetect's `round`, meant for choosing a crop, not for
measuring); pictures with no line above the limit (black frames, fades) are
left out instead of leaving the previous rectangle; the first two frames are
not skipped. Dark scenes whose outer lines average under the limit read as
bars, as in cropdetect; a run must last `min_duration` to count as a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]

LIMIT = 24
"""cropdetect's default `limit` on 8 bits (24/255 of 255)."""
MIN_BAR_SHARE = 0.01
"""A bar thinner than this share of the picture's side (and than 2 px) is edge noise, not a bar."""

Kind = Literal["full", "letterbox", "pillarbox", "windowbox"]


@dataclass(frozen=True)
class Rect:
    """Active rectangle in pixels of the coded picture (inclusive-exclusive)."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Bars:
    """Bar thickness per side, in pixels."""

    top: int
    bottom: int
    left: int
    right: int


@dataclass(frozen=True)
class AreaSegment:
    start: float
    end: float
    """Seconds; a sampled picture stands for the time up to the next one."""
    rect: Rect
    bars: Bars
    kind: Kind


@dataclass(frozen=True)
class ActiveAreaResult:
    frame_width: int
    frame_height: int
    rect: Rect
    """Union of the active rectangles of all measured pictures (cropdetect's x1..x2, y1..y2)."""
    bars: Bars
    kind: Kind
    active_aspect_ratio: float
    """Width over height of `rect` in display units (sample aspect ratio applied)."""
    stable: bool
    """One segment: the framing did not change."""
    segments: list[AreaSegment]
    frames: int
    """Pictures with an active area (black pictures are not counted)."""


def active_rect(luma: U8, limit: int = LIMIT) -> Rect | None:
    """The active rectangle of one picture, or None when every line is at most `limit`."""
    height, width = luma.shape
    # Integer means truncated, as cropdetect's checkline divides its integer total.
    row_means = luma.sum(axis=1, dtype=np.uint32) // np.uint32(width)
    rows = np.flatnonzero(row_means > limit)
    if rows.size == 0:
        return None
    col_means = luma.sum(axis=0, dtype=np.uint32) // np.uint32(height)
    cols = np.flatnonzero(col_means > limit)
    if cols.size == 0:
        return None
    y1, y2 = int(rows[0]), int(rows[-1])
    x1, x2 = int(cols[0]), int(cols[-1])
    return Rect(x1, y1, x2 - x1 + 1, y2 - y1 + 1)


def bars_of(rect: Rect, width: int, height: int) -> Bars:
    return Bars(rect.y, height - rect.y - rect.height, rect.x, width - rect.x - rect.width)


def kind_of(bars: Bars, width: int, height: int) -> Kind:
    min_v = max(2, round(MIN_BAR_SHARE * height))
    min_h = max(2, round(MIN_BAR_SHARE * width))
    horizontal = bars.top >= min_v and bars.bottom >= min_v
    vertical = bars.left >= min_h and bars.right >= min_h
    if horizontal and vertical:
        return "windowbox"
    if horizontal:
        return "letterbox"
    if vertical:
        return "pillarbox"
    return "full"


@dataclass
class _Run:
    start: float
    end: float
    rect: Rect


class ActiveAreaMeter:
    """Streaming: `add` each sampled luma plane in time order, then `result`.

    Memory is one rectangle per run of equal framing, capped at `max_segments`.
    """

    def __init__(
        self,
        limit: int = LIMIT,
        tolerance: float = 0.01,
        min_duration: float = 1.0,
        sample_aspect_ratio: float = 1.0,
        max_segments: int = 100,
    ) -> None:
        self._limit = limit
        self._tolerance = tolerance
        self._min_duration = min_duration
        self._sar = sample_aspect_ratio
        self._max_segments = max_segments
        self._size: tuple[int, int] | None = None
        self._union: list[int] | None = None  # x1, y1, x2, y2 inclusive
        self._runs: list[_Run] = []
        self._frames = 0

    def add(self, luma: U8, time: float) -> None:
        height, width = luma.shape
        if self._size != (width, height):
            # A resolution change starts over: rectangles of different pictures do not compare.
            self._size = (width, height)
            self._union = None
            self._runs = []
        rect = active_rect(luma, self._limit)
        if self._runs:
            self._runs[-1].end = time
        if rect is None:
            return
        self._frames += 1
        corners = [rect.x, rect.y, rect.x + rect.width - 1, rect.y + rect.height - 1]
        if self._union is None:
            self._union = corners
        else:
            u = self._union
            self._union = [
                min(u[0], corners[0]),
                min(u[1], corners[1]),
                max(u[2], corners[2]),
                max(u[3], corners[3]),
            ]
        if self._runs and self._same(self._runs[-1].rect, rect):
            return
        if len(self._runs) < self._max_segments:
            self._runs.append(_Run(time, time, rect))

    def result(self, end_time: float) -> ActiveAreaResult | None:
        """The summary, the last run closed at `end_time`; None if no picture had an active area."""
        if self._size is None or self._union is None:
            return None
        width, height = self._size
        x1, y1, x2, y2 = self._union
        rect = Rect(x1, y1, x2 - x1 + 1, y2 - y1 + 1)
        bars = bars_of(rect, width, height)
        if self._runs:
            self._runs[-1].end = max(end_time, self._runs[-1].end)
        segments = self._merged_segments(width, height)
        return ActiveAreaResult(
            frame_width=width,
            frame_height=height,
            rect=rect,
            bars=bars,
            kind=kind_of(bars, width, height),
            active_aspect_ratio=round(rect.width * self._sar / rect.height, 4),
            stable=len(segments) <= 1,
            segments=segments,
            frames=self._frames,
        )

    def _same(self, previous: Rect, rect: Rect) -> bool:
        assert self._size is not None
        width, height = self._size
        tol_x = max(2, round(self._tolerance * width))
        tol_y = max(2, round(self._tolerance * height))
        return (
            abs(previous.x - rect.x) <= tol_x
            and abs(previous.x + previous.width - rect.x - rect.width) <= tol_x
            and abs(previous.y - rect.y) <= tol_y
            and abs(previous.y + previous.height - rect.y - rect.height) <= tol_y
        )

    def _merged_segments(self, width: int, height: int) -> list[AreaSegment]:
        """Runs shorter than `min_duration` join the run before them (or after, for the first)."""
        kept: list[tuple[float, float, Rect]] = []
        for run in self._runs:
            start, end, rect = run.start, run.end, run.rect
            if kept and (end - start < self._min_duration or self._same(kept[-1][2], rect)):
                kept[-1] = (kept[-1][0], end, kept[-1][2])
            else:
                kept.append((start, end, rect))
        if len(kept) >= 2 and kept[0][1] - kept[0][0] < self._min_duration:
            kept[1] = (kept[0][0], kept[1][1], kept[1][2])
            kept.pop(0)
        segments = []
        for start, end, rect in kept:
            bars = bars_of(rect, width, height)
            segments.append(AreaSegment(start, end, rect, bars, kind_of(bars, width, height)))
        return segments
