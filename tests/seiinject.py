"""Write SEI NAL units into encoded H.264/HEVC packets (captions, HDR10+, ATC).

How: the encoder hands PyAV Annex B packets (start codes; FFmpeg's mp4 muxer turns
them into length-prefixed NAL units). `packet_filter` inserts `00 00 00 01` + an SEI
NAL before the first slice of each access unit. An SEI NAL is the NAL header
(H.264: 0x06; HEVC prefix SEI: 0x4E 0x01), the sei_message (payloadType and
payloadSize in 0xFF runs, then the payload), the rbsp trailing bits (0x80), and
emulation-prevention bytes wherever 00 00 would be followed by 00..03.
"""

from __future__ import annotations

import struct
from collections.abc import Callable


def escape(rbsp: bytes) -> bytes:
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _size(value: int) -> bytes:
    return b"\xff" * (value // 255) + bytes([value % 255])


def sei_nal(codec: str, messages: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(_size(t) + _size(len(p)) + p for t, p in messages) + b"\x80"
    header = b"\x06" if codec == "h264" else b"\x4e\x01"
    return header + escape(body)


def parity(byte: int) -> int:
    """CEA-608 bytes carry odd parity in bit 7."""
    return byte | (0 if bin(byte & 0x7F).count("1") % 2 else 0x80)


def a53_cc(field1: bytes = b"", field2: bytes = b"", dtvcc: bytes = b"") -> bytes:
    """A T.35 payload with cc_data triplets (CTA-708 §4.4)."""
    triplets = b""
    for i in range(0, len(field1), 2):
        triplets += bytes([0xFC, parity(field1[i]), parity(field1[i + 1])])
    for i in range(0, len(field2), 2):
        triplets += bytes([0xFD, parity(field2[i]), parity(field2[i + 1])])
    for i in range(0, len(dtvcc), 2):
        triplets += bytes([0xFF if i == 0 else 0xFE, dtvcc[i], dtvcc[i + 1]])
    count = len(triplets) // 3
    return b"\xb5\x00\x31GA94\x03" + bytes([0x40 | count, 0xFF]) + triplets + b"\xff"


class _Bits:
    def __init__(self) -> None:
        self.value, self.count = 0, 0

    def put(self, value: int, bits: int) -> None:
        self.value = (self.value << bits) | (value & ((1 << bits) - 1))
        self.count += bits

    def bytes(self) -> bytes:
        pad = (-self.count) % 8
        return (self.value << pad).to_bytes((self.count + pad) // 8, "big")


def hdr10plus() -> bytes:
    """A minimal SMPTE ST 2094-40 (application 4, version 1) T.35 payload, one window."""
    b = _Bits()
    b.put(1, 8)  # application_version
    b.put(1, 2)  # num_windows
    b.put(400, 27)  # targeted_system_display_maximum_luminance
    b.put(0, 1)  # targeted_system_display_actual_peak_luminance_flag
    for value in (40000, 38000, 35000):  # maxscl (0.00001 units)
        b.put(value, 17)
    b.put(12000, 17)  # average_maxrgb
    percentiles = [(1, 100), (5, 500), (10, 1000), (25, 3000), (50, 8000), (75, 15000),
                   (90, 25000), (95, 30000), (99, 38000)]  # fmt: skip
    b.put(len(percentiles), 4)
    for pct, value in percentiles:
        b.put(pct, 7)
        b.put(value, 17)
    b.put(0, 10)  # fraction_bright_pixels
    b.put(0, 1)  # mastering_display_actual_peak_luminance_flag
    b.put(0, 1)  # tone_mapping_flag
    b.put(0, 1)  # color_saturation_mapping_flag
    return b"\xb5\x00\x3c\x00\x01\x04" + b.bytes()


def _first_vcl(packet: bytes, codec: str) -> int:
    """Offset of the start code of the first slice NAL unit (Annex B)."""
    pos = 0
    while True:
        pos = packet.find(b"\x00\x00\x01", pos)
        if pos < 0 or pos + 3 >= len(packet):
            return len(packet)
        header = packet[pos + 3]
        vcl = header & 0x1F in (1, 5) if codec == "h264" else (header >> 1) & 0x3F < 32
        if vcl:
            return pos - 1 if pos > 0 and packet[pos - 1] == 0 else pos
        pos += 3


def packet_filter(
    codec: str, messages: list[tuple[int, bytes]], every: int = 1
) -> Callable[[bytes], bytes]:
    count = [0]

    def insert(packet: bytes) -> bytes:
        count[0] += 1
        if (count[0] - 1) % every:
            return packet
        at = _first_vcl(packet, codec)
        return packet[:at] + b"\x00\x00\x00\x01" + sei_nal(codec, messages) + packet[at:]

    return insert


def dovi_record(
    profile: int, level: int, compat: int, rpu: bool = True, el: bool = False, bl: bool = True
) -> bytes:
    """A DOVIDecoderConfigurationRecord payload (Dolby Vision ISOBMFF v2.4 §3.1)."""
    bits = (profile << 9) | (level << 3) | (rpu << 2) | (el << 1) | int(bl)
    return bytes([1, 0]) + struct.pack(">H", bits) + bytes([compat << 4]) + bytes(19)
