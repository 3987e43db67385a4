"""Seeded mutants of generated MP4 files, for the fuzz tests.

Five kinds of damage, each reproducible from its seed: bit flips anywhere, a
truncation, a box whose size field lies (0, 1, too big, too small, past its
parent), a box duplicated in place (its parents' sizes fixed up or not), and a box
renamed to rich markup, an emoji code or a terminal escape (its size lying or not), so
that the error naming it carries hostile text to the report.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CONTAINERS = {
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta", b"mvex",
    b"moof", b"traf", b"sinf", b"schi", b"meta", b"ilst",
}  # fmt: skip
"""Boxes whose payload is a sequence of boxes (`meta` has a 4-byte header first)."""
KINDS = ("bit_flips", "truncation", "box_size", "duplicate_box", "hostile_box_type")
HOSTILE_TYPES = (b"[/] ", b"[/b]", b":x: ", b"\x1b[2J", b"[on ")


@dataclass(frozen=True)
class Box:
    offset: int
    size: int
    kind: bytes
    parents: tuple[int, ...]
    """Offsets of the boxes containing this one, outermost first."""


def boxes(
    data: bytes, start: int = 0, end: int | None = None, parents: tuple[int, ...] = ()
) -> Iterator[Box]:
    """Every box with a plausible header, depth first."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1 and offset + 16 <= end:
            size, header = struct.unpack(">Q", data[offset + 8 : offset + 16])[0], 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield Box(offset, size, kind, parents)
        if kind in CONTAINERS:
            body = offset + header + (4 if kind == b"meta" else 0)
            yield from boxes(data, body, offset + size, (*parents, offset))
        offset += size


@dataclass(frozen=True)
class Mutant:
    name: str
    kind: str
    data: bytes


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    if kind == "bit_flips":
        out = bytearray(data)
        for _ in range(rng.choice((1, 4, 16, 64))):
            position = rng.randrange(len(out) * 8)
            out[position // 8] ^= 1 << (position % 8)
        return bytes(out)
    if kind == "truncation":
        return data[: rng.randrange(1, len(data))]
    found = list(boxes(data))
    box = rng.choice(found)
    if kind == "hostile_box_type":
        size = rng.choice((box.size, 7, 0xFFFFFFFF))
        head = struct.pack(">I4s", size, rng.choice(HOSTILE_TYPES))
        return data[: box.offset] + head + data[box.offset + 8 :]
    if kind == "box_size":
        parent_end = _parent_end(data, box)
        size = rng.choice(
            (0, 1, 7, box.size - 1, box.size + 1, box.size * 2, parent_end - box.offset + 8,
             0xFFFFFFFF, rng.randrange(1 << 32))
        )  # fmt: skip
        return data[: box.offset] + struct.pack(">I", size % (1 << 32)) + data[box.offset + 4 :]
    copy = data[box.offset : box.offset + box.size]
    out = bytearray(data[: box.offset + box.size] + copy + data[box.offset + box.size :])
    if rng.random() < 0.5:
        for parent in box.parents:
            (size,) = struct.unpack(">I", out[parent : parent + 4])
            if size > 1:
                out[parent : parent + 4] = struct.pack(">I", (size + box.size) % (1 << 32))
    return bytes(out)


def _parent_end(data: bytes, box: Box) -> int:
    if not box.parents:
        return len(data)
    (size,) = struct.unpack(">I", data[box.parents[-1] : box.parents[-1] + 4])
    return box.parents[-1] + size


def mutants(originals: dict[str, bytes], count: int, seed: int) -> list[Mutant]:
    """`count` mutants, cycling through the originals and the kinds of damage."""
    rng = random.Random(seed)
    names = sorted(originals)
    made = []
    for index in range(count):
        name = names[index % len(names)]
        kind = KINDS[(index // len(names)) % len(KINDS)]
        made.append(Mutant(f"{index:04d}-{name}-{kind}", kind, mutate(originals[name], kind, rng)))
    return made


def write_mutants(directory: Path, found: list[Mutant]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for mutant in found:
        path = directory / f"{mutant.name}.mp4"
        path.write_bytes(mutant.data)
        paths.append(path)
    return paths
