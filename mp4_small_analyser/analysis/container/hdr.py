"""HDR / colour classification: SDR, HDR10, HDR10+, PQ10, HLG, Dolby Vision.

Evidence, strongest first:
- Dolby Vision: `dvcC` (profiles ≤ 7), `dvvC` (8-10), `dvwC` (> 10): the
  DOVIDecoderConfigurationRecord of "Dolby Vision Streams Within the ISO Base Media
  File Format" v2.4 §3.1 (dv_version, dv_profile 7 bits, dv_level 6 bits, rpu/el/bl
  present flags, dv_bl_signal_compatibility_id 4 bits: 0 none, 1 HDR10, 2 SDR,
  4 HLG, 6 BT.2020/Blu-ray).
- HDR10+: SMPTE ST 2094-40 dynamic metadata in T.35 SEI (see sei.py) on top of PQ.
- HDR10: PQ transfer (SMPTE ST 2084, H.273 transfer 16) with static metadata:
  mastering display (SMPTE ST 2086; `mdcv` box / `SmDm` / SEI 137) and content light
  level (CTA-861.3 MaxCLL/MaxFALL; `clli` / `CoLL` / SEI 144). PQ without them: "PQ10".
- HLG: transfer 18 (ARIB STD-B67 / ITU-R BT.2100), or an SDR transfer with the
  alternative_transfer_characteristics SEI saying 18 (backward-compatible HLG).
- SDR otherwise; BT.2020 primaries with an SDR transfer are "SDR (BT.2020)".

The transfer/primaries used are FFmpeg's (stream_facts precedence); disagreements
between the container `colr` and the bitstream VUI are listed as `mismatches` so a
QC check can flag files whose players will pick different answers.
"""

from __future__ import annotations

from mp4_small_analyser.analysis.container.boxes import Box, entry_children
from mp4_small_analyser.analysis.container.config.facts import ContainerColour, VideoFacts
from mp4_small_analyser.analysis.container.sei import (
    ALTERNATIVE_TRANSFER,
    CONTENT_LIGHT,
    MASTERING_DISPLAY,
    T35,
    Sei,
    content_light,
    mastering_display,
    smdm_box,
    t35,
)
from mp4_small_analyser.models import (
    ColourMismatch,
    ContentLight,
    DolbyVision,
    Hdr,
    MasteringDisplay,
)
from mp4_small_analyser.models.video import HdrFormat

PQ, HLG = 16, 18
BT2020 = 9
SDR_TRANSFERS = frozenset({1, 6, 14, 15})


def parse_dovi(box: Box) -> DolbyVision | None:
    p = box.payload
    if len(p) < 5:
        return None
    bits = int.from_bytes(p[2:4], "big")
    return DolbyVision(
        profile=bits >> 9,
        level=(bits >> 3) & 0x3F,
        rpu=bool(bits & 4),
        el=bool(bits & 2),
        bl=bool(bits & 1),
        compatibility_id=p[4] >> 4,
    )


def classify(
    facts: VideoFacts, entry: Box, seis: list[Sei], track_transfer: int | None = None
) -> Hdr:
    """`entry`: the visual sample entry; `seis`: SEI messages of the first samples
    (and of the parameter-set arrays in avcC/hvcC, which some muxers fill)."""
    kids = {c.type: c for c in entry_children(entry, "vide")}
    dv_box = next((kids[k] for k in ("dvcC", "dvvC", "dvwC") if k in kids), None)
    dv = parse_dovi(dv_box) if dv_box is not None else None
    box_md = None
    if "mdcv" in kids:
        box_md = mastering_display(kids["mdcv"].payload)
    elif "SmDm" in kids:
        box_md = smdm_box(kids["SmDm"].payload)
    box_cl = None
    if "clli" in kids:
        box_cl = content_light(kids["clli"].payload)
    elif "CoLL" in kids:
        box_cl = content_light(kids["CoLL"].payload[4:])
    sei_md = next(
        (mastering_display(s.payload) for s in seis if s.payload_type == MASTERING_DISPLAY), None
    )
    sei_cl = next((content_light(s.payload) for s in seis if s.payload_type == CONTENT_LIGHT), None)
    plus = any(s.payload_type == T35 and t35(s.payload).kind == "hdr10plus" for s in seis)
    alt = next(
        (s.payload[0] for s in seis if s.payload_type == ALTERNATIVE_TRANSFER and s.payload), None
    )
    md, cl = box_md or sei_md, box_cl or sei_cl
    source = None
    if (box_md or box_cl) and (sei_md or sei_cl):
        source = "both"
    elif box_md or box_cl:
        source = "container"
    elif sei_md or sei_cl:
        source = "bitstream"
    transfer = (
        _code(facts.color_transfer, TRANSFER_CODES) if track_transfer is None else track_transfer
    )
    primaries = _code(facts.color_primaries, PRIMARY_CODES)
    formats: list[HdrFormat] = []
    if dv is not None:
        formats.append("Dolby Vision")
    if transfer == PQ:
        formats.append("HDR10+" if plus else "HDR10" if md or cl else "PQ10")
        if plus and (md or cl):
            formats.append("HDR10")
    elif transfer == HLG or alt == HLG:
        formats.append("HLG")
    if dv is not None and dv.compatibility_id == 1 and "HDR10" not in formats:
        formats.append("HDR10")
    if dv is not None and dv.compatibility_id == 0:
        # No cross-compatible base layer (profile 5, IPTPQc2): only DV displays show it right.
        formats = ["Dolby Vision"]
    if not formats:
        formats.append("SDR (BT.2020)" if primaries == BT2020 else "SDR")
    return Hdr(
        format=formats[0],
        formats=formats,
        mastering_display=md,
        content_light=cl,
        dolby_vision=dv,
        metadata_source=source,
        mismatches=_mismatches(facts, box_md, sei_md, box_cl, sei_cl),
    )


TRANSFER_CODES = {"bt709": 1, "smpte170m": 6, "bt2020-10": 14, "bt2020-12": 15, "smpte2084": 16,
                  "arib-std-b67": 18, "linear": 8, "iec61966-2-1": 13}  # fmt: skip
PRIMARY_CODES = {"bt709": 1, "bt470bg": 5, "smpte170m": 6, "bt2020": 9, "smpte432": 12,
                 "smpte431": 11}  # fmt: skip


def _code(name: str | None, table: dict[str, int]) -> int | None:
    return table.get(name) if name else None


def _mismatches(
    facts: VideoFacts,
    box_md: MasteringDisplay | None,
    sei_md: MasteringDisplay | None,
    box_cl: ContentLight | None,
    sei_cl: ContentLight | None,
) -> list[ColourMismatch]:
    out = []
    colr: ContainerColour | None = facts.container_colour
    bits = facts.config.colour if facts.config is not None else None
    if colr is not None and bits is not None and colr.kind in ("nclx", "nclc"):
        pairs = [
            ("primaries", colr.primaries, bits.primaries),
            ("transfer", colr.transfer, bits.transfer),
            ("matrix", colr.matrix, bits.matrix),
        ]
        for name, box_value, bit_value in pairs:
            if box_value not in (None, 2) and bit_value not in (None, 2) and box_value != bit_value:
                out.append(
                    ColourMismatch(field=name, container=str(box_value), bitstream=str(bit_value))
                )
            elif (
                box_value not in (None, 2)
                and bit_value in (None, 2)
                and facts.codec in ("hevc", "av1")
            ):
                # FFmpeg reads HEVC/AV1 colour only from the bitstream: players that honour
                # colr (AVFoundation, browsers) and FFmpeg-based tools will disagree.
                out.append(
                    ColourMismatch(field=name, container=str(box_value), bitstream="unsignalled")
                )
        if (
            colr.full_range is not None
            and bits.full_range is not None
            and colr.full_range != bits.full_range
        ):
            out.append(
                ColourMismatch(
                    field="range",
                    container=_range(colr.full_range),
                    bitstream=_range(bits.full_range),
                )
            )
    if box_md and sei_md and not _close_md(box_md, sei_md):
        out.append(
            ColourMismatch(field="mastering_display", container=_md(box_md), bitstream=_md(sei_md))
        )
    if box_cl and sei_cl and box_cl != sei_cl:
        out.append(
            ColourMismatch(
                field="content_light",
                container=f"{box_cl.max_cll}/{box_cl.max_fall}",
                bitstream=f"{sei_cl.max_cll}/{sei_cl.max_fall}",
            )
        )
    return out


def _range(full: bool) -> str:
    return "pc" if full else "tv"


def _md(m: MasteringDisplay) -> str:
    return f"R{m.red} G{m.green} B{m.blue} W{m.white} L{m.max_luminance}/{m.min_luminance}"


def _close_md(a: MasteringDisplay, b: MasteringDisplay) -> bool:
    pairs = [a.red + a.green + a.blue + a.white, b.red + b.green + b.blue + b.white]
    near = all(abs(x - y) < 0.0005 for x, y in zip(*pairs, strict=True))
    return (
        near
        and abs(a.max_luminance - b.max_luminance) < 1
        and abs(a.min_luminance - b.min_luminance) < 0.001
    )
