"""What each track is, from its sample entry and configuration boxes alone.

The codec facts ffprobe prints come from the configuration records (`avcC`,
`hvcC`, `av1C`, `vpcC`, `esds`, `dOps`, `dac3`/`dec3`, `alac`, `dfLa`, `damr`),
with FFmpeg's decoder-over-container precedence (config/facts.py). Only VP9 needs
bytes of a sample: 32 of the first one, whose keyframe header holds the matrix and
range FFmpeg reports. An encrypted entry (`encv`/`enca`) is described through its
original format (`frma`, ISO/IEC 14496-12 §8.12.2): its configuration is in the clear.

`missing` names what the boxes could not tell; the probe then asks FFmpeg for those
tracks (it decodes a first frame), and only for those.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mp4_small_analyser.analysis.container.boxes import Box, BoxError, children, entry_children
from mp4_small_analyser.analysis.container.captions import TEXT_CODECS, TEXT_HANDLERS
from mp4_small_analyser.analysis.container.config.audio_config import AudioConfig
from mp4_small_analyser.analysis.container.config.bits import BitError
from mp4_small_analyser.analysis.container.config.facts import VideoFacts, audio_facts, video_facts
from mp4_small_analyser.analysis.container.tables import TrackTables

ReadAt = Callable[[int, int], bytes]
Kind = Literal["video", "audio", "subtitle", "data"]
PARSE_ERRORS = (BitError, IndexError, KeyError, struct.error, ValueError, ZeroDivisionError)
"""What a configuration parser may raise on a malformed record."""
_ENCRYPTED_ENTRIES = frozenset({"encv", "enca", "enct", "encs", "encm", "drmi", "drms"})


@dataclass(frozen=True)
class Stream:
    kind: Kind
    """ffprobe's codec_type."""
    entry: Box | None
    """The first sample entry, with an encrypted one's original fourcc restored."""
    encrypted: bool
    video: VideoFacts | None = None
    audio: AudioConfig | None = None
    problem: str | None = None
    """Why the configuration could not be read at all."""

    @property
    def codec(self) -> str | None:
        if self.video is not None:
            return self.video.codec
        if self.audio is not None:
            return self.audio.codec
        if self.entry is not None:
            return TEXT_CODECS.get(self.entry.type, self.entry.type.strip() or None)
        return None

    @property
    def missing(self) -> tuple[str, ...]:
        """Facts the configuration boxes did not give (an FFmpeg probe fills them in)."""
        if self.problem is not None:
            return (self.problem,)
        if self.video is not None:
            return self.video.problems
        if self.audio is not None:
            implicit_sbr = ("AAC-LC at 24 kHz or less may hide SBR",) * self.audio.may_hide_sbr
            return self.audio.problems + implicit_sbr
        return ()


def describe(track: TrackTables, read_at: ReadAt | None) -> Stream:
    entry = track.entries[0] if track.entries else None
    if entry is None:
        return Stream(_kind(track, None), None, False)
    encrypted = entry.type in _ENCRYPTED_ENTRIES or any(
        c.type == "sinf" for c in entry_children(entry, track.handler)
    )
    plain = _unencrypted_view(entry)
    kind = _kind(track, plain)
    try:
        if kind == "video":
            first = _first_bytes(track, read_at, 32) if plain.type in ("vp09", "vp08") else None
            return Stream(kind, plain, encrypted, video=video_facts(track, plain, first))
        if kind == "audio":
            return Stream(kind, plain, encrypted, audio=audio_facts(plain))
    except (*PARSE_ERRORS, BoxError) as exc:
        problem = f"{plain.type} sample entry unreadable: {exc}"
        return Stream(kind, plain, encrypted, problem=problem)
    return Stream(kind, plain, encrypted)


def _kind(track: TrackTables, entry: Box | None) -> Kind:
    if track.handler == "vide" and entry is not None:
        return "video"
    if track.handler == "soun" and entry is not None:
        return "audio"
    if track.handler in TEXT_HANDLERS or (entry is not None and entry.type in TEXT_CODECS):
        return "subtitle"
    return "data"


def _unencrypted_view(entry: Box) -> Box:
    original = None
    if entry.type in ("encv", "enca"):
        for child in entry_children(entry):
            frma = next((c for c in children(child) if c.type == "frma"), None)
            if child.type == "sinf" and frma is not None and len(frma.payload) >= 4:
                original = frma.payload[:4].decode("latin-1")
    if original is None:
        return entry
    data = bytearray(entry.data)
    at = entry.offset - entry.base + 4
    data[at : at + 4] = original.encode("latin-1")
    return Box(original, entry.offset, entry.size, entry.header_size, bytes(data), entry.base)


def _first_bytes(track: TrackTables, read_at: ReadAt | None, size: int) -> bytes | None:
    if read_at is None or track.sizes.size == 0 or track.offsets[0] < 0:
        return None
    return read_at(int(track.offsets[0]), min(size, int(track.sizes[0])))
