"""Service benchmark: files per second end to end, submit latency, memory, vs the CLI.

    .venv/bin/python benchmarks/service.py [--sizes 50 500] [--workers 1 2]

Generates short clips (4 s, 320x240 H.264 + stereo AAC), serves them from a
loopback file server, runs `mp4-analyser serve` with 1 and 2 workers, submits
one async batch per size and waits for every callback at a loopback receiver.
Throughput is files / (last callback - submission). Submit latency is measured
apart, over repeated submissions to a service that keeps analysing meanwhile.
The same URLs are then analysed by `mp4-analyser analyse -j N` for reference.
Prints a markdown report (pasted into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess
from tests.mediagen import moving_pattern, sine, write_video

CLIP_SECONDS = 4.0
LATENCY_ROUNDS = {50: 20, 500: 10}


@dataclass
class Run:
    workers: int
    files: int
    seconds: float
    submit_seconds: float
    peak_rss_mb: float
    completed: int
    lost: int

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds


def make_clips(directory: Path, count: int) -> list[Path]:
    clips = []
    for index in range(count):
        audio = np.vstack([sine(220 * (index + 1), CLIP_SECONDS), sine(330, CLIP_SECONDS)])
        frames = moving_pattern(320, 240, int(25 * CLIP_SECONDS), seed=index)
        path = directory / f"clip{index}.mp4"
        clips.append(write_video(path, frames, fps=25, audio=audio, options={"preset": "veryfast"}))
    return clips


class MemorySampler:
    """Peak resident memory of a process and its children, from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(self.pid)))


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree += children
        frontier = children
    return tree


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_service(directory: Path, workers: int, name: str) -> ServiceProcess:
    env = {"WORKERS": str(workers), "MAX_BATCH_FILES": "1000"}
    return ServiceProcess(directory / f"{name}.db", directory / f"{name}.log", env).start()


def end_to_end(directory: Path, urls: list[str], workers: int) -> Run:
    service = start_service(directory, workers, f"e2e-{workers}-{len(urls)}")
    assert service.proc is not None
    try:
        with CallbackReceiver() as receiver, MemorySampler(service.proc.pid) as memory:
            body = {"files_url": urls, "callback_url": receiver.url("/cb")}
            started = time.monotonic()
            with service.client() as client:
                answer = client.post("/mp4_small_analyser", json=body)
            submitted = time.monotonic() - started
            answer.raise_for_status()
            task_ids = {task["task_id"] for task in answer.json()["tasks"]}
            deadline = time.monotonic() + 60 + 2 * len(urls)
            delivered: dict[str, dict[str, object]] = {}
            while set(delivered) < task_ids and time.monotonic() < deadline:
                # Only new requests are parsed: this loop must not compete with the workers.
                for request in receiver.requests[len(delivered) :]:
                    delivered[request.json["task_id"]] = request.json
                time.sleep(0.2)
            elapsed = max(r.received_at for r in receiver.requests) - started
    finally:
        service.stop()
    return Run(
        workers=workers,
        files=len(urls),
        seconds=elapsed,
        submit_seconds=submitted,
        peak_rss_mb=memory.peak_kb / 1024,
        completed=sum(p["status"] == "completed" for p in delivered.values()),
        lost=len(task_ids - set(delivered)),
    )


def submit_latencies(directory: Path, urls: list[str], rounds: int) -> list[float]:
    """Seconds to a 202, for `rounds` submissions while the service works through them."""
    service = start_service(directory, 1, f"latency-{len(urls)}")
    latencies = []
    try:
        with service.client() as client:
            for _ in range(rounds):
                started = time.perf_counter()
                response = client.post(
                    "/mp4_small_analyser",
                    json={"files_url": urls, "callback_url": "http://127.0.0.1:9/cb"},
                )
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
    finally:
        service.kill9()
    return latencies


def cli_seconds(urls: list[str], jobs: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mp4_small_analyser.cli",
            "analyse",
            "--json",
            "-j",
            str(jobs),
            *urls,
        ],
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(
    runs: list[Run],
    latencies: dict[int, list[float]],
    cli: dict[tuple[int, int], float],
    sizes: list[int],
    distinct: int,
) -> str:
    lines = [
        f"Clips: {CLIP_SECONDS:g} s 320x240 H.264 + stereo AAC, "
        f"{min(sizes) // 1024}-{max(sizes) // 1024} KiB, {distinct} distinct, "
        "served over loopback HTTP; full analysis.",
        "",
        "| workers | files | 202 in | end to end | files/s | CLI files/s (same -j) "
        "| service/CLI | peak RSS | completed | lost |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        reference = cli[(run.workers, run.files)]
        lines.append(
            f"| {run.workers} | {run.files} | {run.submit_seconds * 1000:.0f} ms "
            f"| {run.seconds:.1f} s | {run.files_per_second:.2f} | {reference:.2f} "
            f"| {run.files_per_second / reference:.0%} | {run.peak_rss_mb:.0f} MB "
            f"| {run.completed} | {run.lost} |"
        )
    lines += ["", "| batch | submissions | p50 | p95 | max |", "|---|---|---|---|---|"]
    for size, values in latencies.items():
        lines.append(
            f"| {size} files | {len(values)} | {statistics.median(values) * 1000:.0f} ms "
            f"| {percentile(values, 0.95) * 1000:.0f} ms | {max(values) * 1000:.0f} ms |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--distinct", type=int, default=8, help="distinct clips generated")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temp, FileServer(Path(temp)) as files:
        directory = Path(temp)
        clips = make_clips(directory, args.distinct)
        largest = max(args.sizes)
        urls = [files.publish(clips[i % len(clips)], f"f{i:04d}.mp4") for i in range(largest)]
        httpx.get(urls[0]).raise_for_status()

        # Each service run is followed at once by the CLI on the same files, so that
        # both see the same load on a shared machine.
        runs: list[Run] = []
        cli: dict[tuple[int, int], float] = {}
        for workers in args.workers:
            for size in args.sizes:
                runs.append(end_to_end(directory, urls[:size], workers))
                cli[(workers, size)] = size / cli_seconds(urls[:size], workers)
        latencies = {
            size: submit_latencies(directory, urls[:size], LATENCY_ROUNDS.get(size, 10))
            for size in args.sizes
        }
        sizes = [clip.stat().st_size for clip in clips]

    print(report(runs, latencies, cli, sizes, args.distinct))
    return 0


if __name__ == "__main__":
    sys.exit(main())
