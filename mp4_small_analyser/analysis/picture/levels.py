"""Luma and chroma levels, broadcast-legal range, and full/limited range mismatch.

Per picture the statistics are FFmpeg signalstats' (and QCTools' graphs of
them): MIN, LOW (10th percentile), AVG, HIGH (90th percentile) and MAX of Y,
U and V on 8-bit codes, the percentiles read from the histogram as the first
code whose cumulative count reaches lrint(N x 10 / 100) (resp. 90). BRNG is
signalstats' share of luma positions where Y < 16 or Y > 235, or the chroma
sample covering it (U or V) < 16 or > 240: the nominal ranges of BT.601 /
BT.709 limited-range ("video range") coding, outside which the signal is not
broadcast-legal (EBU R 103 allows a tolerance band of -1 % to 103 % of
nominal, so a small BRNG is normal; the check uses a share, not zero).

Over the analysed pictures the result keeps signalstats' per-picture values
summarised (min of MIN, mean of LOW/AVG/HIGH, max of MAX, mean and max of
BRNG) and file-wide percentiles (1, 10, 50, 90, 99) from the summed
histograms.

Range mismatch is a heuristic on the file-wide luma histogram:
- flagged limited, content full: at least FULL_RANGE_SHARE of luma codes
  outside 16-235 and the extremes reached (code <= 4 or >= 251): content
  made in 0-255 and labelled video range, shown with crushed blacks and
  clipped whites;
- flagged full, content limited: nothing outside 12-240 (1st/99th
  percentile inside 16-235 with margin) while at least PILE_UP_SHARE of
  pixels sit at 16 +- 1 or at 235 +- 1: blacks and whites parked at video-
  range levels, shown washed out. Without such a pile-up a low-contrast
  full-range picture cannot be told from a mislabelled one, and nothing is
  said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

Y_LOW, Y_HIGH = 16, 235
C_LOW, C_HIGH = 16, 240
FULL_RANGE_SHARE = 0.01
PILE_UP_SHARE = 0.01
PERCENTILES = (1, 10, 50, 90, 99)

RangeVerdict = Literal["consistent", "full_content_flagged_limited", "limited_content_flagged_full"]


@dataclass(frozen=True)
class FrameLevels:
    """signalstats' per-picture values for one plane."""

    minimum: int
    low: int
    average: float
    high: int
    maximum: int


@dataclass(frozen=True)
class ChannelLevels:
    minimum: int
    """Lowest code in any analysed picture."""
    low: float
    """Mean over pictures of the 10th percentile (signalstats LOW)."""
    average: float
    high: float
    """Mean over pictures of the 90th percentile (signalstats HIGH)."""
    maximum: int
    percentiles: dict[int, int]
    """File-wide: percentile (1, 10, 50, 90, 99) -> code."""


@dataclass(frozen=True)
class LevelsResult:
    frames: int
    y: ChannelLevels
    u: ChannelLevels | None
    v: ChannelLevels | None
    out_of_range_average: float
    """Mean over pictures of signalstats BRNG (share of pixels outside 16-235 / 16-240)."""
    out_of_range_max: float
    out_of_range_frames: float
    """Share of pictures whose BRNG exceeds `frame_brng_limit`."""
    flagged_full_range: bool
    range_verdict: RangeVerdict


def histogram_levels(histogram: I64) -> FrameLevels:
    """signalstats' MIN/LOW/AVG/HIGH/MAX from a 256-bin histogram of one picture's plane."""
    total = int(histogram.sum())
    codes = np.flatnonzero(histogram)
    cumulative = np.cumsum(histogram)
    # lrint rounds half to even, as Python's round does.
    low = int(np.searchsorted(cumulative, round(total * 10 / 100)))
    high = int(np.searchsorted(cumulative, round(total * 90 / 100)))
    average = float(np.dot(histogram, np.arange(256))) / total
    return FrameLevels(int(codes[0]), low, average, high, int(codes[-1]))


def brng_count(y: U8, u: U8 | None, v: U8 | None) -> int:
    """Luma positions outside 16-235 or whose chroma sample is outside 16-240 (signalstats)."""
    luma_bad = (y < Y_LOW) | (y > Y_HIGH)
    if u is None or v is None:
        return int(np.count_nonzero(luma_bad))
    chroma_bad = (u < C_LOW) | (u > C_HIGH) | (v < C_LOW) | (v > C_HIGH)
    if not chroma_bad.any():
        return int(np.count_nonzero(luma_bad))
    # Each luma position reads the chroma sample at (y >> vsub, x >> hsub), as signalstats.
    sub_y = -(-y.shape[0] // u.shape[0])
    sub_x = -(-y.shape[1] // u.shape[1])
    rows = np.arange(y.shape[0]) // sub_y
    cols = np.arange(y.shape[1]) // sub_x
    spread = chroma_bad[np.ix_(rows, cols)]
    return int(np.count_nonzero(luma_bad | spread))


class _Channel:
    def __init__(self) -> None:
        self.histogram = np.zeros(256, np.int64)
        self.minimum = 255
        self.maximum = 0
        self.low = 0.0
        self.average = 0.0
        self.high = 0.0
        self.frames = 0

    def add(self, plane: U8) -> I64:
        """Count one picture's plane; its histogram is returned."""
        histogram = np.bincount(plane.ravel(), minlength=256).astype(np.int64)
        levels = histogram_levels(histogram)
        self.histogram += histogram
        self.minimum = min(self.minimum, levels.minimum)
        self.maximum = max(self.maximum, levels.maximum)
        self.low += levels.low
        self.average += levels.average
        self.high += levels.high
        self.frames += 1
        return histogram

    def result(self) -> ChannelLevels:
        n = self.frames
        cumulative = np.cumsum(self.histogram)
        total = int(cumulative[-1])
        percentiles = {
            p: int(np.searchsorted(cumulative, round(total * p / 100))) for p in PERCENTILES
        }
        return ChannelLevels(
            self.minimum,
            self.low / n,
            self.average / n,
            self.high / n,
            self.maximum,
            percentiles,
        )


class LevelsMeter:
    """Streaming: `add` sampled pictures (coded planes), then `result`.

    Memory: three 256-bin histograms. Cost per 1080p picture ~6 ms (the luma
    histogram dominates), so it runs on the sampled pictures, not every frame.
    """

    def __init__(self, frame_brng_limit: float = 0.01) -> None:
        self._limit = frame_brng_limit
        self._y = _Channel()
        self._u = _Channel()
        self._v = _Channel()
        self._brng_total = 0.0
        self._brng_max = 0.0
        self._brng_frames = 0
        self._frames = 0
        self._full_range = False

    def add(self, y: U8, u: U8 | None, v: U8 | None, full_range: bool) -> None:
        self._full_range = full_range
        self._frames += 1
        luma = self._y.add(y)
        # With every chroma sample in range (the usual case), BRNG is the luma histogram's
        # share outside 16-235: no pass over the pixels (~2 ms a 1080p picture).
        outside = int(luma[:Y_LOW].sum() + luma[Y_HIGH + 1 :].sum())
        if u is not None and v is not None:
            chroma = [self._u.add(u), self._v.add(v)]
            if any(h[:C_LOW].any() or h[C_HIGH + 1 :].any() for h in chroma):
                outside = brng_count(y, u, v)
        brng = outside / y.size
        self._brng_total += brng
        self._brng_max = max(self._brng_max, brng)
        self._brng_frames += brng > self._limit

    def result(self) -> LevelsResult | None:
        if self._frames == 0:
            return None
        y = self._y.result()
        chroma = self._u.frames > 0
        return LevelsResult(
            frames=self._frames,
            y=y,
            u=self._u.result() if chroma else None,
            v=self._v.result() if chroma else None,
            out_of_range_average=self._brng_total / self._frames,
            out_of_range_max=self._brng_max,
            out_of_range_frames=self._brng_frames / self._frames,
            flagged_full_range=self._full_range,
            range_verdict=range_verdict(self._y.histogram, self._full_range),
        )


def range_verdict(histogram: I64, flagged_full: bool) -> RangeVerdict:
    """The heuristic of the module docstring on a file-wide luma histogram."""
    total = int(histogram.sum())
    if total == 0:
        return "consistent"
    codes = np.flatnonzero(histogram)
    lowest, highest = int(codes[0]), int(codes[-1])
    if not flagged_full:
        outside = int(histogram[:Y_LOW].sum() + histogram[Y_HIGH + 1 :].sum())
        if outside >= FULL_RANGE_SHARE * total and (lowest <= 4 or highest >= 251):
            return "full_content_flagged_limited"
        return "consistent"
    inside = int(histogram[12:241].sum()) == total
    pile_up = int(histogram[Y_LOW - 1 : Y_LOW + 2].sum() + histogram[Y_HIGH - 1 : Y_HIGH + 2].sum())
    if inside and pile_up >= PILE_UP_SHARE * total:
        return "limited_content_flagged_full"
    return "consistent"
