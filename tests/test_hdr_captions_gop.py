"""HDR class and metadata, captions, bit-rate peaks and GOPs, against ffprobe's view.

x265 writes HDR10 SEI from its own parameters; HDR10+, HLG's alternative transfer
and CEA-608/708 captions are injected into the packets (tests/seiinject.py); Dolby
Vision, mastering display and colour boxes are added to the sample entry
(tests/boxpatch.py). ffprobe's stream colours, its first frame's side data and its
`closed_captions` flag are the reference; for GOPs and bit-rate peaks, its packet
list (dts, size, key flag).
"""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mp4_small_analyser.analysis.container.probe import ProbeResult, probe
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult, Hdr
from mp4_small_analyser.options import AnalysisOptions
from tests import boxpatch, seiinject
from tests.streamgen import A, T, V, write

pytestmark = pytest.mark.timeout(300)

QUIET = "log-level=error"
MASTER = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"
PQ2020, HLG2020, BT709 = (9, 16, 9, 1), (9, 18, 9, 1), (1, 1, 1, 1)
CC = seiinject.a53_cc(field1=b"\x14\x20HI", dtvcc=b"\x03\x01")


def x265(extra: str = "", **kw: Any) -> V:
    params = f"{QUIET}:{extra}" if extra else QUIET
    options = {"preset": "ultrafast", "x265-params": params}
    kw.setdefault("frames", 10)
    kw.setdefault("pix_fmt", "yuv420p10le")
    return V(codec="libx265", options=options, **kw)


def entry_box(box_type: str, payload: bytes) -> Callable[[boxpatch.Node], None]:
    """Append a box to the video sample entry."""

    def edit(moov: boxpatch.Node) -> None:
        for trak in moov.all("trak"):
            stsd = trak.find("mdia/minf/stbl/stsd")
            assert stsd is not None
            raw = stsd.payload
            if raw[12:16] not in (b"avc1", b"hvc1", b"hev1"):
                continue
            (size,) = struct.unpack_from(">I", raw, 8)
            box = struct.pack(">I4s", 8 + len(payload), box_type.encode()) + payload
            new = raw[: 8 + size] + box + raw[8 + size :]
            stsd.payload = new[:8] + struct.pack(">I", size + len(box)) + new[12:]

    return edit


def retype_text(entry: str, handler: str, extra: bytes = b"") -> Callable[[boxpatch.Node], None]:
    """Turn the tx3g sample entries into another text entry (wvtt, stpp, c608)."""

    def edit(moov: boxpatch.Node) -> None:
        for trak in moov.all("trak"):
            stsd, hdlr = trak.find("mdia/minf/stbl/stsd"), trak.find("mdia/hdlr")
            assert stsd is not None and hdlr is not None
            if stsd.payload[12:16] != b"tx3g":
                continue
            body = b"\0" * 6 + b"\x00\x01" + extra
            stsd.payload = stsd.payload[:8] + struct.pack(">I4s", 8 + len(body), entry.encode())
            stsd.payload += body
            hdlr.payload = hdlr.payload[:8] + handler.encode() + hdlr.payload[12:]

    return edit


HDR10 = f"hdr10=1:repeat-headers=1:master-display={MASTER}:max-cll=1000,400"
SOURCES: dict[str, tuple[V, list[A], list[T]]] = {
    "hdr10": (x265(HDR10, color=PQ2020), [], []),
    "pq_no_metadata": (x265(color=PQ2020), [], []),
    "hlg": (x265(color=HLG2020), [], []),
    "hdr10plus": (
        x265(
            f"hdr10=1:master-display={MASTER}:max-cll=1000,400",
            color=PQ2020,
            packet_filter=seiinject.packet_filter("hevc", [(4, seiinject.hdr10plus())]),
        ),
        [],
        [],
    ),
    "sdr_709": (V(frames=10, color=BT709), [], []),
    "pq_8bit": (V(frames=10, color=PQ2020), [], []),
    "cc_h264": (V(frames=25, packet_filter=seiinject.packet_filter("h264", [(4, CC)])), [A()], []),
    "no_cc": (V(frames=25), [A()], []),
    "text": (V(frames=25), [A(language="eng")], [T(language="eng"), T(language="fra")]),
}
MDCV = struct.pack(">8H2I", 13250, 34500, 7500, 3000, 34000, 16000, 15635, 16450, 10000000, 50)
PATCHED: dict[str, tuple[str, Callable[[boxpatch.Node], None]]] = {
    "hdr10_boxes": ("pq_no_metadata", entry_box("mdcv", MDCV)),
    "dv_81": ("hdr10", entry_box("dvvC", seiinject.dovi_record(8, 4, 1))),
    "colr_pq_vui_709": ("sdr_709", entry_box("colr", b"nclx" + struct.pack(">HHHB", 9, 16, 9, 0))),
    "wvtt": ("text", retype_text("wvtt", "text", struct.pack(">I4s", 14, b"vttC") + b"WEBVTT")),
    "stpp": ("text", retype_text("stpp", "subt", b"http://www.w3.org/ns/ttml\0\0\0")),
    "c608": ("text", retype_text("c608", "clcp")),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hdr")
    out = {name: write(folder / f"{name}.mp4", *spec) for name, spec in SOURCES.items()}
    for name, (base, edit) in PATCHED.items():
        out[name] = folder / f"{name}.mp4"
        out[name].write_bytes(boxpatch.rewrite_moov(out[base].read_bytes(), edit))
    return out


def ffprobe(path: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    return dict(json.loads(out))


def probed(path: Path) -> ProbeResult:
    with LocalFileSource(path) as source:
        return probe(source)


def hdr_of(path: Path) -> Hdr:
    video = probed(path).video
    assert video is not None and video.hdr is not None
    return video.hdr


@pytest.mark.parametrize(
    ("name", "formats", "source"),
    [
        ("hdr10", ["HDR10"], "bitstream"),
        ("pq_no_metadata", ["PQ10"], None),
        ("hlg", ["HLG"], None),
        ("hdr10plus", ["HDR10+", "HDR10"], "bitstream"),
        ("hdr10_boxes", ["HDR10"], "container"),
        ("dv_81", ["Dolby Vision", "HDR10"], "bitstream"),
        ("sdr_709", ["SDR"], None),
        ("pq_8bit", ["PQ10"], None),
    ],
)
def test_hdr_format_and_metadata_agree_with_ffprobe(
    files: dict[str, Path], name: str, formats: list[str], source: str | None
) -> None:
    path = files[name]
    hdr = hdr_of(path)
    assert (hdr.formats, hdr.metadata_source) == (formats, source)
    reference = ffprobe(
        path, "-select_streams", "v:0", "-show_streams", "-show_frames", "-read_intervals", "%+#1"
    )
    stream, frame = reference["streams"][0], reference["frames"][0]
    side = {
        sd["side_data_type"]: sd
        for sd in [*frame.get("side_data_list", []), *stream.get("side_data_list", [])]
    }
    display = side.get("Mastering display metadata")
    ours = hdr.mastering_display
    assert (ours is None) == (display is None)
    if ours is not None and display is not None:
        assert ours.max_luminance == pytest.approx(float(Fraction(display["max_luminance"])))
        assert ours.min_luminance == pytest.approx(float(Fraction(display["min_luminance"])))
        assert ours.red[0] == pytest.approx(float(Fraction(display["red_x"])), abs=1e-5)
    light = side.get("Content light level metadata")
    assert (hdr.content_light is None) == (light is None)
    if hdr.content_light is not None and light is not None:
        assert (hdr.content_light.max_cll, hdr.content_light.max_fall) == (
            light["max_content"],
            light["max_average"],
        )
    assert ("HDR10+" in hdr.formats) == any("2094-40" in kind for kind in side)
    dovi = side.get("DOVI configuration record")
    assert (hdr.dolby_vision is None) == (dovi is None)
    if hdr.dolby_vision is not None and dovi is not None:
        assert (hdr.dolby_vision.profile, hdr.dolby_vision.level) == (
            dovi["dv_profile"],
            dovi["dv_level"],
        )
        assert hdr.dolby_vision.compatibility_id == dovi["dv_bl_signal_compatibility_id"]


def test_colour_follows_the_bitstream_as_ffprobe_and_flags_the_container(
    files: dict[str, Path],
) -> None:
    """The colr box says PQ/BT.2020, the H.264 VUI BT.709: FFmpeg's decoder (and so
    ffprobe) reports the VUI; browsers and AVFoundation read colr."""
    path = files["colr_pq_vui_709"]
    video = probed(path).video
    assert video is not None and video.color is not None and video.hdr is not None
    stream = ffprobe(path, "-select_streams", "v:0", "-show_streams")["streams"][0]
    assert (video.color.primaries, video.color.transfer, video.color.matrix) == (
        stream["color_primaries"],
        stream["color_transfer"],
        stream["color_space"],
    )
    assert {m.field for m in video.hdr.mismatches} == {"primaries", "transfer", "matrix"}
    result = run_task(str(path), options=AnalysisOptions(probe_only=True))
    assert isinstance(result, CompletedResult)
    assert "COLOUR_SIGNALLING_MISMATCH" in [c.code for c in result.results.checks]


def test_pq_in_8_bit_without_metadata_is_flagged(files: dict[str, Path]) -> None:
    result = run_task(str(files["pq_8bit"]), options=AnalysisOptions(probe_only=True))
    assert isinstance(result, CompletedResult)
    severities = {c.code: c.severity for c in result.results.checks}
    assert severities["HDR_BIT_DEPTH"] == "error"
    assert severities["HDR_METADATA_MISSING"] == "warning"


def test_embedded_captions_agree_with_ffprobe(files: dict[str, Path]) -> None:
    """ffprobe 5.1 shows A/53 captions as side data of the frames (its stream-level
    `closed_captions` flag stays 0 on these files)."""
    for name, present in (("cc_h264", True), ("no_cc", False)):
        captions = probed(files[name]).captions
        frame = ffprobe(
            files[name], "-select_streams", "v:0", "-show_frames", "-read_intervals", "%+#1"
        )["frames"][0]
        kinds = [sd["side_data_type"] for sd in frame.get("side_data_list", [])]
        assert captions.embedded is not None
        assert captions.embedded.carried is ("ATSC A53 Part 4 Closed Captions" in kinds)
        assert captions.embedded.carried is present
        assert (captions.present, captions.embedded.cea608, captions.embedded.cea708) == (
            present,
            present,
            present,
        )
    embedded = probed(files["cc_h264"]).captions.embedded
    assert embedded is not None and embedded.fields == [1] and embedded.first_seen == 0.0


@pytest.mark.parametrize(
    ("name", "entry", "codec", "kind"),
    [
        ("text", "tx3g", "mov_text", "subtitles"),
        ("wvtt", "wvtt", "webvtt", "subtitles"),
        ("stpp", "stpp", "ttml", "subtitles"),
        ("c608", "c608", "eia_608", "captions"),
    ],
)
def test_text_tracks_are_listed_with_their_language(
    files: dict[str, Path], name: str, entry: str, codec: str, kind: str
) -> None:
    result = probed(files[name])
    tracks = [(t.sample_entry, t.codec, t.kind, t.language) for t in result.captions.tracks]
    assert tracks == [(entry, codec, kind, "eng"), (entry, codec, kind, "fra")]
    assert result.captions.present
    assert [t.type for t in result.tracks] == ["video", "audio", "subtitle", "subtitle"]


# ------------------------------------------------------------------ GOP and bit rate

X264 = {"preset": "veryfast", "g": "12", "bf": "3", "sc_threshold": "0"}
X265_GOP = "keyint=16:min-keyint=16:bframes=3"
SHAPES = {
    "x264_closed": (V(frames=60, options=X264), True, False),
    "x264_open": (V(frames=60, options={**X264, "x264-params": "open-gop=1"}), True, True),
    "x264_no_b": (V(frames=60, options={"preset": "ultrafast", "g": "25"}), False, False),
    "x265_cra": (x265(f"{X265_GOP}:open-gop=1", frames=48, pix_fmt="yuv420p"), True, True),
    "x265_idr": (x265(f"{X265_GOP}:open-gop=0", frames=48, pix_fmt="yuv420p"), True, False),
    "x264_7s": (V(frames=175, options={"preset": "ultrafast", "g": "50"}), False, False),
}


def packets(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    listed = ffprobe(path, "-select_streams", "v:0", "-show_entries", "packet=dts_time,size,flags")[
        "packets"
    ]
    times = np.array([float(p["dts_time"]) for p in listed])
    sizes = np.array([int(p["size"]) for p in listed])
    return times - times[0], sizes, np.array(["K" in p["flags"] for p in listed])


def reference_peak(times: np.ndarray, sizes: np.ndarray, window: float, total: float) -> int | None:
    """Most bits in a window starting at a packet and ending inside the track."""
    if total < window:
        return None
    starts = [t for t in times if t + window <= total + 1e-9]
    best = max(int(sizes[(times >= t) & (times < t + window - 1e-9)].sum()) for t in starts)
    return round(best * 8 / window)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_gop_and_bit_rate_peaks_agree_with_ffprobe_packets(tmp_path: Path, name: str) -> None:
    spec, b_frames, open_gop = SHAPES[name]
    path = write(tmp_path / f"{name}.mp4", spec)
    result = probed(path)
    video, track = result.video, result.tracks[0]
    assert video is not None and video.gop is not None and video.duration
    times, sizes, keys = packets(path)
    assert video.gop.keyframes == int(keys.sum())
    assert (video.gop.b_frames, video.gop.open_gop) == (b_frames, open_gop)
    total = float(sum(track.bit_rate_series or []))
    assert total == int(sizes.sum()) * 8
    duration = float(result.tracks[0].duration or 0)
    assert track.bit_rate_peak_1s == reference_peak(times, sizes, 1.0, duration)
    assert track.bit_rate_peak_5s == reference_peak(times, sizes, 5.0, duration)
