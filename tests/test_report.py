"""The orchestrator end to end: what is measured, what is skipped, and what is kept when a
track cannot be measured (partial results), through real files and a real Range server."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser.analysis.container.layout import read_layout
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from mp4_small_analyser.options import AnalysisOptions, KiB, SourceLimits
from tests.fixtures_http import FileServer
from tests.fixtures_media import GeneratedMedia
from tests.mediagen import moving_pattern, sine, write_video


def completed(url: str, **options: object) -> CompletedResult:
    result = run_task(url, options=AnalysisOptions.model_validate(options))
    assert isinstance(result, CompletedResult), result
    return result


def codes(result: CompletedResult) -> set[str]:
    return {check.code for check in result.results.checks}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of heavy 320x240 video (its samples first in mdat) and a light stereo tone."""
    path = tmp_path_factory.mktemp("report") / "clip.mp4"
    audio = np.vstack([sine(440, 6.0, amplitude=0.1), sine(660, 6.0, amplitude=0.1)])
    frames = moving_pattern(320, 240, 150)
    return write_video(path, frames, fps=25, options={"crf": "10"}, audio=audio)


@pytest.fixture(scope="module")
def heavy_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of near-lossless 640x480 noise (frames of ~200 KB) with a stereo tone."""
    path = tmp_path_factory.mktemp("report") / "heavy.mp4"
    audio = np.vstack([sine(440, 2.0, amplitude=0.1), sine(660, 2.0, amplitude=0.1)])
    frames = moving_pattern(640, 480, 50)
    options = {"crf": "4", "preset": "ultrafast"}
    return write_video(path, frames, fps=25, options=options, audio=audio)


def test_audio_only_metrics_skip_the_video_bytes(heavy_clip: Path, file_server: FileServer) -> None:
    url = file_server.publish(heavy_clip)
    limits = SourceLimits(block_size=16 * KiB)
    full = run_task(url, options=AnalysisOptions(), limits=limits)
    audio_only = run_task(url, options=AnalysisOptions(video_metrics=False), limits=limits)
    assert isinstance(full, CompletedResult) and isinstance(audio_only, CompletedResult)
    size = heavy_clip.stat().st_size
    assert full.metadata.bytes_read >= 0.9 * size
    # The demuxer discards the video track: between two audio packets it skips a whole
    # video frame, so only the blocks holding audio (and the moov) are fetched.
    assert audio_only.metadata.bytes_read < 0.3 * size, (audio_only.metadata.bytes_read, size)
    audio = audio_only.results.audio_analysis
    assert audio is not None and audio.loudness_integrated is not None
    assert audio.loudness_integrated == pytest.approx(
        full.results.audio_analysis.loudness_integrated if full.results.audio_analysis else 0
    )
    video = audio_only.results.video_analysis
    assert video is not None and video.codec == "h264" and video.frames_analysed is None


def test_decoding_stops_at_the_maximum_duration(clip: Path) -> None:
    result = completed(str(clip), max_media_duration=2.0)
    video, audio = result.results.video_analysis, result.results.audio_analysis
    assert video is not None and audio is not None
    assert video.frames_analysed is not None and 3 <= video.frames_analysed <= 5
    assert audio.loudness_integrated is not None
    truncated = [c for c in result.results.checks if c.code == "ANALYSIS_TRUNCATED"]
    assert truncated and all(c.severity == "info" for c in truncated)
    assert video.duration is not None and video.duration > 5.9, "container facts stay whole"


def test_probe_only_measures_nothing(clip: Path) -> None:
    result = completed(str(clip), probe_only=True)
    assert result.metadata.mode == "probe"
    audio = result.results.audio_analysis
    assert audio is not None and audio.loudness_integrated is None
    assert "LOUDNESS_OUT_OF_RANGE" not in codes(result)


def test_a_file_without_audio_is_not_a_failure(media: GeneratedMedia) -> None:
    result = completed(str(media.path("fps_30")))
    assert result.results.audio_analysis is None
    assert "NO_AUDIO_TRACK" in codes(result)
    assert result.results.video_analysis is not None
    assert result.results.video_analysis.frames_analysed


def test_an_encrypted_track_keeps_its_facts(media: GeneratedMedia) -> None:
    result = completed(str(media.path("encrypted")))
    assert "ENCRYPTED_TRACK" in codes(result)
    for track in (result.results.video_analysis, result.results.audio_analysis):
        if track is not None and track.encrypted:
            assert track.codec
    audio = result.results.audio_analysis
    if audio is not None and audio.encrypted:
        assert audio.loudness_integrated is None


def test_an_undecodable_video_track_keeps_audio_metrics(clip: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    data = bytearray(clip.read_bytes())
    with LocalFileSource(clip) as source:
        layout = read_layout(source)
    mdat = next(box for box in layout.top_level if box.type == "mdat")
    # The video samples come first in this file's mdat: zero them, keep the audio after them.
    start = mdat.offset + mdat.header_size
    video_bytes = int((mdat.size - mdat.header_size) * 0.9)
    data[start : start + video_bytes] = bytes(video_bytes)
    broken.write_bytes(bytes(data))
    result = completed(str(broken))
    assert "METRICS_UNAVAILABLE" in codes(result)
    video = result.results.video_analysis
    assert video is not None and video.codec == "h264" and video.black_percentage is None
    audio = result.results.audio_analysis
    assert audio is not None and audio.loudness_integrated is not None
