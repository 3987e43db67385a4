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
        "active_area": _full_frame(1920, 1080, 30.0),
        "levels": _legal_levels(),
        "sampling": {"depth": "sampled", "frames_decoded": 250, "max_gap": 0.5, "unmeasured": []},
    }
    return VideoAnalysis(**{**base, **fields})


def every_frame_measures() -> dict[str, Any]:
    """What an every-frame analysis adds for a clean 30 s spot: flashes, shots, TI, scan."""
    counts = {"tff": 0, "bff": 0, "progressive": 50, "undetermined": 8}
    return {
        "flashes": {
            "passed": True,
            "peak_frequency": 1.0,
            "red_peak_frequency": 0.0,
            "flashes_per_second": [0.0] * 30,
            "red_flashes_per_second": [0.0] * 30,
            "failing_segments": [],
            "extended_segments": [],
            "extended_seconds": 0.0,
            "max_flashing_area": 0.0,
            "display_peak": 200.0,
        },
        "shots": {"cut_count": 5, "shot_count": 6, "average_shot_length": 5.0, "cuts": []},
        "ti_mean": 8.0,
        "ti_max": 40.0,
        "interlace": {
            "detected": "progressive",
            "telecine": False,
            "signalled_field_order": "progressive",
            "signalled_interlaced_share": 0.0,
            "pictures": 58,
            "single": counts,
            "multi": counts,
            "repeated_fields": {"top": 0, "bottom": 0, "neither": 58},
            "mismatch": "none",
        },
        "sampling": {
            "depth": "every_frame",
            "frames_decoded": 750,
            "max_gap": 0.5,
            "unmeasured": [],
        },
    }


def _full_frame(width: int, height: int, duration: float) -> dict[str, Any]:
    rectangle = {"x": 0, "y": 0, "width": width, "height": height}
    return {
        **rectangle,
        "bars": {"top": 0, "bottom": 0, "left": 0, "right": 0},
        "bar_share": 0.0,
        "kind": "full",
        "active_aspect_ratio": round(width / height, 4),
        "stable": True,
        "segments": [{"start": 0.0, "end": duration, **rectangle, "kind": "full"}],
    }


def _legal_levels() -> dict[str, Any]:
    channel = {"minimum": 16, "low": 40.0, "average": 110.0, "high": 190.0, "maximum": 235}
    channel |= {"p1": 18, "p10": 40, "p50": 110, "p90": 190, "p99": 230}
    return {
        "y": channel,
        "out_of_range_mean": 0.0,
        "out_of_range_max": 0.0,
        "out_of_range_pictures": 0.0,
        "range_flag": "limited",
        "range_verdict": "consistent",
    }


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
