"""The strings ffprobe prints, for values read from configuration boxes.

Colour names are libavutil's (pixdesc.c) for the ITU-T H.273 code points; profile
names are libavcodec's (profiles.c); channel layouts are libavutil's standard
layouts (channel_layout.c), whose names ffprobe prints when a stream's channels
match one exactly. Values checked against ffprobe 5.1 on generated files
(scripts/compare_config.py).
"""

from __future__ import annotations

PRIMARIES = {
    1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film",
    9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213",
}  # fmt: skip
TRANSFERS = {
    1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "linear",
    9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
    14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67",
}  # fmt: skip
MATRICES = {
    0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco",
    9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc",
    13: "chroma-derived-c", 14: "ictcp",
}  # fmt: skip
CHROMA_LOCATIONS = {0: "left", 1: "center", 2: "topleft", 3: "top", 4: "bottomleft", 5: "bottom"}

H264_PROFILES = {
    66: "Baseline", 77: "Main", 88: "Extended", 100: "High", 110: "High 10",
    122: "High 4:2:2", 144: "High 4:4:4", 244: "High 4:4:4 Predictive", 44: "CAVLC 4:4:4",
    118: "Multiview High", 128: "Stereo High",
}  # fmt: skip
HEVC_PROFILES = {1: "Main", 2: "Main 10", 3: "Main Still Picture", 4: "Rext", 9: "SCC"}
AV1_PROFILES = {0: "Main", 1: "High", 2: "Professional"}
VP9_PROFILES = {0: "Profile 0", 1: "Profile 1", 2: "Profile 2", 3: "Profile 3"}
# FFmpeg's AAC profile = audio object type - 1; HE-AAC and HE-AACv2 replace it when
# SBR / PS are signalled (FF_PROFILE_AAC_HE = 4, FF_PROFILE_AAC_HE_V2 = 28).
AAC_PROFILES = {
    1: "Main",
    2: "LC",
    3: "SSR",
    4: "LTP",
    5: "HE-AAC",
    23: "LD",
    29: "HE-AACv2",
    39: "ELD",
}
MPEG4_PROFILES = {
    0: "Simple Profile", 1: "Simple Scalable Profile", 2: "Core Profile", 3: "Main Profile",
    4: "N-bit Profile", 5: "Scalable Texture Profile", 6: "Simple Face Animation Profile",
    7: "Basic Animated Texture Profile", 8: "Hybrid Profile",
    9: "Advanced Real Time Simple Profile",
    10: "Core Scalable Profile", 11: "Advanced Coding Profile", 12: "Advanced Core Profile",
    13: "Advanced Scalable Texture Profile", 14: "Simple Studio Profile",
    15: "Advanced Simple Profile",
}  # fmt: skip

# Standard layouts: name -> channels in order (libavutil channel_layout_map).
LAYOUTS: dict[str, tuple[str, ...]] = {
    "mono": ("FC",),
    "stereo": ("FL", "FR"),
    "2.1": ("FL", "FR", "LFE"),
    "3.0": ("FL", "FR", "FC"),
    "3.0(back)": ("FL", "FR", "BC"),
    "4.0": ("FL", "FR", "FC", "BC"),
    "quad": ("FL", "FR", "BL", "BR"),
    "quad(side)": ("FL", "FR", "SL", "SR"),
    "3.1": ("FL", "FR", "FC", "LFE"),
    "5.0": ("FL", "FR", "FC", "BL", "BR"),
    "5.0(side)": ("FL", "FR", "FC", "SL", "SR"),
    "4.1": ("FL", "FR", "FC", "LFE", "BC"),
    "5.1": ("FL", "FR", "FC", "LFE", "BL", "BR"),
    "5.1(side)": ("FL", "FR", "FC", "LFE", "SL", "SR"),
    "6.0": ("FL", "FR", "FC", "BC", "SL", "SR"),
    "6.0(front)": ("FL", "FR", "FLC", "FRC", "SL", "SR"),
    "hexagonal": ("FL", "FR", "FC", "BL", "BR", "BC"),
    "6.1": ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
    "6.1(back)": ("FL", "FR", "FC", "LFE", "BL", "BR", "BC"),
    "6.1(front)": ("FL", "FR", "LFE", "FLC", "FRC", "SL", "SR"),
    "7.0": ("FL", "FR", "FC", "BL", "BR", "SL", "SR"),
    "7.0(front)": ("FL", "FR", "FC", "FLC", "FRC", "SL", "SR"),
    "7.1": ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
    "7.1(wide)": ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC"),
    "7.1(wide-side)": ("FL", "FR", "FC", "LFE", "FLC", "FRC", "SL", "SR"),
    "octagonal": ("FL", "FR", "FC", "BL", "BR", "BC", "SL", "SR"),
    "downmix": ("DL", "DR"),
}
# libavutil's native channel order (bit positions of the channel mask).
CHANNEL_ORDER = (
    "FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR", "TC", "TFL", "TFC",
    "TFR", "TBL", "TBC", "TBR", "DL", "DR", "WL", "WR", "SDL", "SDR", "LFE2",
)  # fmt: skip


def layout_name(channels: tuple[str, ...] | frozenset[str]) -> str:
    """The name libavutil gives a native-order layout with these channels."""
    wanted = set(channels)
    for name, members in LAYOUTS.items():
        if set(members) == wanted:
            return name
    ordered = [c for c in CHANNEL_ORDER if c in wanted]
    return f"{len(ordered)} channels ({'+'.join(ordered)})"


def pixel_format(chroma: int, bit_depth: int, full_range: bool = False, gbr: bool = False) -> str:
    """FFmpeg's decoder pixel format for a chroma format (0 mono, 1 4:2:0, 2 4:2:2, 3 4:4:4).

    8-bit 4:2:0 with full range is `yuvj420p` for H.264 and HEVC (their decoders still
    pick the deprecated J formats); 4:4:4 with the identity matrix is planar GBR.
    """
    if chroma == 0:
        base = "gray"
    elif gbr and chroma == 3:
        base = "gbrp"
    else:
        base = {1: "yuv420p", 2: "yuv422p", 3: "yuv444p"}[chroma]
    if bit_depth > 8:
        return f"{base}{bit_depth}le" if base != "gray" else f"gray{bit_depth}le"
    if full_range and base in ("yuv420p", "yuv422p", "yuv444p"):
        return base.replace("yuv", "yuvj")
    return base
