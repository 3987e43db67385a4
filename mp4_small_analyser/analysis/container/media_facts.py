"""The probe's result models for one track: `Track`, `VideoFacts`, `AudioFacts`.

Names and values are ffprobe's (codec names, profiles, levels, pixel formats,
colours, layouts); counts, rates and durations come from the sample tables.
Seconds are rounded to the microsecond ffprobe prints.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from mp4_small_analyser.analysis.container.bitrate import bit_rate
from mp4_small_analyser.analysis.container.streams import Stream
from mp4_small_analyser.analysis.container.tables import TrackTables
from mp4_small_analyser.analysis.container.timing import TrackTiming, stream_bit_rate
from mp4_small_analyser.analysis.container.truncation import TrackIntegrity
from mp4_small_analyser.models import AudioFacts, Color, Gop, Hdr, Track, VideoFacts

MAX_SERIES_POINTS = 3600
"""An hour of a track's bit-rate series; later seconds count in its peaks only."""


def seconds(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 6)


def track_model(
    index: int,
    tables: TrackTables,
    stream: Stream,
    timing: TrackTiming,
    integrity: TrackIntegrity,
    fragmented: bool,
) -> Track:
    rate = bit_rate(tables)
    declared = stream.audio.bit_rate if stream.audio is not None else None
    return Track(
        index=index,
        type=stream.kind,
        codec=stream.codec,
        duration=seconds(timing.duration),
        language=tables.language,
        encrypted=stream.encrypted,
        track_id=tables.track_id,
        start_time=seconds(timing.start_time),
        declared_duration=seconds(timing.declared_duration),
        media_duration=seconds(timing.media_duration),
        samples_missing=integrity.samples_missing,
        samples_outside_mdat=integrity.samples_outside_mdat,
        bit_rate=stream_bit_rate(tables, fragmented, declared) or None,
        bit_rate_series=list(rate.series[:MAX_SERIES_POINTS]) if rate.series else None,
        bit_rate_peak_1s=rate.peak_1s,
        bit_rate_peak_5s=rate.peak_5s,
    )


def video_model(
    track: Track, tables: TrackTables, stream: Stream, rotation: int, hdr: Hdr, gop: Gop
) -> VideoFacts:
    facts = stream.video
    assert facts is not None
    width, height = facts.width, facts.height
    count = int(tables.sizes.size)
    ticks = tables.media_ticks
    frame_rate = count * tables.timescale / ticks if count and ticks else None
    deltas = tables.durations[:-1]
    color = Color(
        primaries=facts.color_primaries,
        transfer=facts.color_transfer,
        matrix=facts.color_space,
        range=facts.color_range,
    )
    return VideoFacts(
        codec=facts.codec,
        profile=facts.profile,
        level=facts.level,
        width=width,
        height=height,
        resolution=f"{width}x{height}" if width and height else None,
        display_aspect_ratio=_display_aspect_ratio(width, height, facts.sample_aspect_ratio),
        frame_rate=frame_rate,
        variable_frame_rate=bool(deltas.size) and int(deltas.max() - deltas.min()) > 1,
        frame_count=tables.sample_count or None,
        duration=track.duration,
        bit_rate=track.bit_rate,
        pixel_format=facts.pix_fmt,
        bit_depth=facts.bit_depth,
        rotation=rotation,
        color=color if color != Color() else None,
        keyframe_interval=_keyframe_interval(tables),
        encrypted=stream.encrypted,
        hdr=hdr,
        gop=gop,
    )


def audio_model(track: Track, stream: Stream) -> AudioFacts:
    config = stream.audio
    return AudioFacts(
        index=track.index,
        language=track.language,
        codec=(config.codec if config is not None else track.codec) or "unknown",
        profile=config.profile if config is not None else None,
        sample_rate=config.sample_rate if config is not None else None,
        channels=config.channels if config is not None else None,
        channel_layout=config.channel_layout if config is not None else None,
        bit_rate=track.bit_rate,
        duration=track.duration,
        encrypted=stream.encrypted,
    )


def _keyframe_interval(tables: TrackTables) -> float | None:
    """Mean seconds between sync samples; None when all are sync samples or fewer than 2."""
    if tables.sync is None or not tables.timescale:
        return None
    sync = np.flatnonzero(tables.sync)
    if sync.size < 2 or sync.size >= tables.sizes.size:
        return None
    span = int(tables.dts[sync[-1]] - tables.dts[sync[0]])
    return span / (sync.size - 1) / tables.timescale if span > 0 else None


def _display_aspect_ratio(
    width: int | None, height: int | None, sar: Fraction | None
) -> str | None:
    """As ffprobe prints it; square pixels when the file does not say."""
    if not width or not height:
        return None
    if not sar or sar <= 0:
        sar = Fraction(1)
    dar = Fraction(width * sar.numerator, height * sar.denominator)
    return f"{dar.numerator}:{dar.denominator}"
