"""Sample peak and true peak (ITU-R BS.1770-4 Annex 2), streaming, per channel.

True peak oversamples so that the reconstructed signal's maximum between samples
is seen: 4x below 96 kHz with the Annex 2 48-tap polyphase FIR (its four 12-tap
phases), 2x from 96 kHz and none from 192 kHz, as libebur128 does (the oversampled
rate is then already >= 192 kHz). Annex 2 gives no 2x filter, so the 2x case uses
libebur128's 49-tap Hann-windowed sinc. The reading is never below the sample peak:
the samples are points of the reconstructed signal, and the Annex 2 phases sit 1/8
sample off them. Float input needs none of the Annex's -12.04 dB headroom stage.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mp4_small_analyser.analysis.audio.streaming import matmul_rows

ANNEX2_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip
"""BS.1770-4 Annex 2, one row per phase, coefficient k applying to x[n - k]."""


def oversampling_factor(sample_rate: int) -> int:
    if sample_rate < 96000:
        return 4
    return 2 if sample_rate < 192000 else 1


def windowed_sinc_phases(factor: int, taps: int = 49) -> np.ndarray:
    """libebur128's interpolator: a Hann-windowed sinc cut at the input Nyquist, as phases."""
    j = np.arange(taps)
    m = j - (taps - 1) / 2.0
    prototype = np.sinc(m / factor) * 0.5 * (1.0 - np.cos(2.0 * math.pi * j / (taps - 1)))
    length = -(-taps // factor)
    padded = np.zeros(length * factor)
    padded[:taps] = prototype
    phases: np.ndarray = padded.reshape(length, factor).T
    return phases


def interpolation_phases(sample_rate: int) -> np.ndarray | None:
    """(factor x taps) polyphase filter for `sample_rate`, or None when no oversampling."""
    factor = oversampling_factor(sample_rate)
    if factor == 4:
        return ANNEX2_PHASES
    return windowed_sinc_phases(factor) if factor > 1 else None


SECTION = 1024
"""Samples per section of the true-peak search (see PeakMeter.add)."""
STEP = 64 * SECTION
"""Samples per channel handled at once; longer blocks are taken in steps."""


class PeakMeter:
    """Running maxima of |x| (sample peak) and of the oversampled |x| (true peak), per channel."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        phases = interpolation_phases(sample_rate)
        self._sample_peaks = np.zeros(channels)
        self._true_peaks = np.zeros(channels)
        self._kernel: np.ndarray | None = None
        self._gain = 0.0
        history = 0
        if phases is not None:
            # A window of the last `taps` samples, oldest first, times kernel[:, p]
            # gives phase p: y_p[n] = sum_k h_p[k] x[n - k].
            self._kernel = np.ascontiguousarray(phases[:, ::-1].T, dtype=np.float32)
            self._gain = float(np.abs(phases).sum(axis=1).max()) * (1.0 + 1e-6)
            history = phases.shape[1] - 1
        self._history = history
        self._extended = np.zeros((channels, history + STEP), dtype=np.float32)
        """The last `history` samples, then the step being measured."""
        self._magnitude = np.zeros((channels, STEP // SECTION + 2, SECTION), dtype=np.float32)
        """|extended| laid out by sections, zero past its end."""
        self._phases = np.empty((STEP, len(phases) if phases is not None else 1), np.float32)

    @property
    def sample_peak(self) -> float:
        """Linear, the maximum over all channels."""
        return float(self._sample_peaks.max(initial=0.0))

    @property
    def true_peak(self) -> float:
        """Linear, the maximum over all channels, at least the sample peak."""
        return float(self.channel_true_peaks.max(initial=0.0))

    @property
    def channel_sample_peaks(self) -> np.ndarray:
        return self._sample_peaks.copy()

    @property
    def channel_true_peaks(self) -> np.ndarray:
        """Linear, per channel, at least the channel's sample peak."""
        result: np.ndarray = np.maximum(self._true_peaks, self._sample_peaks)
        return result

    def add(self, block: np.ndarray) -> None:
        for start in range(0, block.shape[1], STEP):
            self._add(block[:, start : start + STEP])

    def _add(self, block: np.ndarray) -> None:
        """Only sections that could beat the peak so far are interpolated.

        An interpolated value is at most `gain` (the largest sum of |coefficients| of a
        phase, 2.02 for Annex 2) times the largest sample its window reads, so a section
        whose samples all stay 6.1 dB under the peak found so far is skipped. The result
        is the one of interpolating everything; quiet passages and channels cost a pass.
        """
        channels, total = block.shape
        history = self._history
        extended = self._extended[:, : history + total]
        extended[:, history:] = block
        sections = -(-total // SECTION)
        magnitude = self._magnitude[:, : sections + 1]
        flat = magnitude.reshape(channels, -1)
        np.abs(extended, out=flat[:, : history + total])
        flat[:, history + total :] = 0.0
        np.maximum(self._sample_peaks, flat[:, history:].max(axis=1), out=self._sample_peaks)
        if self._kernel is not None:
            maxima = magnitude.max(axis=2)
            # Section s's outputs read samples s*SECTION .. (s+1)*SECTION + history - 1
            # of `extended`: its own stretch and the start of the next.
            reach = np.maximum(maxima[:, :-1], maxima[:, 1:]) * self._gain
            peaks = self.channel_true_peaks[:, None]
            for index, (channel, needed) in enumerate(zip(extended, reach > peaks, strict=True)):
                edges = np.flatnonzero(np.diff(needed, prepend=False, append=False))
                for first, last in zip(edges[::2], edges[1::2], strict=True):
                    self._interpolate(
                        index, channel[first * SECTION : min(last * SECTION, total) + history]
                    )
        extended[:, :history] = extended[:, total:]

    def _interpolate(self, channel: int, stretch: np.ndarray) -> None:
        assert self._kernel is not None
        windows = sliding_window_view(stretch, self._kernel.shape[0])
        phases = self._phases[: windows.shape[0]]
        matmul_rows(windows, self._kernel, phases)
        peak = max(float(phases.max()), -float(phases.min()))
        self._true_peaks[channel] = max(self._true_peaks[channel], peak)
