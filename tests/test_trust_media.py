"""Damaged sample descriptions are reported, not crashes (issue 9, finding 6).

Root causes the fuzz test found, each reproduced here on a generated file: a codec tag
FFmpeg has no decoder for (the stream has no codec context at all), for audio and for
video. The file keeps its container facts; the track gets METRICS_UNAVAILABLE.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from tests.mediagen import AudioTrack, VideoTrack, write_media


@pytest.mark.parametrize(("fourcc", "kind"), [(b"Opus", "audio"), (b"avc1", "video")])
def test_a_track_with_an_unknown_codec_tag_loses_its_metrics_only(
    tmp_path: Path, fourcc: bytes, kind: str
) -> None:
    # AAC would not do: FFmpeg finds its codec in the `esds` box whatever the entry's type.
    opus_and_video = write_media(
        tmp_path / "opus.mp4",
        VideoTrack(64, 48, options={"preset": "ultrafast"}),
        (AudioTrack(codec="libopus"),),
    )
    data = bytearray(opus_and_video.read_bytes())
    # The sample entry's type follows `stsd`, its version, flags and count, and its size.
    (entry,) = [
        at + 16
        for at in range(len(data))
        if data[at : at + 4] == b"stsd" and data[at + 16 : at + 20] == fourcc
    ]
    data[entry : entry + 4] = b"zzzz"
    damaged = tmp_path / f"no-{kind}-decoder.mp4"
    damaged.write_bytes(bytes(data))
    result = run_task(str(damaged))
    assert isinstance(result, CompletedResult), result
    (check,) = [c for c in result.results.checks if c.code == "METRICS_UNAVAILABLE"]
    assert f"no decoder for the {kind} track's codec" in check.message
    measured = (
        result.results.audio_analysis.loudness_integrated
        if kind == "audio" and result.results.audio_analysis
        else result.results.video_analysis.blur
        if result.results.video_analysis
        else None
    )
    assert measured is None
