"""What a video configuration record says, in the shape every codec parser returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Colour:
    """ITU-T H.273 code points as signalled (None: not signalled)."""

    primaries: int | None = None
    transfer: int | None = None
    matrix: int | None = None
    full_range: bool | None = None
    chroma_location: int | None = None
    """H.264/HEVC chroma_sample_loc_type_top_field (0 = left)."""


@dataclass(frozen=True)
class VideoConfig:
    codec: str
    """ffprobe codec_name."""
    profile: str | None
    """ffprobe profile string ("High", "Main 10", "Profile 2")."""
    level: int | None
    """ffprobe level integer (H.264 level_idc, HEVC general_level_idc, AV1 seq_level_idx)."""
    width: int | None
    height: int | None
    """Displayed size after cropping (conformance window / frame cropping)."""
    coded_width: int | None
    coded_height: int | None
    chroma_format: int | None
    """0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4."""
    bit_depth: int | None
    pix_fmt: str | None
    """FFmpeg's decoder pixel format name (yuv420p, yuv420p10le, yuvj420p, gbrp...)."""
    sample_aspect_ratio: tuple[int, int] | None
    """From the bitstream (VUI); the `pasp` box may override it (ffprobe prefers pasp)."""
    colour: Colour
    nal_length_size: int | None = None
    parameter_sets: tuple[bytes, ...] = ()
    """NAL units carried in the record (VPS/SPS/PPS/SEI), emulation bytes kept."""
    problems: tuple[str, ...] = ()
