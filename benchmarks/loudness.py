"""The loudness meter's own speed, and decode + meter against ffmpeg's ebur128 on one file.

    .venv/bin/python benchmarks/loudness.py [--seconds 60] [--repeat 5]

Times are the best of `--repeat` runs (the least disturbed by other work on the
machine), in seconds per minute of audio: wall clock, and CPU time (this process's,
or ffmpeg's as a child), which a busy shared machine inflates much less.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mp4_small_analyser.analysis.audio.loudness import LoudnessMeter
from mp4_small_analyser.analysis.decode import audio_blocks, audio_format, open_container
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from tests.mediagen import write_audio

LAYOUTS = {"stereo": ("FL", "FR"), "5.1": ("FL", "FR", "FC", "LFE", "BL", "BR")}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(wall, cpu) seconds, each the smallest over `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), _cpu()
        action()
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu() - cpu)
    return min(walls), min(cpus)


def programme(seconds: float, channels: int, rate: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    n = round(seconds * rate)
    envelope = 0.05 + 0.2 * (np.sin(2 * np.pi * 0.3 * np.arange(n) / rate) > 0)
    return (rng.standard_normal((channels, n)) * envelope).astype(np.float32)


def meter_only(samples: np.ndarray, rate: int, names: tuple[str, ...]) -> None:
    meter = LoudnessMeter(rate, names)
    for start in range(0, samples.shape[1], 1 << 16):
        meter.add(samples[:, start : start + (1 << 16)])
    meter.result()


def decode_and_meter(path: Path) -> None:
    with LocalFileSource(path) as source:
        container = open_container(source)
        index = container.streams.audio[0].index
        fmt = audio_format(container, index)
        meter = LoudnessMeter(fmt.sample_rate, fmt.channel_names)
        for block in audio_blocks(container, index, max_duration=3600.0):
            meter.add(block)
        meter.result()
        container.close()


def ffmpeg(path: Path, audio_filter: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-nostats", "-i", str(path), "-af", audio_filter, "-f", "null", "-"],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    per_minute = 60.0 / args.seconds

    print("meter alone (in-memory float32 blocks of 65536 samples), s per minute: wall / cpu")
    for rate, layout in ((48000, "stereo"), (44100, "stereo"), (96000, "stereo"), (48000, "5.1")):
        names = LAYOUTS[layout]
        samples = programme(args.seconds, len(names), rate)
        wall, cpu = best(lambda s=samples, r=rate, n=names: meter_only(s, r, n), args.repeat)
        print(f"  {rate} Hz {layout:6s}  {wall * per_minute:.3f} / {cpu * per_minute:.3f}")

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "programme.m4a"
        write_audio(path, programme(args.seconds, 2, 48000), 48000, codec="aac", bit_rate=128000)
        rows = {
            "decode + LoudnessMeter": best(lambda: decode_and_meter(path), args.repeat),
            "ffmpeg ebur128=peak=true": best(
                lambda: ffmpeg(path, "ebur128=peak=true"), args.repeat
            ),
            "ffmpeg silencedetect": best(
                lambda: ffmpeg(path, "silencedetect=n=-50dB:d=0.5"), args.repeat
            ),
        }
    print("AAC 48 kHz stereo MP4, s per minute: wall / cpu")
    for label, (wall, cpu) in rows.items():
        print(f"  {label:26s}  {wall * per_minute:.3f} / {cpu * per_minute:.3f}")
    ours = rows["decode + LoudnessMeter"]
    ebur128, silence = rows["ffmpeg ebur128=peak=true"], rows["ffmpeg silencedetect"]
    pair = (ebur128[0] + silence[0], ebur128[1] + silence[1])
    print(f"  ffmpeg pair / ours          {pair[0] / ours[0]:.1f}x / {pair[1] / ours[1]:.1f}x")


if __name__ == "__main__":
    main()
