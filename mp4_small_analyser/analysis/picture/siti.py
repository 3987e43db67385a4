"""Spatial and temporal information (SI, TI) of ITU-T P.910, as FFmpeg's siti filter.

P.910 ("Spatial and temporal information", in the 2008 edition and the
2021/2022 revision) measures on the luminance plane:
- SI = standard deviation over the picture of the Sobel gradient magnitude
  sqrt(Gx^2 + Gy^2) (pixels whose 3x3 neighbourhood lies inside the picture);
- TI = standard deviation over the picture of the difference from the
  previous picture.
The revision reports both the maximum and the mean over time (the 2008
edition only the maximum), and states the values for full-range 8-bit luma:
limited-range codes are first mapped to 0-255. FFmpeg's siti does that
mapping with integer truncation, 255 x clip(Y - 16, 0, 219) // 219, and so
does `full_range_lut`, so values agree with siti to its printed 2 decimals.

Two differences from siti, both from P.910: TI is not defined for the first
picture (siti counts a 0 there, lowering its mean and min; `ffmpeg_ti_mean`
gives siti's figure), and SI/TI of 10-bit video are on the 8-bit scale (siti
maps 10-bit to 0-1023).

Cost (CPU per picture, numpy, the 2-core box): SI on every row ~3 ms at 720p,
~8 ms at 1080p; TI ~1.6 ms on every 3rd row of 720p, ~0.15 ms on 60 rows. Too
dear for every frame at the coded size, so SI is taken on pictures ~1 s (or
~0.5 s) apart, on every row (every n-th row misweights strong horizontal
edges such as letterbox bars: 21 % off at every 3rd row of the letterbox
clip); TI on every frame from a few rows whose position moves each frame,
and on `row_step` rows where it peaks (`picture/meters.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I16 = npt.NDArray[np.int16]


def full_range_lut() -> U8:
    """Limited-range code -> full-range code, truncated as FFmpeg's siti converts."""
    codes = np.clip(np.arange(256) - 16, 0, 219)
    lut: U8 = (255 * codes // 219).astype(np.uint8)
    return lut


# floor(255 x / 219) == (x * _SCALE) >> 16 for every x in 0..219 (checked in the tests): an
# integer multiply and shift, 3x cheaper than a table lookup by fancy indexing.
_SCALE = -(-(255 << 16) // 219)


def full_levels(luma: U8, full_range: bool) -> I16:
    """Luma as full-range levels in int16 (siti's limited-to-full mapping)."""
    if full_range:
        return luma.astype(np.int16)
    wide = luma.astype(np.int32)
    wide -= 16
    np.clip(wide, 0, 219, out=wide)
    wide *= _SCALE
    wide >>= 16
    return wide.astype(np.int16)


def to_full_range(luma: U8, full_range: bool) -> U8:
    if full_range:
        return luma
    mapped: U8 = full_levels(luma, False).astype(np.uint8)
    return mapped


def row_step(height: int) -> int:
    """Rows between measured rows so that at least 240 rows are measured (1 up to 479 lines);
    used for TI, whose differences have no fixed edges to misweight."""
    return max(1, height // 240)


def spatial_information(luma: U8, full_range: bool = True) -> float:
    """SI of one picture: std of the Sobel magnitude over valid pixels, every row (sampling
    rows misweights strong horizontal edges such as letterbox bars)."""
    height, width = luma.shape
    if height < 3 or width < 3:
        return 0.0
    a = full_levels(luma, full_range)
    up, mid, down = a[0 : height - 2], a[1 : height - 1], a[2:height]
    # Sobel is separable: smooth [1 2 1] across the gradient, difference [1 0 -1] along it.
    vertical = mid * np.int16(2)
    vertical += up
    vertical += down
    gx = (vertical[:, :-2] - vertical[:, 2:]).astype(np.float32)
    gy = (_smooth_row(up) - _smooth_row(down)).astype(np.float32)
    gx *= gx
    gy *= gy
    gx += gy  # squared magnitude, exact in float32 (< 2^21)
    n = gx.size
    mean_square = float(gx.sum(dtype=np.float64)) / n
    np.sqrt(gx, out=gx)
    mean = float(gx.sum(dtype=np.float64)) / n
    return math.sqrt(max(mean_square - mean * mean, 0.0))


def _smooth_row(rows: I16) -> I16:
    smooth = rows[:, 1:-1] * np.int16(2)
    smooth += rows[:, :-2]
    smooth += rows[:, 2:]
    return smooth


def temporal_information(
    previous: U8, current: U8, full_range: bool = True, step: int = 1, first_row: int = 0
) -> float:
    """TI between two pictures: std of the difference (every step-th row from `first_row`)."""
    diff = full_levels(current[first_row::step], full_range)
    diff -= full_levels(previous[first_row::step], full_range)
    n = diff.size
    mean = float(diff.sum(dtype=np.int64)) / n
    # Integer squares summed in int64: a BLAS float dot is no faster here, and an int32
    # dot overflows past ~33k pixels of a full-range cut.
    mean_square = float(np.square(diff, dtype=np.int32).sum(dtype=np.int64)) / n
    return math.sqrt(max(mean_square - mean * mean, 0.0))


@dataclass(frozen=True)
class SiTiResult:
    si_frames: int
    si_mean: float | None
    si_max: float | None
    ti_frames: int
    ti_mean: float | None
    ti_max: float | None
    ffmpeg_ti_mean: float | None
    """TI mean as FFmpeg's siti prints it (a 0 counted for the first picture);
    meaningful only when every picture was measured."""


class SiTiMeter:
    """Streaming SI/TI: `add_si` pictures and `add_ti` pairs, in any mix.

    With every picture at the coded size (`add` each one) the values are
    P.910's and siti's. In the analysis SI is taken on pictures ~0.5-1 s apart
    (P.910's max and mean over those) and TI as `picture/meters.py` says.
    """

    def __init__(self) -> None:
        self._si_sum = 0.0
        self._si_max = 0.0
        self._si_n = 0
        self._ti_sum = 0.0
        self._ti_max = 0.0
        self._ti_n = 0
        self._ti_max_n = 0
        self._previous: U8 | None = None

    def add(self, luma: U8, full_range: bool) -> None:
        """Every picture in order at the coded size: SI of it, TI against the previous one."""
        self.add_si(luma, full_range)
        previous = self._previous
        if previous is not None and previous.shape == luma.shape:
            self.add_ti(previous, luma, full_range)
        self._previous = luma

    def add_si(self, luma: U8, full_range: bool) -> None:
        si = spatial_information(luma, full_range)
        self._si_sum += si
        self._si_max = max(self._si_max, si)
        self._si_n += 1

    def add_ti(
        self,
        previous: U8,
        current: U8,
        full_range: bool,
        in_mean: bool = True,
        in_max: bool = True,
        step: int = 1,
        first_row: int = 0,
    ) -> float:
        """TI of a pair, returned; `in_mean=False` for pairs picked for being extreme (they
        would bias the mean), `in_max=False` for pairs measured on too few rows for the max."""
        ti = temporal_information(previous, current, full_range, step, first_row)
        self._add_ti_value(ti, in_mean, in_max)
        return ti

    def _add_ti_value(self, ti: float, in_mean: bool = True, in_max: bool = True) -> None:
        if in_mean:
            self._ti_sum += ti
            self._ti_n += 1
        if in_max:
            self._ti_max = max(self._ti_max, ti)
            self._ti_max_n += 1

    def result(self) -> SiTiResult:
        si_n, ti_n = self._si_n, self._ti_n
        return SiTiResult(
            si_frames=si_n,
            si_mean=self._si_sum / si_n if si_n else None,
            si_max=self._si_max if si_n else None,
            ti_frames=ti_n,
            ti_mean=self._ti_sum / ti_n if ti_n else None,
            ti_max=self._ti_max if self._ti_max_n else None,
            ffmpeg_ti_mean=self._ti_sum / (ti_n + 1) if ti_n else None,
        )
