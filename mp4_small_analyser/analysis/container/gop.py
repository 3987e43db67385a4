"""GOP structure from the sample tables (no decoding).

Sync samples come from `stss` (§8.6.2 of ISO/IEC 14496-12; absent = every sample is
a sync sample); intervals use decode times. Reordering (B-frames or pyramids) shows
as composition times that are not increasing in decode order (ctts, §8.6.1.3),
whether the offsets are positive (version 0) or negative (version 1). Open GOPs
show as leading pictures: samples after a sync sample in decode order but before it
in composition order. The sync samples' NAL unit types, where the bitstream scan
read them, decide: H.264 IDR (5) vs a non-IDR I-slice with a recovery point (1);
HEVC IDR_W_RADL/IDR_N_LP (19/20) vs CRA (21) or BLA (16-18); `sdtp` is_leading
(§8.6.4) when present.
"""

from __future__ import annotations

import numpy as np

from mp4_small_analyser.analysis.container.tables import TrackTables
from mp4_small_analyser.models import Gop

H264_IDR = 5
HEVC_CRA_BLA = frozenset({16, 17, 18, 21})


def _seconds(track: TrackTables) -> np.ndarray:
    ts = track.timescale or 1
    return (track.dts - (track.dts[0] if track.dts.size else 0)) / ts


def gop(
    track: TrackTables, nal_types: dict[int, int] | None = None, codec: str | None = None
) -> Gop:
    """`nal_types`: {sample index: NAL unit type of its first VCL NAL} for some sync samples."""
    n = track.sizes.size
    sync = track.sync if track.sync is not None else np.ones(n, np.bool_)
    idx = np.flatnonzero(sync)
    t = _seconds(track) if n else np.zeros(0)
    intervals = np.diff(t[idx]) if idx.size > 1 else np.zeros(0)
    frames = np.diff(idx) if idx.size > 1 else np.zeros(0, np.int64)
    cts = track.dts + (track.cts_offsets if track.cts_offsets is not None else 0)
    leading = 0
    if idx.size and track.cts_offsets is not None:
        for k, start in enumerate(idx):
            stop = idx[k + 1] if k + 1 < idx.size else n
            leading += int((cts[start + 1 : stop] < cts[start]).sum())
    if track.leading is not None:
        leading = max(leading, int(np.isin(track.leading, (1, 3)).sum()))
    return Gop(
        keyframes=int(idx.size),
        interval_min=round(float(intervals.min()), 6) if intervals.size else None,
        interval_max=round(float(intervals.max()), 6) if intervals.size else None,
        interval_mean=round(float(intervals.mean()), 6) if intervals.size else None,
        frames_min=int(frames.min()) if frames.size else None,
        frames_max=int(frames.max()) if frames.size else None,
        b_frames=bool(np.any(np.diff(cts) < 0)),
        open_gop=_open_gop(leading, nal_types or {}, codec, bool(idx.size)),
    )


def _open_gop(
    leading: int, nal_types: dict[int, int], codec: str | None, has_sync: bool
) -> bool | None:
    if nal_types and codec == "hevc":
        if any(v in HEVC_CRA_BLA for v in nal_types.values()):
            return True if leading or any(v == 21 for v in nal_types.values()) else None
        return False
    if nal_types and codec == "h264":
        return bool(any(v != H264_IDR for v in nal_types.values()))
    if leading:
        return True
    return False if has_sync else None


def first_vcl_nal_type(sample: bytes, length_size: int, codec: str) -> int | None:
    """NAL unit type of the first slice in a length-prefixed access unit."""
    pos = 0
    while pos + length_size < len(sample):
        size = int.from_bytes(sample[pos : pos + length_size], "big")
        pos += length_size
        if pos >= len(sample):
            break
        header = sample[pos]
        nal_type = header & 0x1F if codec == "h264" else (header >> 1) & 0x3F
        if (codec == "h264" and nal_type in (1, 5)) or (codec == "hevc" and nal_type < 32):
            return nal_type
        pos += size
    return None
