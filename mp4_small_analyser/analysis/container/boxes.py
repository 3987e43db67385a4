"""A small ISO-BMFF / QuickTime box reader that is safe on hostile input.

It reads box headers and the few tables the probe needs (`ftyp`, `mvhd`, `tkhd`,
`mdhd`, `hdlr`, `stsd`, `stts`, `stss`, `stsz`/`stz2`) through
`ByteSource.read_at`, and never reads media data: `mdat` is skipped by its size.
Every size is checked against its parent and the end of the source before
anything is read, nesting and box counts are capped, and tables are read in
bounded chunks, so a box claiming 2^32 entries costs nothing but an error.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.errors import AnalysisError, ErrorCode

# Types a real ISO-BMFF or QuickTime file may start with; anything else is not an MP4.
FIRST_BOX_TYPES = frozenset(
    {"ftyp", "styp", "moov", "mdat", "free", "skip", "wide", "pnot", "uuid", "sidx", "moof", "pdin"}
)
# Boxes whose payload is only child boxes and that lead to something the probe reads.
_CONTAINERS = frozenset({"moov", "trak", "mdia", "minf", "stbl", "mvex"})
# Still-image brands (HEIF, AVIF): ISO-BMFF files that are pictures, not movies.
_IMAGE_BRANDS = frozenset({"mif1", "msf1", "heic", "heix", "heim", "heis", "avif", "avci"})
_ENCRYPTED_ENTRIES = frozenset({"encv", "enca", "enct", "encs", "encm", "drmi", "drms"})
# Seconds between 1904-01-01 (the MP4 epoch) and 1970-01-01.
_MP4_EPOCH_OFFSET = 2_082_844_800
# Bytes of fixed fields before the child boxes of a sample entry (after its 8-byte header).
_VISUAL_ENTRY_FIELDS = 78
_SOUND_ENTRY_FIELDS = {0: 28, 1: 44, 2: 64}


@dataclass(frozen=True)
class BoxLimits:
    """Caps that keep a hostile file from costing time or memory.

    Defaults are far above what real files use: a feature film's moov has a few
    hundred boxes and nests 7 deep.
    """

    max_depth: int = 16
    """Box nesting deeper than this is CORRUPT_FILE."""
    max_boxes: int = 100_000
    """Box headers read inside moov; more is CORRUPT_FILE."""
    max_top_level_boxes: int = 1_024
    """Top-level boxes walked looking for moov and mdat; real files need fewer than ten."""
    table_chunk_entries: int = 1 << 18
    """Table entries read per request when computing sample-table statistics."""


@dataclass(frozen=True)
class Box:
    type: str
    offset: int
    size: int
    header_size: int
    children: tuple[Box, ...] = ()

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_size

    @property
    def payload_size(self) -> int:
        return self.size - self.header_size

    def child(self, box_type: str) -> Box | None:
        return next((c for c in self.children if c.type == box_type), None)

    def children_of(self, box_type: str) -> list[Box]:
        return [c for c in self.children if c.type == box_type]


@dataclass(frozen=True)
class MovieHeader:
    timescale: int | None
    duration: int | None
    """In `timescale` ticks."""
    creation_time: datetime | None
    matrix: tuple[float, ...] | None
    """The 2x2 part (a, b, c, d) of the movie display matrix."""


@dataclass(frozen=True)
class SampleTables:
    """Statistics of one track's `stts`, `stss` and `stsz` tables (times in track ticks)."""

    sample_count: int
    total_ticks: int
    min_delta: int | None
    """Smallest sample duration, the last sample excluded (muxers often shorten it)."""
    max_delta: int | None
    sync_sample_count: int | None
    """Number of `stss` entries; None when `stss` is absent (every sample is a sync sample)."""
    sync_span_ticks: int | None
    """Decode time from the first to the last sync sample."""
    sample_bytes: int | None


@dataclass(frozen=True)
class TrackBoxes:
    track_id: int
    handler: str | None
    timescale: int | None
    duration: int | None
    """`mdhd` duration in `timescale` ticks."""
    sample_entry: str | None
    encrypted: bool
    rotation: int
    """Clockwise degrees to rotate the picture for display (0, 90, 180, 270)."""
    samples: SampleTables | None

    @property
    def variable_frame_rate(self) -> bool:
        """Sample durations differ by more than one tick (one tick is muxer rounding)."""
        s = self.samples
        if s is None or s.min_delta is None or s.max_delta is None:
            return False
        return s.max_delta - s.min_delta > 1

    @property
    def sample_bit_rate(self) -> int | None:
        """Bits per second of the samples: `stsz` total over `stts` total.

        FFmpeg's muxer declares the same quotient (truncated) in `btrt`/`esds`,
        which is what ffprobe shows for its files.
        """
        s = self.samples
        if s is None or not s.sample_bytes or not s.total_ticks or not self.timescale:
            return None
        return s.sample_bytes * 8 * self.timescale // s.total_ticks

    @property
    def keyframe_interval(self) -> float | None:
        """Mean seconds between sync samples; None when all are sync samples or unknown."""
        s = self.samples
        if s is None or s.sync_sample_count is None or not self.timescale:
            return None
        if s.sync_sample_count < 2 or s.sync_sample_count >= s.sample_count:
            return None
        if not s.sync_span_ticks or s.sync_span_ticks <= 0:
            return None
        return s.sync_span_ticks / (s.sync_sample_count - 1) / self.timescale


@dataclass(frozen=True)
class ContainerLayout:
    top_level: tuple[Box, ...]
    """Top-level boxes in file order (children only for moov)."""
    walk_complete: bool
    """False when the walk stopped before the end of the file: it stops once moov and the
    first mdat/moof are known (what follows is not read), or at the box cap."""
    major_brand: str | None
    minor_version: int | None
    compatible_brands: tuple[str, ...]
    moov: Box
    faststart: bool
    """moov comes before the first mdat."""
    fragmented: bool
    movie: MovieHeader
    tracks: tuple[TrackBoxes, ...]


def read_layout(source: ByteSource, limits: BoxLimits | None = None) -> ContainerLayout:
    """Read the box structure; NOT_MP4 or CORRUPT_FILE when it is not a readable MP4."""
    return _Reader(source, limits or BoxLimits()).layout()


def _corrupt(message: str) -> AnalysisError:
    return AnalysisError(ErrorCode.CORRUPT_FILE, message)


def _fourcc(raw: bytes) -> str:
    return raw.decode("latin-1")


def _plausible_type(raw: bytes) -> bool:
    return all(0x20 <= b < 0x7F or b == 0xA9 for b in raw)


class _Reader:
    def __init__(self, source: ByteSource, limits: BoxLimits) -> None:
        self._source = source
        self._limits = limits
        self._size = source.size
        self._boxes_read = 0

    def _read(self, offset: int, size: int, what: str) -> bytes:
        data = self._source.read_at(offset, size)
        if len(data) != size:
            raise _corrupt(f"{what} at offset {offset} is cut short by the end of the file")
        return data

    def _header(self, offset: int, end: int, parent: str) -> Box:
        """Parse the box header at `offset`; the box must end by `end` (its parent's end)."""
        if end - offset < 8:
            raise _corrupt(f"{end - offset} stray bytes at offset {offset} inside {parent}")
        raw = self._source.read_at(offset, min(16, end - offset))
        size, box_type = struct.unpack(">I4s", raw[:8])
        name = _fourcc(box_type)
        header = 8
        if size == 1:
            if len(raw) < 16:
                raise _corrupt(f"{name} box at offset {offset} has a cut 64-bit size")
            (size,) = struct.unpack(">Q", raw[8:16])
            header = 16
            if size < 16:
                raise _corrupt(f"{name} box at offset {offset} has a 64-bit size of {size} bytes")
        elif size == 0:
            size = end - offset
        elif size < 8:
            raise _corrupt(f"{name} box at offset {offset} has an impossible size of {size} bytes")
        if name == "uuid":
            header += 16
        if offset + size > end:
            where = "the file ends" if parent == "file" else f"its parent {parent} box ends"
            raise _corrupt(
                f"{name} box at offset {offset} claims {size} bytes but {where} at {end}"
            )
        if size < header:
            raise _corrupt(f"{name} box at offset {offset} is smaller than its header")
        return Box(name, offset, size, header)

    def _tree(self, box: Box, depth: int) -> Box:
        if box.type not in _CONTAINERS:
            return box
        if depth >= self._limits.max_depth:
            raise _corrupt(
                f"{box.type} box at offset {box.offset} is nested more than "
                f"{self._limits.max_depth} boxes deep"
            )
        children = []
        offset = box.payload_offset
        while offset < box.end:
            self._boxes_read += 1
            if self._boxes_read > self._limits.max_boxes:
                raise _corrupt(f"moov holds more than {self._limits.max_boxes} boxes")
            child = self._header(offset, box.end, box.type)
            children.append(self._tree(child, depth + 1))
            offset = child.end
        return Box(box.type, box.offset, box.size, box.header_size, tuple(children))

    def layout(self) -> ContainerLayout:
        self._check_first_box()
        top: list[Box] = []
        moov: Box | None = None
        first_mdat: Box | None = None
        ftyp: Box | None = None
        fragmented = False
        complete = True
        offset = 0
        while offset < self._size:
            if len(top) >= self._limits.max_top_level_boxes:
                complete = False
                break
            box = self._header(offset, self._size, "file")
            if box.type == "moov" and moov is None:
                box = self._tree(box, 1)
                moov = box
                fragmented = fragmented or box.child("mvex") is not None
            elif box.type == "ftyp" and ftyp is None:
                ftyp = box
            elif box.type in ("mdat", "moof") and first_mdat is None:
                first_mdat = box
            fragmented = fragmented or box.type == "moof"
            top.append(box)
            offset = box.end
            if moov is not None and first_mdat is not None:
                # Everything the probe needs is known, and over HTTP every further header
                # may cost a request (a fragmented file has thousands of moof/mdat pairs).
                complete = offset >= self._size
                break
        if moov is None:
            self._check_not_image(ftyp)
            if not complete:
                raise _corrupt(f"No moov box in the first {len(top)} top-level boxes")
            raise _corrupt(self._no_moov_reason(top))
        major, minor, brands = self._brands(ftyp)
        movie = self._mvhd(moov)
        return ContainerLayout(
            top_level=tuple(top),
            walk_complete=complete,
            major_brand=major,
            minor_version=minor,
            compatible_brands=brands,
            moov=moov,
            faststart=first_mdat is None or moov.offset < first_mdat.offset,
            fragmented=fragmented,
            movie=movie,
            tracks=tuple(self._track(trak, movie.matrix) for trak in moov.children_of("trak")),
        )

    def _check_first_box(self) -> None:
        if self._size < 8:
            raise AnalysisError(
                ErrorCode.NOT_MP4, f"Not an MP4 file: only {self._size} bytes, less than a box"
            )
        box_type = self._read(0, 8, "first box")[4:8]
        if _fourcc(box_type) not in FIRST_BOX_TYPES:
            shown = box_type.decode("latin-1") if _plausible_type(box_type) else box_type.hex()
            raise AnalysisError(
                ErrorCode.NOT_MP4,
                f"Not an MP4/QuickTime file: it starts with {shown!r}, not an ISO-BMFF box",
            )

    def _check_not_image(self, ftyp: Box | None) -> None:
        major, _, brands = self._brands(ftyp)
        if major in _IMAGE_BRANDS or _IMAGE_BRANDS.intersection(brands):
            raise AnalysisError(
                ErrorCode.NOT_MP4,
                f"Not a movie: brand {major!r} marks an HEIF/AVIF still image (no moov box)",
            )

    def _no_moov_reason(self, top: list[Box]) -> str:
        mdat = next((b for b in top if b.type == "mdat"), None)
        if mdat is not None and mdat.end >= self._size:
            return (
                f"No moov box: the mdat at offset {mdat.offset} runs to the end of the file, "
                "so the file is truncated or was never finalised"
            )
        return "No moov box in the file (is it a media segment without its init segment?)"

    def _brands(self, ftyp: Box | None) -> tuple[str | None, int | None, tuple[str, ...]]:
        if ftyp is None or ftyp.payload_size < 8:
            return None, None, ()
        payload = self._read(ftyp.payload_offset, min(ftyp.payload_size, 4096), "ftyp box")
        major = _fourcc(payload[0:4])
        (minor,) = struct.unpack(">I", payload[4:8])
        brands = tuple(
            _fourcc(payload[i : i + 4])
            for i in range(8, len(payload) - 3, 4)
            if payload[i : i + 4] != b"\0\0\0\0"
        )
        return major, minor, brands

    def _full_box(self, box: Box, size: int) -> tuple[int, bytes]:
        """Version and the first `size` payload bytes after version/flags."""
        if box.payload_size < 4 + size:
            raise _corrupt(
                f"{box.type} box at offset {box.offset} is {box.size} bytes, "
                "too short for its fields"
            )
        raw = self._read(box.payload_offset, 4 + size, f"{box.type} box")
        return raw[0], raw[4:]

    def _mvhd(self, moov: Box) -> MovieHeader:
        mvhd = moov.child("mvhd")
        if mvhd is None:
            return MovieHeader(None, None, None, None)
        version, _ = self._full_box(mvhd, 0)
        times, layout = (28, ">QQIQ") if version == 1 else (16, ">IIII")
        # The matrix (after rate, volume and reserved fields) is optional for us.
        with_matrix = times + 16 + 36
        _, raw = self._full_box(
            mvhd, with_matrix if mvhd.payload_size >= 4 + with_matrix else times
        )
        created, _, timescale, duration = struct.unpack(layout, raw[:times])
        return MovieHeader(
            timescale=timescale or None,
            duration=duration,
            creation_time=_mp4_time(created),
            matrix=_matrix(raw[times + 16 : with_matrix]),
        )

    def _track(self, trak: Box, movie_matrix: tuple[float, ...] | None) -> TrackBoxes:
        track_id, rotation = 0, 0
        tkhd = trak.child("tkhd")
        if tkhd is not None:
            version, _ = self._full_box(tkhd, 0)
            fields = 32 if version == 1 else 20
            _, raw = self._full_box(tkhd, fields + 16 + 36)
            (track_id,) = struct.unpack(">I", raw[16:20] if version == 1 else raw[8:12])
            if track_id >= 2**31:
                # FFmpeg keeps IDs in a signed int; a negative one makes its fragment
                # lookups crawl (seconds per fragment), so such a file stops here.
                raise _corrupt(f"tkhd box at offset {tkhd.offset} has track ID {track_id}")
            matrix = _matrix(raw[fields + 16 : fields + 52])
            rotation = _rotation(matrix, movie_matrix)
        mdia = trak.child("mdia")
        handler = timescale = duration = None
        stbl: Box | None = None
        if mdia is not None:
            handler = self._handler(mdia.child("hdlr"))
            timescale, duration = self._mdhd(mdia.child("mdhd"))
            minf = mdia.child("minf")
            stbl = minf.child("stbl") if minf is not None else None
        entry, encrypted = self._sample_entry(stbl.child("stsd") if stbl else None, handler)
        return TrackBoxes(
            track_id=track_id,
            handler=handler,
            timescale=timescale,
            duration=duration,
            sample_entry=entry,
            encrypted=encrypted,
            rotation=rotation,
            samples=self._sample_tables(stbl) if stbl is not None else None,
        )

    def _handler(self, hdlr: Box | None) -> str | None:
        if hdlr is None:
            return None
        _, raw = self._full_box(hdlr, 8)
        return _fourcc(raw[4:8])

    def _mdhd(self, mdhd: Box | None) -> tuple[int | None, int | None]:
        if mdhd is None:
            return None, None
        version, _ = self._full_box(mdhd, 0)
        if version == 1:
            _, raw = self._full_box(mdhd, 28)
            _, _, timescale, duration = struct.unpack(">QQIQ", raw)
        else:
            _, raw = self._full_box(mdhd, 16)
            _, _, timescale, duration = struct.unpack(">IIII", raw)
        return timescale or None, duration

    def _sample_entry(self, stsd: Box | None, handler: str | None) -> tuple[str | None, bool]:
        """Fourcc of the first sample entry, and whether the track is encrypted."""
        if stsd is None:
            return None, False
        _, raw = self._full_box(stsd, 4)
        (count,) = struct.unpack(">I", raw)
        start = stsd.payload_offset + 8
        if count == 0 or stsd.end - start < 8:
            return None, False
        entry = self._header(start, stsd.end, "stsd")
        if entry.type in _ENCRYPTED_ENTRIES:
            return entry.type, True
        return entry.type, self._has_sinf(entry, handler)

    def _has_sinf(self, entry: Box, handler: str | None) -> bool:
        """A protection scheme box (`sinf`) among the sample entry's child boxes."""
        if handler == "vide":
            fields = _VISUAL_ENTRY_FIELDS
        elif handler == "soun" and entry.payload_size >= 10:
            raw = self._read(entry.payload_offset + 8, 2, f"{entry.type} sample entry")
            fields = _SOUND_ENTRY_FIELDS.get(int.from_bytes(raw, "big"), 0)
        else:
            return False
        offset = entry.payload_offset + fields
        for _ in range(64):
            if not fields or entry.end - offset < 8:
                break
            size, box_type = struct.unpack(">I4s", self._read(offset, 8, f"{entry.type} entry"))
            if box_type == b"sinf":
                return True
            if size < 8 or offset + size > entry.end:
                break
            offset += size
        return False

    def _sample_tables(self, stbl: Box) -> SampleTables:
        stts, stss = stbl.child("stts"), stbl.child("stss")
        first_sync = last_sync = sync_count = None
        if stss is not None:
            sync_count, first_sync, last_sync = self._sync_samples(stss)
        timing = _SttsScan(
            targets=[s - 1 for s in (first_sync, last_sync) if s is not None and s >= 1]
        )
        if stts is not None:
            for chunk in self._table(stts, 8, 2):
                timing.add(chunk)
        timing.finish()
        sample_count, sample_bytes = self._sample_sizes(stbl)
        span = None
        if first_sync is not None and last_sync is not None:
            start = timing.times.get(first_sync - 1)
            end = timing.times.get(last_sync - 1)
            span = end - start if start is not None and end is not None else None
        return SampleTables(
            sample_count=sample_count if sample_count is not None else timing.sample_count,
            total_ticks=timing.total_ticks,
            min_delta=timing.min_delta,
            max_delta=timing.max_delta,
            sync_sample_count=sync_count,
            sync_span_ticks=span,
            sample_bytes=sample_bytes,
        )

    def _sync_samples(self, stss: Box) -> tuple[int, int | None, int | None]:
        _, raw = self._full_box(stss, 4)
        (count,) = struct.unpack(">I", raw)
        self._check_entries(stss, count, 8, 4)
        if count == 0:
            return 0, None, None
        first = self._read(stss.payload_offset + 8, 4, "stss entry")
        last = self._read(stss.payload_offset + 8 + 4 * (count - 1), 4, "stss entry")
        return count, int.from_bytes(first, "big"), int.from_bytes(last, "big")

    def _sample_sizes(self, stbl: Box) -> tuple[int | None, int | None]:
        stsz, stz2 = stbl.child("stsz"), stbl.child("stz2")
        if stsz is not None:
            _, raw = self._full_box(stsz, 8)
            constant, count = struct.unpack(">II", raw)
            if constant:
                return count, constant * count
            total = sum(int(c.sum(dtype=np.uint64)) for c in self._table(stsz, 12, 1, count))
            return count, total
        if stz2 is not None:
            _, raw = self._full_box(stz2, 8)
            field_bits = raw[3]
            (count,) = struct.unpack(">I", raw[4:8])
            if field_bits not in (4, 8, 16):
                raise _corrupt(f"stz2 box at offset {stz2.offset} has {field_bits}-bit fields")
            return count, self._compact_sizes_total(stz2, count, field_bits)
        return None, None

    def _compact_sizes_total(self, stz2: Box, count: int, field_bits: int) -> int:
        needed = (count * field_bits + 7) // 8
        if 12 + needed > stz2.payload_size:
            raise self._too_many(stz2, count, 12 + needed)
        total = 0
        chunk = self._limits.table_chunk_entries
        for start in range(0, needed, chunk):
            size = min(chunk, needed - start)
            raw = self._read(stz2.payload_offset + 12 + start, size, "stz2 table")
            if field_bits == 16:
                total += int(np.frombuffer(raw, dtype=">u2").sum(dtype=np.uint64))
            else:
                values = np.frombuffer(raw, dtype=np.uint8)
                if field_bits == 4:
                    values = np.stack([values >> 4, values & 0x0F], axis=1).ravel()
                    if start + size == needed and count % 2:
                        values = values[:-1]
                total += int(values.sum(dtype=np.uint64))
        return total

    def _check_entries(self, box: Box, count: int, header: int, entry_bytes: int) -> None:
        if header + count * entry_bytes > box.payload_size:
            raise self._too_many(box, count, header + count * entry_bytes)

    def _too_many(self, box: Box, count: int, needed: int) -> AnalysisError:
        return _corrupt(
            f"{box.type} box at offset {box.offset} claims {count} entries ({needed} bytes) "
            f"but holds only {box.payload_size} bytes"
        )

    def _table(
        self, box: Box, header: int, columns: int, count: int | None = None
    ) -> Iterator[np.ndarray]:
        """The u32 entries after `header` payload bytes, `chunk` rows at a time.

        The count comes from the 4 bytes before the entries unless given.
        """
        if count is None:
            _, raw = self._full_box(box, header - 4)
            (count,) = struct.unpack(">I", raw[-4:])
        entry_bytes = 4 * columns
        self._check_entries(box, count, header, entry_bytes)
        rows = max(1, self._limits.table_chunk_entries // columns)
        for first in range(0, count, rows):
            n = min(rows, count - first)
            offset = box.payload_offset + header + first * entry_bytes
            raw = self._read(offset, n * entry_bytes, f"{box.type} table")
            yield np.frombuffer(raw, dtype=">u4").astype(np.uint64).reshape(n, columns)


class _SttsScan:
    """Accumulates `stts` statistics chunk by chunk, and the decode time of given samples."""

    def __init__(self, targets: list[int]) -> None:
        self.sample_count = 0
        self.total_ticks = 0
        self.min_delta: int | None = None
        self.max_delta: int | None = None
        self.times: dict[int, int] = {}
        self._targets = sorted(set(targets))
        # The latest non-empty entry (count, delta): it may hold the track's last sample.
        self._last_entry: tuple[int, int] | None = None

    def add(self, chunk: np.ndarray) -> None:
        counts, deltas = chunk[:, 0], chunk[:, 1]
        ends = np.cumsum(counts)
        for target in self._targets:
            index = target - self.sample_count
            if target in self.times or index < 0:
                continue
            row = int(np.searchsorted(ends, index, side="right"))
            if row < len(counts):
                ticks_before = int((counts[:row] * deltas[:row]).sum())
                into_row = index - int(ends[row] - counts[row])
                self.times[target] = self.total_ticks + ticks_before + into_row * int(deltas[row])
        used = np.flatnonzero(counts > 0)
        if len(used):
            if self._last_entry is not None:
                self._widen(self._last_entry[1], self._last_entry[1])
            inner = deltas[used[:-1]]
            if len(inner):
                self._widen(int(inner.min()), int(inner.max()))
            self._last_entry = (int(counts[used[-1]]), int(deltas[used[-1]]))
        self.sample_count += int(ends[-1]) if len(ends) else 0
        self.total_ticks += int((counts * deltas).sum())

    def finish(self) -> None:
        """Count the last entry unless it is only the final sample, which muxers often shorten."""
        if self._last_entry is not None and self._last_entry[0] > 1:
            self._widen(self._last_entry[1], self._last_entry[1])
        self._last_entry = None

    def _widen(self, low: int, high: int) -> None:
        self.min_delta = low if self.min_delta is None else min(self.min_delta, low)
        self.max_delta = high if self.max_delta is None else max(self.max_delta, high)


def _mp4_time(seconds: int) -> datetime | None:
    """A `mvhd` timestamp as UTC; None when unset or absurd.

    Like FFmpeg, values below the 1904→1970 offset are taken as Unix time, since
    some muxers write them that way.
    """
    if seconds <= 0:
        return None
    if seconds >= _MP4_EPOCH_OFFSET:
        seconds -= _MP4_EPOCH_OFFSET
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _matrix(raw: bytes) -> tuple[float, ...] | None:
    """The 2x2 part (a, b, c, d) of a 3x3 16.16 fixed-point display matrix."""
    if len(raw) < 36:
        return None
    a, b, _, c, d, _, _, _, _ = struct.unpack(">9i", raw[:36])
    return a / 65536, b / 65536, c / 65536, d / 65536


def _rotation(track: tuple[float, ...] | None, movie: tuple[float, ...] | None) -> int:
    """Clockwise display rotation of the track matrix applied before the movie matrix.

    FFmpeg's side data reports the same angle counter-clockwise.
    """
    if track is None:
        return 0
    a, b, c, d = track
    if movie is not None:
        ma, mb, mc, md = movie
        a, b, c, d = a * ma + b * mc, a * mb + b * md, c * ma + d * mc, c * mb + d * md
    if a == 0 and b == 0:
        return 0
    degrees = math.degrees(math.atan2(b, a))
    return round(degrees / 90.0) * 90 % 360
