"""Rewrite boxes of a generated MP4 to make the odd files real uploads are.

`rewrite_moov(data, edit)` parses the `moov` into a mutable tree, lets `edit`
change it, serialises it again and, when the moov sits before the media data,
shifts every chunk offset by the change in size so the samples still resolve.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

CONTAINERS = frozenset(
    {"moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "mvex", "udta", "tref"}
)


def top_level(data: bytes) -> list[tuple[str, int, int]]:
    """(type, offset, size) of each top-level box, read independently of the product."""
    out, pos = [], 0
    while len(data) - pos >= 8:
        size, raw = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
        elif size == 0:
            size = len(data) - pos
        out.append((raw.decode("latin-1"), pos, size))
        pos += size
    return out


@dataclass
class Node:
    type: str
    payload: bytes = b""
    children: list[Node] = field(default_factory=list)
    container: bool = False

    def find(self, path: str) -> Node | None:
        node: Node | None = self
        for part in path.split("/"):
            if node is None:
                return None
            node = next((c for c in node.children if c.type == part), None)
        return node

    def all(self, box_type: str) -> list[Node]:
        return [c for c in self.children if c.type == box_type]

    def serialise(self) -> bytes:
        body = b"".join(c.serialise() for c in self.children) if self.container else self.payload
        return struct.pack(">I4s", 8 + len(body), self.type.encode("latin-1")) + body


def parse(data: bytes, start: int, end: int) -> list[Node]:
    out = []
    pos = start
    while end - pos >= 8:
        size, raw = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        box_type = raw.decode("latin-1")
        if box_type in CONTAINERS:
            node = Node(box_type, container=True)
            node.children = parse(data, pos + header, pos + size)
        else:
            node = Node(box_type, data[pos + header : pos + size])
        out.append(node)
        pos += size
    return out


def rewrite_moov(data: bytes, edit: Callable[[Node], None]) -> bytes:
    boxes = top_level(data)
    _, moov_offset, moov_size = next(box for box in boxes if box[0] == "moov")
    moov = Node("moov", container=True)
    moov.children = parse(data, moov_offset + 8, moov_offset + moov_size)
    edit(moov)
    delta = len(moov.serialise()) - moov_size
    mdat_after = any(kind == "mdat" and offset > moov_offset for kind, offset, _ in boxes)
    if delta and mdat_after:
        for trak in moov.all("trak"):
            stbl = trak.find("mdia/minf/stbl")
            assert stbl is not None
            for node in stbl.children:
                if node.type == "stco":
                    node.payload = _shift(node.payload, ">I", delta)
                elif node.type == "co64":
                    node.payload = _shift(node.payload, ">Q", delta)
    new = moov.serialise()
    return data[:moov_offset] + new + data[moov_offset + moov_size :]


def _shift(payload: bytes, fmt: str, delta: int) -> bytes:
    (count,) = struct.unpack_from(">I", payload, 4)
    width = struct.calcsize(fmt)
    values = [struct.unpack_from(fmt, payload, 8 + i * width)[0] + delta for i in range(count)]
    return payload[:8] + b"".join(struct.pack(fmt, v) for v in values)


def elst_payload(entries: list[tuple[int, int]], version: int = 0, rate: float = 1.0) -> bytes:
    """(segment_duration, media_time) pairs; media_time -1 is an empty edit."""
    body = struct.pack(">B3xI", version, len(entries))
    rate_raw = struct.pack(">hH", int(rate), round((rate % 1) * 65536))
    for duration, media_time in entries:
        fmt = ">Qq" if version == 1 else ">Ii"
        body += struct.pack(fmt, duration, media_time) + rate_raw
    return body


def set_elst(trak: Node, entries: list[tuple[int, int]] | None) -> None:
    """Replace (or remove, with None) a track's edit list."""
    trak.children = [c for c in trak.children if c.type != "edts"]
    if entries is None:
        return
    edts = Node("edts", container=True, children=[Node("elst", elst_payload(entries))])
    index = next(i for i, c in enumerate(trak.children) if c.type == "tkhd") + 1
    trak.children.insert(index, edts)


def set_header_duration(node: Node, duration: int) -> None:
    """Duration field of mvhd, tkhd or mdhd (version 0 or 1)."""
    version = node.payload[0]
    positions = {
        "mvhd": (16, 24),  # after creation/modification times and timescale
        "mdhd": (16, 24),
        "tkhd": (20, 28),  # after times, track_ID and reserved
    }
    pos = positions[node.type][1 if version == 1 else 0]
    fmt = ">Q" if version == 1 else ">I"
    node.payload = (
        node.payload[:pos] + struct.pack(fmt, duration) + node.payload[pos + struct.calcsize(fmt) :]
    )


def set_timescale(node: Node, timescale: int) -> None:
    version = node.payload[0]
    pos = 20 if version == 1 else 12
    node.payload = node.payload[:pos] + struct.pack(">I", timescale) + node.payload[pos + 4 :]


def remove(parent: Node, box_type: str) -> None:
    parent.children = [c for c in parent.children if c.type != box_type]


def truncate(data: bytes, keep: int) -> bytes:
    return data[:keep]
