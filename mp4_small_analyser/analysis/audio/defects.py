"""Audio defects measured in one streaming pass: clipping, DC offset, dead channels, phase.

Everything is kept as running sums, peaks and per-channel run lengths, so blocks
of any size give the same result as the whole file at once.

Clipping is a run of at least `MIN_CLIP_RUN` consecutive samples of one channel
whose magnitude is at least `CLIP_LEVEL`. The level sits just under full scale
because decoders never return exactly +1.0: 16-bit PCM tops out at 32767/32768
(-0.0003 dBFS) and 24-bit at 1 - 2^-23, while 0.999 (-0.009 dBFS) is still above
the ceiling of any real limiter (-0.1 dBTP and lower). Lossy decoders overshoot
past 1.0 around clipped tops; those samples count too, since they clip again when
converted back to fixed point for playback. Three samples is the classic
"over" rule of digital peak meters: one or two samples at full scale are just the
crest of a peak-normalised signal, a flat run of three is a waveform cut off.
Lossy codecs smear flat tops, so on AAC or MP3 the count is a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mp4_small_analyser.analysis.audio.runs import true_runs
from mp4_small_analyser.models import Clipping

CLIP_LEVEL = 0.999
"""Magnitude (full scale = 1.0) from which a sample counts towards clipping."""
MIN_CLIP_RUN = 3
"""Consecutive samples of one channel at or above CLIP_LEVEL that make a clip."""
SILENT_CHANNEL_DB = -90.0
"""A channel whose sample peak stays below this (dBFS) is digital silence: at 16 bits
that is at most +-1 LSB of dither."""
PHASE_ISSUE_CORRELATION = -0.3
"""Whole-file L/R correlation below which stereo is flagged as a mono-compatibility issue."""


@dataclass(frozen=True)
class AudioDefects:
    clipping: Clipping
    dc_offset: list[float]
    """Mean sample value per channel (full scale = 1.0)."""
    channels_silent: list[int]
    """Channels that are digital silence while at least one other channel is not."""
    phase_correlation: float | None
    """Pearson correlation of L and R over the file (stereo only, None if a channel is flat)."""
    phase_issue: bool | None
    """Correlation below the phase-issue limit; None when the correlation is not defined."""


class AudioDefectMeter:
    """Feed float blocks (channels x n) in order, then read `result()`.

    The correlation uses whole-file sums, so it is energy-weighted: loud passages
    dominate, as they do for the listener. Strongly negative means L and R largely
    cancel in a mono downmix (one channel polarity-inverted, or a phase-shifted mix);
    the default limit of -0.3 leaves room for wide, decorrelated mixes, which stay
    near or above 0, while a polarity-inverted channel reads close to -1.
    """

    def __init__(
        self,
        channels: int,
        clip_level: float = CLIP_LEVEL,
        min_clip_run: int = MIN_CLIP_RUN,
        silent_channel_db: float = SILENT_CHANNEL_DB,
        phase_issue_below: float = PHASE_ISSUE_CORRELATION,
    ) -> None:
        if channels <= 0:
            raise ValueError("channels must be positive")
        if min_clip_run < 1:
            raise ValueError("min_clip_run must be at least 1")
        self.channels = channels
        self._clip_level = np.float32(clip_level)
        self._min_clip_run = min_clip_run
        self._silent_peak = 10.0 ** (silent_channel_db / 20.0)
        self._phase_issue_below = phase_issue_below
        self._frames = 0
        self._peak = np.zeros(channels)
        self._sum = np.zeros(channels)
        self._open_runs = np.zeros(channels, dtype=np.int64)
        """Length of the clipped run reaching the end of the last block, per channel."""
        self._clipped = 0
        self._clip_runs = 0
        self._sum_lr = 0.0
        self._sum_ll = 0.0
        self._sum_rr = 0.0

    def add(self, block: np.ndarray) -> None:
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"expected a ({self.channels}, n) block, got {block.shape}")
        if block.shape[1] == 0:
            return
        self._frames += block.shape[1]
        magnitude = np.abs(block)
        np.maximum(self._peak, magnitude.max(axis=1), out=self._peak)
        clipped = magnitude >= self._clip_level
        for channel in np.flatnonzero(clipped.any(axis=1) | (self._open_runs > 0)):
            self._count_clipped_runs(int(channel), clipped[channel])
        wide = block.astype(np.float64)
        self._sum += wide.sum(axis=1)
        if self.channels == 2:
            left, right = wide
            self._sum_lr += float(np.dot(left, right))
            self._sum_ll += float(np.dot(left, left))
            self._sum_rr += float(np.dot(right, right))

    def result(self) -> AudioDefects:
        tail = self._open_runs[self._open_runs >= self._min_clip_run]
        clipped = self._clipped + int(tail.sum())
        total = self._frames * self.channels
        clipping = Clipping(
            count=clipped,
            ratio=clipped / total if total else 0.0,
            runs=self._clip_runs + int(tail.size),
        )
        silent = self._peak < self._silent_peak
        channels_silent = np.flatnonzero(silent).tolist() if not silent.all() else []
        correlation = self._correlation(silent)
        return AudioDefects(
            clipping=clipping,
            dc_offset=(self._sum / self._frames if self._frames else self._sum).tolist(),
            channels_silent=channels_silent,
            phase_correlation=correlation,
            phase_issue=None if correlation is None else correlation < self._phase_issue_below,
        )

    def _count_clipped_runs(self, channel: int, clipped: np.ndarray) -> None:
        starts, ends = true_runs(clipped)
        lengths = ends - starts
        carried = int(self._open_runs[channel])
        if carried and clipped[0]:
            lengths[0] += carried
        elif carried:
            self._close_runs(np.array([carried]))
        if clipped[-1]:
            self._open_runs[channel] = lengths[-1]
            lengths = lengths[:-1]
        else:
            self._open_runs[channel] = 0
        self._close_runs(lengths)

    def _close_runs(self, lengths: np.ndarray) -> None:
        long_enough = lengths[lengths >= self._min_clip_run]
        self._clipped += int(long_enough.sum())
        self._clip_runs += int(long_enough.size)

    def _correlation(self, silent: np.ndarray) -> float | None:
        if self.channels != 2 or silent.any() or self._frames == 0:
            return None
        n = self._frames
        mean_l, mean_r = self._sum / n
        covariance = self._sum_lr / n - mean_l * mean_r
        variance_l = self._sum_ll / n - mean_l * mean_l
        variance_r = self._sum_rr / n - mean_r * mean_r
        if variance_l <= 0.0 or variance_r <= 0.0:
            return None
        correlation = covariance / float(np.sqrt(variance_l * variance_r))
        return float(np.clip(correlation, -1.0, 1.0))
