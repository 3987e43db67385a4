"""VP9 (and VP8) facts from `vpcC`, and from the first frame's uncompressed header.

- vpcC: VP Codec ISO Media File Format Binding v1.0 §2.2 (VPCodecConfigurationRecord,
  version 1: profile, level, bitDepth, chromaSubsampling, videoFullRangeFlag,
  colourPrimaries, transferCharacteristics, matrixCoefficients).
- Frame header: VP9 Bitstream Specification v0.6 §6.2 (uncompressed_header,
  color_config, frame_size). FFmpeg's native vp9 decoder takes the matrix and range
  from the keyframe (its 3-bit color_space), so a matrix that differs from vpcC's is
  reported from the frame; primaries and transfer stay the container's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mp4_small_analyser.analysis.container.config.bits import BitError, BitReader
from mp4_small_analyser.analysis.container.config.names import VP9_PROFILES, pixel_format
from mp4_small_analyser.analysis.container.config.video_config import Colour, VideoConfig

_CHROMA = {0: 1, 1: 1, 2: 2, 3: 3}
# VP9 color_space → H.273 matrix (FFmpeg vp9.c: unknown, bt470bg, bt709, smpte170m,
# smpte240m, bt2020nc, reserved, rgb).
_VP9_MATRIX = {0: None, 1: 5, 2: 1, 3: 6, 4: 7, 5: 9, 6: None, 7: 0}


def from_vpcc(payload: bytes, codec: str = "vp9") -> VideoConfig:
    """A vpcC FullBox payload (version/flags first)."""
    if len(payload) < 12:
        raise BitError("vpcC too short")
    version = payload[0]
    profile, level = payload[4], payload[5]
    depth = payload[6] >> 4
    primaries: int | None
    transfer: int | None
    matrix: int | None
    if version >= 1:
        chroma = _CHROMA.get((payload[6] >> 1) & 7, 1)
        full = bool(payload[6] & 1)
        primaries, transfer, matrix = payload[7], payload[8], payload[9]
    else:  # version 0: bitDepth(4) colorSpace(4) chromaSubsampling(4) transfer(4) full(1)
        chroma = _CHROMA.get(payload[7] >> 4, 1)
        full = bool(payload[8] & 0x80)
        primaries = transfer = matrix = None
    colour = Colour(primaries, transfer, matrix, full)
    gbr = matrix == 0 and chroma == 3
    return VideoConfig(
        codec=codec,
        profile=VP9_PROFILES.get(profile) if codec == "vp9" else None,
        # FFmpeg's vp9 decoder leaves the level unknown (ffprobe -99), so vpcC's is not
        # reported as the level (`vpcc_level` in the notes if a profile wants it).
        level=None if codec == "vp9" else level,
        width=None,
        height=None,
        coded_width=None,
        coded_height=None,
        chroma_format=chroma,
        bit_depth=depth,
        pix_fmt=pixel_format(chroma, depth, False, gbr),
        sample_aspect_ratio=None,
        colour=colour,
    )


@dataclass(frozen=True)
class Vp9Keyframe:
    profile: int
    bit_depth: int
    matrix: int | None
    full_range: bool
    chroma_format: int
    width: int
    height: int


def parse_keyframe_header(frame: bytes) -> Vp9Keyframe | None:
    """The first ~10 bytes of a VP9 keyframe; None for inter frames."""
    r = BitReader(frame)
    if r.u(2) != 2:
        raise BitError("not a VP9 frame (frame_marker)")
    low, high = r.u(1), r.u(1)
    profile = (high << 1) | low
    if profile == 3:
        r.skip(1)
    if r.flag():  # show_existing_frame
        return None
    if r.u(1) != 0:  # frame_type: 0 = KEY_FRAME
        return None
    r.skip(2)  # show_frame, error_resilient_mode
    if r.u(24) != 0x498342:
        raise BitError("VP9 keyframe sync code missing")
    depth = 8
    if profile >= 2:
        depth = 12 if r.flag() else 10
    color_space = r.u(3)
    if color_space != 7:
        full = r.flag()
        if profile in (1, 3):
            sx, sy = r.u(1), r.u(1)
            r.skip(1)
        else:
            sx, sy = 1, 1
    else:
        full = True
        sx = sy = 0
        if profile in (1, 3):
            r.skip(1)
    chroma = {(1, 1): 1, (1, 0): 2, (0, 0): 3}.get((sx, sy), 1)
    width, height = r.u(16) + 1, r.u(16) + 1
    return Vp9Keyframe(profile, depth, _VP9_MATRIX[color_space], full, chroma, width, height)


def with_keyframe(config: VideoConfig, key: Vp9Keyframe) -> VideoConfig:
    """vpcC facts overridden as FFmpeg's decoder overrides them from the keyframe."""
    gbr = key.matrix == 0 and key.chroma_format == 3
    colour = replace(config.colour, matrix=key.matrix, full_range=key.full_range)
    return replace(
        config,
        profile=VP9_PROFILES.get(key.profile),
        width=key.width,
        height=key.height,
        coded_width=key.width,
        coded_height=key.height,
        chroma_format=key.chroma_format,
        bit_depth=key.bit_depth,
        pix_fmt=pixel_format(key.chroma_format, key.bit_depth, False, gbr),
        colour=colour,
    )
