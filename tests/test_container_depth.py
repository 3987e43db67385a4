"""Durations, truncation, HDR, captions and GOP from the boxes, against ffprobe 5.1.

Media are generated here (tests/streamgen.py), then bent the way real uploads are:
edit lists and header durations rewritten (tests/boxpatch.py), a faststart file cut
short, SEI injected into the H.264/HEVC packets (tests/seiinject.py), HDR and Dolby
Vision boxes added to the sample entry. Every fact ffprobe also has is compared
with it on the same file: format and stream durations and start times within 1 ms
or 0.1 %, packets present, colour fields, side data, closed captions, keyframes.
"""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from mp4_small_analyser.analysis.container.probe import ProbeResult, probe
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from mp4_small_analyser.analysis.sources.http import HttpSource
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from tests import boxpatch
from tests.fixtures_http import FileServer
from tests.streamgen import A, T, V, write

pytestmark = pytest.mark.timeout(300)

FAST = {"preset": "ultrafast"}
BFRAMES = {"preset": "veryfast", "bf": "3", "g": "12"}
QUIET = "log-level=error"
MASTER = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"
PQ2020, HLG2020, BT709 = (9, 16, 9, 1), (9, 18, 9, 1), (1, 1, 1, 1)


def ffprobe(path: Path, *args: str) -> dict[str, Any]:
    args = args or ("-show_format", "-show_streams")
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    return dict(json.loads(out or b"{}"))


def probed(path: Path) -> ProbeResult:
    with LocalFileSource(path) as source:
        return probe(source)


def close(ours: float | None, theirs: str | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - float(theirs)) <= max(0.001, 0.001 * float(theirs)) + 1e-6


# ------------------------------------------------------------------ durations


def edits(kind: str) -> Callable[[boxpatch.Node], None]:
    """Rewrite every track's edit list (or the movie header) the way odd muxers do."""

    def edit(moov: boxpatch.Node) -> None:
        mvhd = moov.find("mvhd")
        assert mvhd is not None
        movie_ts = int.from_bytes(mvhd.payload[12:16], "big")
        total = int.from_bytes(mvhd.payload[16:20], "big")
        if kind == "mvhd_x2":
            boxpatch.set_header_duration(mvhd, total * 2)
        for trak in moov.all("trak"):
            mdhd = trak.find("mdia/mdhd")
            assert mdhd is not None
            media_ts = int.from_bytes(mdhd.payload[12:16], "big")
            if kind == "no_elst":
                boxpatch.set_elst(trak, None)
            elif kind == "empty_first":
                boxpatch.set_elst(trak, [(movie_ts // 2, -1), (total, 0)])
            elif kind == "skip_start_odd":
                skip = media_ts * 7 // 100
                boxpatch.set_elst(trak, [(total - movie_ts * 7 // 100, skip)])
            elif kind == "two_segments":
                half = total // 2
                boxpatch.set_elst(trak, [(half // 2, 0), (half, media_ts * half // movie_ts)])
            elif kind == "too_long":
                boxpatch.set_elst(trak, [(total * 2, 0)])
            elif kind == "mdhd_half":
                value = int.from_bytes(mdhd.payload[16:20], "big")
                boxpatch.set_header_duration(mdhd, value // 2)

    return edit


DURATION_BASES: dict[str, tuple[V | None, list[A], list[T], dict[str, str]]] = {
    "bframes": (V(frames=30, options=BFRAMES), [A(seconds=1.2)], [], {}),
    "audio_late": (V(frames=25, options=FAST), [A(start_samples=24000)], [], {}),
    "no_editlist": (V(frames=30, options=BFRAMES), [A()], [], {"use_editlist": "0"}),
    "fragmented": (
        V(frames=36, options=BFRAMES),
        [A(seconds=1.4)],
        [],
        {"movflags": "frag_keyframe+empty_moov"},
    ),
    "text": (V(frames=25, options=FAST), [A()], [T(language="eng")], {}),
}
PATCHES = ("mvhd_x2", "no_elst", "empty_first", "skip_start_odd", "two_segments", "too_long")


@pytest.fixture(scope="module")
def duration_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("durations")
    files = {}
    for name, (video, audio, text, options) in DURATION_BASES.items():
        files[name] = write(folder / f"{name}.mp4", video, audio, text, options=options)
    for name in PATCHES:
        for base in ("bframes", "audio_late"):
            path = folder / f"{base}__{name}.mp4"
            path.write_bytes(boxpatch.rewrite_moov(files[base].read_bytes(), edits(name)))
            files[path.stem] = path
    return files


def test_every_duration_and_start_time_matches_ffprobe(duration_files: dict[str, Path]) -> None:
    wrong = []
    for name, path in duration_files.items():
        result, reference = probed(path), ffprobe(path)
        info, fmt = result.file_info, reference["format"]
        for ours, key in ((info.duration, "duration"), (info.start_time, "start_time")):
            if not close(ours, fmt.get(key)):
                wrong.append((name, key, ours, fmt.get(key)))
        for track, stream in zip(result.tracks, reference["streams"], strict=True):
            for ours, key in ((track.duration, "duration"), (track.start_time, "start_time")):
                if not close(ours, stream.get(key)):
                    wrong.append((name, f"{track.index}.{key}", ours, stream.get(key)))
    assert wrong == []


def test_duration_from_streams_is_what_newer_ffmpeg_says(duration_files: dict[str, Path]) -> None:
    """PyAV's libavformat (newer than ffprobe 5.1) no longer takes the movie header."""
    for name, path in duration_files.items():
        with av.open(str(path)) as container:
            newer = container.duration / 1e6 if container.duration is not None else None
        assert close(probed(path).file_info.duration_from_streams, str(newer)), name


def test_a_doubled_movie_header_is_a_duration_mismatch(duration_files: dict[str, Path]) -> None:
    path = duration_files["bframes__mvhd_x2"]
    result = run_task(str(path))
    assert isinstance(result, CompletedResult)
    info = result.results.file_info
    assert info.duration == pytest.approx(2.4, abs=0.001)
    assert info.duration_from_streams == pytest.approx(1.2, abs=0.03)
    assert "DURATION_MISMATCH" in [check.code for check in result.results.checks]


def test_media_duration_is_what_the_edit_list_plays(duration_files: dict[str, Path]) -> None:
    late = probed(duration_files["audio_late"]).tracks[1]
    assert late.start_time == pytest.approx(0.5, abs=0.03)
    split = probed(duration_files["audio_late__two_segments"]).tracks[1]
    assert split.media_duration is not None and split.declared_duration is not None
    assert split.media_duration < 0.8 * split.declared_duration


# ------------------------------------------------------------------ truncation


@pytest.fixture(scope="module")
def faststart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cut") / "whole.mp4"
    return write(
        path,
        V(frames=100, options={**FAST, "g": "25"}),
        [A(seconds=4.0, freq=1000.0, amplitude=0.1)],
        options={"movflags": "+faststart"},
    )


@pytest.mark.parametrize("kept", [0.1, 0.5, 0.9])
def test_a_cut_upload_says_what_is_missing_and_the_rest_is_measured(
    faststart: Path, tmp_path: Path, kept: float
) -> None:
    data = faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * kept)])
    result = run_task(str(cut))
    assert isinstance(result, CompletedResult)
    info = result.results.file_info
    assert info.truncated and info.bytes_missing == len(data) - cut.stat().st_size
    assert info.duration == pytest.approx(4.0, abs=0.05)
    assert info.playable_until is not None
    assert info.playable_until + info.seconds_missing == pytest.approx(4.0, abs=0.1)
    truncated = [c for c in result.results.checks if c.code == "TRUNCATED_FILE"]
    assert truncated and truncated[0].severity == "error"
    assert truncated[0].value == info.seconds_missing
    audio, video = result.results.audio_analysis, result.results.video_analysis
    assert audio is not None and audio.sample_peak is not None
    assert video is not None and video.frames_analysed
    reference = ffprobe(cut, "-show_packets", "-show_entries", "packet=stream_index")
    counts = [sum(p["stream_index"] == i for p in reference["packets"]) for i in (0, 1)]
    for track, count in zip(result.results.tracks, counts, strict=True):
        total = int(ffprobe(faststart)["streams"][track.index]["nb_frames"])
        present = total - track.samples_missing
        # ffprobe returns the one sample cut by the end as a short packet, then stops.
        assert present <= count <= present + 1


def test_over_http_a_cut_file_costs_no_extra_read(
    faststart: Path, tmp_path: Path, file_server: FileServer
) -> None:
    data = faststart.read_bytes()
    cut = tmp_path / "cut_remote.mp4"
    cut.write_bytes(data[: len(data) // 2])
    costs = []
    for path in (faststart, cut):
        with HttpSource(file_server.publish(path)) as source:
            probe(source)
            costs.append((source.bytes_read, source.requests))
    assert costs[1] == costs[0]


def test_chunk_offsets_outside_mdat_are_an_error(faststart: Path, tmp_path: Path) -> None:
    def into_the_moov(moov: boxpatch.Node) -> None:
        stco = moov.all("trak")[1].find("mdia/minf/stbl/stco")
        assert stco is not None
        (count,) = struct.unpack_from(">I", stco.payload, 4)
        stco.payload = stco.payload[:8] + struct.pack(">I", 8) * count

    path = tmp_path / "outside.mp4"
    path.write_bytes(boxpatch.rewrite_moov(faststart.read_bytes(), into_the_moov))
    result = run_task(str(path), options=None)
    assert isinstance(result, CompletedResult)
    frames = int(ffprobe(faststart)["streams"][1]["nb_frames"])
    assert result.results.tracks[1].samples_outside_mdat == frames
    codes = {(c.code, c.track) for c in result.results.checks}
    assert ("SAMPLES_OUTSIDE_MDAT", 1) in codes
