"""HEVC facts from `hvcC` and its SPS, as ffprobe names them.

- hvcC: ISO/IEC 14496-15:2022 §8.3.3.1 (HEVCDecoderConfigurationRecord).
- SPS: ITU-T H.265 (08/2021) §7.3.2.2.1, profile_tier_level §7.3.3, scaling_list_data
  §7.3.4, st_ref_pic_set §7.3.7 (needed to reach the VUI), VUI Annex E.2.1.
- Size: conformance window in chroma units (§7.4.3.2.1, SubWidthC/SubHeightC).
- Profile: general_profile_idc, or the first compatibility flag when the idc is 0
  (FFmpeg hevc_ps.c does the same); names from libavcodec profiles.c.
- Pixel format: FFmpeg's hevc_ps.c, including yuvj420p for 8-bit 4:2:0 full range.
"""

from __future__ import annotations

from dataclasses import replace

from mp4_small_analyser.analysis.container.config.bits import BitError, BitReader, unescape
from mp4_small_analyser.analysis.container.config.names import HEVC_PROFILES, pixel_format
from mp4_small_analyser.analysis.container.config.video_config import Colour, VideoConfig

_SAR = (
    (0, 1), (1, 1), (12, 11), (10, 11), (16, 11), (40, 33), (24, 11), (20, 11), (32, 11),
    (80, 33), (18, 11), (15, 11), (64, 33), (160, 99), (4, 3), (3, 2), (2, 1),
)  # fmt: skip
VPS, SPS, PPS, PREFIX_SEI, SUFFIX_SEI = 32, 33, 34, 39, 40


def parse_hvcc(payload: bytes) -> tuple[int, list[tuple[int, bytes]]]:
    """(NAL length size, [(nal_unit_type, NAL unit)]) of an hvcC payload."""
    if len(payload) < 23:
        raise BitError("hvcC shorter than its fixed fields")
    length_size = (payload[21] & 3) + 1
    pos = 23
    nals = []
    for _ in range(payload[22]):
        nal_type = payload[pos] & 0x3F
        count = int.from_bytes(payload[pos + 1 : pos + 3], "big")
        pos += 3
        for _ in range(count):
            size = int.from_bytes(payload[pos : pos + 2], "big")
            nals.append((nal_type, payload[pos + 2 : pos + 2 + size]))
            pos += 2 + size
    return length_size, nals


def _profile_tier_level(r: BitReader, max_sub_layers_minus1: int) -> tuple[int, int, int]:
    """(profile_idc, compatibility flags, level_idc) of the general layer."""
    r.skip(2)  # general_profile_space
    r.skip(1)  # general_tier_flag
    profile = r.u(5)
    compat = r.u(32)
    r.skip(4 + 43 + 1)  # source flags, constraint flags, inbld/reserved
    level = r.u(8)
    present = [(r.flag(), r.flag()) for _ in range(max_sub_layers_minus1)]
    if max_sub_layers_minus1 > 0:
        r.skip(2 * (8 - max_sub_layers_minus1))
    for profile_present, level_present in present:
        if profile_present:
            r.skip(88)
        if level_present:
            r.skip(8)
    return profile, compat, level


def _scaling_list_data(r: BitReader) -> None:
    for size_id in range(4):
        for _ in range(0, 6, 3 if size_id == 3 else 1):
            if not r.flag():  # scaling_list_pred_mode_flag
                r.ue()
                continue
            coefs = min(64, 1 << (4 + (size_id << 1)))
            if size_id > 1:
                r.se()
            for _ in range(coefs):
                r.se()


def _short_term_rps(r: BitReader, idx: int, num_delta_pocs: list[int]) -> None:
    """st_ref_pic_set(idx) in an SPS; appends NumDeltaPocs[idx]."""
    if idx != 0 and r.flag():  # inter_ref_pic_set_prediction_flag
        r.skip(1)  # delta_rps_sign
        r.ue()  # abs_delta_rps_minus1
        ref = num_delta_pocs[idx - 1]
        count = 0
        for _ in range(ref + 1):
            used = r.flag()
            use_delta = True if used else r.flag()
            count += used or use_delta
        num_delta_pocs.append(count)
        return
    negative, positive = r.ue(), r.ue()
    for _ in range(negative + positive):
        r.ue()
        r.skip(1)
    num_delta_pocs.append(negative + positive)


def _vui(r: BitReader) -> tuple[tuple[int, int] | None, Colour]:
    sar = None
    if r.flag():
        idc = r.u(8)
        if idc == 255:
            sar = (r.u(16), r.u(16))
        elif idc < len(_SAR):
            sar = _SAR[idc]
    if r.flag():
        r.skip(1)
    primaries = transfer = matrix = None
    full_range = None
    if r.flag():
        r.skip(3)
        full_range = r.flag()
        if r.flag():
            primaries, transfer, matrix = r.u(8), r.u(8), r.u(8)
    chroma_loc = None
    if r.flag():
        chroma_loc = r.ue()
        r.ue()
    return sar, Colour(primaries, transfer, matrix, full_range, chroma_loc)


def parse_sps(nal: bytes) -> VideoConfig:
    """One SPS NAL unit (with its 2-byte header)."""
    r = BitReader(unescape(nal), 2)
    r.skip(4)  # sps_video_parameter_set_id
    max_sub_layers_minus1 = r.u(3)
    r.skip(1)
    profile_idc, compat, level = _profile_tier_level(r, max_sub_layers_minus1)
    if profile_idc == 0:
        profile_idc = next((i for i in range(1, 32) if compat & (1 << (31 - i))), 0)
    r.ue()  # sps_seq_parameter_set_id
    chroma = r.ue()
    separate = chroma == 3 and r.flag()
    width, height = r.ue(), r.ue()
    sub_w = 2 if chroma in (1, 2) and not separate else 1
    sub_h = 2 if chroma == 1 and not separate else 1
    crop = (0, 0, 0, 0)
    if r.flag():  # conformance_window_flag
        crop = (r.ue() * sub_w, r.ue() * sub_w, r.ue() * sub_h, r.ue() * sub_h)
    depth = r.ue() + 8
    r.ue()  # bit_depth_chroma_minus8
    sar, colour = None, Colour()
    problems: tuple[str, ...] = ()
    try:
        sar, colour = _after_depth(r, max_sub_layers_minus1)
    except BitError as exc:
        problems = (f"SPS tail cut short before the VUI: {exc}",)
    left = crop[0]
    if left & (0x1F >> (depth > 8)):
        left &= ~(0x1F >> (depth > 8))  # FFmpeg keeps the output window aligned
    crop = (left, crop[1], crop[2], crop[3])
    full = bool(colour.full_range) and depth == 8 and chroma == 1
    return VideoConfig(
        codec="hevc",
        profile=HEVC_PROFILES.get(profile_idc),
        level=level,
        width=width - crop[0] - crop[1],
        height=height - crop[2] - crop[3],
        coded_width=width,
        coded_height=height,
        chroma_format=chroma,
        bit_depth=depth,
        pix_fmt=pixel_format(chroma, depth, full, colour.matrix == 0 and chroma == 3),
        sample_aspect_ratio=sar if sar and sar[0] and sar[1] else None,
        colour=colour,
        problems=problems,
    )


def _after_depth(r: BitReader, max_sub_layers_minus1: int) -> tuple[tuple[int, int] | None, Colour]:
    log2_max_poc_lsb = r.ue() + 4
    ordering_all = r.flag()
    for _ in range(0 if ordering_all else max_sub_layers_minus1, max_sub_layers_minus1 + 1):
        r.ue()
        r.ue()
        r.ue()
    for _ in range(6):  # min/diff coding block, transform block sizes, hierarchy depths
        r.ue()
    if r.flag() and r.flag():  # scaling_list_enabled_flag, sps_scaling_list_data_present_flag
        _scaling_list_data(r)
    r.skip(2)  # amp_enabled_flag, sample_adaptive_offset_enabled_flag
    if r.flag():  # pcm_enabled_flag
        r.skip(8)
        r.ue()
        r.ue()
        r.skip(1)
    deltas: list[int] = []
    for i in range(r.ue()):
        _short_term_rps(r, i, deltas)
    if r.flag():  # long_term_ref_pics_present_flag
        for _ in range(r.ue()):
            r.skip(log2_max_poc_lsb + 1)
    r.skip(2)  # sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
    if r.flag():
        return _vui(r)
    return None, Colour()


def from_hvcc(payload: bytes) -> VideoConfig:
    length_size, nals = parse_hvcc(payload)
    sps = [n for t, n in nals if t == SPS]
    if not sps:
        raise BitError("hvcC holds no SPS")
    config = parse_sps(sps[0])
    return replace(config, nal_length_size=length_size, parameter_sets=tuple(n for _, n in nals))
