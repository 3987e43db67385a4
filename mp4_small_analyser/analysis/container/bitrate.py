"""Bit rate over time from the sample tables alone (no decoding).

Every sample's bytes are placed at its decode time (stts, §8.6.1.2 of ISO/IEC
14496-12); the series is bits per whole second of the track's timeline, and the
peaks are the most bits in any window of 1 s / 5 s that starts at a sample (a
sliding window, not the fixed seconds of the series: a burst across a second
boundary is not split in two). A track shorter than the window has no peak.
Checked against ffprobe's packet list (sizes and dts) in tests/test_bitrate_gop.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from mp4_small_analyser.analysis.container.tables import I64, TrackTables


@dataclass(frozen=True)
class BitRate:
    series: tuple[int, ...]
    """Bits in each whole second [k, k+1) of the track's decode timeline; the last
    entry covers the remaining fraction and is not scaled up."""
    mean: int | None
    """Bits per second over the whole track (stsz total over stts total)."""
    peak_1s: int | None
    """Most bits in any 1 s window (bits per second); None for tracks under 1 s."""
    peak_5s: int | None
    """Most bits in any 5 s window, divided by 5; None for tracks under 5 s."""
    peak_1s_at: float | None
    """Start (s) of the 1 s window with the peak."""


def _seconds(track: TrackTables) -> np.ndarray:
    ts = track.timescale or 1
    return (track.dts - (track.dts[0] if track.dts.size else 0)) / ts


def bit_rate(track: TrackTables) -> BitRate:
    n = track.sizes.size
    if n == 0 or not track.timescale:
        return BitRate((), None, None, None, None)
    t = _seconds(track)
    bits = track.sizes * 8
    total_seconds = float(Fraction(track.media_ticks, track.timescale))
    seconds = max(1, int(np.ceil(total_seconds))) if total_seconds else 1
    index = np.minimum(t.astype(np.int64), seconds - 1)
    series = np.bincount(index, weights=bits, minlength=seconds).astype(np.int64)
    mean = int(bits.sum() / total_seconds) if total_seconds else None
    peak1, at1 = _peak(t, bits, 1.0, total_seconds)
    peak5, _ = _peak(t, bits, 5.0, total_seconds)
    return BitRate(
        series=tuple(int(x) for x in series),
        mean=mean,
        peak_1s=peak1,
        peak_5s=peak5,
        peak_1s_at=at1,
    )


def _peak(t: np.ndarray, bits: I64, window: float, total: float) -> tuple[int | None, float | None]:
    if total < window:
        return None, None
    cum = np.concatenate([[0], np.cumsum(bits)])
    # Windows start at each sample and must end within the track.
    starts = np.flatnonzero(t + window <= total + 1e-9)
    if starts.size == 0:
        return None, None
    ends = np.searchsorted(t, t[starts] + window - 1e-9, side="left")
    sums = cum[ends] - cum[starts]
    best = int(np.argmax(sums))
    return round(sums[best] / window), float(t[starts[best]])
