"""Loudness of each channel alone: BS.1770-4 gating on one channel with weight 1.0.

Fed with the K-weighted squares the loudness meter computes anyway (LFE excluded),
so it costs a sum per 100 ms. A 400 ms gating block is four consecutive 100 ms
segments; the loudness meter gates the blocks at -70 LUFS absolute and -10 LU
relative as for the programme. Useful to find a channel mixed too hot or too
quiet, or a swapped pair.
"""

from __future__ import annotations

import numpy as np

SEGMENTS_PER_SECOND = 10
SEGMENTS_PER_BLOCK = 4


class ChannelLoudness:
    def __init__(self, sample_rate: int, channels: int) -> None:
        self._rate = sample_rate
        self._partial = np.zeros(channels)
        self._samples = 0
        self._segments: list[np.ndarray] = []
        """Mean square of each complete 100 ms segment, per channel."""

    def _boundary(self, segment: int) -> int:
        return (segment * self._rate + SEGMENTS_PER_SECOND // 2) // SEGMENTS_PER_SECOND

    def add(self, squared: np.ndarray) -> None:
        """K-weighted squares (channels x n) in order."""
        position = 0
        while position < squared.shape[1]:
            segment = len(self._segments)
            end = self._boundary(segment + 1) - self._samples
            take = min(end - position, squared.shape[1] - position)
            self._partial += squared[:, position : position + take].sum(axis=1)
            position += take
            if position == end:
                length = self._boundary(segment + 1) - self._boundary(segment)
                self._segments.append(self._partial / max(length, 1))
                self._partial = np.zeros_like(self._partial)
        self._samples += squared.shape[1]

    def block_energies(self) -> np.ndarray:
        """Mean squares of the 400 ms blocks every 100 ms (blocks x channels), for gating."""
        if len(self._segments) < SEGMENTS_PER_BLOCK:
            return np.zeros((0, self._partial.size))
        segments = np.array(self._segments)
        windows = np.lib.stride_tricks.sliding_window_view(segments, SEGMENTS_PER_BLOCK, axis=0)
        blocks: np.ndarray = windows.mean(axis=2)
        return blocks
