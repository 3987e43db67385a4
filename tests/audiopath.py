"""Audio test signals and the product's own decode path, shared by the audio metric tests.

Signals are built from pieces (tone, digital silence, quiet noise) so the expected
silences follow from the generation parameters; files are decoded with
`analysis/decode.py`, as the analysis does, so the whole path is exercised.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mp4_small_analyser.analysis.decode import (
    AudioFormat,
    audio_blocks,
    audio_format,
    open_container,
)
from mp4_small_analyser.analysis.sources.base import LocalFileSource

RATE = 48000
TONE_HZ = 1000.0
TONE_PHASE = np.pi / 48
"""1 kHz at 48 kHz repeats every 48 samples; half a step of phase keeps every sample
of a tone at least 6.5 % of its amplitude away from zero, so tones never contain a
quiet sample and silences start and end exactly at piece boundaries."""


def db(level: float) -> float:
    return float(10.0 ** (level / 20.0))


def tone(seconds: float, amplitude: float = 0.5, freq: float = TONE_HZ) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * freq * t + TONE_PHASE)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE))


def uniform_noise(seconds: float, peak: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-peak, peak, round(seconds * RATE))


def gaussian_noise(seconds: float, rms: float, seed: int) -> np.ndarray:
    return rms * np.random.default_rng(seed).standard_normal(round(seconds * RATE))


@dataclass(frozen=True)
class Piece:
    signal: np.ndarray
    silent: bool
    """Every sample of this piece is below the -50 dBFS default threshold."""


def assemble(pieces: Sequence[Piece]) -> np.ndarray:
    return np.concatenate([piece.signal for piece in pieces])


def silent_mask(pieces: Sequence[Piece]) -> np.ndarray:
    return np.concatenate([np.full(piece.signal.size, piece.silent) for piece in pieces])


def expected_silences(
    channels: Sequence[Sequence[Piece]], min_duration: float
) -> list[tuple[float, float]]:
    """Spans where every channel is in a silent piece, lasting at least `min_duration`."""
    together = np.logical_and.reduce([silent_mask(pieces) for pieces in channels])
    edges = np.diff(together.astype(np.int8), prepend=0, append=0)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = ends - starts >= round(min_duration * RATE)
    return [(a / RATE, b / RATE) for a, b in zip(starts[keep], ends[keep], strict=True)]


def decoded_blocks(path: Path) -> tuple[AudioFormat, list[np.ndarray]]:
    """The first audio track as decode.py yields it: its format and (channels x n) blocks."""
    with LocalFileSource(path) as source:
        container = open_container(source)
        try:
            index = container.streams.audio[0].index
            fmt = audio_format(container, index)
            blocks = list(audio_blocks(container, index, max_duration=3600.0))
        finally:
            container.close()
    return fmt, blocks


def decode_audio(path: Path) -> tuple[AudioFormat, np.ndarray]:
    """The first audio track as one (channels x n) float32 array, through decode.py."""
    fmt, blocks = decoded_blocks(path)
    return fmt, np.concatenate(blocks, axis=1)


def random_blocks(samples: np.ndarray, seed: int, cuts: Sequence[int] = ()) -> Iterator[np.ndarray]:
    """`samples` cut at random sizes (1 sample to 64 Ki), and at every position in `cuts`."""
    rng = np.random.default_rng(seed)
    sizes = np.array([1, 2, 3, 17, 479, 1024, 4095, 65536])
    total = samples.shape[1]
    positions = set(int(c) for c in cuts if 0 < c < total)
    position = 0
    while position < total:
        positions.add(position)
        position += int(rng.choice(sizes))
    bounds = [*sorted(positions), total]
    for start, end in itertools.pairwise(bounds):
        yield samples[:, start:end]


def silencedetect_by_hand(
    samples: np.ndarray, threshold: float, min_frames: int
) -> list[tuple[int, int]]:
    """silencedetect's per-sample loop (mode=peak, mono=0), in frames: the exactness oracle."""
    channels, frames = samples.shape
    notify = min_frames * channels
    limit = float(np.float32(threshold))
    count, start, found = 0, None, []
    for i, value in enumerate(samples.T.ravel().tolist()):
        if -limit < value < limit:
            if start is None:
                count += 1
                if count >= notify:
                    start = i // channels + 1 - min_frames
        else:
            if start is not None:
                found.append((start, i // channels))
            count, start = 0, None
    if start is not None:
        found.append((start, frames))
    return found
