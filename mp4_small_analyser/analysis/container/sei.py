"""SEI messages of H.264 / HEVC access units, and the few payloads QC needs.

- NAL units in a sample: length-prefixed (ISO/IEC 14496-15 §5.3.2 / §8.3.2, the length
  size from avcC/hvcC). SEI NAL: H.264 type 6 (§7.3.2.3), HEVC 39 prefix / 40 suffix
  (§7.3.2.4); sei_message: payloadType and payloadSize coded as runs of 0xFF (§7.3.5).
- mastering_display_colour_volume (137): H.265 §D.2.28 / H.264 §D.1.29 (SMPTE ST 2086);
  primaries and white point in 0.00002 units, luminance in 0.0001 cd/m².
- content_light_level_info (144): H.265 §D.2.35 (CTA-861.3 MaxCLL / MaxFALL).
- alternative_transfer_characteristics (147): H.265 §D.2.38 (HLG signalled in an SDR
  stream: preferred_transfer_characteristics = 18).
- user_data_registered_itu_t_t35 (4): ITU-T T.35 country 0xB5 (USA), then
  provider 0x0031 + 'GA94' + type 3 = ATSC A/53 Part 4 cc_data (CTA-708 §4.4:
  cc_count triplets, cc_type 0/1 = CEA-608 field 1/2, 2/3 = CEA-708 DTVCC);
  provider 0x003C + oriented code 0x0001 + application_identifier 4 = SMPTE ST 2094-40
  (HDR10+) dynamic metadata.
- user_data_unregistered (5): UUID + text; x264/x265 write their settings here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from mp4_small_analyser.analysis.container.config.bits import unescape
from mp4_small_analyser.models import ContentLight, MasteringDisplay

MASTERING_DISPLAY = 137
CONTENT_LIGHT = 144
ALTERNATIVE_TRANSFER = 147
T35 = 4
UNREGISTERED = 5
RECOVERY_POINT = 6


@dataclass(frozen=True)
class Sei:
    payload_type: int
    payload: bytes


def nal_units(sample: bytes, length_size: int) -> Iterator[bytes]:
    pos = 0
    while pos + length_size <= len(sample):
        size = int.from_bytes(sample[pos : pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > len(sample):
            if size and pos < len(sample):
                yield sample[pos:]  # a cut sample (read only its head): keep what is there
            return
        yield sample[pos : pos + size]
        pos += size


def is_sei(nal: bytes, codec: str) -> bool:
    if not nal:
        return False
    if codec == "h264":
        return nal[0] & 0x1F == 6
    return (nal[0] >> 1) & 0x3F in (39, 40)


def sei_messages(nal: bytes, codec: str) -> list[Sei]:
    """The messages of one SEI NAL unit (header included); a cut tail is dropped."""
    rbsp = unescape(nal)
    pos = 1 if codec == "h264" else 2
    out = []
    while pos < len(rbsp) and not (rbsp[pos] == 0x80 and pos == len(rbsp) - 1):
        ptype = 0
        while pos < len(rbsp) and rbsp[pos] == 0xFF:
            ptype += 255
            pos += 1
        if pos >= len(rbsp):
            break
        ptype += rbsp[pos]
        pos += 1
        size = 0
        while pos < len(rbsp) and rbsp[pos] == 0xFF:
            size += 255
            pos += 1
        if pos >= len(rbsp):
            break
        size += rbsp[pos]
        pos += 1
        if pos + size > len(rbsp):
            break
        out.append(Sei(ptype, rbsp[pos : pos + size]))
        pos += size
    return out


def sample_seis(sample: bytes, length_size: int, codec: str) -> list[Sei]:
    return [
        m
        for nal in nal_units(sample, length_size)
        if is_sei(nal, codec)
        for m in sei_messages(nal, codec)
    ]


def mastering_display(payload: bytes) -> MasteringDisplay | None:
    """SEI 137: three primaries (in G, B, R order as HEVC encoders write them), white point,
    luminance. The primaries are sorted into R/G/B by their x/y (red has the largest x,
    green the largest y), as FFmpeg does not and players do."""
    if len(payload) < 24:
        return None
    values = struct.unpack_from(">8H2I", payload, 0)
    xy = [(values[2 * i] * 0.00002, values[2 * i + 1] * 0.00002) for i in range(3)]
    red = max(xy, key=lambda p: p[0])
    green = max(xy, key=lambda p: p[1])
    blue = next((p for p in xy if p not in (red, green)), xy[1])
    white = (values[6] * 0.00002, values[7] * 0.00002)
    return _display(red, green, blue, white, values[8] * 0.0001, values[9] * 0.0001)


def smdm_box(payload: bytes) -> MasteringDisplay | None:
    """`SmDm` (VP codec ISO binding §2.3, FullBox): R, G, B, white in 0.16 fixed point,
    max luminance 24.8, min 18.14."""
    body = payload[4:]
    if len(body) < 24:
        return None
    v = struct.unpack_from(">8H2I", body, 0)
    xy = [(v[2 * i] / 65536, v[2 * i + 1] / 65536) for i in range(4)]
    return _display(xy[0], xy[1], xy[2], xy[3], v[8] / 256, v[9] / 16384)


def content_light(payload: bytes) -> ContentLight | None:
    """SEI 144 and the `clli` box (same layout); `CoLL` is a FullBox with it after 4 bytes."""
    if len(payload) < 4:
        return None
    cll, fall = struct.unpack_from(">HH", payload, 0)
    return ContentLight(max_cll=cll, max_fall=fall)


@dataclass(frozen=True)
class T35Kind:
    kind: str
    """"a53_cc", "hdr10plus", "dolby" or "other"."""
    body: bytes


def t35(payload: bytes) -> T35Kind:
    if len(payload) < 3:
        return T35Kind("other", payload)
    country = payload[0]
    pos = 2 if country == 0xFF else 1
    provider = int.from_bytes(payload[pos : pos + 2], "big")
    rest = payload[pos + 2 :]
    if country == 0xB5 and provider == 0x0031 and rest[:4] == b"GA94" and rest[4:5] == b"\x03":
        return T35Kind("a53_cc", rest[5:])
    if country == 0xB5 and provider == 0x003C and rest[:2] == b"\x00\x01" and rest[2:3] == b"\x04":
        return T35Kind("hdr10plus", rest[2:])
    if country == 0xB5 and provider == 0x003B:
        return T35Kind("dolby", rest)
    return T35Kind("other", payload)


@dataclass(frozen=True)
class CcData:
    cea608_field1: int
    """Triplets carrying CEA-608 field 1 data that is not padding (0x80 0x80)."""
    cea608_field2: int
    cea708: int
    """Valid DTVCC triplets (cc_type 2/3) whose data is not null padding."""
    triplets: int


def cc_data(body: bytes) -> CcData:
    """A/53 cc_data() after 'GA94' 0x03 (CTA-708 §4.4)."""
    if len(body) < 2:
        return CcData(0, 0, 0, 0)
    count = body[0] & 0x1F
    f1 = f2 = dtv = 0
    for i in range(count):
        pos = 2 + 3 * i
        if pos + 3 > len(body):
            break
        head, d1, d2 = body[pos], body[pos + 1], body[pos + 2]
        valid, cc_type = (head >> 2) & 1, head & 3
        if not valid:
            continue
        if cc_type in (0, 1) and (d1 & 0x7F, d2 & 0x7F) != (0, 0):
            if cc_type == 0:
                f1 += 1
            else:
                f2 += 1
        elif cc_type in (2, 3) and (d1, d2) != (0, 0):
            dtv += 1
    return CcData(f1, f2, dtv, count)


Point = tuple[float, float]


def _display(
    red: Point, green: Point, blue: Point, white: Point, peak: float, low: float
) -> MasteringDisplay:
    def xy(point: Point) -> Point:
        return round(point[0], 5), round(point[1], 5)

    return MasteringDisplay(
        red=xy(red),
        green=xy(green),
        blue=xy(blue),
        white=xy(white),
        max_luminance=round(peak, 4),
        min_luminance=round(low, 4),
    )
