"""Results built field by field: a clean file that passes every built-in profile, then changes."""

from __future__ import annotations

from typing import Any

from mp4_small_analyser.models import (
    AudioAnalysis,
    Clipping,
    FileInfo,
    Results,
    Track,
    VideoAnalysis,
)


def video(**fields: Any) -> VideoAnalysis:
    base: dict[str, Any] = {
        "codec": "h264",
        "profile": "High",
        "width": 1920,
        "height": 1080,
        "frame_rate": 25.0,
        "duration": 30.0,
        "bit_rate": 20_000_000,
        "pixel_format": "yuv420p",
        "frames_analysed": 60,
        "black_percentage": 0.0,
        "black_segments": [],
        "frozen_percentage": 0.0,
        "frozen_segments": [],
    }
    return VideoAnalysis(**{**base, **fields})


def audio(**fields: Any) -> AudioAnalysis:
    base: dict[str, Any] = {
        "codec": "aac",
        "profile": "LC",
        "sample_rate": 48000,
        "channels": 2,
        "channel_layout": "stereo",
        "bit_rate": 192_000,
        "duration": 30.0,
        "loudness_integrated": -23.0,
        "loudness_range": 6.0,
        "true_peak": -3.0,
        "sample_peak": -3.2,
        "max_momentary": -19.0,
        "max_short_term": -20.0,
        "silence_percentage": 0.0,
        "silence_segments": [],
        "clipping": Clipping(count=0, ratio=0.0, runs=0),
        "dc_offset": [0.0, 0.0],
        "channels_silent": [],
        "phase_correlation": 0.9,
        "phase_issue": False,
    }
    return AudioAnalysis(**{**base, **fields})


def results(
    *,
    v: dict[str, Any] | None = None,
    a: dict[str, Any] | None = None,
    no_video: bool = False,
    no_audio: bool = False,
    tracks: list[Track] | None = None,
    audio_tracks: list[dict[str, Any]] | None = None,
    **file_fields: Any,
) -> Results:
    """`audio_tracks`: the changes of each audio track, the first also `audio_analysis`;
    without it, a result stored before `audio_tracks` existed (`audio_analysis` only)."""
    info: dict[str, Any] = {
        "file_size": 75_000_000,
        "duration": 30.0,
        "format": "mp4",
        "faststart": True,
        "fragmented": False,
        "track_count": 2,
    }
    several = [audio(**fields) for fields in audio_tracks or []]
    first = several[0] if several else None if no_audio else audio(**(a or {}))
    return Results(
        file_info=FileInfo(**{**info, **file_fields}),
        video_analysis=None if no_video else video(**(v or {})),
        audio_analysis=first,
        audio_tracks=several,
        tracks=tracks or [],
    )
