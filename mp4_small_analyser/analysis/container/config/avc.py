"""H.264 facts from `avcC` and its sequence parameter set, as ffprobe names them.

- avcC: ISO/IEC 14496-15:2022 §5.3.3.1 (AVCDecoderConfigurationRecord).
- SPS: ITU-T H.264 (08/2021) §7.3.2.1.1; VUI: Annex E.1.1 (aspect_ratio_idc Table E-1,
  colour description, chroma location).
- Size: §7.4.2.1.1 (PicWidthInMbs, FrameHeightInMbs, CropUnitX/Y). FFmpeg additionally
  drops a left crop that is not a multiple of 32 >> (bit depth > 8) luma samples
  (h264_ps.c, "Reducing left cropping"); the same rule is applied so sizes agree.
- Profile names: libavcodec profiles.c; FFmpeg marks Baseline with constraint_set1 as
  "Constrained Baseline" and High 10/4:2:2/4:4:4 with constraint_set3 as "... Intra".
"""

from __future__ import annotations

from dataclasses import replace

from mp4_small_analyser.analysis.container.config.bits import BitError, BitReader, unescape
from mp4_small_analyser.analysis.container.config.names import H264_PROFILES, pixel_format
from mp4_small_analyser.analysis.container.config.video_config import Colour, VideoConfig

_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
_SAR = (
    (0, 1), (1, 1), (12, 11), (10, 11), (16, 11), (40, 33), (24, 11), (20, 11), (32, 11),
    (80, 33), (18, 11), (15, 11), (64, 33), (160, 99), (4, 3), (3, 2), (2, 1),
)  # fmt: skip


def parse_avcc(payload: bytes) -> tuple[int, list[bytes], list[bytes]]:
    """(NAL length size, SPS NAL units, PPS NAL units) of an avcC payload."""
    if len(payload) < 7:
        raise BitError("avcC shorter than its fixed fields")
    length_size = (payload[4] & 3) + 1
    pos = 6
    sps = []
    for _ in range(payload[5] & 0x1F):
        size = int.from_bytes(payload[pos : pos + 2], "big")
        sps.append(payload[pos + 2 : pos + 2 + size])
        pos += 2 + size
    pps = []
    count = payload[pos] if pos < len(payload) else 0
    pos += 1
    for _ in range(count):
        size = int.from_bytes(payload[pos : pos + 2], "big")
        pps.append(payload[pos + 2 : pos + 2 + size])
        pos += 2 + size
    return length_size, sps, pps


def profile_name(profile_idc: int, constraints: int) -> str | None:
    name = H264_PROFILES.get(profile_idc)
    if name is None:
        return None
    if profile_idc == 66 and constraints & 0x40:  # constraint_set1_flag
        return "Constrained Baseline"
    if profile_idc in (110, 122, 244) and constraints & 0x10:  # constraint_set3_flag
        return {110: "High 10 Intra", 122: "High 4:2:2 Intra", 244: "High 4:4:4 Intra"}[profile_idc]
    return name


def _scaling_list(r: BitReader, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt:
            nxt = (last + r.se() + 256) % 256
        last = nxt or last


def _vui(r: BitReader) -> tuple[tuple[int, int] | None, Colour]:
    sar = None
    if r.flag():  # aspect_ratio_info_present_flag
        idc = r.u(8)
        if idc == 255:
            sar = (r.u(16), r.u(16))
        elif idc < len(_SAR):
            sar = _SAR[idc]
    if r.flag():  # overscan_info_present_flag
        r.skip(1)
    primaries = transfer = matrix = None
    full_range = None
    if r.flag():  # video_signal_type_present_flag
        r.skip(3)  # video_format
        full_range = r.flag()
        if r.flag():  # colour_description_present_flag
            primaries, transfer, matrix = r.u(8), r.u(8), r.u(8)
    chroma_loc = None
    if r.flag():  # chroma_loc_info_present_flag
        chroma_loc = r.ue()
        r.ue()
    return sar, Colour(primaries, transfer, matrix, full_range, chroma_loc)


def parse_sps(nal: bytes) -> VideoConfig:
    """One SPS NAL unit (with its 1-byte header)."""
    r = BitReader(unescape(nal), 1)
    profile_idc = r.u(8)
    constraints = r.u(8)
    level_idc = r.u(8)
    r.ue()  # seq_parameter_set_id
    chroma = 1
    depth = 8
    separate_planes = False
    if profile_idc in _HIGH_PROFILES:
        chroma = r.ue()
        if chroma == 3:
            separate_planes = r.flag()
        depth = r.ue() + 8
        r.ue()  # bit_depth_chroma_minus8
        r.skip(1)  # qpprime_y_zero_transform_bypass_flag
        if r.flag():  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma != 3 else 12):
                if r.flag():
                    _scaling_list(r, 16 if i < 6 else 64)
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()
    elif poc_type == 1:
        r.skip(1)
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()  # max_num_ref_frames
    r.skip(1)  # gaps_in_frame_num_value_allowed_flag
    mb_width = r.ue() + 1
    map_height = r.ue() + 1
    frame_mbs_only = r.flag()
    if not frame_mbs_only:
        r.skip(1)
    r.skip(1)  # direct_8x8_inference_flag
    crop = (0, 0, 0, 0)
    if r.flag():
        crop = (r.ue(), r.ue(), r.ue(), r.ue())
    sar, colour = None, Colour()
    problems: tuple[str, ...] = ()
    if r.flag():  # vui_parameters_present_flag
        try:
            sar, colour = _vui(r)
        except BitError as exc:
            problems = (f"VUI cut short: {exc}",)
    array_type = 0 if separate_planes else chroma
    sub_w = 2 if array_type in (1, 2) else 1
    sub_h = 2 if array_type == 1 else 1
    unit_x = 1 if array_type == 0 else sub_w
    unit_y = (1 if array_type == 0 else sub_h) * (2 - frame_mbs_only)
    coded_w = mb_width * 16
    coded_h = map_height * 16 * (2 - frame_mbs_only)
    left, right, top, bottom = (
        c * u for c, u in zip(crop, (unit_x, unit_x, unit_y, unit_y), strict=True)
    )
    align = 0x1F >> (depth > 8)
    if left & align:
        left &= ~align  # FFmpeg keeps the picture aligned rather than crop an odd left edge
    width = coded_w - left - right
    height = coded_h - top - bottom
    gbr = colour.matrix == 0 and chroma == 3
    # FFmpeg picks yuvj* when the range is full, only for 8-bit (h264_slice.c get_pixel_format).
    pix_fmt = pixel_format(chroma, depth, bool(colour.full_range) and depth == 8, gbr)
    return VideoConfig(
        codec="h264",
        profile=profile_name(profile_idc, constraints),
        level=level_idc,
        width=width,
        height=height,
        coded_width=coded_w,
        coded_height=coded_h,
        chroma_format=chroma,
        bit_depth=depth,
        pix_fmt=pix_fmt,
        sample_aspect_ratio=sar if sar and sar[0] and sar[1] else None,
        colour=colour,
        problems=problems,
    )


def from_avcc(payload: bytes) -> VideoConfig:
    length_size, sps, pps = parse_avcc(payload)
    if not sps:
        raise BitError("avcC holds no SPS")
    config = parse_sps(sps[0])
    return replace(config, nal_length_size=length_size, parameter_sets=tuple(sps + pps))
