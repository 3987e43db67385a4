"""Built-in checks on the container's integrity: a file cut short, samples outside `mdat`,
a movie header that disagrees with the media that plays (docs/quality.md, "Durations",
"Truncated files")."""

from __future__ import annotations

from collections.abc import Iterator

from mp4_small_analyser.models import Results

from .finding import Finding

MAX_DECLARED_DURATION_GAP = 0.5
"""Seconds between the declared duration and the media that plays..."""
MAX_DECLARED_DURATION_SHARE = 0.02
"""...or this share of what plays, the larger."""


def truncated(results: Results) -> Iterator[Finding]:
    info = results.file_info
    if not info.truncated:
        return
    until = f"; it plays to {info.playable_until:.2f} s" if info.playable_until is not None else ""
    yield Finding(
        "TRUNCATED_FILE",
        None,
        "error",
        f"The file ends {info.seconds_missing:.2f} s of media early: "
        f"{info.bytes_missing:,} bytes its tables list are missing (an upload or copy cut "
        f"short){until}. What is present was measured.",
        value=info.seconds_missing,
        limit=0.0,
    )


def samples_outside_mdat(results: Results) -> Iterator[Finding]:
    for track in results.tracks:
        if not track.samples_outside_mdat:
            continue
        yield Finding(
            "SAMPLES_OUTSIDE_MDAT",
            None,
            "error",
            f"Track {track.index} ({track.type}) has {track.samples_outside_mdat} "
            "samples whose bytes lie outside every mdat box: its sample tables point at data "
            "that is not media, and players will show garbage or stop.",
            value=track.samples_outside_mdat,
            limit=0,
            track=track.index,
        )


def declared_duration(results: Results) -> Iterator[Finding]:
    info = results.file_info
    ends = [
        (track.start_time or 0.0) + track.media_duration
        for track in results.tracks
        if track.type in ("video", "audio") and track.media_duration is not None
    ]
    if info.duration is None or not ends or info.truncated or info.fragmented:
        return
    plays = max(ends)
    gap = round(abs(info.duration - plays), 3)
    allowed = max(MAX_DECLARED_DURATION_GAP, MAX_DECLARED_DURATION_SHARE * plays)
    if gap <= allowed:
        return
    yield Finding(
        "DURATION_MISMATCH",
        None,
        "warning",
        f"The movie header declares {info.duration:.2f} s but the tracks play "
        f"{plays:.2f} s: players and tools disagree on the length (ffprobe 5 prints the "
        "header's, newer FFmpeg the tracks').",
        value=gap,
        limit=round(allowed, 3),
    )
