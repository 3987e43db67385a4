"""The movie header (`mvhd`, ISO/IEC 14496-12 §8.2.2) and every track's tables.

A fragmented file's `moof` samples are merged into the tracks (`fragments.py`),
so durations, bit rates and GOPs see every sample whichever box holds it.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from mp4_small_analyser.analysis.container.boxes import Box
from mp4_small_analyser.analysis.container.fragments import expand_fragments
from mp4_small_analyser.analysis.container.layout import BoxLimits
from mp4_small_analyser.analysis.container.tables import TrackTables, parse_track

# Seconds between 1904-01-01 (the MP4 epoch) and 1970-01-01.
_MP4_EPOCH_OFFSET = 2_082_844_800


@dataclass(frozen=True)
class Movie:
    timescale: int
    """mvhd timescale as written (0 when absent or zero)."""
    duration: int
    """mvhd duration in movie ticks."""
    has_mvhd: bool
    fragmented: bool
    creation_time: datetime | None
    matrix: tuple[int, ...]
    """The mvhd display matrix (9 fixed-point values); () when absent."""
    tracks: tuple[TrackTables, ...]


def parse_movie(moov: Box, moofs: tuple[Box, ...], limits: BoxLimits) -> Movie:
    mvhd = moov.child("mvhd")
    timescale = duration = created = 0
    matrix: tuple[int, ...] = ()
    if mvhd is not None:
        version, _, body = mvhd.full()
        times = 28 if version == 1 else 16
        if len(body) >= times:
            layout = ">QQIQ" if version == 1 else ">IIII"
            created, _, timescale, duration = struct.unpack_from(layout, body, 0)
        if len(body) >= times + 52:
            matrix = struct.unpack_from(">9i", body, times + 16)
    tracks = tuple(parse_track(trak, limits) for trak in moov.children_of("trak"))
    fragmented = bool(moofs) or moov.child("mvex") is not None
    if moofs:
        tracks = expand_fragments(tracks, moov, moofs)
    return Movie(
        timescale=timescale,
        duration=duration,
        has_mvhd=mvhd is not None,
        fragmented=fragmented,
        creation_time=_mp4_time(created),
        matrix=tuple(matrix),
        tracks=tracks,
    )


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


def rotation(track: tuple[int, ...], movie: tuple[int, ...]) -> int:
    """Clockwise display rotation of the track matrix applied before the movie matrix.

    FFmpeg's side data reports the same angle counter-clockwise.
    """
    if len(track) < 5:
        return 0
    a, b, c, d = (value / 65536 for value in (track[0], track[1], track[3], track[4]))
    if len(movie) >= 5:
        ma, mb, mc, md = (value / 65536 for value in (movie[0], movie[1], movie[3], movie[4]))
        a, b, c, d = a * ma + b * mc, a * mb + b * md, c * ma + d * mc, c * mb + d * md
    if a == 0 and b == 0:
        return 0
    degrees = math.degrees(math.atan2(b, a))
    return round(degrees / 90.0) * 90 % 360
