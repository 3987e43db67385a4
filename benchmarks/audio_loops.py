"""The silence and defect meters against per-sample Python loops doing the same work.

    .venv/bin/python benchmarks/audio_loops.py [--repeat 3]

60 s of 48 kHz stereo through each meter in 64 Ki-frame blocks, against the loop
timed on one second and scaled by 60 (the loop is linear). These were speed
assertions in the tests (a meter at least 5x faster than the loop); a speed claim
belongs here, beside its command, not in a test (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mp4_small_analyser.analysis.audio.defects import CLIP_LEVEL, AudioDefectMeter
from mp4_small_analyser.analysis.audio.silence import SilenceDetector
from tests.audiopath import RATE, db, silencedetect_by_hand

BLOCK = 1 << 16


def best_time(action: Callable[[], object], repeat: int) -> float:
    """Fastest of `repeat` runs, in seconds: the least disturbed by other work."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def silence(repeat: int) -> tuple[float, float]:
    rng = np.random.default_rng(7)
    samples = (0.3 * rng.standard_normal((2, 60 * RATE))).astype(np.float32)
    samples[:, 10 * RATE : 20 * RATE] *= 1e-3

    def detect() -> None:
        detector = SilenceDetector(RATE, 2)
        for start in range(0, samples.shape[1], BLOCK):
            detector.add(samples[:, start : start + BLOCK])
        assert detector.result().segment_count == 1

    one_second = samples[:, 10 * RATE - RATE // 2 : 10 * RATE + RATE // 2]
    loop = best_time(lambda: silencedetect_by_hand(one_second, db(-50.0), RATE // 2), repeat)
    return best_time(detect, repeat), 60 * loop


def defects(repeat: int) -> tuple[float, float]:
    rng = np.random.default_rng(13)
    bass = 1.2 * np.sin(2 * np.pi * 55.0 * np.arange(60 * RATE) / RATE)
    samples = np.clip(bass + 0.1 * rng.standard_normal((2, 60 * RATE)), -1, 1).astype(np.float32)
    one_second = samples[:, :RATE].T.tolist()
    level = float(CLIP_LEVEL)

    def by_hand() -> None:
        peak, total, runs = [0.0, 0.0], [0.0, 0.0], [0, 0]
        cross = 0.0
        for frame in one_second:
            for channel, value in enumerate(frame):
                magnitude = abs(value)
                peak[channel] = max(peak[channel], magnitude)
                total[channel] += value
                runs[channel] = runs[channel] + 1 if magnitude >= level else 0
            cross += frame[0] * frame[1]

    def measure() -> None:
        meter = AudioDefectMeter(2)
        for start in range(0, samples.shape[1], BLOCK):
            meter.add(samples[:, start : start + BLOCK])
        assert meter.result().clipping.runs > 0

    return best_time(measure, repeat), 60 * best_time(by_hand, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("meter     60 s stereo   per-sample loop   ratio")
    for name, run in (("silence", silence), ("defects", defects)):
        meter, loop = run(args.repeat)
        print(f"{name:<9} {meter * 1000:8.0f} ms   {loop * 1000:12.0f} ms   {loop / meter:5.0f}x")


if __name__ == "__main__":
    main()
