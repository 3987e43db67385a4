"""Full analysis vs the ffmpeg pipeline it replaces, side by side in one run.

The pipeline (per file, as the original design's later version ran it):
ffprobe (has audio?), ffprobe (duration), ffmpeg ebur128=peak=true, ffmpeg silencedetect.
We time `mp4-analyser analyse` in one process over all files: audio metrics alone,
and full analysis with picture metrics; and we print our loudness, true peak and
silence next to ffmpeg's.

    .venv/bin/python benchmarks/full.py [--repeat 3] [--out .bench/full]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from mp4_small_analyser.options import AnalysisOptions

RATE = 48000


def programme(seconds: float, channels: int, seed: int) -> np.ndarray:
    """Speech-like bursts of tones and noise with pauses, so every metric has work."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    envelope = (np.sin(2 * np.pi * 0.23 * t) > -0.6).astype(np.float64)
    carrier = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1375 * t)
    noise = 0.05 * rng.standard_normal(n)
    mono = (carrier + noise) * envelope * (0.5 + 0.5 * np.sin(2 * np.pi * 0.05 * t) ** 2)
    return np.vstack([mono * (0.9 if c % 2 else 1.0) for c in range(channels)])


def make_clip(
    path: Path,
    seconds: float,
    channels: int,
    width: int = 1280,
    height: int = 720,
    faststart: bool = True,
) -> Path:
    if path.exists():
        return path
    fps = 25
    audio = programme(seconds, channels, seed=channels)
    yy, xx = np.mgrid[0:height, 0:width]
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("aac", rate=RATE)
        sound.layout = {2: "stereo", 6: "5.1"}[channels]
        sound.bit_rate = 64000 * channels
        next_audio = 0

        def encode_audio(until: int) -> None:
            nonlocal next_audio
            size = 1024  # AAC's frame size
            while next_audio < min(until, audio.shape[1]):
                chunk = np.ascontiguousarray(audio[:, next_audio : next_audio + size])
                frame = av.AudioFrame.from_ndarray(
                    chunk.astype(np.float32), format="fltp", layout=sound.layout.name
                )
                frame.sample_rate, frame.pts = RATE, next_audio
                frame.time_base = Fraction(1, RATE)
                next_audio += size
                for packet in sound.encode(frame):
                    out.mux(packet)

        # Audio and video encoded in step, so the file is interleaved as real files are.
        for i in range(round(seconds * fps)):
            # Smooth moving waves with fine ripples: detail everywhere, and no hard edges
            # lined up with the codec's 8x8 grid (which would read as blocking).
            phase = i * 0.12
            waves = np.sin(xx / 13.7 + phase) * np.cos(yy / 9.3 - phase / 2)
            ripple = np.sin((xx + yy) / 5.1 + 2 * phase)
            rgb = np.dstack([128 + 70 * waves, 128 + 40 * ripple, 128 - 60 * waves])
            frame = av.VideoFrame.from_ndarray(rgb.clip(0, 255).astype(np.uint8), format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
            encode_audio(round((i + 1) * RATE / fps))
        for packet in video.encode(None):
            out.mux(packet)
        encode_audio(audio.shape[1])
        for packet in sound.encode(None):
            out.mux(packet)
    return path


def _ffmpeg_null(path: Path, *filters: str) -> str:
    """Run one ffmpeg filter over the file to the null muxer; its report is on stderr."""
    command = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), *filters, "-f", "null", "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stderr


def ffmpeg_pipeline(path: Path) -> dict[str, float | None]:
    """The four commands of the pipeline; returns ffmpeg's numbers."""
    subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a",
            "-show_entries",
            "stream=index",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        check=True,
    )
    subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        check=True,
    )
    loud = _ffmpeg_null(path, "-filter_complex", "ebur128=peak=true")
    silence = _ffmpeg_null(path, "-af", "silencedetect=n=-50dB:d=0.5")
    summary = loud[loud.rfind("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    silent = sum(float(d) for d in re.findall(r"silence_duration: ([\d.]+)", silence))
    return {
        "integrated": float(integrated.group(1)) if integrated else None,
        "lra": float(lra.group(1)) if lra else None,
        "true_peak": float(peak.group(1)) if peak and peak.group(1) != "-inf" else None,
        "silence_seconds": silent,
    }


def timed(function, repeat: int):  # type: ignore[no-untyped-def]
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(".bench/full"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clips = [
        make_clip(args.out / "720p-10s-stereo.mp4", 10, 2),
        make_clip(args.out / "720p-30s-stereo.mp4", 30, 2),
        make_clip(args.out / "720p-10s-5.1.mp4", 10, 6),
    ]
    audio_only = AnalysisOptions(video_metrics=False)
    full = AnalysisOptions()
    fast = AnalysisOptions(video_keyframes_only=True)
    run_task(str(clips[0]), options=full)  # warm-up: imports, codec tables, first allocations
    rows = []
    totals = {"ffmpeg": 0.0, "audio": 0.0, "full": 0.0, "fast": 0.0}
    for clip in clips:
        t_ff, ff = timed(lambda c=clip: ffmpeg_pipeline(c), args.repeat)
        t_audio, ours = timed(lambda c=clip: run_task(str(c), options=audio_only), args.repeat)
        t_full, _ = timed(lambda c=clip: run_task(str(c), options=full), args.repeat)
        t_fast, _ = timed(lambda c=clip: run_task(str(c), options=fast), args.repeat)
        totals["ffmpeg"] += t_ff
        totals["audio"] += t_audio
        totals["full"] += t_full
        totals["fast"] += t_fast
        assert isinstance(ours, CompletedResult), ours
        audio = ours.results.audio_analysis
        assert audio is not None
        duration = ours.results.file_info.duration or 0.0
        rows.append((clip.name, t_ff, t_audio, t_full, t_fast, ff, audio, duration))

    print(f"median of {args.repeat} runs per file; times in seconds\n")
    print(
        f"{'file':24} {'ffmpeg x4':>9} {'audio':>7} {'ratio':>6} {'full':>7} {'ratio':>6} "
        f"{'fast':>7} {'ratio':>6}"
    )
    for name, t_ff, t_audio, t_full, t_fast, *_ in rows:
        print(
            f"{name:24} {t_ff:9.3f} {t_audio:7.3f} {t_ff / t_audio:5.1f}x {t_full:7.3f} "
            f"{t_ff / t_full:5.1f}x {t_fast:7.3f} {t_ff / t_fast:5.1f}x"
        )
    print(
        f"{'all files':24} {totals['ffmpeg']:9.3f} {totals['audio']:7.3f} "
        f"{totals['ffmpeg'] / totals['audio']:5.1f}x {totals['full']:7.3f} "
        f"{totals['ffmpeg'] / totals['full']:5.1f}x {totals['fast']:7.3f} "
        f"{totals['ffmpeg'] / totals['fast']:5.1f}x"
    )
    print("\nvalues: ours vs ffmpeg (ebur128=peak=true, silencedetect=n=-50dB:d=0.5)\n")
    print(
        f"{'file':24} {'I ours':>8} {'I ff':>8} {'dI':>6} {'LRA ours':>8} {'LRA ff':>7} "
        f"{'TP ours':>8} {'TP ff':>7} {'dTP':>6} {'sil% ours':>9} {'sil% ff':>8}"
    )
    for name, _, _, _, _, ff, audio, duration in rows:
        ff_silence = 100.0 * ff["silence_seconds"] / duration if duration else 0.0
        d_i = (audio.loudness_integrated or 0.0) - (ff["integrated"] or 0.0)
        d_tp = (audio.true_peak or 0.0) - (ff["true_peak"] or 0.0)
        print(
            f"{name:24} {audio.loudness_integrated:8.2f} {ff['integrated']:8.2f} {d_i:6.2f} "
            f"{audio.loudness_range:8.2f} {ff['lra']:7.2f} {audio.true_peak:8.2f} "
            f"{ff['true_peak']:7.2f} {d_tp:6.2f} {audio.silence_percentage:9.2f} "
            f"{ff_silence:8.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
