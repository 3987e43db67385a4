"""This checkout's `run_task` against another checkout's, on the service benchmark's clips.

Per-file cost of the default analysis on small clips (4 s 320x240 H.264 + AAC), where fixed
per-file work weighs most. Each checkout runs in its own process (imports and warm-up apart),
the two alternated `--rounds` times so load changes hit both alike; the median ratio is the
figure to quote (single rounds vary by ±20 % on a shared box).

    mkdir -p /tmp/base-src && git archive c1b9403 | tar -x -C /tmp/base-src
    .venv/bin/python benchmarks/baseline.py /tmp/base-src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.service import make_clips

ROOT = Path(__file__).resolve().parent.parent

# Checkouts before the seams issue keep `run_task` in `mp4_small_analyser.task`.
_TIMER = textwrap.dedent(
    """
    import json, statistics, sys, time
    try:
        from mp4_small_analyser.analysis.task import run_task
    except ImportError:
        from mp4_small_analyser.task import run_task

    paths = sys.argv[2:]
    run_task(paths[0])  # warm-up: imports, codec tables
    times = []
    for _ in range(int(sys.argv[1])):
        for path in paths:
            start = time.perf_counter()
            assert run_task(path).status == "completed"
            times.append(time.perf_counter() - start)
    print(json.dumps(statistics.median(times)))
    """
)


def per_file(source: Path, clips: list[Path], repeat: int) -> float:
    """Median seconds a file of `run_task` from the checkout at `source`."""
    run = subprocess.run(
        [sys.executable, "-c", _TIMER, str(repeat), *map(str, clips)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(source)},
        cwd=source,
    )
    return float(json.loads(run.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="the other checkout (a source tree)")
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        clips = make_clips(Path(temp), args.clips)
        print("| round | baseline ms/file | this checkout ms/file | this / baseline |")
        print("|---|---:|---:|---:|")
        ratios = []
        for round_ in range(1, args.rounds + 1):
            base = per_file(args.baseline.resolve(), clips, args.repeat)
            ours = per_file(ROOT, clips, args.repeat)
            ratios.append(ours / base)
            print(f"| {round_} | {base * 1000:.1f} | {ours * 1000:.1f} | {ours / base:.2f} |")
    print(f"\nmedian this / baseline over {args.rounds} rounds: {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
