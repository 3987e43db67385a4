"""Container facts side by side: ours, ffprobe, MediaInfo and PyAV, on the test catalogue.

For every catalogue file (tests/media_catalogue.py, plus generated edit-list,
truncation and multi-track cases) and every fact the probe reports, the value
from our probe (sample tables and configuration boxes), from
`ffprobe -show_format -show_streams`, from MediaInfo (pymediainfo with its
bundled libmediainfo) and from PyAV's container and codec context after
`av.open` (the FFmpeg inside PyAV, newer than Debian's ffprobe 5.1; what the
probe reported before issue 12). Prints one agreement table and, with
--detail, every disagreement. Tolerances: durations 1 ms or 0.1 %, frame rates
0.01, bit rates 0.5 %; MediaInfo's vocabulary is mapped to ffprobe's.

    .venv/bin/python benchmarks/accuracy.py [--detail] [--out .bench/accuracy]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from pymediainfo import MediaInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mp4_small_analyser.analysis.container.probe import probe
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from tests import boxpatch
from tests.media_catalogue import CATALOGUE, build
from tests.streamgen import A, V, write

Facts = dict[str, Any]
MI_CODECS = {"AVC": "h264", "HEVC": "hevc", "AV1": "av1", "VP9": "vp9", "MPEG-4 Visual": "mpeg4",
             "AAC": "aac", "MPEG Audio": "mp3", "Opus": "opus", "AC-3": "ac3", "E-AC-3": "eac3",
             "ALAC": "alac", "FLAC": "flac", "Timed Text": "mov_text"}  # fmt: skip
MI_PRIMARIES = {"BT.709": "bt709", "BT.2020": "bt2020", "BT.601 NTSC": "smpte170m",
                "BT.601 PAL": "bt470bg"}  # fmt: skip
MI_TRANSFER = {"BT.709": "bt709", "PQ": "smpte2084", "HLG": "arib-std-b67", "BT.601": "smpte170m"}
MI_MATRIX = {"BT.709": "bt709", "BT.2020 non-constant": "bt2020nc", "BT.601": "smpte170m"}
LANGUAGES = {"en": "eng", "fr": "fra", "de": "deu"}
RANGES = {"Limited": "tv", "Full": "pc"}
COLOURS = {
    "color_primaries": ("primaries", {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}),
    "color_transfer": ("transfer", {1: "bt709", 6: "smpte170m", 16: "smpte2084"}),
    "color_space": ("matrix", {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc"}),
}


def extra_files(folder: Path) -> dict[str, Path]:
    """Cases the catalogue lacks: edit lists, a late track, a doubled header, a cut file."""
    late = write(folder / "audio_late.mp4", V(frames=25), [A(start_samples=24000)])
    bframes = write(
        folder / "bframes.mp4", V(frames=30, options={"preset": "veryfast", "bf": "3"}), [A()]
    )

    def doubled(moov: boxpatch.Node) -> None:
        mvhd = moov.find("mvhd")
        assert mvhd is not None
        boxpatch.set_header_duration(mvhd, int.from_bytes(mvhd.payload[16:20], "big") * 2)

    header = folder / "mvhd_doubled.mp4"
    header.write_bytes(boxpatch.rewrite_moov(bframes.read_bytes(), doubled))
    whole = write(
        folder / "faststart.mp4", V(frames=50), [A(seconds=2.0)], options={"movflags": "+faststart"}
    )
    cut = folder / "cut_half.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return {"audio_late": late, "bframes": bframes, "mvhd_doubled": header, "cut_half": cut}


def ours(path: Path) -> Facts:
    with LocalFileSource(path) as source:
        result = probe(source)
    info = result.file_info
    facts: Facts = {"format.duration": info.duration, "format.nb_streams": info.track_count,
                    "format.bit_rate": info.bit_rate}  # fmt: skip
    for track in result.tracks:
        p = f"s{track.index}."
        facts |= {p + "codec_type": track.type, p + "codec_name": track.codec,
                  p + "duration": track.duration, p + "language": track.language,
                  p + "bit_rate": track.bit_rate}  # fmt: skip
    video = result.video
    if video is not None and result.video_stream_index is not None:
        p = f"s{result.video_stream_index}."
        facts |= {p + "profile": video.profile, p + "level": video.level, p + "width": video.width,
                  p + "height": video.height, p + "pix_fmt": video.pixel_format,
                  p + "nb_frames": video.frame_count, p + "avg_frame_rate": video.frame_rate,
                  p + "display_aspect_ratio": Fraction(video.display_aspect_ratio.replace(":", "/"))
                  if video.display_aspect_ratio else None}  # fmt: skip
        color = video.color
        for key, (field, _) in COLOURS.items():
            facts[p + key] = getattr(color, field) if color else None
        facts[p + "color_range"] = color.range if color else None
    for audio in result.audio_tracks:
        p = f"s{audio.index}."
        facts |= {p + "profile": audio.profile, p + "sample_rate": audio.sample_rate,
                  p + "channels": audio.channels,
                  p + "channel_layout": audio.channel_layout}  # fmt: skip
    return facts


def ffprobe(path: Path) -> Facts:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        timeout=60,
    ).stdout
    ref = json.loads(out or b"{}")
    fmt = ref.get("format", {})
    facts: Facts = {"format.duration": _num(fmt.get("duration")),
                    "format.nb_streams": fmt.get("nb_streams"),
                    "format.bit_rate": _int(fmt.get("bit_rate"))}  # fmt: skip
    for s in ref.get("streams", []):
        p = f"s{s['index']}."
        lang = s.get("tags", {}).get("language")
        facts |= {p + "codec_type": s.get("codec_type"), p + "codec_name": s.get("codec_name"),
                  p + "duration": _num(s.get("duration")),
                  p + "language": lang if lang and lang != "und" else None}  # fmt: skip
        for field in ("profile", "level", "width", "height", "pix_fmt", "color_range",
                      "color_space", "color_transfer", "color_primaries",
                      "channel_layout"):  # fmt: skip
            value = s.get(field)
            facts[p + field] = None if value in (None, "unknown", -99, "N/A") else value
        for field in ("sample_rate", "channels", "nb_frames", "bit_rate"):
            facts[p + field] = _int(s.get(field))
        if s.get("display_aspect_ratio") not in (None, "N/A", "0:1"):
            facts[p + "display_aspect_ratio"] = Fraction(
                s["display_aspect_ratio"].replace(":", "/")
            )
        if s.get("codec_type") == "video" and s.get("avg_frame_rate", "0/0") != "0/0":
            facts[p + "avg_frame_rate"] = Fraction(s["avg_frame_rate"])
    return facts


def pyav(path: Path) -> Facts:
    facts: Facts = {}
    with av.open(str(path)) as container:
        duration = container.duration
        facts["format.duration"] = duration / 1e6 if duration is not None else None
        facts["format.nb_streams"] = len(container.streams)
        for s in container.streams:
            p = f"s{s.index}."
            ctx: Any = s.codec_context
            facts[p + "codec_type"] = s.type
            facts[p + "duration"] = (
                float(s.duration * s.time_base) if s.duration and s.time_base else None
            )
            if ctx is None:
                continue
            facts[p + "codec_name"] = ctx.codec.canonical_name
            facts[p + "profile"] = ctx.profile
            if s.type == "video":
                facts |= {
                    p + "width": ctx.width,
                    p + "height": ctx.height,
                    p + "pix_fmt": ctx.pix_fmt,
                }
                for key, (_, names) in COLOURS.items():
                    value = {"color_primaries": ctx.color_primaries,
                             "color_transfer": ctx.color_trc,
                             "color_space": ctx.colorspace}[key]  # fmt: skip
                    facts[p + key] = names.get(int(value))
                facts[p + "color_range"] = {1: "tv", 2: "pc"}.get(int(ctx.color_range))
            if s.type == "audio":
                name = ctx.layout.name
                facts |= {p + "sample_rate": ctx.sample_rate, p + "channels": ctx.channels,
                          p + "channel_layout":
                              None if name.endswith(" channels") else name}  # fmt: skip
    return facts


def mediainfo(path: Path) -> Facts:
    facts: Facts = {}
    index = -1
    for track in MediaInfo.parse(str(path)).tracks:
        d = track.to_data()
        kind = d.get("track_type")
        if kind == "General":
            facts["format.duration"] = float(d["duration"]) / 1000 if d.get("duration") else None
            facts["format.bit_rate"] = _int(d.get("overall_bit_rate"))
            continue
        if kind not in ("Video", "Audio", "Text") or "SCTE 128" in str(d.get("muxing_mode", "")):
            continue
        index += 1
        p = f"s{index}."
        facts[p + "codec_type"] = {"Video": "video", "Audio": "audio", "Text": "subtitle"}[kind]
        facts[p + "codec_name"] = MI_CODECS.get(d.get("format", ""))
        facts[p + "duration"] = float(d["duration"]) / 1000 if d.get("duration") else None
        lang = d.get("language")
        facts[p + "language"] = LANGUAGES.get(lang, lang) if lang else None
        facts[p + "bit_rate"] = _int(d.get("bit_rate"))
        if kind == "Video":
            facts |= {p + "width": d.get("width"), p + "height": d.get("height"),
                      p + "nb_frames": _int(d.get("frame_count")),
                      p + "avg_frame_rate": _num(d.get("frame_rate")),
                      p + "color_primaries": MI_PRIMARIES.get(d.get("color_primaries", "")),
                      p + "color_transfer": MI_TRANSFER.get(d.get("transfer_characteristics", "")),
                      p + "color_space": MI_MATRIX.get(d.get("matrix_coefficients", "")),
                      p + "color_range": RANGES.get(d.get("color_range", ""))}  # fmt: skip
        if kind == "Audio":
            facts |= {p + "sample_rate": _int(d.get("sampling_rate")),
                      p + "channels": _int(d.get("channel_s"))}  # fmt: skip
    return facts


def _num(text: Any) -> float | None:
    try:
        return float(text) if text not in (None, "N/A") else None
    except ValueError:
        return None


def _int(text: Any) -> int | None:
    try:
        return int(float(text)) if text not in (None, "N/A") else None
    except ValueError:
        return None


def same(key: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    name = key.split(".", 1)[1]
    if name == "duration":
        return abs(float(a) - float(b)) <= max(0.001, 0.001 * float(b)) + 1e-6
    if name == "avg_frame_rate":
        return abs(float(a) - float(b)) <= 0.01
    if name == "bit_rate":
        return abs(float(a) - float(b)) <= 0.005 * float(b) + 1
    if isinstance(a, Fraction | float) or isinstance(b, Fraction | float):
        return abs(float(a) - float(b)) < 1e-9
    return str(a) == str(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detail", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(".bench/accuracy"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files = {
        name: build(spec, args.out / f"{name}{spec.suffix}") for name, spec in CATALOGUE.items()
    } | extra_files(args.out)
    columns = ("ours = ffprobe", "ours = MediaInfo", "PyAV = ffprobe")
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    detail = []
    for name, path in files.items():
        o, f, m, p = ours(path), ffprobe(path), mediainfo(path), pyav(path)
        for column, (left, right) in zip(columns, ((o, f), (o, m), (p, f)), strict=True):
            for key in sorted(set(left) & set(right)):
                if right[key] is None:
                    continue  # the reference has no such fact
                fact = key if key.startswith("format.") else "stream." + key.split(".", 1)[1]
                ok = same(key, left[key], right[key])
                table[fact][column][0] += ok
                table[fact][column][1] += 1
                if not ok:
                    detail.append(
                        f"{column:17} {name:22} {key:24} {left[key]!s:>14} vs {right[key]}"
                    )
    odd = len(files) - len(CATALOGUE)
    print(f"{len(files)} files: the test catalogue ({len(CATALOGUE)}) and {odd} odd ones\n")
    print("| fact | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for fact in sorted(table):
        cells = [
            f"{table[fact][c][0]}/{table[fact][c][1]}" if table[fact][c][1] else "–"
            for c in columns
        ]
        print(f"| {fact} | " + " | ".join(cells) + " |")
    if args.detail:
        print("\n" + "\n".join(detail))


if __name__ == "__main__":
    main()
