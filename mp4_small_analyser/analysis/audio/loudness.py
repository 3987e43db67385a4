"""Loudness per ITU-R BS.1770-4 and EBU R 128 (Tech 3341 meter, Tech 3342 loudness range).

A streaming meter: blocks of decoded audio go in, in order, of any length. No
samples are kept: energies per 1 ms step (the last 3 s of them), and one
gating-block and one short-term energy per 100 ms (160 bytes a second of audio,
0.6 MB an hour).

- K-weighting: `k_weighting.py` (exact, any sample rate).
- Channel weights (BS.1770-4 Annex 1 Table 3, positions of ITU-R BS.2051): 1.41
  (+1.5 dB) for a channel at 60°..120° of azimuth and below 30° of elevation,
  0 for LFE channels, 1.0 for every other channel, including unknown ones.
  FFmpeg's names carry the positions: SL/SR, SDL/SDR at ±90° and WL/WR at ±60°
  get 1.41; BL/BR are the ±110° surrounds of 5.0/5.1 (1.41) unless the layout
  also has SL/SR, as 7.1 has, where they are the ±135° rear pair (1.0). FFmpeg's
  ebur128 filter instead gives 1.41 to every back and side channel, so on 7.1
  content whose rear pair carries sound it reads up to 1.5 LU louder than this.
  A mono channel counts once (BS.1770; ffmpeg's ebur128 agrees unless its
  `dualmono` option, off by default, is set): a mono file reads 3 LU below the
  same signal on both channels of a stereo file.
- Integrated loudness: 400 ms gating blocks every 100 ms, absolute gate -70 LUFS,
  relative gate -10 LU (BS.1770-4).
- Loudness range: 3 s short-term windows every 100 ms, absolute gate -70 LUFS,
  relative gate -20 LU, 95th minus 10th percentile (EBU Tech 3342).
- Maximum momentary / short-term loudness: the sliding 400 ms / 3 s windows taken
  at every 1 ms step, so a burst is found wherever it falls (Tech 3341 cases 10 and
  13 put them off the 100 ms grid; 1 ms misses at most 0.006 LU of a 400 ms one).
- Peaks: `true_peak.py`, over every channel, LFE included.

Windows must be complete: no gating block before 400 ms of audio, no short-term
value before 3 s. Values are returned at full precision; the report rounds them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mp4_small_analyser.analysis.audio.channels import ChannelLoudness
from mp4_small_analyser.analysis.audio.k_weighting import CHUNK, KWeightingFilter
from mp4_small_analyser.analysis.audio.streaming import Scratch
from mp4_small_analyser.analysis.audio.true_peak import PeakMeter

LOUDNESS_OFFSET = -0.691
"""BS.1770: L = -0.691 + 10 log10(sum of weighted mean squares)."""
ABSOLUTE_GATE = -70.0
INTEGRATED_RELATIVE_GATE = -10.0
RANGE_RELATIVE_GATE = -20.0
RANGE_PERCENTILES = (0.10, 0.95)

STEPS_PER_SECOND = 1000
"""Energies are summed per 1 ms step (step k ends at sample round(k * rate / 1000))."""
MOMENTARY_STEPS = 400
SHORT_TERM_STEPS = 3000
HOP_STEPS = 100
"""Gating blocks and loudness-range short-term values: every 100 ms."""
SERIES_STEPS = 1000
"""One short-term value a second for `short_term_series`."""
DEFAULT_MAX_SERIES_POINTS = 3600
"""An hour of `short_term_series`; later seconds are measured but not listed."""
MAX_BLOCK = 1 << 16
"""Longer blocks are measured in slices of this many samples (bounds temporaries)."""

SURROUND_WEIGHT = 1.41
LFE_CHANNELS = frozenset({"LFE", "LFE2"})
_AZIMUTH_ELEVATION: dict[str, tuple[float, float]] = {
    "FL": (30, 0),
    "FR": (-30, 0),
    "FC": (0, 0),
    "FLC": (15, 0),
    "FRC": (-15, 0),
    "BC": (180, 0),
    "SL": (90, 0),
    "SR": (-90, 0),
    "SDL": (90, 0),
    "SDR": (-90, 0),
    "WL": (60, 0),
    "WR": (-60, 0),
    "DL": (30, 0),
    "DR": (-30, 0),
    "TC": (0, 90),
    "TFL": (30, 45),
    "TFC": (0, 45),
    "TFR": (-30, 45),
    "TBL": (135, 45),
    "TBC": (180, 45),
    "TBR": (-135, 45),
    "TSL": (90, 45),
    "TSR": (-90, 45),
    "BFC": (0, -30),
    "BFL": (45, -30),
    "BFR": (-45, -30),
}
"""(azimuth, elevation) in degrees of FFmpeg's channel names, per ITU-R BS.2051."""


def channel_weights(channel_names: Sequence[str]) -> tuple[float, ...]:
    """BS.1770-4 weights for channels named as FFmpeg names them (see the module doc)."""
    names = [name.upper() for name in channel_names]
    has_sides = "SL" in names or "SR" in names
    positions = dict(_AZIMUTH_ELEVATION)
    positions["BL"] = (135, 0) if has_sides else (110, 0)
    positions["BR"] = (-135, 0) if has_sides else (-110, 0)
    weights = []
    for name in names:
        if name in LFE_CHANNELS:
            weights.append(0.0)
            continue
        azimuth, elevation = positions.get(name, (0.0, 0.0))
        side = 60 <= abs(azimuth) <= 120 and abs(elevation) < 30
        weights.append(SURROUND_WEIGHT if side else 1.0)
    return tuple(weights)


@dataclass(frozen=True)
class LoudnessResult:
    integrated: float | None
    """LUFS, gated; None when no 400 ms block is above the gates."""
    loudness_range: float | None
    """LU (Tech 3342); None when no 3 s window is above the gates."""
    true_peak: float | None
    """dBTP, maximum over channels; None for digital silence."""
    sample_peak: float | None
    """dBFS, maximum over channels; None for digital silence."""
    max_momentary: float | None
    """LUFS, loudest 400 ms window; None before 400 ms of audio or for digital silence."""
    max_short_term: float | None
    """LUFS, loudest 3 s window; None before 3 s of audio or for digital silence."""
    loudness_range_blocks: int = 0
    """Gated short-term values (10 a second) the loudness range rests on."""
    channel_loudness: list[float | None] = field(default_factory=list)
    """LUFS of each channel alone (BS.1770 gating, weight 1); None for LFE and silence."""
    channel_true_peaks: list[float | None] = field(default_factory=list)
    """dBTP of each channel; None for digital silence."""
    channel_sample_peaks: list[float | None] = field(default_factory=list)
    short_term_series: list[float | None] = field(default_factory=list)
    """Short-term loudness (LUFS) of the 3 s ending at 1 s, 2 s, ...: item i ends at
    i + 1 s. None while fewer than 3 s have passed (items 0 and 1) and where the
    window is below -70 LUFS; capped at the meter's `max_series_points`."""


def lufs(mean_square: float) -> float:
    return LOUDNESS_OFFSET + 10.0 * math.log10(mean_square)


def _energy(loudness: float) -> float:
    return float(10.0 ** ((loudness - LOUDNESS_OFFSET) / 10.0))


def integrated_loudness(block_energies: np.ndarray) -> float | None:
    """Gated loudness of 400 ms blocks' weighted mean squares (BS.1770-4)."""
    above = block_energies[block_energies > _energy(ABSOLUTE_GATE)]
    if above.size == 0:
        return None
    relative = _energy(lufs(float(above.mean())) + INTEGRATED_RELATIVE_GATE)
    return lufs(float(above[above > relative].mean()))


def range_blocks(short_term_energies: np.ndarray) -> np.ndarray:
    """The short-term values Tech 3342 keeps: above -70 LUFS and within 20 LU of their mean."""
    above = short_term_energies[short_term_energies > _energy(ABSOLUTE_GATE)]
    if above.size == 0:
        return above
    relative = _energy(lufs(float(above.mean())) + RANGE_RELATIVE_GATE)
    kept: np.ndarray = np.sort(above[above > relative])
    return kept


def loudness_range(short_term_energies: np.ndarray) -> float | None:
    """EBU Tech 3342 loudness range of 3 s windows' weighted mean squares."""
    kept = range_blocks(short_term_energies)
    if kept.size == 0:
        return None
    # Tech 3342's reference takes the sorted values at round((n - 1) * p).
    low, high = (int((kept.size - 1) * p + 0.5) for p in RANGE_PERCENTILES)
    return lufs(float(kept[high])) - lufs(float(kept[low]))


def _decibels(linear: float) -> float | None:
    return 20.0 * math.log10(linear) if linear > 0 else None


class LoudnessMeter:
    """Feed (channels x n) float32 blocks in order with `add`, then read `result`."""

    def __init__(
        self,
        sample_rate: int,
        channel_names: Sequence[str],
        max_series_points: int = DEFAULT_MAX_SERIES_POINTS,
    ) -> None:
        if sample_rate < STEPS_PER_SECOND:
            raise ValueError(f"sample rate {sample_rate} Hz is below {STEPS_PER_SECOND} Hz")
        self._rate = sample_rate
        self._channels = len(channel_names)
        weights = np.array(channel_weights(channel_names))
        self._measured = np.flatnonzero(weights > 0)
        self._weights = weights[self._measured]
        self._filter = KWeightingFilter(sample_rate, self._measured.size)
        self._peaks = PeakMeter(sample_rate, self._channels)
        self._by_channel = ChannelLoudness(sample_rate, self._measured.size)
        self._scratch = Scratch()
        self._max_series_points = max_series_points
        self._samples = 0
        self._steps = 0
        """Completed 1 ms steps."""
        self._partial = 0.0
        """Energy of the step in progress."""
        self._recent = np.zeros(0)
        """Energies of the last SHORT_TERM_STEPS completed steps."""
        self._block_energies = array("d")
        """Mean squares of the 400 ms gating blocks, one per 100 ms."""
        self._short_term_energies = array("d")
        """Mean squares of the 3 s windows, one per 100 ms."""
        self._series: list[float | None] = []
        self._max_momentary = 0.0
        self._max_short_term = 0.0

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[0] != self._channels:
            raise ValueError(f"expected a ({self._channels} x n) block, got {block.shape}")
        if not np.isfinite(np.sum(block, dtype=np.float64)):
            block = np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0)
        for start in range(0, block.shape[1], MAX_BLOCK):
            self._add(block[:, start : start + MAX_BLOCK])

    def result(self) -> LoudnessResult:
        short_term = np.frombuffer(self._short_term_energies)
        by_channel: list[float | None] = [None] * self._channels
        blocks = self._by_channel.block_energies()
        for column, index in enumerate(self._measured):
            by_channel[int(index)] = integrated_loudness(blocks[:, column])
        return LoudnessResult(
            integrated=integrated_loudness(np.frombuffer(self._block_energies)),
            loudness_range=loudness_range(short_term),
            loudness_range_blocks=int(range_blocks(short_term).size),
            channel_loudness=by_channel,
            channel_true_peaks=[_decibels(v) for v in self._peaks.channel_true_peaks],
            channel_sample_peaks=[_decibels(v) for v in self._peaks.channel_sample_peaks],
            true_peak=_decibels(self._peaks.true_peak),
            sample_peak=_decibels(self._peaks.sample_peak),
            max_momentary=lufs(self._max_momentary) if self._max_momentary > 0 else None,
            max_short_term=lufs(self._max_short_term) if self._max_short_term > 0 else None,
            short_term_series=list(self._series),
        )

    def _add(self, block: np.ndarray) -> None:
        self._peaks.add(block)
        measured = block
        if self._measured.size < self._channels:
            measured = self._scratch.array(
                "measured", (self._measured.size, block.shape[1]), np.float32
            )
            np.take(block, self._measured, axis=0, out=measured)
        whole = block.shape[1] - block.shape[1] % CHUNK
        for part in (measured[:, :whole], measured[:, whole:]):
            if part.shape[1] == 0:
                continue
            weighted = self._scratch.array("weighted", (part.shape[1],), np.float64)
            if self._measured.size:
                filtered = self._filter.process(part)
                np.square(filtered, out=filtered)
                self._by_channel.add(filtered)
                # einsum, not a BLAS product: OpenBLAS would thread this one (see streaming.py).
                np.einsum("c,cn->n", self._weights, filtered, out=weighted)
            else:
                weighted[:] = 0.0
            self._add_energy(weighted)

    def _boundary(self, step: np.ndarray) -> np.ndarray:
        """First sample after 1 ms step `step - 1`: round(step * rate / 1000)."""
        result: np.ndarray = (step * self._rate + STEPS_PER_SECOND // 2) // STEPS_PER_SECOND
        return result

    def _add_energy(self, weighted: np.ndarray) -> None:
        start = self._samples
        end = start + weighted.size
        self._samples = end
        last = (end * STEPS_PER_SECOND + STEPS_PER_SECOND // 2) // self._rate + 1
        steps = np.arange(self._steps + 1, last + 1, dtype=np.int64)
        steps = steps[self._boundary(steps) <= end]
        if steps.size == 0:
            self._partial += float(weighted.sum())
            return
        cuts = self._boundary(steps) - start
        energies = np.add.reduceat(weighted[: cuts[-1]], np.concatenate([[0], cuts[:-1]]))
        energies[0] += self._partial
        self._partial = float(weighted[cuts[-1] :].sum())
        self._windows(steps, energies)
        self._steps = int(steps[-1])

    def _windows(self, steps: np.ndarray, energies: np.ndarray) -> None:
        """Momentary and short-term mean squares of the windows ending at each new step."""
        recent = np.concatenate([self._recent, energies])
        first = self._steps - self._recent.size
        """Step number of recent[0]."""
        totals = np.concatenate([[0.0], np.cumsum(recent)])
        momentary = self._window_means(steps, MOMENTARY_STEPS, totals, first)
        short_term = self._window_means(steps, SHORT_TERM_STEPS, totals, first)
        self._recent = recent[-SHORT_TERM_STEPS:]

        on_hop = steps % HOP_STEPS == 0
        valid = steps >= MOMENTARY_STEPS
        if valid.any():
            self._max_momentary = max(self._max_momentary, float(momentary[valid].max()))
            self._block_energies.extend(momentary[valid & on_hop].tolist())
        valid = steps >= SHORT_TERM_STEPS
        if valid.any():
            self._max_short_term = max(self._max_short_term, float(short_term[valid].max()))
            self._short_term_energies.extend(short_term[valid & on_hop].tolist())
        room = self._max_series_points - len(self._series)
        on_second = np.flatnonzero(steps % SERIES_STEPS == 0)[: max(room, 0)]
        for mean_square in short_term[on_second]:
            above = mean_square > _energy(ABSOLUTE_GATE)
            self._series.append(lufs(float(mean_square)) if above else None)

    def _window_means(
        self, steps: np.ndarray, length: int, totals: np.ndarray, first: int
    ) -> np.ndarray:
        """Mean square over the `length` steps ending at each of `steps` (0 if incomplete)."""
        begin = steps - length
        complete = begin >= 0
        begin = np.where(complete, begin, steps)
        sums = totals[steps - first] - totals[np.maximum(begin - first, 0)]
        counts = self._boundary(steps) - self._boundary(begin)
        means: np.ndarray = np.where(complete, sums / np.maximum(counts, 1), 0.0)
        return means
