"""Bit-level reading for codec headers: fixed-width fields, Exp-Golomb, AV1 leb128/uvlc.

H.264/HEVC parameter sets and SEI are read after removing emulation-prevention
bytes (ITU-T H.264 §7.4.1, H.265 §7.4.2: a 0x03 after two zero bytes is not
payload). Exp-Golomb codes: H.264 §9.1. AV1 uvlc and leb128: AV1 spec §4.10.
"""

from __future__ import annotations


class BitError(ValueError):
    """A header ended before a field it needs."""


def unescape(nal: bytes) -> bytes:
    """Drop emulation-prevention bytes (00 00 03 → 00 00)."""
    if b"\x00\x00\x03" not in nal:
        return nal
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class BitReader:
    def __init__(self, data: bytes, start_byte: int = 0) -> None:
        self._data = data
        self._pos = start_byte * 8
        self._end = len(data) * 8

    @property
    def position(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def u(self, bits: int) -> int:
        if bits == 0:
            return 0
        if self._pos + bits > self._end:
            raise BitError(f"needs {bits} bits at bit {self._pos}, {self._end - self._pos} left")
        value = 0
        for _ in range(bits):
            byte = self._data[self._pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self._pos & 7))) & 1)
            self._pos += 1
        return value

    def flag(self) -> bool:
        return self.u(1) == 1

    def skip(self, bits: int) -> None:
        if self._pos + bits > self._end:
            raise BitError(f"cannot skip {bits} bits at bit {self._pos}")
        self._pos += bits

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise BitError("Exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)

    def uvlc(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros >= 32:
                return (1 << 32) - 1
        return (1 << zeros) - 1 + self.u(zeros)


def leb128(data: bytes, pos: int) -> tuple[int, int]:
    """(value, bytes used) of an AV1 leb128 at `pos`."""
    value = 0
    for i in range(8):
        if pos + i >= len(data):
            raise BitError("leb128 cut short")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    return value, 8
