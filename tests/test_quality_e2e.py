"""Quality scores and checks through the whole analysis, on media encoded here.

The same picture at rising x264 CRF must score strictly lower each time, and a
clean tone must beat the same tone clipped or squeezed into 32 kbit/s.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.cli.report import print_report
from mp4_small_analyser.models import CompletedResult, Results, VideoAnalysis
from mp4_small_analyser.options import AnalysisOptions
from tests.mediagen import natural_texture, sine, write_audio, write_video

CRFS = (18, 28, 38, 48)
WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 25, 3
TONE_SECONDS = 4.0
TONE_AMPLITUDE = 10 ** (-23 / 20)
"""A 1 kHz sine at -23 dBFS in both channels measures -23 LUFS (EBU Tech 3341 case 1)."""
CLIPPING_GAIN = 10 ** (26 / 20)


def analysed(path: Path) -> Results:
    result = run_task(str(path))
    assert isinstance(result, CompletedResult), result
    return result.results


@pytest.fixture(scope="session")
def crf_ladder(tmp_path_factory: pytest.TempPathFactory) -> dict[int, VideoAnalysis]:
    folder = tmp_path_factory.mktemp("crf")
    frames = natural_texture(WIDTH, HEIGHT, FPS * SECONDS)
    ladder: dict[int, VideoAnalysis] = {}
    for crf in CRFS:
        path = write_video(folder / f"crf{crf}.mp4", frames, fps=FPS, options={"crf": str(crf)})
        video = analysed(path).video_analysis
        assert video is not None
        ladder[crf] = video
    return ladder


@pytest.fixture(scope="session")
def tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Results]:
    folder = tmp_path_factory.mktemp("tones")
    tone = sine(1000.0, TONE_SECONDS, amplitude=TONE_AMPLITUDE)
    clean = np.vstack([tone, tone])
    clipped = np.clip(clean * CLIPPING_GAIN, -1.0, 1.0)
    variants = {
        "clean_alac": (clean, "alac", None),
        "clipped_alac": (clipped, "alac", None),
        "clean_aac_256k": (clean, "aac", 256_000),
        "clipped_aac_256k": (clipped, "aac", 256_000),
        "clean_aac_32k": (clean, "aac", 32_000),
    }
    return {
        name: analysed(write_audio(folder / f"{name}.m4a", samples, codec=codec, bit_rate=rate))
        for name, (samples, codec, rate) in variants.items()
    }


def audio_score(results: Results) -> float:
    audio = results.audio_analysis
    assert audio is not None
    assert audio.quality_score is not None, audio
    return audio.quality_score


def test_video_score_falls_strictly_as_crf_rises(crf_ladder: dict[int, VideoAnalysis]) -> None:
    for video in crf_ladder.values():
        assert video.quality is not None
        assert {"compression", "blocking", "sharpness"} <= set(video.quality.components)
    scores = [crf_ladder[crf].quality_score or 0.0 for crf in CRFS]
    assert all(a > b for a, b in itertools.pairwise(scores)), dict(zip(CRFS, scores, strict=True))
    assert scores[0] < 1.0


def test_a_clean_tone_beats_the_clipped_and_the_thin_one(tones: dict[str, Results]) -> None:
    score = {name: audio_score(results) for name, results in tones.items()}
    assert score["clean_alac"] > score["clipped_alac"], score
    assert score["clean_aac_256k"] > score["clipped_aac_256k"], score
    assert score["clean_aac_256k"] > score["clean_aac_32k"], score


def test_the_clipped_tone_fails_its_checks_and_the_clean_one_passes(
    tones: dict[str, Results],
) -> None:
    clean = {check.code for check in tones["clean_alac"].checks}
    # Information only: no video, and a clip too short for a meaningful loudness range.
    assert clean <= {"NO_VIDEO_TRACK", "LRA_NOT_MEANINGFUL"}, tones["clean_alac"].checks
    clipped = {check.code: check for check in tones["clipped_alac"].checks}
    assert clipped["TRUE_PEAK_OVER_LIMIT"].severity == "error"
    assert clipped["CLIPPING"].severity == "error"
    assert clipped["LOUDNESS_OUT_OF_RANGE"].limit == -22.5  # ebu-r128: -23 ± 0.5 LU


def test_a_probe_score_says_it_rests_on_the_container_alone(tmp_path: Path) -> None:
    """The same file scores differently from its container and from its decoded signal;
    the result says which, and so does the readable report."""
    frames = natural_texture(320, 240, 25)
    tone = sine(1000.0, 1.0, amplitude=TONE_AMPLITUDE)
    path = write_video(tmp_path / "clip.mp4", frames, fps=25, audio=np.vstack([tone, tone]))
    probed = run_task(str(path), options=AnalysisOptions(probe_only=True))
    full = run_task(str(path))
    assert isinstance(probed, CompletedResult) and isinstance(full, CompletedResult)
    for results, basis in ((probed.results, "container"), (full.results, "decoded")):
        video, audio = results.video_analysis, results.audio_analysis
        assert video is not None and video.quality is not None
        assert audio is not None and audio.quality is not None
        assert (video.quality.basis, audio.quality.basis) == (basis, basis)
    console = Console(file=io.StringIO(), width=200)
    print_report(console, [probed, full])
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    quality_lines = [line for line in lines if "quality " in line]
    assert len(quality_lines) == 4
    assert all("(container facts only)" in line for line in quality_lines[:2])
    assert not any("(container facts only)" in line for line in quality_lines[2:])
