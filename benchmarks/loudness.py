"""The loudness meter's own speed, and decode + meter against ffmpeg's ebur128 on one file.

    .venv/bin/python benchmarks/loudness.py [--seconds 60] [--repeat 5]

Times are the best of `--repeat` runs (the least disturbed by other work on the
machine), in seconds per minute of audio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mp4_small_analyser.analysis.decode import audio_blocks, audio_format, open_container
from mp4_small_analyser.analysis.loudness import LoudnessMeter
from mp4_small_analyser.analysis.source import LocalFileSource
from tests.mediagen import write_audio

LAYOUTS = {"stereo": ("FL", "FR"), "5.1": ("FL", "FR", "FC", "LFE", "BL", "BR")}


def best(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


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

    print("meter alone (in-memory float32 blocks of 65536 samples), s per minute of audio")
    for rate, layout in ((48000, "stereo"), (44100, "stereo"), (96000, "stereo"), (48000, "5.1")):
        names = LAYOUTS[layout]
        samples = programme(args.seconds, len(names), rate)
        took = best(lambda s=samples, r=rate, n=names: meter_only(s, r, n), args.repeat)
        print(f"  {rate} Hz {layout:6s}  {took * per_minute:.3f}")

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "programme.m4a"
        write_audio(path, programme(args.seconds, 2, 48000), 48000, codec="aac", bit_rate=128000)
        ours = best(lambda: decode_and_meter(path), args.repeat)
        ebur128 = best(lambda: ffmpeg(path, "ebur128=peak=true"), args.repeat)
        silence = best(lambda: ffmpeg(path, "silencedetect=n=-50dB:d=0.5"), args.repeat)
    print("AAC 48 kHz stereo MP4, s per minute of audio")
    print(f"  decode + LoudnessMeter              {ours * per_minute:.3f}")
    print(f"  ffmpeg ebur128=peak=true             {ebur128 * per_minute:.3f}")
    print(f"  ffmpeg ebur128 + silencedetect runs  {(ebur128 + silence) * per_minute:.3f}")
    print(f"  ratio (ffmpeg pair / ours)           {(ebur128 + silence) / ours:.1f}x")


if __name__ == "__main__":
    main()
