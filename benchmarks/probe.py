"""Probe cost: our in-process probe vs one ffprobe process per file, locally and over HTTP.

The files are the test catalogue (tests/media_catalogue.py) plus a 21 MB
non-faststart file. Locally we time, per file, the median of `--repeat` runs of
`run_task(probe_only)` (what `mp4-analyser analyse --probe` does for one source,
in one process), of `probe()` alone, and of
`ffprobe -v error -print_format json -show_format -show_streams FILE`.
Over HTTP the files are served by the tests' Range-capable loopback server and
we count the bytes the probe fetched, against the file size and against the
target "moov size + 128 KiB", for the default block size and for 64 KiB blocks.

    .venv/bin/python benchmarks/probe.py [--repeat 7] [--out .bench/probe]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.full import make_clip
from mp4_small_analyser.analysis.container.layout import read_layout
from mp4_small_analyser.analysis.container.probe import probe
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from mp4_small_analyser.analysis.sources.http import HttpSource
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from mp4_small_analyser.options import AnalysisOptions, SourceLimits
from tests.fixtures_http import FileServer
from tests.media_catalogue import CATALOGUE, LARGE_NON_FASTSTART, build

KiB = 1024
T = TypeVar("T")
PROBE_ONLY = AnalysisOptions(probe_only=True)
FFPROBE = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]


def make_files(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    specs = {**CATALOGUE, "large_non_faststart": LARGE_NON_FASTSTART}
    paths = []
    for name, spec in specs.items():
        path = directory / f"{name}{spec.suffix}"
        if not path.exists():
            build(spec, path)
        paths.append(path)
    return paths


def timed(action: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median seconds of `repeat` runs, and the last run's result."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def probe_local(path: Path) -> None:
    with LocalFileSource(path) as source:
        probe(source)


def probe_http(url: str, limits: SourceLimits) -> HttpSource:
    source = HttpSource(url, limits)
    with source:
        probe(source)
    return source


def task_local(path: Path) -> None:
    result = run_task(str(path), options=PROBE_ONLY)
    if not isinstance(result, CompletedResult):
        raise SystemExit(f"{path.name}: {result.error_code} {result.error}")


def run_ffprobe(path: Path) -> None:
    subprocess.run([*FFPROBE, str(path)], check=True, capture_output=True)


def moov_size(path: Path) -> int:
    with LocalFileSource(path) as source:
        return read_layout(source).moov.size


def local_table(paths: list[Path], repeat: int) -> list[str]:
    rows = [
        "| file | size | run_task --probe (ms) | probe() (ms) | ffprobe (ms) "
        "| ffprobe / run_task |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for path in paths:
        task_local(path)  # warm-up: imports and codec tables load on first use
        ours, _ = timed(partial(task_local, path), repeat)
        bare, _ = timed(partial(probe_local, path), repeat)
        theirs, _ = timed(partial(run_ffprobe, path), repeat)
        ratios.append(theirs / ours)
        rows.append(
            f"| {path.name} | {path.stat().st_size:,} | {ours * 1e3:.2f} | {bare * 1e3:.2f} "
            f"| {theirs * 1e3:.1f} | {theirs / ours:.1f}x |"
        )
    rows.append("")
    median, mean = statistics.median(ratios), statistics.geometric_mean(ratios)
    rows.append(
        f"Ratio ffprobe / run_task over {len(ratios)} files: median {median:.1f}x, "
        f"geometric mean {mean:.1f}x, lowest {min(ratios):.1f}x."
    )
    return rows


def http_table(paths: list[Path], server: FileServer, repeat: int) -> list[str]:
    default = SourceLimits()
    settings = [("default", default), ("64 KiB", SourceLimits(block_size=64 * KiB))]
    rows = [
        "| file | size | moov | blocks | bytes read | requests | read / size "
        "| ≤ moov + 128 KiB | probe (ms) |",
        "|---|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for path in paths:
        url = server.publish(path)
        moov = moov_size(path)
        for label, limits in settings:
            elapsed, source = timed(partial(probe_http, url, limits), repeat)
            size = path.stat().st_size
            within = "yes" if source.bytes_read <= moov + 128 * KiB else "no"
            rows.append(
                f"| {path.name} | {size:,} | {moov:,} | {label} | {source.bytes_read:,} "
                f"| {source.requests} | {source.bytes_read / size:.1%} | {within} "
                f"| {elapsed * 1e3:.1f} |"
            )
    rows.append("")
    rows.append(f"Default block size: {default.block_size // KiB} KiB.")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(".bench/probe"))
    args = parser.parse_args()
    if shutil.which("ffprobe") is None:
        raise SystemExit("ffprobe is not installed (apt-get install ffmpeg)")
    paths = make_files(args.out)
    print("## Local files\n")
    print("\n".join(local_table(paths, args.repeat)))
    # Realistic remote files too: 720p clips of a few MB, moov first and moov last.
    clips = [
        make_clip(args.out / "720p-30s-faststart.mp4", 30, 2),
        make_clip(args.out / "720p-30s-moov-at-end.mp4", 30, 2, faststart=False),
    ]
    print("\n## Over HTTP (loopback Range server)\n")
    with FileServer(args.out) as server:
        print("\n".join(http_table([*paths, *clips], server, args.repeat)))


if __name__ == "__main__":
    main()
