"""What a file that is not an MP4 looks like, from its first bytes.

A wrong upload is usually something recognisable: an HTML error page served
with a 200, a Matroska or MPEG-TS file renamed .mp4, a still image. Saying so
("it looks like an HTML page") tells the user what went wrong where quoting
bytes 4-8 of the file does not. Signatures are the formats' own magic numbers
(the same ones file(1) and libmagic use), checked in order, most specific first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

SNIFF_BYTES = 512
"""Bytes read to recognise a format: enough for an HTML doctype after a BOM and blank lines."""

MPEG_TS_PACKET = 188
_TEXT_MARKUP = re.compile(rb"^\s*<(!doctype html|html|head|body|\?xml)", re.IGNORECASE)


@dataclass(frozen=True)
class _Signature:
    name: str
    matches: Callable[[bytes], bool]


def _at(offset: int, magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[offset : offset + len(magic)] == magic


def _riff(form: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == form


def _matroska(head: bytes) -> bool:
    return head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" not in head[:64]


def _webm(head: bytes) -> bool:
    return head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]


def _mpeg_ts(head: bytes) -> bool:
    # A sync byte at the start of two consecutive 188-byte packets (one when the file is short).
    if head[:1] != b"\x47":
        return False
    return len(head) <= MPEG_TS_PACKET or head[MPEG_TS_PACKET : MPEG_TS_PACKET + 1] == b"\x47"


_MP3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_RATES = (44100, 48000, 32000)


def _mp3_frame(head: bytes) -> bool:
    """An MPEG-1 Layer III frame header, and the next frame's where its length says: one
    header alone is two bytes that random data matches one time in a few thousand."""
    length = _mp3_frame_length(head)
    if length is None:
        return False
    return len(head) < length + 4 or _mp3_frame_length(head[length:]) is not None


def _mp3_frame_length(header: bytes) -> int | None:
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xFE != 0xFA:
        return None
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if not 0 < bitrate_index < len(_MP3_KBPS) or rate_index == 3:
        return None
    padding = (header[2] >> 1) & 1
    return 144_000 * _MP3_KBPS[bitrate_index] // _MP3_RATES[rate_index] + padding


def _html(head: bytes) -> bool:
    match = _TEXT_MARKUP.match(head.removeprefix(b"\xef\xbb\xbf"))
    return match is not None and not match.group(1).lower().startswith(b"?xml")


def _xml(head: bytes) -> bool:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<?xml")


def _json(head: bytes) -> bool:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"[")


def _text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return bool(text) and all(char.isprintable() or char in "\r\n\t\f" for char in text)


_SIGNATURES = (
    _Signature("a PNG image", _at(0, b"\x89PNG\r\n\x1a\n")),
    _Signature("a JPEG image", _at(0, b"\xff\xd8\xff")),
    _Signature("a GIF image", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    _Signature("a WebP image", _riff(b"WEBP")),
    _Signature("a WAV audio file", _riff(b"WAVE")),
    _Signature("an AVI video", _riff(b"AVI ")),
    _Signature("a WebM video", _webm),
    _Signature("a Matroska (MKV) video", _matroska),
    _Signature("an MPEG transport stream (TS)", _mpeg_ts),
    _Signature("an MPEG program stream (MPEG-PS/VOB)", _at(0, b"\x00\x00\x01\xba")),
    _Signature("a Flash video (FLV)", _at(0, b"FLV\x01")),
    _Signature("a Windows Media (ASF/WMV) file", _at(0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")),
    _Signature("an Ogg file", _at(0, b"OggS")),
    _Signature("a FLAC audio file", _at(0, b"fLaC")),
    _Signature("an MP3 audio file (ID3 tag)", _at(0, b"ID3")),
    _Signature("an MP3 audio file", _mp3_frame),
    _Signature("an HLS playlist (.m3u8), not the media it lists", _at(0, b"#EXTM3U")),
    _Signature("a PDF document", _at(0, b"%PDF-")),
    _Signature("a ZIP archive", _at(0, b"PK\x03\x04")),
    _Signature("a gzip archive", _at(0, b"\x1f\x8b")),
    _Signature("an HTML page (an error page or a link to the video?)", _html),
    _Signature("an XML document (a DASH manifest?)", _xml),
    _Signature("JSON", _json),
    _Signature("a text file", _text),
)


def looks_like(head: bytes) -> str | None:
    """A phrase naming the format `head` (a file's first bytes) belongs to, if it is known."""
    return next((s.name for s in _SIGNATURES if head and s.matches(head)), None)


def first_bytes(head: bytes, count: int = 16) -> str:
    """The first bytes as a reader can take them: printable ASCII as text, the rest as hex."""
    start = head[:count]
    if all(32 <= byte < 127 for byte in start):
        return repr(start.decode("ascii"))
    return " ".join(f"{byte:02X}" for byte in start)
