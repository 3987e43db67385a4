"""Bounded fuzzing of `mp4-analyser analyse`: damaged MP4s never cost a result (issue 9).

500 seeded mutants (bit flips, truncations, lying box sizes, duplicated boxes, boxes
renamed to markup or escapes) of seven small generated files go through the CLI in both
modes, as one call each. Every input gets a JSON result, in order; none is an
INTERNAL_ERROR or a decoder crash (their root causes are fixed: damaged data is
CORRUPT_FILE, or a track whose metrics are missing); stderr holds no traceback; the
largest process stays under MEMORY_BOUND. The readable report (the default output) gets
the same mutants under names full of rich markup and emoji codes: every file keeps its
lines and the summary counts them all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.fuzzing import KINDS, mutants, write_mutants
from tests.mediagen import AudioTrack, VideoTrack, moving_pattern, sine, write_media, write_video

MUTANTS = 500
SEED = 9
MEMORY_BOUND = 1024 * 1024 * 1024
NEVER = {"INTERNAL_ERROR", "DECODER_CRASHED", "ANALYSIS_TIMEOUT"}
# Runs the CLI and reports the peak resident memory of it and everything it started.
_MEASURED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(f'maxrss_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}',"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)
SMALL_H264 = {"preset": "ultrafast", "g": "10"}


def originals(directory: Path) -> dict[str, bytes]:
    """Small files covering the containers and codecs the analysis decodes."""
    audio = np.vstack([sine(440, 1.0), sine(660, 1.0)])
    frames = moving_pattern(64, 48, count=25)
    made = {
        "h264_aac": write_video(
            directory / "a.mp4", frames, fps=25, audio=audio, options=SMALL_H264
        ),
        "faststart": write_media(
            directory / "b.mp4",
            VideoTrack(64, 48, options=SMALL_H264),
            (AudioTrack(),),
            container_options={"movflags": "+faststart"},
        ),
        "fragmented": write_media(
            directory / "c.mp4",
            VideoTrack(64, 48, options=SMALL_H264),
            (AudioTrack(channels=1),),
            container_options={"movflags": "frag_keyframe+empty_moov"},
        ),
        "aac_51": write_media(directory / "d.mp4", None, (AudioTrack(channels=6),)),
        "mp3": write_media(
            directory / "e.mp4", None, (AudioTrack(codec="libmp3lame", sample_rate=44100),)
        ),
        "opus": write_media(directory / "f.mp4", None, (AudioTrack(codec="libopus"),)),
        "mov": write_media(
            directory / "g.mov", VideoTrack(64, 48, options=SMALL_H264), (AudioTrack(),), "mov"
        ),
    }
    return {name: path.read_bytes() for name, path in made.items()}


@pytest.fixture(scope="module")
def mutant_paths(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("fuzz")
    found = mutants(originals(directory), MUTANTS, SEED)
    assert {mutant.kind for mutant in found} == set(KINDS)
    return write_mutants(directory / "mutants", found)


@pytest.mark.parametrize("mode", ["full", "probe"])
def test_every_mutant_gets_a_json_result_and_no_traceback(
    mutant_paths: list[Path], mode: str
) -> None:
    flags = ["--probe"] if mode == "probe" else ["--max-duration", "5"]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, sys.executable, "-m", "mp4_small_analyser.cli"]
        + ["analyse", "--json", "--jobs", "2", "--timeout", "60", *flags]
        + [str(path) for path in mutant_paths],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(done.stdout)
    assert [r["file_url"] for r in results] == [str(path) for path in mutant_paths]
    assert all(r["metadata"]["mode"] == mode for r in results)
    codes = [r.get("error_code") for r in results]
    bad = {
        p.name: r["error"]
        for p, r in zip(mutant_paths, results, strict=True)
        if r.get("error_code") in NEVER
    }
    assert not bad, bad
    assert codes.count(None) >= MUTANTS // 10, "the mutants are not all unreadable"
    peak = int(done.stderr.rsplit("maxrss_kib=", 1)[1].split()[0]) * 1024
    assert peak < MEMORY_BOUND, f"a process peaked at {peak / 2**20:.0f} MiB"


HOSTILE_NAME = "[bold red]:x: [link=https:x]{}"


@pytest.mark.parametrize("mode", ["full", "probe"])
def test_every_mutant_gets_its_lines_in_the_readable_report(
    mutant_paths: list[Path], mode: str, tmp_path: Path
) -> None:
    named = []
    for path in mutant_paths:
        link = tmp_path / HOSTILE_NAME.format(path.name)
        link.symlink_to(path)
        named.append(link)
    flags = ["--probe"] if mode == "probe" else ["--max-duration", "5"]
    done = subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", "analyse", "--jobs", "2"]
        + ["--timeout", "60", *flags]
        + [str(path) for path in named],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    assert "\x1b" not in done.stdout, "control characters reach the terminal"
    lines = done.stdout.splitlines()
    heads = [line for line in lines if line.startswith(str(tmp_path))]
    assert [head.split("  ", 1)[0] for head in heads] == [str(path) for path in named]
    outcomes = [head.split("  ", 1)[1] for head in heads]
    failed = [outcome.removeprefix("failed: ") for outcome in outcomes if "failed" in outcome]
    assert not NEVER & set(failed), failed
    completed = len(named) - len(failed)
    assert completed >= MUTANTS // 10, "the mutants are not all unreadable"
    assert lines[-1].startswith(f"{MUTANTS} file(s): {completed} completed, {len(failed)} failed")
