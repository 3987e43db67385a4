"""Every codec fact ffprobe prints for a track, from its sample entry, without decoding.

ffprobe's values come from the demuxer (sample entry, `colr`, `pasp`, `tkhd`) and
are then overwritten by the decoder from the bitstream during stream probing. The
precedence each decoder applies is reproduced here:

- H.264 (h264_slice.c): range only when the VUI has video_signal_type; primaries,
  transfer and matrix only when it has a colour description; otherwise `colr` stands.
- HEVC (hevcdec.c export_stream_params): always the SPS VUI (unsignalled → "tv" range
  and unknown colours), so `colr` never shows.
- AV1 (libdav1d): always the sequence header (range "tv" unless full).
- VP9 (vp9.c): matrix and range from the keyframe; primaries and transfer from vpcC.
- Sample aspect ratio: `pasp` (stream SAR, §12.1.4 of 14496-12) wins over the VUI's.

Boxes: colr §12.1.5 (nclx: primaries, transfer, matrix u16, full_range 1 bit; QuickTime
nclc without the range byte), pasp §12.1.4, btrt §8.5.2.2.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction

from mp4_small_analyser.analysis.container.boxes import Box, BoxError, entry_children
from mp4_small_analyser.analysis.container.config import audio_config, av1, avc, hevc, vp9
from mp4_small_analyser.analysis.container.config.audio_config import AudioConfig
from mp4_small_analyser.analysis.container.config.bits import BitError, BitReader
from mp4_small_analyser.analysis.container.config.names import (
    CHROMA_LOCATIONS,
    MATRICES,
    MPEG4_PROFILES,
    PRIMARIES,
    TRANSFERS,
    pixel_format,
)
from mp4_small_analyser.analysis.container.config.video_config import Colour, VideoConfig
from mp4_small_analyser.analysis.container.tables import TrackTables

VIDEO_CODECS = {
    "avc1": "h264", "avc3": "h264", "avc2": "h264", "avc4": "h264", "hvc1": "hevc",
    "hev1": "hevc", "dvh1": "hevc", "dvhe": "hevc", "dva1": "h264", "dvav": "h264",
    "av01": "av1", "vp09": "vp9", "vp08": "vp8", "mp4v": "mpeg4", "mjpg": "mjpeg",
    "jpeg": "mjpeg", "apcn": "prores", "apch": "prores", "apcs": "prores", "apco": "prores",
    "ap4h": "prores", "ap4x": "prores", "s263": "h263", "h263": "h263",
}  # fmt: skip


@dataclass(frozen=True)
class ContainerColour:
    """`colr` as the demuxer reads it."""

    kind: str
    """"nclx", "nclc" or "prof" (ICC profile)."""
    primaries: int | None
    transfer: int | None
    matrix: int | None
    full_range: bool | None


@dataclass(frozen=True)
class VideoFacts:
    codec: str
    profile: str | None
    level: int | None
    width: int | None
    height: int | None
    pix_fmt: str | None
    bit_depth: int | None
    sample_aspect_ratio: Fraction | None
    display_aspect_ratio: Fraction | None
    color_range: str | None
    """"tv" / "pc" / None (ffprobe "unknown")."""
    color_primaries: str | None
    color_transfer: str | None
    color_space: str | None
    chroma_location: str | None
    config: VideoConfig | None
    """The bitstream's own record (for the HDR and mismatch checks)."""
    container_colour: ContainerColour | None
    problems: tuple[str, ...] = ()


def parse_colr(box: Box) -> ContainerColour | None:
    p = box.payload
    kind = p[:4].decode("latin-1")
    if kind in ("nclx", "nclc") and len(p) >= 10:
        primaries, transfer, matrix = struct.unpack_from(">HHH", p, 4)
        full = bool(p[10] & 0x80) if kind == "nclx" and len(p) >= 11 else None
        return ContainerColour(kind, primaries, transfer, matrix, full)
    if kind in ("prof", "rICC"):
        return ContainerColour(kind, None, None, None, None)
    return None


def _pasp(box: Box | None) -> Fraction | None:
    if box is None or len(box.payload) < 8:
        return None
    h, v = struct.unpack_from(">II", box.payload, 0)
    return Fraction(h, v) if h and v else None


def _mpeg4_visual(kids: dict[str, Box], entry: Box) -> VideoConfig:
    """mp4v: profile_and_level_indication of the VisualObjectSequence in the DSI."""
    esds = audio_config.parse_esds(kids["esds"].payload)
    dsi = esds.decoder_specific_info
    profile = level = None
    start = dsi.find(b"\x00\x00\x01\xb0")
    if start >= 0 and start + 4 < len(dsi):
        pli = dsi[start + 4]
        profile, level = MPEG4_PROFILES.get(pli >> 4), pli & 0xF
    width, height = struct.unpack_from(">HH", entry.payload, 24)
    codec = {0x20: "mpeg4", 0x6C: "mjpeg", 0x6A: "mpeg1video"}.get(
        esds.object_type_indication, "mpeg2video"
    )
    return VideoConfig(codec, profile, level, width, height, width, height, 1, 8, "yuv420p",
                       _vol_aspect(dsi), Colour())  # fmt: skip


_VOL_PAR = {1: (1, 1), 2: (12, 11), 3: (10, 11), 4: (16, 11), 5: (40, 33)}


def _vol_aspect(dsi: bytes) -> tuple[int, int] | None:
    """aspect_ratio_info of the VideoObjectLayer (ISO/IEC 14496-2 §6.2.3, Table 6-12)."""
    for code in range(0x20, 0x30):
        start = dsi.find(b"\x00\x00\x01" + bytes([code]))
        if start < 0:
            continue
        r = BitReader(dsi, start + 4)
        try:
            r.skip(1 + 8)  # random_accessible_vol, video_object_type_indication
            if r.flag():  # is_object_layer_identifier
                r.skip(4 + 3)
            info = r.u(4)
            if info == 15:
                return r.u(8), r.u(8)
            return _VOL_PAR.get(info)
        except BitError:
            return None
    return None


def video_config(entry: Box) -> VideoConfig | None:
    kids = {c.type: c for c in entry_children(entry, "vide")}
    if "avcC" in kids:
        return avc.from_avcc(kids["avcC"].payload)
    if "hvcC" in kids:
        return hevc.from_hvcc(kids["hvcC"].payload)
    if "av1C" in kids:
        return av1.from_av1c(kids["av1C"].payload)
    if "vpcC" in kids:
        return vp9.from_vpcc(kids["vpcC"].payload, "vp8" if entry.type == "vp08" else "vp9")
    if "esds" in kids:
        return _mpeg4_visual(kids, entry)
    return None


def _ffmpeg_colours(
    codec: str,
    config: VideoConfig | None,
    colr: ContainerColour | None,
    colr_after_config: bool = True,
) -> Colour:
    """The decoder-over-container precedence described in the module docstring."""
    box = Colour()
    if colr is not None and colr.kind in ("nclx", "nclc"):
        box = Colour(colr.primaries, colr.transfer, colr.matrix, colr.full_range)
    if config is None:
        return box
    bits = config.colour
    if codec == "h264":
        return Colour(
            bits.primaries if bits.primaries is not None else box.primaries,
            bits.transfer if bits.transfer is not None else box.transfer,
            bits.matrix if bits.matrix is not None else box.matrix,
            bits.full_range if bits.full_range is not None else box.full_range,
            bits.chroma_location,
        )
    if codec == "hevc":
        return Colour(bits.primaries, bits.transfer, bits.matrix, bool(bits.full_range),
                      bits.chroma_location)  # fmt: skip
    if codec == "av1":
        return Colour(bits.primaries, bits.transfer, bits.matrix, bool(bits.full_range),
                      bits.chroma_location)  # fmt: skip
    if codec in ("vp9", "vp8"):
        # The demuxer reads vpcC and colr in box order, the later one winning for primaries
        # and transfer; the decoder then sets matrix and range from the keyframe.
        later = colr is not None and colr_after_config
        return Colour(
            box.primaries if later else bits.primaries,
            box.transfer if later else bits.transfer,
            bits.matrix,
            bits.full_range,
        )
    return box


def _name(table: dict[int, str], value: int | None) -> str | None:
    return table.get(value) if value is not None else None


def _chroma_location(codec: str, config: VideoConfig | None, colour: Colour) -> str | None:
    if config is None:
        return None
    if colour.chroma_location is not None and codec in ("h264", "hevc"):
        return CHROMA_LOCATIONS.get(colour.chroma_location)
    # Without VUI chroma info FFmpeg's h264 and mpeg4 decoders say "left" whatever the
    # chroma format; hevc only for 4:2:0; libdav1d maps AV1's chroma_sample_position.
    if codec in ("h264", "mpeg4"):
        return "left"
    if codec == "hevc":
        return "left" if config.chroma_format == 1 else None
    if codec == "av1":
        return {1: "left", 2: "topleft"}.get(colour.chroma_location or 0)
    return None


def video_facts(track: TrackTables, entry: Box, first_sample: bytes | None = None) -> VideoFacts:
    """`first_sample`: the first bytes of the first sample, used for VP9 only (its keyframe
    header holds the matrix FFmpeg reports); 32 bytes are enough."""
    kids = {c.type: c for c in entry_children(entry, "vide")}
    codec = VIDEO_CODECS.get(entry.type, entry.type.strip())
    problems: list[str] = []
    config: VideoConfig | None = None
    try:
        config = video_config(entry)
    except (BitError, BoxError, IndexError, struct.error) as exc:
        problems.append(f"{entry.type} configuration unreadable: {exc}")
    if config is not None and config.codec == "vp9" and first_sample:
        try:
            key = vp9.parse_keyframe_header(first_sample)
            if key is not None:
                config = vp9.with_keyframe(config, key)
        except BitError as exc:
            problems.append(f"VP9 first frame header unreadable: {exc}")
    if config is not None:
        codec = config.codec
        problems.extend(config.problems)
    colr = parse_colr(kids["colr"]) if "colr" in kids else None
    order = [c.type for c in entry_children(entry, "vide")]
    after = "colr" in order and "vpcC" in order and order.index("colr") > order.index("vpcC")
    colour = _ffmpeg_colours(codec, config, colr, after)
    entry_w, entry_h = struct.unpack_from(">HH", entry.payload, 24)
    width = config.width if config and config.width else entry_w
    height = config.height if config and config.height else entry_h
    sar = _pasp(kids.get("pasp"))
    if sar is None and config is not None and config.sample_aspect_ratio:
        sar = Fraction(*config.sample_aspect_ratio)
    dar = (
        Fraction(width * sar.numerator, height * sar.denominator)
        if sar and width and height
        else None
    )
    pix_fmt = config.pix_fmt if config else None
    if config is not None and codec == "h264" and config.bit_depth is not None:
        # FFmpeg's h264 decoder outputs monochrome as 4:2:0 with grey chroma, and picks
        # yuvj* from the range it ends up with (VUI, else colr), for 8-bit only.
        chroma = config.chroma_format or 1
        pix_fmt = pixel_format(chroma, config.bit_depth,
                               bool(colour.full_range) and config.bit_depth == 8,
                               colour.matrix == 0 and chroma == 3)  # fmt: skip
    return VideoFacts(
        codec=codec,
        profile=config.profile if config else None,
        level=config.level if config else None,
        width=width or None,
        height=height or None,
        pix_fmt=pix_fmt,
        bit_depth=config.bit_depth if config else None,
        sample_aspect_ratio=sar,
        display_aspect_ratio=dar,
        color_range=None if colour.full_range is None else ("pc" if colour.full_range else "tv"),
        color_primaries=_name(PRIMARIES, colour.primaries),
        color_transfer=_name(TRANSFERS, colour.transfer),
        color_space=_name(MATRICES, colour.matrix),
        chroma_location=_chroma_location(codec, config, colour),
        config=config,
        container_colour=colr,
        problems=tuple(problems),
    )


def audio_facts(entry: Box) -> AudioConfig:
    try:
        return audio_config.from_sample_entry(entry)
    except (BitError, BoxError, IndexError, struct.error, KeyError) as exc:
        fields = audio_config.sound_fields(entry)
        return AudioConfig(entry.type, None, fields.samplerate, fields.channelcount, None, None,
                           None, None, problems=(f"configuration unreadable: {exc}",))  # fmt: skip
