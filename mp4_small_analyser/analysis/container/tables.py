"""One track's headers and sample tables, expanded to per-sample numpy arrays.

Everything here comes from the `trak` box alone (no media data is read), so over
HTTP it costs nothing beyond the `moov` the probe fetches anyway. A table that
claims more entries than its box holds is CORRUPT_FILE before anything is
allocated; run-length tables (stts, ctts, stsc) are expanded only up to the number
of samples `stsz` lists, so a run claiming 2^32 samples costs nothing.

Clauses (ISO/IEC 14496-12:2022): tkhd §8.3.2, mdhd §8.4.2 (language: packed
ISO 639-2/T, three 5-bit letters + 0x60), hdlr §8.4.3, elst §8.6.6, stts §8.6.1.2,
ctts §8.6.1.3 (version 1: signed offsets), stss §8.6.2, sdtp §8.6.4, stsz/stz2
§8.7.3, stsc §8.7.4, stco/co64 §8.7.5.

Constant-size samples beyond `max_samples` (PCM, one "sample" per audio frame) are
taken chunk by chunk, as FFmpeg's index does: the arrays then hold chunks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mp4_small_analyser.analysis.container.boxes import Box, corrupt, sample_entries
from mp4_small_analyser.analysis.container.layout import BoxLimits
from mp4_small_analyser.errors import AnalysisError, ErrorCode

I64 = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_MAC_LANGUAGES = {0: "eng", 1: "fra", 2: "deu", 3: "ita", 4: "nld", 5: "swe", 6: "spa"}


@dataclass(frozen=True)
class Edit:
    segment_duration: int
    """In movie (`mvhd`) timescale ticks."""
    media_time: int
    """In media (`mdhd`) ticks; -1 is an empty edit (§8.6.6.3)."""
    rate: float


@dataclass(frozen=True)
class TrackTables:
    track_id: int
    handler: str | None
    enabled: bool
    tkhd_duration: int
    """In movie timescale ticks (§8.3.2.3)."""
    matrix: tuple[int, ...]
    """The tkhd display matrix (9 values, 16.16 and 2.30 fixed point); () when absent."""
    timescale: int
    mdhd_duration: int
    language: str | None
    """ISO 639-2/T code from mdhd; None for 'und'."""
    edits: tuple[Edit, ...] | None
    """None when the track has no edit list."""
    entries: tuple[Box, ...]
    """The stsd sample entries (most tracks have one)."""
    sample_count: int
    """Samples as stsz lists them (the arrays hold chunks when they are grouped)."""
    dts: I64
    """Decode time of each sample in media ticks (stts running sum, starting at 0)."""
    durations: I64
    cts_offsets: I64 | None
    """Composition offsets (ctts); None when absent (pts == dts)."""
    sizes: I64
    offsets: I64
    """File offset of each sample (stsc + stco/co64 + stsz); -1 where the tables disagree."""
    sync: BoolArray | None
    """Sync-sample flags (stss); None when stss is absent: every sample is a sync sample."""
    leading: npt.NDArray[np.uint8] | None
    """sdtp is_leading per sample (1 or 3: a leading picture); None without sdtp."""
    table_problems: tuple[str, ...]
    """Disagreements between the tables (counts that do not match)."""

    @property
    def media_ticks(self) -> int:
        """Sum of the sample durations (stts)."""
        return int(self.durations.sum()) if self.durations.size else 0


def _table(box: Box, body: bytes, count: int, columns: int, start: int, width: int = 4) -> I64:
    """`count` rows of `columns` big-endian unsigned fields after `start` bytes of `body`."""
    needed = start + width * count * columns
    if needed > len(body):
        raise corrupt(
            f"{box.type} box at offset {box.offset} claims {count} entries ({needed + 4} bytes) "
            f"but holds only {len(body) + 4} bytes"
        )
    dtype = ">u8" if width == 8 else ">u4"
    values = np.frombuffer(body, dtype=dtype, count=count * columns, offset=start)
    return values.astype(np.int64).reshape(count, columns)


def _count(box: Box, body: bytes, at: int = 0) -> int:
    if len(body) < at + 4:
        raise corrupt(f"{box.type} box at offset {box.offset} is too short for its fields")
    return int(struct.unpack_from(">I", body, at)[0])


def _signed(values: I64) -> I64:
    return values.astype(np.uint32).view(np.int32).astype(np.int64)


def _runs(counts: I64, values: I64, n: int) -> I64:
    """Run-length entries expanded, cut at `n` items and padded with 0 up to it."""
    ends = np.minimum(np.cumsum(counts), n)
    kept = np.diff(ends, prepend=0)
    out = np.repeat(values, kept)
    return np.concatenate([out, np.zeros(n - out.size, np.int64)]) if out.size < n else out


def parse_edits(elst: Box, max_entries: int) -> tuple[Edit, ...]:
    """CORRUPT_FILE over `max_entries`: FFmpeg replays media per edit, so 200,000 tiny
    edits decode for hours (1,000 already take 10 s on a 2 s clip)."""
    version, _, body = elst.full()
    count = _count(elst, body)
    if count > max_entries:
        raise corrupt(
            f"elst box at offset {elst.offset} lists {count} edits, over the limit of "
            f"{max_entries} (MAX_EDIT_LIST_ENTRIES)"
        )
    size = 20 if version == 1 else 12
    _table(elst, body, count, size // 4, 4)
    out = []
    for i in range(count):
        pos = 4 + i * size
        if version == 1:
            duration, media_time = struct.unpack_from(">Qq", body, pos)
            rate_int, rate_frac = struct.unpack_from(">hH", body, pos + 16)
        else:
            duration, media_time = struct.unpack_from(">Ii", body, pos)
            rate_int, rate_frac = struct.unpack_from(">hH", body, pos + 8)
        out.append(Edit(duration, media_time, rate_int + rate_frac / 65536))
    return tuple(out)


def decode_language(code: int) -> str | None:
    """mdhd language: ISO 639-2/T packed in 15 bits, or a Macintosh code below 0x400."""
    if code < 0x400:
        return _MAC_LANGUAGES.get(code)
    letters = "".join(chr(((code >> shift) & 0x1F) + 0x60) for shift in (10, 5, 0))
    if not letters.isalpha() or letters == "und":
        return None
    return letters


def _tkhd(tkhd: Box | None) -> tuple[int, bool, int, tuple[int, ...]]:
    if tkhd is None:
        return 0, True, 0, ()
    version, flags, body = tkhd.full()
    fields = 32 if version == 1 else 20
    if len(body) < fields:
        raise corrupt(f"tkhd box at offset {tkhd.offset} is {tkhd.size} bytes, too short")
    if version == 1:
        track_id, duration = struct.unpack_from(">16xI4xQ", body, 0)
    else:
        track_id, duration = struct.unpack_from(">8xI4xI", body, 0)
    if track_id >= 2**31:
        # FFmpeg keeps IDs in a signed int; a negative one makes its fragment lookups
        # crawl (seconds per fragment), so such a file stops here.
        raise corrupt(f"tkhd box at offset {tkhd.offset} has track ID {track_id}")
    matrix = struct.unpack_from(">9i", body, fields + 16) if len(body) >= fields + 52 else ()
    return track_id, bool(flags & 1), duration, tuple(matrix)


def _mdhd(mdhd: Box | None) -> tuple[int, int, str | None]:
    if mdhd is None:
        return 0, 0, None
    version, _, body = mdhd.full()
    if len(body) < (30 if version == 1 else 18):
        raise corrupt(f"mdhd box at offset {mdhd.offset} is {mdhd.size} bytes, too short")
    if version == 1:
        timescale, duration, lang = struct.unpack_from(">16xIQH", body, 0)
    else:
        timescale, duration, lang = struct.unpack_from(">8xIIH", body, 0)
    return timescale, duration, decode_language(lang)


def _handler(hdlr: Box | None) -> str | None:
    if hdlr is None:
        return None
    _, _, body = hdlr.full()
    if len(body) < 8:
        raise corrupt(f"hdlr box at offset {hdlr.offset} is {hdlr.size} bytes, too short")
    return body[4:8].decode("latin-1")


@dataclass(frozen=True)
class _Sizes:
    sizes: I64
    constant: int
    count: int


def _sizes(stbl: Box, max_samples: int) -> _Sizes:
    stsz, stz2 = stbl.child("stsz"), stbl.child("stz2")
    if stsz is not None:
        _, _, body = stsz.full()
        constant, count = _count(stsz, body), _count(stsz, body, 4)
        if constant:
            return _Sizes(np.zeros(0, np.int64), constant, count)
        if 8 + 4 * count > len(body):
            _table(stsz, body, count, 1, 8)
        _limit(stsz, count, max_samples)
        return _Sizes(_table(stsz, body, count, 1, 8)[:, 0], 0, count)
    if stz2 is not None:
        _, _, body = stz2.full()
        bits, count = body[3] if len(body) > 3 else 0, _count(stz2, body, 4)
        if bits not in (4, 8, 16):
            raise corrupt(f"stz2 box at offset {stz2.offset} has {bits}-bit fields")
        _limit(stz2, count, max_samples)
        needed = (count * bits + 7) // 8
        if 8 + needed > len(body):
            raise corrupt(
                f"stz2 box at offset {stz2.offset} claims {count} entries ({needed + 12} bytes) "
                f"but holds only {len(body) + 4} bytes"
            )
        raw = np.frombuffer(body, np.uint8, count=needed, offset=8)
        if bits == 16:
            return _Sizes(raw.view(">u2").astype(np.int64), 0, count)
        if bits == 4:
            raw = np.stack([raw >> 4, raw & 0x0F], axis=1).ravel()
        return _Sizes(raw[:count].astype(np.int64), 0, count)
    return _Sizes(np.zeros(0, np.int64), 0, 0)


def _limit(box: Box, count: int, max_samples: int) -> None:
    if count > max_samples:
        raise AnalysisError(
            ErrorCode.FILE_TOO_LARGE,
            f"{box.type} box at offset {box.offset} lists {count} samples, more than the "
            f"{max_samples} a track may have here",
        )


def _chunk_offsets(stbl: Box) -> I64:
    stco, co64 = stbl.child("stco"), stbl.child("co64")
    for box, width in ((stco, 4), (co64, 8)):
        if box is not None:
            _, _, body = box.full()
            return _table(box, body, _count(box, body), 1, 4, width)[:, 0]
    return np.zeros(0, np.int64)


def _samples_per_chunk(stbl: Box, chunks: int, n: int) -> I64:
    """Samples in each chunk (stsc runs over chunks), cut so they add up to at most `n`."""
    stsc = stbl.child("stsc")
    if stsc is None or chunks == 0:
        return np.zeros(chunks, np.int64)
    _, _, body = stsc.full()
    runs = _table(stsc, body, _count(stsc, body), 3, 4)
    first = np.clip(runs[:, 0] - 1, 0, chunks)
    # A run lasts until the next run's first chunk; the last one to the last chunk.
    lengths = np.maximum(np.diff(np.append(first, chunks)), 0)
    return _runs(lengths, runs[:, 1], chunks) if n else np.zeros(chunks, np.int64)


def _layout(
    stbl: Box, sizes: _Sizes, max_samples: int, problems: list[str]
) -> tuple[I64, I64, I64 | None]:
    """(offsets, sizes, first sample of each unit when units are chunks) of the samples."""
    n = sizes.count
    chunks = _chunk_offsets(stbl)
    per_chunk = _samples_per_chunk(stbl, chunks.size, n)
    limited = np.minimum(np.cumsum(per_chunk), n)
    per_chunk = np.diff(limited, prepend=0)
    described = int(limited[-1]) if limited.size else 0
    if described != n:
        problems.append(f"stsc/stco describe {described} samples, stsz has {n}")
    if sizes.constant and n > max_samples:
        first = limited - per_chunk
        return chunks.copy(), per_chunk * sizes.constant, first
    all_sizes = sizes.sizes if not sizes.constant else np.full(n, sizes.constant, np.int64)
    offsets = np.full(n, -1, np.int64)
    chunk_of = np.repeat(np.arange(chunks.size), per_chunk)
    if chunk_of.size:
        ends = np.cumsum(all_sizes[: chunk_of.size])
        start_of_chunk = np.concatenate([[0], ends])[(limited - per_chunk)[chunk_of]]
        offsets[: chunk_of.size] = (
            chunks[chunk_of] + (ends - all_sizes[: chunk_of.size]) - (start_of_chunk)
        )
    return offsets, all_sizes, None


def _timing(stbl: Box, n: int, problems: list[str]) -> tuple[I64, I64 | None]:
    """(per-sample durations, composition offsets) cut or padded to `n` samples."""
    stts, ctts = stbl.child("stts"), stbl.child("ctts")
    durations = np.zeros(n, np.int64)
    if stts is not None:
        _, _, body = stts.full()
        table = _table(stts, body, _count(stts, body), 2, 4)
        listed = int(table[:, 0].sum())
        if listed != n:
            problems.append(f"stts covers {listed} samples, stsz has {n}")
        # FFmpeg reads stts deltas as signed and clamps negative ones to 0 (mov_read_stts).
        durations = _runs(table[:, 0], np.maximum(_signed(table[:, 1]), 0), n)
    offsets = None
    if ctts is not None:
        _, _, body = ctts.full()
        table = _table(ctts, body, _count(ctts, body), 2, 4)
        # Version 0 offsets are unsigned in the spec, but muxers write negative ones with
        # version 0 too; FFmpeg reads both as signed 32-bit, and so do we.
        offsets = _runs(table[:, 0], _signed(table[:, 1]), n)
    return durations, offsets


def _sync(stss: Box | None, n: int) -> BoolArray | None:
    if stss is None:
        return None
    _, _, body = stss.full()
    numbers = _table(stss, body, _count(stss, body), 1, 4)[:, 0] - 1
    flags = np.zeros(n, np.bool_)
    flags[numbers[(numbers >= 0) & (numbers < n)]] = True
    return flags


def _leading(sdtp: Box | None, n: int) -> npt.NDArray[np.uint8] | None:
    """sdtp is_leading per sample (§8.6.4.3)."""
    if sdtp is None:
        return None
    _, _, body = sdtp.full()
    raw = np.frombuffer(body, np.uint8)[:n]
    return ((raw >> 6) & 3).astype(np.uint8)


def parse_track(trak: Box, limits: BoxLimits) -> TrackTables:
    """Expand one `trak`; CORRUPT_FILE when its headers or tables are unreadable."""
    problems: list[str] = []
    track_id, enabled, tkhd_duration, matrix = _tkhd(trak.child("tkhd"))
    mdia = trak.child("mdia")
    timescale, mdhd_duration, language = _mdhd(mdia.child("mdhd") if mdia else None)
    stbl = mdia.find("minf/stbl") if mdia is not None else None
    elst = trak.find("edts/elst")
    stsd = stbl.child("stsd") if stbl is not None else None
    empty = np.zeros(0, np.int64)
    dts, durations, cts, sizes, offsets = empty, empty, None, empty, empty
    sync = leading = None
    count = 0
    if stbl is not None:
        listed = _sizes(stbl, limits.max_samples)
        count = listed.count
        offsets, sizes, first = _layout(stbl, listed, limits.max_samples, problems)
        if first is not None:
            durations = _stts_grouped(stbl, first, count)
        else:
            durations, cts = _timing(stbl, count, problems)
            sync, leading = _sync(stbl.child("stss"), count), _leading(stbl.child("sdtp"), count)
        dts = np.concatenate([[0], np.cumsum(durations)[:-1]]).astype(np.int64)
        dts = dts[: durations.size]
    return TrackTables(
        track_id=track_id,
        handler=_handler(mdia.child("hdlr")) if mdia is not None else None,
        enabled=enabled,
        tkhd_duration=tkhd_duration,
        matrix=matrix,
        timescale=timescale,
        mdhd_duration=mdhd_duration,
        language=language,
        edits=parse_edits(elst, limits.max_edit_list_entries) if elst is not None else None,
        entries=sample_entries(stsd) if stsd is not None else (),
        sample_count=count,
        dts=dts,
        durations=durations,
        cts_offsets=cts,
        sizes=sizes,
        offsets=offsets,
        sync=sync,
        leading=leading,
        table_problems=tuple(problems),
    )


def _stts_grouped(stbl: Box, first: I64, n: int) -> I64:
    """Chunk durations from stts without expanding it per sample (constant-size samples)."""
    stts = stbl.child("stts")
    if stts is None:
        return np.zeros(first.size, np.int64)
    _, _, body = stts.full()
    table = _table(stts, body, _count(stts, body), 2, 4)
    counts, deltas = table[:, 0], np.maximum(_signed(table[:, 1]), 0)
    sample_ends = np.cumsum(counts)
    tick_ends = np.cumsum(counts * deltas)

    def ticks_before(sample: I64) -> I64:
        row = np.searchsorted(sample_ends, sample, side="right")
        row = np.minimum(row, max(counts.size - 1, 0))
        before = np.where(row > 0, tick_ends[row - 1], 0) if counts.size else sample * 0
        into = sample - np.where(row > 0, sample_ends[row - 1], 0) if counts.size else sample
        result: I64 = before + into * (deltas[row] if counts.size else 0)
        return result

    stops = np.append(first[1:], n)
    return ticks_before(np.minimum(stops, n)) - ticks_before(np.minimum(first, n))
