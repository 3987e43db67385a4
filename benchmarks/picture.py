"""Picture depth: our full analysis at both depths against FFmpeg, side by side in one run.

Per file, interleaved so that the load of a shared machine hits every case alike, and
the median of `--repeat` runs kept (wall and CPU seconds; ours: this process's CPU,
FFmpeg's: its children's):

- "pipeline": the original design's 4 commands (ffprobe x2, ebur128, silencedetect; each
  ffmpeg decodes the video too, having no -vn), as benchmarks/full.py runs them;
- "one ffmpeg": ONE ffmpeg process with the equivalent filter graph: audio ebur128 and
  silencedetect, video blackdetect, freezedetect, cropdetect, idet, signalstats, scdet,
  siti (run `--ffmpeg-repeat` times: 10-40 s a file);
- "sampled": `run_task` at the default depth (2 pictures a second, B-frames not decoded;
  black, frozen, blur, blockiness, active area, levels, SI);
- "every frame": `run_task` with `video_every_frame` (every measure);
- "baseline" (with `--baseline DIR`): `run_task` of another checkout (e.g. `git archive`
  of main before this work) in a child process that times itself, for "today".

Peak memory (`--memory FILE`): each depth analysed in a fresh process, its peak RSS; FILE is
made first when missing: 10 minutes of 1080p25 (FFmpeg's testsrc2, x264 ultrafast CRF 30) with a
stereo AAC tone, ~640 MB (`LONG_CLIP`).

    .venv/bin/python benchmarks/picture.py [--repeat 5] [--baseline /tmp/main-src]
    .venv/bin/python benchmarks/picture.py --memory .bench/full/1080p-10min.mp4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.full import ffmpeg_pipeline, make_clip
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.options import AnalysisOptions

GRAPH = (
    "[0:a]ebur128=peak=true,silencedetect=n=-50dB:d=0.5[a];"
    "[0:v]blackdetect,freezedetect,cropdetect,idet,signalstats,scdet,siti[v]"
)
SAMPLED = AnalysisOptions()
EVERY_FRAME = AnalysisOptions(video_every_frame=True)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed(function: Callable[[], object], who: int) -> Timing:
    cpu, start = _cpu(who), time.perf_counter()
    function()
    return Timing(time.perf_counter() - start, _cpu(who) - cpu)


def one_ffmpeg(path: Path) -> None:
    command = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-filter_complex", GRAPH]
    command += ["-map", "[a]", "-map", "[v]", "-f", "null", "-"]
    subprocess.run(command, capture_output=True, check=True)


def ours(path: Path, options: AnalysisOptions) -> None:
    result = run_task(str(path), options=options)
    assert result.status == "completed", result


_BASELINE = textwrap.dedent(
    """
    import json, resource, sys, time
    try:
        from mp4_small_analyser.analysis.task import run_task
    except ImportError:  # checkouts before the seams issue
        from mp4_small_analyser.task import run_task

    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    run_task(sys.argv[1])  # warm-up: imports, codec tables
    c, t = cpu(), time.perf_counter()
    assert run_task(sys.argv[1]).status == "completed"
    print(json.dumps([time.perf_counter() - t, cpu() - c]))
    """
)


def baseline(path: Path, source: Path) -> Timing:
    """`run_task` of the checkout at `source`, timed inside its own process after a warm-up."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    run = subprocess.run(
        [sys.executable, "-c", _BASELINE, str(path.resolve())],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=source,
    )
    wall, cpu = json.loads(run.stdout.strip().splitlines()[-1])
    return Timing(wall, cpu)


def median(timings: list[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
    )


def speed(args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    clips = [
        make_clip(args.out / "720p-10s-stereo.mp4", 10, 2),
        make_clip(args.out / "720p-30s-stereo.mp4", 30, 2),
        make_clip(args.out / "1080p-10s-stereo.mp4", 10, 2, width=1920, height=1080),
    ]
    ours(clips[0], EVERY_FRAME)  # warm-up: imports, codec tables, first allocations
    load_before = os.getloadavg()
    cases: dict[str, dict[str, list[Timing]]] = {}
    for clip in clips:
        runs = cases.setdefault(clip.name, {})
        measures: dict[str, Callable[[], Timing]] = {
            "pipeline (4 commands)": lambda c=clip: timed(
                partial(ffmpeg_pipeline, c), resource.RUSAGE_CHILDREN
            ),
            "ours, sampled": lambda c=clip: timed(partial(ours, c, SAMPLED), resource.RUSAGE_SELF),
            "ours, every frame": lambda c=clip: timed(
                partial(ours, c, EVERY_FRAME), resource.RUSAGE_SELF
            ),
        }
        if args.baseline is not None:
            measures["baseline (today), sampled"] = lambda c=clip: baseline(c, args.baseline)
        for _ in range(args.repeat):
            for name, measure in measures.items():
                runs.setdefault(name, []).append(measure())
        for _ in range(args.ffmpeg_repeat):
            runs.setdefault("one ffmpeg, all filters", []).append(
                timed(partial(one_ffmpeg, clip), resource.RUSAGE_CHILDREN)
            )
    print(f"load average before {load_before}, after {os.getloadavg()}")
    print(f"median of {args.repeat} runs (one ffmpeg: {args.ffmpeg_repeat}); seconds\n")
    print("| file | case | wall | CPU | pipeline / case (wall, CPU) | one ffmpeg / case |")
    print("|---|---|---:|---:|---:|---:|")
    for name, runs in cases.items():
        summary = {case: median(timings) for case, timings in runs.items()}
        pipeline = summary["pipeline (4 commands)"]
        graph = summary["one ffmpeg, all filters"]
        for case, t in summary.items():
            print(
                f"| {name} | {case} | {t.wall:.2f} | {t.cpu:.2f} | "
                f"{pipeline.wall / t.wall:.2f}x, {pipeline.cpu / t.cpu:.2f}x | "
                f"{graph.wall / t.wall:.1f}x, {graph.cpu / t.cpu:.1f}x |"
            )


_MEMORY = textwrap.dedent(
    """
    import json, resource, sys, time
    try:
        from mp4_small_analyser.analysis.task import run_task
    except ImportError:  # checkouts before the seams issue
        from mp4_small_analyser.task import run_task
    from mp4_small_analyser.options import AnalysisOptions

    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    options = AnalysisOptions(video_every_frame=sys.argv[2] == "every_frame")
    result = run_task(sys.argv[1], options=options)
    assert result.status == "completed", result
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps([imported / 1024, peak / 1024, time.perf_counter() - start]))
    """
)


LONG_CLIP = [
    *("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25"),
    *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
    *("-t", "600", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30"),
    *("-c:a", "aac", "-b:a", "96k", "-ac", "2"),
]


def memory(path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial_file = path.with_suffix(".partial.mp4")
        command = ["ffmpeg", "-nostats", "-hide_banner", "-y", *LONG_CLIP, str(partial_file)]
        subprocess.run(command, capture_output=True, check=True)
        partial_file.rename(path)
    for depth in ("sampled", "every_frame"):
        run = subprocess.run(
            [sys.executable, "-c", _MEMORY, str(path.resolve()), depth],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        )
        imported, peak, wall = json.loads(run.stdout.strip().splitlines()[-1])
        print(
            f"{path.name} {depth}: peak RSS {peak:.0f} MB (after imports {imported:.0f} MB), "
            f"wall {wall:.1f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ffmpeg-repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(".bench/full"))
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR")
    parser.add_argument("--memory", type=Path, default=None, metavar="FILE")
    args = parser.parse_args()
    if args.memory is not None:
        memory(args.memory)
    else:
        speed(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
