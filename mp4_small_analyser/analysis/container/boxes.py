"""ISO-BMFF boxes held in memory: the `moov` (and `moof`s) once read, as a checked tree.

Box syntax: ISO/IEC 14496-12:2022 §4.2 (size, type, largesize, uuid; size 0 runs
to the end of the enclosing box). The tree is built eagerly for the container
boxes the analysis walks, and every size is checked against its parent before a
byte is used, nesting and box counts are capped (CORRUPT_FILE otherwise), so a
hostile `moov` costs nothing but an error. Sample-entry children (configuration
boxes: avcC, esds, colr, ...) are parsed on demand and tolerantly: a broken one is
a fact the probe reports, not a broken file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mp4_small_analyser.errors import AnalysisError, ErrorCode

# Boxes whose payload is only child boxes, on the way to something the analysis reads.
CONTAINERS = frozenset({"moov", "trak", "mdia", "minf", "stbl", "edts", "mvex", "moof", "traf"})
_VISUAL_FIELDS = 78
_SOUND_FIELDS = {0: 28, 1: 44, 2: 64}
VISUAL_ENTRIES = frozenset(
    {
        "avc1", "avc2", "avc3", "avc4", "hvc1", "hev1", "dvh1", "dvhe", "dva1", "dvav",
        "av01", "dav1", "vp08", "vp09", "mp4v", "encv", "mjpg", "jpeg", "apcn", "apch",
        "apcs", "apco", "ap4h", "ap4x", "s263", "h263", "vvc1", "vvi1",
    }
)  # fmt: skip
AUDIO_ENTRIES = frozenset(
    {
        "mp4a", "ac-3", "ec-3", "ac-4", "Opus", "fLaC", "alac", "samr", "sawb", "enca",
        "lpcm", "sowt", "twos", "ipcm", "fpcm", ".mp3", "mha1", "mhm1", "dtsc", "dtsh",
        "dtsl", "dtse",
    }
)  # fmt: skip


class BoxError(ValueError):
    """Bytes that do not hold a well-formed box where one is expected."""


def corrupt(message: str) -> AnalysisError:
    return AnalysisError(ErrorCode.CORRUPT_FILE, message)


@dataclass(frozen=True)
class Box:
    type: str
    offset: int
    """File offset of the box header."""
    size: int
    header_size: int
    data: bytes = field(repr=False, compare=False)
    """The bytes read from the file, starting at file offset `base`."""
    base: int = 0
    children: tuple[Box, ...] = ()

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def payload(self) -> bytes:
        start = self.offset - self.base + self.header_size
        return self.data[start : self.end - self.base]

    def full(self) -> tuple[int, int, bytes]:
        """(version, flags, body) of a FullBox (§4.2.2)."""
        payload = self.payload
        if len(payload) < 4:
            raise corrupt(f"{self.type} box at offset {self.offset} is too short for its fields")
        return payload[0], int.from_bytes(payload[1:4], "big"), payload[4:]

    def child(self, box_type: str) -> Box | None:
        return next((c for c in self.children if c.type == box_type), None)

    def children_of(self, box_type: str) -> list[Box]:
        return [c for c in self.children if c.type == box_type]

    def find(self, path: str) -> Box | None:
        """First descendant along a slash-separated path: `mdia/minf/stbl`."""
        node: Box | None = self
        for part in path.split("/"):
            node = node.child(part) if node is not None else None
        return node


@dataclass
class TreeLimits:
    max_depth: int
    max_boxes: int
    boxes_read: int = 0


def header_at(data: bytes, pos: int, end: int) -> tuple[str, int, int]:
    """(type, size, header size) of the box at `pos`; BoxError when it cannot be one."""
    if end - pos < 8:
        raise BoxError(f"{end - pos} stray bytes")
    size, raw_type = struct.unpack_from(">I4s", data, pos)
    box_type = raw_type.decode("latin-1")
    header = 8
    if size == 1:
        if end - pos < 16:
            raise BoxError(f"{box_type} box has a cut 64-bit size")
        (size,) = struct.unpack_from(">Q", data, pos + 8)
        header = 16
    elif size == 0:
        size = end - pos
    if box_type == "uuid":
        header += 16
    if size < header:
        raise BoxError(f"{box_type} box has an impossible size of {size} bytes")
    return box_type, size, header


def tree(data: bytes, base: int, limits: TreeLimits, depth: int = 1) -> Box:
    """The box at the start of `data` (file offset `base`) with its container children."""
    try:
        box_type, size, header = header_at(data, 0, len(data))
    except BoxError as exc:
        raise corrupt(f"{exc} at offset {base}") from exc
    return _node(data, base, box_type, base, size, header, limits, depth)


def _node(
    data: bytes,
    base: int,
    box_type: str,
    offset: int,
    size: int,
    header: int,
    limits: TreeLimits,
    depth: int,
) -> Box:
    if box_type not in CONTAINERS:
        return Box(box_type, offset, size, header, data, base)
    if depth >= limits.max_depth:
        raise corrupt(
            f"{box_type} box at offset {offset} is nested more than {limits.max_depth} boxes deep"
        )
    children = []
    pos, end = offset - base + header, offset - base + size
    while pos < end:
        limits.boxes_read += 1
        if limits.boxes_read > limits.max_boxes:
            raise corrupt(f"moov holds more than {limits.max_boxes} boxes")
        try:
            kind, child_size, child_header = header_at(data, pos, end)
        except BoxError as exc:
            raise corrupt(f"{exc} at offset {base + pos} inside {box_type}") from exc
        if pos + child_size > end:
            raise corrupt(
                f"{kind} box at offset {base + pos} claims {child_size} bytes "
                f"but its parent {box_type} box ends at {offset + size}"
            )
        children.append(
            _node(data, base, kind, base + pos, child_size, child_header, limits, depth + 1)
        )
        pos += child_size
    return Box(box_type, offset, size, header, data, base, tuple(children))


def parse_boxes(box: Box, start: int, end: int) -> tuple[Box, ...]:
    """Leaf boxes laid end to end in file offsets [start, end) of `box`'s buffer."""
    out = []
    pos, stop = start - box.base, end - box.base
    while stop - pos >= 8:
        kind, size, header = header_at(box.data, pos, stop)
        if pos + size > stop:
            raise BoxError(f"{kind!r} claims {size} bytes, {stop - pos} remain")
        out.append(Box(kind, box.base + pos, size, header, box.data, box.base))
        pos += size
    return tuple(out)


def children(box: Box) -> tuple[Box, ...]:
    """Child boxes of a leaf box read on demand (`wave`, `sinf`); () when malformed."""
    try:
        return parse_boxes(box, box.offset + box.header_size, box.end)
    except BoxError:
        return ()


def sample_entries(stsd: Box) -> tuple[Box, ...]:
    """The SampleEntry boxes of an `stsd` (§8.5.2: version/flags, entry_count, entries)."""
    try:
        return parse_boxes(stsd, stsd.offset + stsd.header_size + 8, stsd.end)
    except BoxError:
        return ()


def entry_children(entry: Box, handler: str | None = None) -> tuple[Box, ...]:
    """Child boxes of a sample entry (avcC, esds, colr, ...); () when they are malformed.

    The fixed fields before them depend on the entry kind (§12.1.3 visual, §12.2.3
    audio, QuickTime sound description versions 1/2); `handler` decides for an
    unknown fourcc.
    """
    base = entry.offset + entry.header_size
    kind = handler
    if entry.type in VISUAL_ENTRIES:
        kind = "vide"
    elif entry.type in AUDIO_ENTRIES:
        kind = "soun"
    if kind == "vide":
        fields = _VISUAL_FIELDS
    elif kind == "soun":
        raw = entry.payload[8:10]
        fields = _SOUND_FIELDS.get(int.from_bytes(raw, "big"), 28)
    elif entry.type == "tx3g":
        fields = 8 + 30  # display flags .. default style record (3GPP TS 26.245 §5.16)
    elif entry.type in ("wvtt", "c608", "c708"):
        fields = 8
    elif entry.type == "stpp":
        return _after_strings(entry, 3)
    else:
        return ()
    try:
        return parse_boxes(entry, base + fields, entry.end)
    except BoxError:
        return ()


def entry_strings(entry: Box, count: int = 3) -> tuple[str, ...]:
    """NUL-terminated strings after the 8 SampleEntry bytes (`stpp`: namespace, schema, mime)."""
    payload = entry.payload
    pos, out = 8, []
    for _ in range(count):
        nul = payload.find(b"\0", pos)
        if nul < 0:
            break
        out.append(payload[pos:nul].decode("utf-8", "replace"))
        pos = nul + 1
    return tuple(out)


def _after_strings(entry: Box, count: int) -> tuple[Box, ...]:
    skipped = sum(len(s.encode("utf-8", "replace")) + 1 for s in entry_strings(entry, count))
    try:
        start = entry.offset + entry.header_size + 8 + skipped
        return parse_boxes(entry, start, entry.end)
    except BoxError:
        return ()
