"""Durations and start times exactly as ffprobe reports them, from the sample tables.

Three figures are easily confused; this module names each one:

- `format_duration`: ffprobe's `format.duration`. ffprobe 5.1 (libavformat 59) takes
  it from the movie header (`mvhd`, ISO/IEC 14496-12 §8.2.2) rescaled to microseconds
  with round-half-away-from-zero, whenever the file has one and is not fragmented
  (a `trex` in `mvex` makes FFmpeg drop it). Later FFmpeg (libavformat 62, the one
  inside PyAV 18) no longer reads `mvhd` for this and computes it from the streams
  like any other demuxer: max(longest stream, latest end − earliest start).
  Both are returned (`format_duration`, `format_duration_from_streams`) because
  a user may compare with either tool; on files whose tracks end together they agree.
- per track `duration` and `start_time`: ffprobe's stream values. The media header
  duration (`mdhd`, §8.4.2), capped by the sum of the sample durations (`stts`,
  §8.6.1.2), then by the edit list (§8.6.6) when there is one: the sum of every edit's
  `segment_duration` rescaled from movie to media ticks. The start is the sum of the
  leading empty edits (media_time = -1); for video FFmpeg keeps the frames from the
  sync sample before the edit's `media_time` but flags the frames before it discard
  and moves decode times so the first presented frame starts there.
- per track `media_duration`: what actually plays, in seconds: the presented
  part of the samples (the edit list's non-empty segments, clipped to the samples
  present), without empty edits. `declared_duration` is what `tkhd` says (movie
  timescale, §8.3.2); a gap between the two is worth a look (QC).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from mp4_small_analyser.analysis.container.movie import Movie
from mp4_small_analyser.analysis.container.tables import TrackTables

AV_TIME_BASE = 1_000_000
TEXT_HANDLERS = frozenset({"text", "sbtl", "subt", "clcp", "meta", "tmcd", "data", "hint"})


def rescale(value: int, num: int, den: int) -> int:
    """av_rescale(value, num, den): value * num / den, halves rounded away from zero."""
    if den == 0:
        return 0
    sign = -1 if (value < 0) != (num < 0) else 1
    quotient, remainder = divmod(abs(value) * abs(num), abs(den))
    if 2 * remainder >= abs(den):
        quotient += 1
    return sign * quotient


@dataclass(frozen=True)
class TrackTiming:
    track_id: int
    handler: str | None
    timescale: int
    duration: Fraction | None
    """ffprobe stream `duration`, seconds."""
    start_time: Fraction | None
    """ffprobe stream `start_time`, seconds."""
    declared_duration: Fraction | None
    """tkhd duration (movie timescale), seconds."""
    header_duration: Fraction | None
    """mdhd duration, seconds."""
    sample_duration: Fraction
    """Sum of all sample durations (stts), seconds: the media present in the tables."""
    media_duration: Fraction
    """Seconds of samples that the edit list presents (what plays), empty edits excluded."""
    empty_edit: Fraction
    """Seconds of leading empty edits: the track starts this late in the presentation."""
    media_start: Fraction
    """Media time where presentation starts (first non-empty edit's media_time), seconds;
    AAC priming (1024 or 2112 samples) and Opus pre-skip show up here."""


@dataclass(frozen=True)
class Timing:
    format_duration: Fraction | None
    """ffprobe 5.1 `format.duration` (mvhd unless fragmented), seconds."""
    format_duration_from_streams: Fraction | None
    """`format.duration` as libavformat ≥ 61 computes it (streams only), seconds."""
    format_start_time: Fraction | None
    movie_duration: Fraction | None
    """mvhd duration, seconds, exactly (no microsecond rounding)."""
    tracks: tuple[TrackTiming, ...]


def _seconds(ticks: int, timescale: int) -> Fraction:
    return Fraction(ticks, timescale)


def _stream_duration(track: TrackTables, movie_timescale: int, fragmented: bool) -> int:
    """FFmpeg's st->duration in media ticks (mov_read_mdhd, mov_read_stts, mov_fix_index).

    Fragmented: each `trun` moves the track end to its last sample's end (mov_read_trun).
    """
    duration = track.mdhd_duration
    total = track.media_ticks
    if fragmented:
        end = int(track.dts[-1] + track.durations[-1]) if track.sizes.size else 0
        return max(duration, end)
    if total:
        duration = min(duration, total)
    if track.edits and movie_timescale <= 0:
        # No mvhd: FFmpeg cannot rescale the edits (get_edit_list_entry gives up), and
        # its edit fix-up then leaves a zero duration.
        return 0
    if track.edits:
        edits = sum(
            rescale(e.segment_duration, track.timescale, movie_timescale) for e in track.edits
        )
        duration = min(duration, edits)
    return duration


def _leading_empty(track: TrackTables, movie_timescale: int) -> tuple[int, int | None]:
    """(empty ticks before the first non-empty edit, that edit's media_time)."""
    empty = 0
    for edit in track.edits or ():
        if edit.media_time == -1:
            empty += rescale(edit.segment_duration, track.timescale, movie_timescale)
            continue
        return empty, edit.media_time
    return empty, None


def track_timing(track: TrackTables, movie_timescale: int, fragmented: bool = False) -> TrackTiming:
    ts = track.timescale or 1
    duration = _stream_duration(track, movie_timescale, fragmented)
    empty, media_time = _leading_empty(track, movie_timescale) if track.edits else (0, 0)
    media_start = media_time if media_time is not None and media_time >= 0 else 0
    # With an edit list FFmpeg re-times the samples so that the earliest presented one
    # starts where the leading empty edits end (mov_fix_index moves the decode times
    # back by the first presented sample's composition offset), even when the edit
    # starts mid-GOP; without one the first sample's composition offset is the start.
    start = empty
    if not track.edits and track.handler == "vide" and track.cts_offsets is not None:
        start = int(track.cts_offsets[0]) if track.sizes.size else 0
    return TrackTiming(
        track_id=track.track_id,
        handler=track.handler,
        timescale=ts,
        duration=_seconds(duration, ts),
        start_time=_seconds(start, ts),
        declared_duration=(
            _seconds(track.tkhd_duration, movie_timescale) if movie_timescale else None
        ),
        header_duration=_seconds(track.mdhd_duration, ts),
        sample_duration=_seconds(track.media_ticks, ts),
        media_duration=_seconds(presented_ticks(track, movie_timescale), ts),
        empty_edit=_seconds(empty, ts),
        media_start=_seconds(media_start, ts),
    )


def presented_ticks(track: TrackTables, movie_timescale: int) -> int:
    """Media ticks the edit list presents from samples that exist (§8.6.6: each non-empty
    edit shows [media_time, media_time + segment_duration) of the media timeline)."""
    total = track.media_ticks
    if not track.edits or movie_timescale <= 0:
        return total
    shown = 0
    for edit in track.edits:
        if edit.media_time < 0:
            continue
        length = rescale(edit.segment_duration, track.timescale, movie_timescale)
        if edit.rate == 0:
            continue  # a dwell shows one frame; it adds no media
        shown += max(0, min(edit.media_time + length, total) - edit.media_time)
    return shown


def movie_timing(movie: Movie) -> Timing:
    # mov_read_mvhd: a zero timescale is taken as 1 ("defaulting to 1"); without an mvhd
    # the movie timescale stays 0.
    movie_ts = (movie.timescale or 1) if movie.has_mvhd else 0
    tracks = tuple(track_timing(t, movie_ts, movie.fragmented) for t in movie.tracks)
    mvhd = _seconds(movie.duration, movie_ts) if movie_ts > 0 else None
    from_streams, start = _from_streams(tracks)
    if movie_ts > 0 and not movie.fragmented:
        # mov_read_mvhd: fc->duration = av_rescale(duration, AV_TIME_BASE, time_scale).
        fmt: Fraction | None = Fraction(
            rescale(movie.duration, AV_TIME_BASE, movie_ts), AV_TIME_BASE
        )
    else:
        fmt = from_streams
    return Timing(
        format_duration=fmt,
        format_duration_from_streams=from_streams,
        format_start_time=start,
        movie_duration=mvhd,
        tracks=tracks,
    )


def _from_streams(tracks: tuple[TrackTiming, ...]) -> tuple[Fraction | None, Fraction | None]:
    """update_stream_timings: text/data streams only fill in, within a second."""
    start = {False: None, True: None}  # type: dict[bool, int | None]
    end = {False: None, True: None}  # type: dict[bool, int | None]
    longest = {False: None, True: None}  # type: dict[bool, int | None]
    for t in tracks:
        text = t.handler in TEXT_HANDLERS or t.handler is None
        if t.start_time is not None:
            s = _to_us(t.start_time)
            start[text] = s if start[text] is None else min(start[text] or 0, s)
            if t.duration is not None:
                e = s + _to_us(t.duration)
                end[text] = e if end[text] is None else max(end[text] or 0, e)
        if t.duration is not None:
            d = _to_us(t.duration)
            longest[text] = d if longest[text] is None else max(longest[text] or 0, d)
    s0, e0, d0 = _prefer(start[False], start[True], low=True), None, None
    e0 = _prefer(end[False], end[True], low=False)
    d0 = _prefer(longest[False], longest[True], low=False)
    if s0 is not None and e0 is not None and e0 >= s0:
        d0 = max(d0 if d0 is not None else e0 - s0, e0 - s0)
    duration = Fraction(d0, AV_TIME_BASE) if d0 is not None and d0 > 0 else None
    return duration, Fraction(s0, AV_TIME_BASE) if s0 is not None else None


def _prefer(primary: int | None, text: int | None, low: bool) -> int | None:
    if primary is None:
        return text
    if text is None:
        return primary
    if low and primary > text and primary - text < AV_TIME_BASE:
        return text
    if not low and primary < text and text - primary < AV_TIME_BASE:
        return text
    return primary


def _to_us(seconds: Fraction) -> int:
    return rescale(seconds.numerator, AV_TIME_BASE, seconds.denominator)


def stream_bit_rate(
    track: TrackTables, fragmented: bool = False, declared: int | None = None
) -> int | None:
    """ffprobe's stream `bit_rate` for a non-fragmented track: all sample bytes over the
    track duration *before* the edit list is applied (mov_build_index divides by
    st->duration = min(mdhd, stts total)); so a wrong mdhd skews it, an edit does not.
    FFmpeg leaves the bit rate declared by the configuration (esds avgBitrate, btrt) when
    that duration is 0; for fragmented files it divides by the fragments' duration."""
    total = track.media_ticks
    duration = min(track.mdhd_duration, total) if total else track.mdhd_duration
    if fragmented:
        duration = _stream_duration(track, 0, True)
    if duration <= 0 or not track.timescale:
        return declared
    return int(track.sizes.sum()) * 8 * track.timescale // duration
