"""Samples of a fragmented MP4 (moof/traf/trun) merged into each track's tables.

ISO/IEC 14496-12:2022 §8.8: `trex` defaults (§8.8.3), `tfhd` (§8.8.7: base data
offset, default duration/size/flags, default-base-is-moof), `tfdt` (§8.8.12:
base media decode time), `trun` (§8.8.8: per-sample duration, size, flags and
composition offset; version 1 offsets are signed). Sample flags (§8.8.3.1):
bit 16 `sample_is_non_sync_sample`, bits 24-25 `sample_depends_on`.

Cost: every `moof` has to be read. Over HTTP that is one request per fragment
(a 2 h film in 2 s fragments: 3600 small reads), so the product should do this
only when asked for bit rate/GOP of a fragmented file, or read a `sidx` (one box,
§8.16.3, durations of every subsegment) for the duration alone.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mp4_small_analyser.analysis.container.boxes import Box
from mp4_small_analyser.analysis.container.tables import I64, TrackTables


@dataclass(frozen=True)
class _Defaults:
    description: int = 1
    duration: int = 0
    size: int = 0
    flags: int = 0


@dataclass
class _Acc:
    dts: list[int] = dataclasses.field(default_factory=list)
    durations: list[int] = dataclasses.field(default_factory=list)
    sizes: list[int] = dataclasses.field(default_factory=list)
    offsets: list[int] = dataclasses.field(default_factory=list)
    cts: list[int] = dataclasses.field(default_factory=list)
    sync: list[bool] = dataclasses.field(default_factory=list)
    next_dts: int = 0


def _trex(moov: Box | None) -> dict[int, _Defaults]:
    out: dict[int, _Defaults] = {}
    mvex = moov.child("mvex") if moov is not None else None
    for trex in mvex.children_of("trex") if mvex is not None else []:
        _, _, body = trex.full()
        tid, desc, dur, size, flags = struct.unpack_from(">5I", body, 0)
        out[tid] = _Defaults(desc, dur, size, flags)
    return out


def _traf(
    traf: Box, moof: Box, base_default: int, trex: dict[int, _Defaults], acc: dict[int, _Acc]
) -> int:
    """Adds one traf's samples; returns the end of its data (the next traf's implicit base)."""
    tfhd = traf.child("tfhd")
    if tfhd is None:
        return base_default
    _, flags, body = tfhd.full()
    (track_id,) = struct.unpack_from(">I", body, 0)
    d = trex.get(track_id, _Defaults())
    pos = 4
    base = moof.offset if flags & 0x20000 else base_default
    if flags & 0x1:
        (base,) = struct.unpack_from(">Q", body, pos)
        pos += 8
    _desc, dur, size, sflags = d.description, d.duration, d.size, d.flags
    if flags & 0x2:
        (_desc,) = struct.unpack_from(">I", body, pos)
        pos += 4
    if flags & 0x8:
        (dur,) = struct.unpack_from(">I", body, pos)
        pos += 4
    if flags & 0x10:
        (size,) = struct.unpack_from(">I", body, pos)
        pos += 4
    if flags & 0x20:
        (sflags,) = struct.unpack_from(">I", body, pos)
    a = acc.setdefault(track_id, _Acc())
    tfdt = traf.child("tfdt")
    if tfdt is not None:
        version, _, tb = tfdt.full()
        a.next_dts = struct.unpack_from(">Q" if version == 1 else ">I", tb, 0)[0]
    end = base
    for trun in traf.children_of("trun"):
        end = _trun(trun, base, dur, size, sflags, a)
    return end


def _trun(trun: Box, base: int, dur: int, size: int, sflags: int, a: _Acc) -> int:
    version, flags, body = trun.full()
    (count,) = struct.unpack_from(">I", body, 0)
    pos = 4
    offset = base
    if flags & 0x1:
        (rel,) = struct.unpack_from(">i", body, pos)
        offset = base + rel
        pos += 4
    first_flags = None
    if flags & 0x4:
        (first_flags,) = struct.unpack_from(">I", body, pos)
        pos += 4
    fields = [(0x100, "d"), (0x200, "s"), (0x400, "f"), (0x800, "c")]
    present = [name for bit, name in fields if flags & bit]
    width = 4 * len(present)
    count = min(count, (len(body) - pos) // width) if width else count
    table = (
        np.frombuffer(body, ">u4", count=count * len(present), offset=pos).reshape(
            count, len(present)
        )
        if present
        else np.zeros((count, 0), np.uint32)
    )
    col = {name: table[:, i].astype(np.int64) for i, name in enumerate(present)}
    durations = col.get("d", np.full(count, dur, np.int64))
    sizes = col.get("s", np.full(count, size, np.int64))
    flag_col = col.get("f", np.full(count, sflags, np.int64))
    if first_flags is not None and count:
        flag_col = flag_col.copy()
        flag_col[0] = first_flags
    cts = col.get("c", np.zeros(count, np.int64))
    if "c" in col and version == 1:
        cts = cts.astype(np.uint32).view(np.int32).astype(np.int64)
    dts = a.next_dts + np.concatenate([[0], np.cumsum(durations)[:-1]]) if count else durations
    offsets = offset + np.concatenate([[0], np.cumsum(sizes)[:-1]]) if count else sizes
    a.dts.extend(dts.tolist())
    a.durations.extend(durations.tolist())
    a.sizes.extend(sizes.tolist())
    a.offsets.extend(offsets.tolist())
    a.cts.extend(cts.tolist())
    a.sync.extend(((flag_col >> 16) & 1 == 0).tolist())
    a.next_dts += int(durations.sum())
    return offset + int(sizes.sum())


def expand_fragments(
    tracks: tuple[TrackTables, ...], moov: Box, moofs: Sequence[Box]
) -> tuple[TrackTables, ...]:
    """Every track with its fragment samples appended after its moov samples."""
    trex = _trex(moov)
    acc: dict[int, _Acc] = {}
    for moof in moofs:
        base = moof.offset
        for traf in moof.children_of("traf"):
            base = _traf(traf, moof, base, trex, acc)
    return tuple(
        _merge(track, acc[track.track_id])
        if track.track_id in acc and acc[track.track_id].sizes
        else track
        for track in tracks
    )


def _arr(values: list[int]) -> I64:
    return np.asarray(values, dtype=np.int64)


def _merge(t: TrackTables, a: _Acc) -> TrackTables:
    base_dts = t.dts + 0
    dts = np.concatenate([base_dts, _arr(a.dts)])
    cts_old = t.cts_offsets if t.cts_offsets is not None else np.zeros(t.sizes.size, np.int64)
    cts = np.concatenate([cts_old, _arr(a.cts)])
    sync_old = t.sync if t.sync is not None else np.ones(t.sizes.size, np.bool_)
    return dataclasses.replace(
        t,
        dts=dts,
        durations=np.concatenate([t.durations, _arr(a.durations)]),
        sizes=np.concatenate([t.sizes, _arr(a.sizes)]),
        offsets=np.concatenate([t.offsets, _arr(a.offsets)]),
        cts_offsets=cts if cts.any() else None,
        sync=np.concatenate([sync_old, np.asarray(a.sync, np.bool_)]),
        sample_count=dts.size,
        leading=None,
    )
