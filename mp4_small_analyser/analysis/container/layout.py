"""The top-level walk of an MP4 through a `ByteSource`: brands, where moov and mdat sit.

It reads box headers and the `moov` (and, in a fragmented file, every `moof`), and
never media data: `mdat` is skipped by its size. Every size is checked against the
end of the file before anything is read and the walk is capped, so a hostile file
costs nothing but an error. One exception is deliberate: an `mdat` that claims more
bytes than the file holds is the evidence of an upload cut short, so it is kept
with its declared size (and the walk ends there) instead of failing the file; the
truncation check then says how much is missing.

Over HTTP the walk asks the source for the file's tail in one request when it has
to jump past the media data (`ByteSource.prefetch_tail`): the `moov` of a
non-faststart file then costs exactly its own bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mp4_small_analyser.analysis.container.boxes import Box, TreeLimits, corrupt, tree
from mp4_small_analyser.analysis.container.file_kind import SNIFF_BYTES, first_bytes, looks_like
from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.options import DEFAULT_MAX_EDIT_LIST_ENTRIES

# Types a real ISO-BMFF or QuickTime file may start with; anything else is not an MP4.
FIRST_BOX_TYPES = frozenset(
    {"ftyp", "styp", "moov", "mdat", "free", "skip", "wide", "pnot", "uuid", "sidx", "moof", "pdin"}
)
# Still-image brands (HEIF, AVIF): ISO-BMFF files that are pictures, not movies.
_IMAGE_BRANDS = frozenset({"mif1", "msf1", "heic", "heix", "heim", "heis", "avif", "avci"})


@dataclass(frozen=True)
class BoxLimits:
    """Caps that keep a hostile file from costing time or memory.

    Defaults are far above what real files use: a feature film's moov has a few
    hundred boxes, nests 7 deep and weighs a few MB.
    """

    max_depth: int = 16
    """Box nesting deeper than this is CORRUPT_FILE."""
    max_boxes: int = 100_000
    """Box headers read inside moov; more is CORRUPT_FILE."""
    max_top_level_boxes: int = 1_024
    """Top-level boxes walked (a fragmented file has two per fragment)."""
    max_moov_bytes: int = 64 << 20
    """A moov (or moof) larger than this is CORRUPT_FILE: it is held in memory."""
    max_samples: int = 4_000_000
    """Samples of one track expanded into tables; beyond, constant-size samples are
    taken chunk by chunk, and a table of more sizes than this is CORRUPT_FILE."""
    max_edit_list_entries: int = DEFAULT_MAX_EDIT_LIST_ENTRIES
    """Entries of one track's edit list; more is CORRUPT_FILE (the setting
    MAX_EDIT_LIST_ENTRIES, through `SourceLimits`)."""


@dataclass(frozen=True)
class TopBox:
    type: str
    offset: int
    size: int
    header_size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class ContainerLayout:
    file_size: int
    top_level: tuple[TopBox, ...]
    """Top-level boxes in file order; the last may claim more bytes than the file has."""
    walk_complete: bool
    """False when the walk stopped before the end of the file: it stops once moov and the
    first mdat are known in an unfragmented file, or at the box cap."""
    major_brand: str | None
    minor_version: int | None
    compatible_brands: tuple[str, ...]
    moov: Box
    moofs: tuple[Box, ...]
    faststart: bool
    """moov comes before the first mdat."""
    fragmented: bool


def read_layout(source: ByteSource, limits: BoxLimits | None = None) -> ContainerLayout:
    """Walk the file; NOT_MP4 or CORRUPT_FILE when it is not a readable MP4."""
    return _Walk(source, limits or BoxLimits()).layout()


def _fourcc(raw: bytes) -> str:
    return raw.decode("latin-1")


class _Walk:
    def __init__(self, source: ByteSource, limits: BoxLimits) -> None:
        self._source = source
        self._limits = limits
        self._size = source.size
        self._tree_limits = TreeLimits(limits.max_depth, limits.max_boxes)

    def _read(self, offset: int, size: int, what: str) -> bytes:
        data = self._source.read_at(offset, size)
        if len(data) != size:
            raise corrupt(f"{what} at offset {offset} is cut short by the end of the file")
        return data

    def _header(self, offset: int) -> TopBox:
        remaining = self._size - offset
        if remaining < 8:
            raise corrupt(f"{remaining} stray bytes at offset {offset} inside file")
        raw = self._source.read_at(offset, min(16, remaining))
        size, box_type = struct.unpack(">I4s", raw[:8])
        name = _fourcc(box_type)
        header = 8
        if size == 1:
            if len(raw) < 16:
                raise corrupt(f"{name} box at offset {offset} has a cut 64-bit size")
            (size,) = struct.unpack(">Q", raw[8:16])
            header = 16
            if size < 16:
                raise corrupt(f"{name} box at offset {offset} has a 64-bit size of {size} bytes")
        elif size == 0:
            size = remaining
        elif size < 8:
            raise corrupt(f"{name} box at offset {offset} has an impossible size of {size} bytes")
        if name == "uuid":
            header += 16
        if size < header:
            raise corrupt(f"{name} box at offset {offset} is smaller than its header")
        box = TopBox(name, offset, size, header)
        if box.end > self._size and name != "mdat":
            raise corrupt(
                f"{name} box at offset {offset} claims {size} bytes but the file ends at "
                f"{self._size}"
            )
        return box

    def _in_memory(self, box: TopBox) -> Box:
        if box.size > self._limits.max_moov_bytes:
            raise corrupt(
                f"{box.type} box at offset {box.offset} is {box.size} bytes, over the "
                f"{self._limits.max_moov_bytes} bytes held in memory"
            )
        data = self._read(box.offset, box.size, f"{box.type} box")
        return tree(data, box.offset, self._tree_limits)

    def layout(self) -> ContainerLayout:
        self._check_first_box()
        top: list[TopBox] = []
        moov: Box | None = None
        moofs: list[Box] = []
        first_mdat: TopBox | None = None
        ftyp: TopBox | None = None
        complete = True
        offset = 0
        while offset < self._size:
            if len(top) >= self._limits.max_top_level_boxes:
                complete = False
                break
            if first_mdat is not None:
                self._source.prefetch_tail(offset)
            box = self._header(offset)
            top.append(box)
            if box.type == "moov" and moov is None:
                moov = self._in_memory(box)
            elif box.type == "moof":
                moofs.append(self._in_memory(box))
            elif box.type == "ftyp" and ftyp is None:
                ftyp = box
            elif box.type == "mdat" and first_mdat is None:
                first_mdat = box
            offset = box.end
            fragmented = bool(moofs) or (moov is not None and moov.child("mvex") is not None)
            if moov is not None and first_mdat is not None and not fragmented:
                # Everything the probe needs is known; over HTTP each further header costs.
                complete = offset >= self._size
                break
        if moov is None:
            self._check_not_image(ftyp)
            if not complete:
                raise corrupt(f"No moov box in the first {len(top)} top-level boxes")
            raise corrupt(self._no_moov_reason(top))
        major, minor, brands = self._brands(ftyp)
        return ContainerLayout(
            file_size=self._size,
            top_level=tuple(top),
            walk_complete=complete,
            major_brand=major,
            minor_version=minor,
            compatible_brands=brands,
            moov=moov,
            moofs=tuple(moofs),
            faststart=first_mdat is None or moov.offset < first_mdat.offset,
            fragmented=bool(moofs) or moov.child("mvex") is not None,
        )

    def _check_first_box(self) -> None:
        if self._size < 8:
            raise AnalysisError(
                ErrorCode.NOT_MP4, f"Not an MP4 file: only {self._size} bytes, less than a box"
            )
        box_type = self._read(0, 8, "first box")[4:8]
        if _fourcc(box_type) not in FIRST_BOX_TYPES:
            head = self._read(0, min(self._size, SNIFF_BYTES), "first bytes")
            kind = looks_like(head)
            described = f"it looks like {kind}" if kind else "its first box is not an ISO-BMFF box"
            raise AnalysisError(
                ErrorCode.NOT_MP4,
                f"Not an MP4/QuickTime file: {described} (it starts with {first_bytes(head)})",
            )

    def _check_not_image(self, ftyp: TopBox | None) -> None:
        major, _, brands = self._brands(ftyp)
        if major in _IMAGE_BRANDS or _IMAGE_BRANDS.intersection(brands):
            raise AnalysisError(
                ErrorCode.NOT_MP4,
                f"Not a movie: brand {major!r} marks an HEIF/AVIF still image (no moov box)",
            )

    def _no_moov_reason(self, top: list[TopBox]) -> str:
        mdat = next((b for b in top if b.type == "mdat"), None)
        if mdat is not None and mdat.end >= self._size:
            return (
                f"No moov box: the mdat box at offset {mdat.offset} claims {mdat.size} bytes "
                f"and runs to the end of the file at {self._size}, so the file is truncated or "
                "was never finalised"
            )
        return "No moov box in the file (is it a media segment without its init segment?)"

    def _brands(self, ftyp: TopBox | None) -> tuple[str | None, int | None, tuple[str, ...]]:
        if ftyp is None or ftyp.size - ftyp.header_size < 8:
            return None, None, ()
        size = min(ftyp.size - ftyp.header_size, 4096)
        payload = self._read(ftyp.offset + ftyp.header_size, size, "ftyp box")
        major = _fourcc(payload[0:4])
        (minor,) = struct.unpack(">I", payload[4:8])
        brands = tuple(
            _fourcc(payload[i : i + 4])
            for i in range(8, len(payload) - 3, 4)
            if payload[i : i + 4] != b"\0\0\0\0"
        )
        return major, minor, brands
