"""The probe on generated media: what was generated, and what ffprobe says about it.

Every catalogue file is probed and held against its generation parameters and
against ffprobe run on the same file (identical codec names, sizes, sample rates
and channels; durations within 1 ms or 0.1 %; frame rates within 0.01). Facts
ffprobe does not print directly (frame count, keyframe interval, variable frame
rate, rotation sense) are derived from ffprobe's packet list and side data.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from mp4_small_analyser.analysis.container.layout import read_layout
from mp4_small_analyser.analysis.container.probe import ProbeResult, container_format, probe
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from tests.fixtures_media import GeneratedMedia
from tests.media_catalogue import CATALOGUE
from tests.mediagen import LAYOUTS

pytestmark = pytest.mark.timeout(120)

FFPROBE = ["ffprobe", "-v", "error", "-print_format", "json"]
VIDEO_NAMES = sorted(name for name, spec in CATALOGUE.items() if spec.video is not None)
AUDIO_NAMES = sorted(name for name, spec in CATALOGUE.items() if spec.audio)


def run_probe(path: Path) -> tuple[ProbeResult, LocalFileSource]:
    source = LocalFileSource(path)
    with source:
        return probe(source), source


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [*FFPROBE, "-show_format", "-show_streams", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return dict(json.loads(out))


def ffprobe_video_packets(path: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [*FFPROBE, "-select_streams", "v:0", "-show_entries", "packet=dts,flags", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return list(json.loads(out)["packets"])


def same_duration(ours: float | None, theirs: str | float) -> bool:
    """Within 1 ms or 0.1 %; ffprobe prints microseconds, hence the rounding slack."""
    assert ours is not None
    reference = float(theirs)
    return abs(ours - reference) <= max(0.001, 0.001 * reference) + 1e-6


def ratio(text: str) -> Fraction:
    num, den = text.replace(":", "/").split("/")
    return Fraction(int(num), int(den))


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_file_facts_match_generation_and_ffprobe(media: GeneratedMedia, name: str) -> None:
    path, spec = media.path(name), media.spec(name)
    result, _ = run_probe(path)
    reference = ffprobe(path)
    info, fmt = result.file_info, reference["format"]

    assert info.file_size == path.stat().st_size == int(fmt["size"])
    assert same_duration(info.duration, fmt["duration"])
    assert info.format == spec.format
    assert info.faststart is spec.faststart
    assert info.fragmented is spec.fragmented
    assert info.track_count == len(reference["streams"]) == int(fmt["nb_streams"])
    assert info.major_brand == fmt["tags"]["major_brand"]
    assert "".join(info.compatible_brands) == fmt["tags"]["compatible_brands"]
    assert info.bit_rate is not None
    assert abs(info.bit_rate - int(fmt["bit_rate"])) <= 0.002 * int(fmt["bit_rate"])

    assert len(result.tracks) == len(reference["streams"])
    for track, stream in zip(result.tracks, reference["streams"], strict=True):
        assert track.index == stream["index"]
        assert track.type == stream["codec_type"]
        assert track.codec == stream["codec_name"]
        assert same_duration(track.duration, stream["duration"])
        assert track.encrypted is spec.encrypted
    expected_kinds = ["video"] * (spec.video is not None) + ["audio"] * len(spec.audio)
    assert [t.type for t in result.tracks] == expected_kinds


@pytest.mark.parametrize("name", VIDEO_NAMES)
def test_video_facts_match_generation_and_ffprobe(media: GeneratedMedia, name: str) -> None:
    path, spec = media.path(name), media.spec(name)
    assert spec.video is not None
    result, _ = run_probe(path)
    video = result.video
    assert video is not None and result.video_stream_index is not None
    stream = ffprobe(path)["streams"][result.video_stream_index]

    assert video.codec == spec.video_codec == stream["codec_name"]
    assert video.profile == stream.get("profile")
    assert video.level == (stream["level"] if stream.get("level", -99) != -99 else None)
    assert (video.width, video.height) == (spec.video.width, spec.video.height)
    assert (video.width, video.height) == (stream["width"], stream["height"])
    assert video.resolution == f"{spec.video.width}x{spec.video.height}"
    assert video.pixel_format == spec.video.pix_fmt == stream["pix_fmt"]
    assert video.bit_depth == (10 if "10" in spec.video.pix_fmt else 8)
    assert video.frame_rate is not None
    assert abs(video.frame_rate - float(ratio(stream["avg_frame_rate"]))) <= 0.01
    if not spec.variable_frame_rate and not spec.fragmented:
        assert abs(video.frame_rate - float(spec.video.fps)) <= 0.01
    assert same_duration(video.duration, stream["duration"])
    assert video.encrypted is spec.encrypted
    assert video.rotation == spec.video.rotation_cw
    # ffprobe reports the display matrix angle counter-clockwise.
    matrix = [s for s in stream.get("side_data_list", []) if "rotation" in s]
    assert video.rotation == (-int(matrix[0]["rotation"]) % 360 if matrix else 0)
    square = Fraction(spec.video.width, spec.video.height)
    expected_dar = spec.display_aspect_ratio or f"{square.numerator}:{square.denominator}"
    assert video.display_aspect_ratio == expected_dar
    # ffprobe prints the ratios only when the file signals a sample aspect ratio.
    assert video.display_aspect_ratio == stream.get("display_aspect_ratio", expected_dar)
    if "bit_rate" in stream:
        assert video.bit_rate is not None
        assert abs(video.bit_rate - int(stream["bit_rate"])) <= 0.005 * int(stream["bit_rate"])
    names = {
        "primaries": "color_primaries",
        "transfer": "color_transfer",
        "matrix": "color_space",
        "range": "color_range",
    }
    expected = {
        ours: stream[theirs] if stream.get(theirs, "unknown") != "unknown" else None
        for ours, theirs in names.items()
    }
    assert (video.color.model_dump() if video.color else dict.fromkeys(names)) == expected
    if spec.color is not None:
        assert video.color is not None and video.color.model_dump() == spec.color


@pytest.mark.parametrize("name", VIDEO_NAMES)
def test_sample_table_facts_match_ffprobe_packets(media: GeneratedMedia, name: str) -> None:
    path, spec = media.path(name), media.spec(name)
    assert spec.video is not None
    result, _ = run_probe(path)
    video = result.video
    assert video is not None
    packets = ffprobe_video_packets(path)
    stream = ffprobe(path)["streams"][result.video_stream_index or 0]
    time_base = ratio(stream["time_base"])

    assert video.frame_count == len(packets) == spec.video.frames
    dts = [int(p["dts"]) for p in packets]
    keys = [int(p["dts"]) for p in packets if "K" in p["flags"]]
    if 2 <= len(keys) < len(dts):
        expected = float((keys[-1] - keys[0]) / (len(keys) - 1) * time_base)
        assert video.keyframe_interval == pytest.approx(expected, rel=1e-9)
    else:
        assert video.keyframe_interval is None
    if spec.keyframe_interval is not None:
        frame = 1 / float(spec.video.fps)
        assert video.keyframe_interval == pytest.approx(spec.keyframe_interval, abs=frame)
    deltas = [b - a for a, b in itertools.pairwise(dts)][:-1]
    assert video.variable_frame_rate is (max(deltas) - min(deltas) > 1)
    if not spec.fragmented:
        assert video.variable_frame_rate is spec.variable_frame_rate


@pytest.mark.parametrize("name", AUDIO_NAMES)
def test_audio_facts_match_generation_and_ffprobe(media: GeneratedMedia, name: str) -> None:
    path, spec = media.path(name), media.spec(name)
    result, _ = run_probe(path)
    audio = result.audio
    assert audio is not None and result.audio.index is not None
    stream = ffprobe(path)["streams"][result.audio.index]
    generated = spec.audio[0]

    assert audio.codec == spec.audio_codecs[0] == stream["codec_name"]
    assert audio.sample_rate == generated.sample_rate == int(stream["sample_rate"])
    assert audio.channels == generated.channels
    assert audio.channel_layout is not None
    assert audio.channel_layout.startswith(LAYOUTS[generated.channels])  # ac3 says "5.1(side)"
    # ffprobe 5.1 decodes encrypted samples as if clear and then reports whatever channel
    # configuration the noise spells (28 channels, 41...); only clear tracks are compared.
    if not spec.encrypted:
        assert audio.profile == stream.get("profile")
        assert audio.channels == stream["channels"]
        assert audio.channel_layout == stream.get("channel_layout")
    assert same_duration(audio.duration, stream["duration"])
    assert abs((audio.duration or 0) - generated.seconds) < 0.1
    assert audio.encrypted is spec.encrypted
    assert audio.bit_rate is not None
    assert abs(audio.bit_rate - int(stream["bit_rate"])) <= 0.005 * int(stream["bit_rate"])


def test_faststart_changes_only_the_layout(media: GeneratedMedia) -> None:
    plain, _ = run_probe(media.path("h264_aac"))
    moved, _ = run_probe(media.path("h264_aac_faststart"))
    assert (plain.file_info.faststart, moved.file_info.faststart) == (False, True)
    assert plain.file_info.model_copy(update={"faststart": True}) == moved.file_info
    assert (plain.video, plain.audio, plain.tracks) == (moved.video, moved.audio, moved.tracks)
    with LocalFileSource(media.path("h264_aac")) as source:
        order = [box.type for box in read_layout(source).top_level]
    assert order.index("mdat") < order.index("moov")


def test_fragmented_walk_reads_every_fragment(media: GeneratedMedia) -> None:
    """Durations, bit rates and GOPs need every sample, and a fragment's samples are listed
    in its moof only: the walk reads each moof (one request per fragment over HTTP)."""
    path = media.path("fragmented")
    with LocalFileSource(path) as source:
        layout = read_layout(source)
    assert layout.fragmented and layout.walk_complete
    kinds = [box.type for box in layout.top_level]
    assert kinds[:3] == ["ftyp", "moov", "moof"]
    assert len(layout.moofs) == kinds.count("moof") >= 5


def test_several_tracks_are_all_listed(media: GeneratedMedia) -> None:
    path = media.path("multitrack")
    result, _ = run_probe(path)
    reference = ffprobe(path)
    assert [(t.type, t.language) for t in result.tracks] == [
        ("video", None),
        ("audio", "eng"),
        ("audio", "fra"),
    ]
    assert [s["tags"]["language"] for s in reference["streams"][1:]] == ["eng", "fra"]
    assert (result.video_stream_index, result.audio.index if result.audio else None) == (0, 1)
    assert result.audio is not None and result.audio.channels == 2
    assert result.file_info.creation_time is not None
    assert (
        result.file_info.creation_time.isoformat().replace("+00:00", ".000000Z")
        == (reference["format"]["tags"]["creation_time"])
    )


def test_audio_only_file_has_no_video(media: GeneratedMedia) -> None:
    result, _ = run_probe(media.path("aac_mono_m4a"))
    assert result.video is None and result.video_stream_index is None
    assert result.audio is not None and result.audio.index == 0


def test_video_only_file_has_no_audio(media: GeneratedMedia) -> None:
    result, _ = run_probe(media.path("av1"))
    assert result.audio is None and not result.audio_tracks
    assert result.video is not None and result.video_stream_index == 0


def test_probe_reads_a_small_part_of_a_large_non_faststart_file(
    large_non_faststart_mp4: Path,
) -> None:
    result, source = run_probe(large_non_faststart_mp4)
    size = large_non_faststart_mp4.stat().st_size
    assert size > 20_000_000
    assert result.file_info.faststart is False
    assert source.bytes_read < 0.05 * size


@pytest.mark.parametrize(
    ("major", "expected"),
    [
        ("qt  ", "mov"),
        (None, "mov"),
        ("3gp6", "3gp"),
        ("3g2a", "3g2"),
        ("M4A ", "m4a"),
        ("M4B ", "m4a"),
        ("M4V ", "m4v"),
        ("isom", "mp4"),
        ("mp42", "mp4"),
        ("dash", "mp4"),
    ],
)
def test_format_follows_the_major_brand(major: str | None, expected: str) -> None:
    assert container_format(major) == expected
