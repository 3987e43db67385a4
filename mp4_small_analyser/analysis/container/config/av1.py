"""AV1 facts from `av1C` and its sequence header OBU, as ffprobe (libdav1d) names them.

- av1C: AV1 Codec ISO Media File Format Binding v1.2.0 §2.3.3 (marker, version,
  seq_profile, seq_level_idx_0, tier, bit depth, monochrome, subsampling, then
  configOBUs holding the Sequence Header OBU).
- Sequence header: AV1 Bitstream & Decoding Process Specification §5.5 (incl.
  timing_info §5.5.3, decoder_model_info §5.5.4, color_config §5.5.2).
- ffprobe's `level` is seq_level_idx[0] (0 = level 2.0); libdav1d reports the range
  as "tv" unless color_range is set, and gbrp for 4:4:4 with the identity matrix.
"""

from __future__ import annotations

from mp4_small_analyser.analysis.container.config.bits import BitError, BitReader, leb128
from mp4_small_analyser.analysis.container.config.names import AV1_PROFILES, pixel_format
from mp4_small_analyser.analysis.container.config.video_config import Colour, VideoConfig

OBU_SEQUENCE_HEADER = 1
OBU_METADATA = 5


def split_obus(data: bytes) -> list[tuple[int, bytes]]:
    """[(obu_type, payload)] of low-overhead OBUs (§5.3: obu_has_size_field set)."""
    out = []
    pos = 0
    while pos < len(data):
        header = data[pos]
        obu_type = (header >> 3) & 0xF
        has_ext = header & 0x4
        has_size = header & 0x2
        pos += 2 if has_ext else 1
        if has_size:
            size, used = leb128(data, pos)
            pos += used
        else:
            size = len(data) - pos
        out.append((obu_type, data[pos : pos + size]))
        pos += size
    return out


def _timing(r: BitReader) -> None:
    r.skip(64)
    if r.flag():  # equal_picture_interval
        r.uvlc()


def parse_sequence_header(payload: bytes) -> VideoConfig:
    r = BitReader(payload)
    profile = r.u(3)
    r.skip(1)  # still_picture
    reduced = r.flag()
    level = 0
    decoder_model = False
    buffer_delay_bits = 0
    if reduced:
        level = r.u(5)
    else:
        if r.flag():  # timing_info_present_flag
            _timing(r)
            decoder_model = r.flag()
            if decoder_model:
                buffer_delay_bits = r.u(5) + 1
                r.skip(32 + 5 + 5)
        initial_display = r.flag()
        for i in range(r.u(5) + 1):
            r.skip(12)  # operating_point_idc
            idx = r.u(5)
            if i == 0:
                level = idx
            if idx > 7:
                r.skip(1)
            if decoder_model and r.flag():
                r.skip(2 * buffer_delay_bits + 1)
            if initial_display and r.flag():
                r.skip(4)
    wbits, hbits = r.u(4) + 1, r.u(4) + 1
    width, height = r.u(wbits) + 1, r.u(hbits) + 1
    if not reduced and r.flag():  # frame_id_numbers_present_flag
        r.skip(7)
    r.skip(3)  # use_128x128_superblock, enable_filter_intra, enable_intra_edge
    order_hint = False
    if not reduced:
        r.skip(4)  # interintra, masked, warped, dual_filter
        order_hint = r.flag()
        if order_hint:
            r.skip(2)
        force_sct = 2 if r.flag() else r.u(1)
        if force_sct > 0 and not r.flag():
            r.skip(1)
        if order_hint:
            r.skip(3)
    r.skip(3)  # superres, cdef, restoration
    depth, mono, chroma, colour = _color_config(r, profile)
    gbr = colour.matrix == 0 and chroma == 3
    return VideoConfig(
        codec="av1",
        profile=AV1_PROFILES.get(profile),
        level=level,
        width=width,
        height=height,
        coded_width=width,
        coded_height=height,
        chroma_format=0 if mono else chroma,
        bit_depth=depth,
        pix_fmt=pixel_format(0 if mono else chroma, depth, False, gbr),
        sample_aspect_ratio=None,
        colour=colour,
    )


def _color_config(r: BitReader, profile: int) -> tuple[int, bool, int, Colour]:
    high = r.flag()
    depth = (12 if r.flag() else 10) if profile == 2 and high else (10 if high else 8)
    mono = False if profile == 1 else r.flag()
    primaries = transfer = matrix = None
    if r.flag():  # color_description_present_flag
        primaries, transfer, matrix = r.u(8), r.u(8), r.u(8)
    if mono:
        return depth, True, 0, Colour(primaries, transfer, matrix, r.flag())
    if primaries == 1 and transfer == 13 and matrix == 0:
        return depth, False, 3, Colour(primaries, transfer, matrix, True)
    full = r.flag()
    if profile == 0:
        ss = (1, 1)
    elif profile == 1:
        ss = (0, 0)
    elif depth == 12:
        sx = r.u(1)
        ss = (sx, r.u(1) if sx else 0)
    else:
        ss = (1, 0)
    location = None
    if ss == (1, 1):
        location = r.u(2)  # chroma_sample_position (0 unknown, 1 vertical, 2 colocated)
    chroma = {(1, 1): 1, (1, 0): 2, (0, 0): 3}[ss]
    return depth, False, chroma, Colour(primaries, transfer, matrix, full, location)


def from_av1c(payload: bytes) -> VideoConfig:
    if len(payload) < 4 or not payload[0] & 0x80:
        raise BitError("av1C marker bit missing")
    for obu_type, obu in split_obus(payload[4:]):
        if obu_type == OBU_SEQUENCE_HEADER:
            return parse_sequence_header(obu)
    # No config OBUs: the record's own fields (§2.3.3) still give profile, level, depth.
    profile = payload[1] >> 5
    level = payload[1] & 0x1F
    high, twelve, mono = payload[2] & 0x40, payload[2] & 0x20, payload[2] & 0x10
    sx, sy = (payload[2] >> 3) & 1, (payload[2] >> 2) & 1
    depth = 12 if twelve else 10 if high else 8
    chroma = 0 if mono else {(1, 1): 1, (1, 0): 2, (0, 0): 3}.get((sx, sy), 1)
    return VideoConfig(
        "av1", AV1_PROFILES.get(profile), level, None, None, None, None, chroma, depth,
        pixel_format(chroma, depth), None, Colour(), problems=("av1C has no sequence header",),
    )  # fmt: skip
