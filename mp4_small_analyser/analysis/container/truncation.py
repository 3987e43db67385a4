"""Truncated and inconsistent files, from the sample tables and the top-level box headers.

Nothing beyond what a probe reads anyway: the `moov` (sample tables give every
sample's offset and size, §8.7.3-8.7.5 of ISO/IEC 14496-12), the top-level box
headers (each `mdat`'s declared extent, §8.1.1) and the file size (HTTP
Content-Length / Content-Range). Over HTTP this costs no request.

What it finds:
- samples whose bytes run past the end of the file (an upload cut short: the
  moov at the front still describes the whole programme), with how many bytes
  and seconds are missing and until when the media plays;
- an `mdat` whose header claims more bytes than the file has;
- samples outside every `mdat` (or overrunning the one they start in): the tables
  point at bytes that are not media data;
- a declared duration (mvhd/tkhd) far from the media the tables describe.

A file cut before its `moov` (moov at the end, upload stopped in the mdat) has no
tables at all; the box walk already reports it ("mdat runs to the end of the file").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from mp4_small_analyser.analysis.container.layout import TopBox
from mp4_small_analyser.analysis.container.movie import Movie
from mp4_small_analyser.analysis.container.tables import TrackTables


@dataclass(frozen=True)
class TrackIntegrity:
    track_id: int
    handler: str | None
    samples: int
    samples_missing: int
    """Samples whose last byte lies beyond the end of the file (cut or wholly absent)."""
    samples_partial: int
    """Of those, samples that start inside the file (ffprobe returns such a one as a short
    packet and stops with "partial file")."""
    bytes_missing: int
    """Bytes of those samples that the file does not hold."""
    seconds_missing: Fraction
    """Sum of the durations of the missing samples."""
    playable_until: Fraction | None
    """Media time (s, from the first sample's decode time) of the first missing sample;
    None when nothing is missing."""
    samples_outside_mdat: int
    """Samples (present in the file) that are not inside any mdat payload."""
    unresolved_samples: int
    """Samples the tables give no offset for (stsc/stco describe fewer samples)."""


@dataclass(frozen=True)
class Integrity:
    file_size: int
    expected_size: int
    """End of the last sample or box the file claims to hold (bytes)."""
    bytes_missing: int
    """max(0, expected_size - file_size)."""
    truncated: bool
    seconds_missing: Fraction
    """Longest missing stretch of any track, seconds."""
    declared_vs_media: Fraction | None
    """mvhd duration minus the longest track's sample duration, seconds (+: header says more)."""
    tracks: tuple[TrackIntegrity, ...]


def _mdat_payloads(top_level: tuple[TopBox, ...]) -> list[tuple[int, int]]:
    """(start, declared end) of every mdat payload; ends may lie beyond the file."""
    return [(b.offset + b.header_size, b.end) for b in top_level if b.type == "mdat"]


def _outside(offsets: np.ndarray, ends: np.ndarray, payloads: list[tuple[int, int]]) -> np.ndarray:
    inside = np.zeros(offsets.size, np.bool_)
    for start, end in payloads:
        inside |= (offsets >= start) & (ends <= end)
    return ~inside


def track_integrity(
    track: TrackTables, file_size: int, payloads: list[tuple[int, int]], walk_complete: bool
) -> TrackIntegrity:
    ts = track.timescale or 1
    offsets, sizes = track.offsets, track.sizes
    known = offsets >= 0
    ends = offsets + sizes
    missing = known & (ends > file_size)
    cut = np.clip(ends - np.maximum(offsets, file_size), 0, None)
    bytes_missing = int(cut[missing].sum())
    seconds = Fraction(int(track.durations[missing].sum()), ts)
    first = np.flatnonzero(missing)
    until = None
    if first.size:
        until = Fraction(int(track.dts[first[0]] - (track.dts[0] if track.dts.size else 0)), ts)
    present = known & ~missing
    outside = 0
    if payloads and walk_complete:
        outside = int(_outside(offsets[present], ends[present], payloads).sum())
    return TrackIntegrity(
        track_id=track.track_id,
        handler=track.handler,
        samples=track.sizes.size,
        samples_missing=int(missing.sum()),
        samples_partial=int((missing & (offsets < file_size)).sum()),
        bytes_missing=bytes_missing,
        seconds_missing=seconds,
        playable_until=until,
        samples_outside_mdat=outside,
        unresolved_samples=int((~known).sum()),
    )


def check_integrity(
    movie: Movie, top_level: tuple[TopBox, ...], file_size: int, walk_complete: bool = True
) -> Integrity:
    """`walk_complete`: every top-level box header was seen (the product's walk may stop
    after the first mdat; samples in later mdats are then not judged "outside")."""
    payloads = _mdat_payloads(top_level)
    tracks = tuple(track_integrity(t, file_size, payloads, walk_complete) for t in movie.tracks)
    sample_end = max(
        (
            int((t.offsets + t.sizes)[t.offsets >= 0].max())
            for t in movie.tracks
            if np.any(t.offsets >= 0)
        ),
        default=0,
    )
    box_end = max((b.end for b in top_level), default=0)
    expected = max(sample_end, box_end)
    declared = None
    if movie.has_mvhd and movie.timescale:
        longest = max(
            (Fraction(t.media_ticks, t.timescale) for t in movie.tracks if t.timescale),
            default=Fraction(0),
        )
        declared = Fraction(movie.duration, movie.timescale) - longest
    missing = max(0, expected - file_size)
    return Integrity(
        file_size=file_size,
        expected_size=expected,
        bytes_missing=missing,
        truncated=missing > 0,
        seconds_missing=max((t.seconds_missing for t in tracks), default=Fraction(0)),
        declared_vs_media=declared,
        tracks=tracks,
    )
