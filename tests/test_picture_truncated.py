"""A file cut short is sampled over the video it holds, not the duration it declares.

Measured against the declared duration, a clip cut in half read as half never
sampled: SPARSE_SAMPLING, with black, frozen and the statistics left null,
though every second that is there was sampled twice. `--fast` keeps its rule:
keyframes too far apart for a measure leave it null and say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult, VideoAnalysis
from mp4_small_analyser.options import AnalysisOptions
from tests import boxpatch
from tests.mediagen import VideoTrack, write_media

SECONDS = 12


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 12 s video-only clip with a keyframe every 12 frames, whole and cut in half."""
    folder = tmp_path_factory.mktemp("truncated")
    video = VideoTrack(frames=25 * SECONDS, options={"g": "12"})
    whole = write_media(folder / "whole.mp4", video, container_options={"movflags": "faststart"})
    data = whole.read_bytes()
    cut = folder / "cut.mp4"
    cut.write_bytes(boxpatch.truncate(data, len(data) // 2))
    return {"whole": whole, "cut": cut}


def analysed(path: Path, options: AnalysisOptions) -> tuple[CompletedResult, VideoAnalysis]:
    result = run_task(str(path), options=options)
    assert isinstance(result, CompletedResult), result
    video = result.results.video_analysis
    assert video is not None and video.sampling is not None
    return result, video


def sparse(video: VideoAnalysis) -> set[str]:
    assert video.sampling is not None
    return {item.measure for item in video.sampling.unmeasured if item.cause == "sparse"}


@pytest.mark.parametrize("fast", [False, True], ids=["sampled", "keyframes"])
def test_a_file_cut_in_half_is_sampled_over_what_it_holds(
    clips: dict[str, Path], fast: bool
) -> None:
    options = AnalysisOptions(video_keyframes_only=fast)
    result, video = analysed(clips["cut"], options)
    assert result.results.file_info.truncated
    assert [c.code for c in result.results.checks if c.code == "SPARSE_SAMPLING"] == []
    assert sparse(video) == set()
    assert video.black_percentage == 0.0 and video.frozen_percentage == 0.0
    assert video.levels is not None and video.si_mean is not None
    assert video.sampling is not None and video.sampling.max_gap is not None
    # Keyframes every 0.48 s, samples every 0.5 s: no stretch of the half that is there
    # went unlooked at, and the half that is not is not counted as a gap.
    assert video.sampling.max_gap <= 0.6
    _, whole = analysed(clips["whole"], options)
    assert whole.frames_analysed > video.frames_analysed > 0


def test_fast_mode_on_the_command_line_leaves_what_one_keyframe_cannot_tell_null(
    tmp_path: Path,
) -> None:
    """One keyframe for 3 s: --fast prints null for black and frozen and says why."""
    still = write_media(
        tmp_path / "one_gop.mp4",
        VideoTrack(frames=75, options={"g": "300", "sc_threshold": "0"}),
    )
    run = subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", "analyse", "--fast", "--json", str(still)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)
    video = result["results"]["video_analysis"]
    assert video["black_percentage"] is None and video["frozen_percentage"] is None
    assert video["sampling"]["depth"] == "keyframes"
    assert {"black", "frozen"} <= {
        item["measure"] for item in video["sampling"]["unmeasured"] if item["cause"] == "sparse"
    }
    assert "SPARSE_SAMPLING" in [check["code"] for check in result["results"]["checks"]]
