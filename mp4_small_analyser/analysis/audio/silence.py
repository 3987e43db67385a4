"""Silence detection with the semantics of FFmpeg's `silencedetect` filter (mode=peak, mono=0).

silencedetect walks the samples interleaved (frame 0 channel 0, frame 0 channel 1,
..., frame 1 channel 0, ...) and counts consecutive samples whose absolute value is
strictly below the threshold; any sample at or above it, in any channel, resets the
count. A silence starts once the count reaches `duration x channels`, and is dated
`duration` samples before the frame where that happened, which is the first frame
silent in every channel. It ends at the frame of the first sample that breaks it. A
silence still running when the stream ends is closed at the end of the last frame;
a quiet tail shorter than the minimum duration is not a silence.

Here the same counting is done on whole blocks with numpy: the quiet runs of the
interleaved samples are found from where the quiet flag changes, and only the run
crossing each block boundary is carried to the next block, so the result does not
depend on how the audio is cut into blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from mp4_small_analyser.analysis.audio.runs import true_runs

_Position = TypeVar("_Position", int, np.ndarray)

MAX_SEGMENTS = 100
"""Segments listed in a result; later ones still count in `percentage` and `segment_count`."""


@dataclass(frozen=True)
class SilenceResult:
    percentage: float
    """Share of the analysed duration inside silences, 0..100."""
    segments: list[tuple[float, float]]
    """[start, end] seconds of the first `max_segments` silences (MAX_SEGMENTS by default)."""
    segment_count: int
    """How many silences there are, listed or not."""
    duration: float
    """Seconds of audio analysed."""


def samples_for(seconds: float, sample_rate: int) -> int:
    """Seconds to samples as silencedetect does: microseconds first, then rounded to nearest."""
    microseconds = round(seconds * 1_000_000)
    return (microseconds * sample_rate + 500_000) // 1_000_000


class SilenceDetector:
    """Feed float blocks (channels x n) in order, then read `result()`."""

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        threshold_db: float = -50.0,
        min_duration: float = 0.5,
        max_segments: int = MAX_SEGMENTS,
    ) -> None:
        if sample_rate <= 0 or channels <= 0:
            raise ValueError("sample_rate and channels must be positive")
        if min_duration <= 0 or max_segments < 0:
            raise ValueError("min_duration must be positive and max_segments not negative")
        self.sample_rate = sample_rate
        self.channels = channels
        # silencedetect compares float samples with the threshold cast to the sample type.
        self._threshold = np.float32(10.0 ** (threshold_db / 20.0))
        self._min_frames = max(samples_for(min_duration, sample_rate), 1)
        self._notify = self._min_frames * channels
        self._max_segments = max_segments
        self._frames = 0
        self._quiet_run = 0
        """Quiet interleaved samples counted so far in the run reaching the last block's end."""
        self._open_start: int | None = None
        """First frame of the silence in progress, if one has started."""
        self._segments: list[tuple[int, int]] = []
        self._segment_count = 0
        self._silent_frames = 0

    def add(self, block: np.ndarray) -> None:
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"expected a ({self.channels}, n) block, got {block.shape}")
        if block.shape[1] == 0:
            return
        quiet = (np.abs(block) < self._threshold).T.ravel()
        starts, ends = true_runs(quiet)
        base = self._frames * self.channels
        self._frames += block.shape[1]
        if quiet[0]:
            self._extend_run(base, int(ends[0]))
            if ends[0] == quiet.size:
                return
            self._close_run(base + int(ends[0]))
            starts, ends = starts[1:], ends[1:]
        else:
            self._close_run(base)
        if ends.size and ends[-1] == quiet.size:
            self._record_inner_runs(base, starts[:-1], ends[:-1])
            self._extend_run(base + int(starts[-1]), quiet.size - int(starts[-1]))
        else:
            self._record_inner_runs(base, starts, ends)

    def result(self) -> SilenceResult:
        segment_count = self._segment_count
        silent_frames = self._silent_frames
        segments = list(self._segments)
        if self._open_start is not None:
            segment_count += 1
            silent_frames += self._frames - self._open_start
            if len(segments) < self._max_segments:
                segments.append((self._open_start, self._frames))
        rate = self.sample_rate
        return SilenceResult(
            percentage=100.0 * silent_frames / self._frames if self._frames else 0.0,
            segments=[(start / rate, end / rate) for start, end in segments],
            segment_count=segment_count,
            duration=self._frames / rate,
        )

    def _start_frame(self, reached_at: _Position) -> _Position:
        """The start silencedetect dates a silence to, from where its count reached the minimum."""
        return reached_at // self.channels + 1 - self._min_frames

    def _extend_run(self, position: int, quiet_samples: int) -> None:
        """Count `quiet_samples` quiet samples from interleaved `position`, all in one run."""
        if self._open_start is None and self._quiet_run + quiet_samples >= self._notify:
            reached_at = position + self._notify - self._quiet_run - 1
            self._open_start = self._start_frame(reached_at)
        self._quiet_run += quiet_samples

    def _close_run(self, loud_at: int) -> None:
        """End the run in progress at the loud sample at interleaved position `loud_at`."""
        if self._open_start is not None:
            end = loud_at // self.channels
            self._record(np.array([self._open_start]), np.array([end]))
        self._open_start = None
        self._quiet_run = 0

    def _record_inner_runs(self, base: int, starts: np.ndarray, ends: np.ndarray) -> None:
        """Runs that start and end inside the block, none of them carried in or out."""
        long_enough = ends - starts >= self._notify
        if long_enough.any():
            first_frames = self._start_frame(base + starts[long_enough] + self._notify - 1)
            self._record(first_frames, (base + ends[long_enough]) // self.channels)

    def _record(self, starts: np.ndarray, ends: np.ndarray) -> None:
        self._segment_count += int(starts.size)
        self._silent_frames += int((ends - starts).sum())
        room = self._max_segments - len(self._segments)
        if room > 0:
            self._segments.extend(zip(starts[:room].tolist(), ends[:room].tolist(), strict=True))
