"""Loudness range against libebur128 (pyebur128), and why its default differs.

EBU Tech 3342 (2016) computes LRA from short-term loudness taken at least 10
times a second. libebur128's `loudness_range()` uses its short-term values once a
second (the 3 s windows ending at 3 s, 4 s, ...): on these programmes that reads
up to ~1 LU apart from Tech 3342. The reference here is libebur128's own
short-term loudness sampled every 100 ms and put through Tech 3342's gates and
percentiles; ours must agree within 0.1 LU on programmes of 30 s or more.
"""

from __future__ import annotations

import numpy as np
import pyebur128
import pytest

from mp4_small_analyser.analysis.audio.loudness import LoudnessMeter

RATE = 48000
HOP = RATE // 10
MODE_S_AND_LRA = 1 | 2 | 8
"""libebur128's EBUR128_MODE_S | EBUR128_MODE_LRA."""


def programme(seconds: float, seed: int) -> np.ndarray:
    """Speech-like stereo: noise phrases of 0.3-2 s at -35..-12 dBFS with short pauses."""
    rng = np.random.default_rng(seed)
    total = round(seconds * RATE)
    gain = np.zeros(total)
    position = 0
    while position < total:
        length = int(rng.uniform(0.3, 2.0) * RATE)
        level = rng.uniform(-35.0, -12.0) if rng.random() > 0.15 else -120.0
        gain[position : position + length] = 10 ** (level / 20)
        position += length
    noise = rng.standard_normal((2, total)) * gain
    return noise.astype(np.float32)


def tech3342(short_term_lufs: list[float]) -> float:
    values = np.array([v for v in short_term_lufs if v > -70.0])
    energies = 10 ** (values / 10)
    relative = 10 * np.log10(energies.mean()) - 20.0
    kept = np.sort(values[values > relative])
    low, high = (int((kept.size - 1) * p + 0.5) for p in (0.10, 0.95))
    return float(kept[high] - kept[low])


def libebur128(signal: np.ndarray) -> tuple[list[float], float]:
    """(short-term LUFS every 100 ms from 3 s on, libebur128's own loudness range)."""
    state = pyebur128.R128State(2, RATE, MODE_S_AND_LRA)
    values = []
    for start in range(0, signal.shape[1] - HOP + 1, HOP):
        chunk = np.ascontiguousarray(signal[:, start : start + HOP].T).reshape(-1)
        state.add_frames(chunk.astype(np.float64), HOP)
        if start + HOP >= 3 * RATE:
            values.append(pyebur128.get_loudness_shortterm(state))
    return values, pyebur128.get_loudness_range(state)


def ours(signal: np.ndarray) -> tuple[float | None, int]:
    meter = LoudnessMeter(RATE, ("FL", "FR"))
    for start in range(0, signal.shape[1], 65536):
        meter.add(signal[:, start : start + 65536])
    result = meter.result()
    return result.loudness_range, result.loudness_range_blocks


@pytest.mark.parametrize(("seconds", "seed"), [(30.0, 1), (40.0, 2), (60.0, 3)])
def test_loudness_range_equals_tech_3342_on_libebur128_short_term_values(
    seconds: float, seed: int
) -> None:
    signal = programme(seconds, seed)
    short_term, default = libebur128(signal)
    lra, blocks = ours(signal)
    assert lra == pytest.approx(tech3342(short_term), abs=0.1)
    assert blocks >= 0.8 * len(short_term) and blocks >= 200
    # libebur128's default rests on one short-term value a second: the same gates and
    # percentiles on the values at whole seconds give its figure.
    assert default == pytest.approx(tech3342(short_term[::10]), abs=0.05)
