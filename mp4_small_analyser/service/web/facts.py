"""The facts of a result as labelled lines, with their units: what the file page tabulates.

A value that was not measured is left out rather than shown as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mp4_small_analyser.models import (
    AudioAnalysis,
    CompletedResult,
    FileInfo,
    Segment,
    VideoAnalysis,
)


@dataclass(frozen=True)
class FactGroup:
    title: str
    facts: list[tuple[str, str]]


def fact_groups(result: CompletedResult) -> list[FactGroup]:
    results = result.results
    groups = [FactGroup("Container", _container(results.file_info))]
    if results.video_analysis is not None:
        groups.append(FactGroup("Video track", _video(results.video_analysis)))
        picture = _picture(results.video_analysis)
        if picture:
            groups.append(FactGroup("Picture", picture))
    if results.audio_analysis is not None:
        groups.append(FactGroup("Audio track", _audio(results.audio_analysis)))
        loudness = _loudness(results.audio_analysis)
        if loudness:
            groups.append(FactGroup("Loudness and audio", loudness))
    metadata = result.metadata
    processing = [
        ("Mode", metadata.mode),
        ("Processing time", f"{result.processing_time:.2f} s"),
        ("Bytes read", f"{metadata.bytes_read:,}"),
        ("Requests", str(metadata.requests)),
        ("Processed at", metadata.processed_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Analyser version", metadata.version),
    ]
    groups.append(FactGroup("Processing", processing))
    return groups


def _container(info: FileInfo) -> list[tuple[str, str]]:
    return _present(
        [
            ("Format", info.format),
            ("Size", _bytes(info.file_size)),
            ("Duration", _seconds(info.duration)),
            ("Bit rate", _bit_rate(info.bit_rate)),
            (
                "Brands",
                ", ".join(dict.fromkeys(filter(None, [info.major_brand, *info.compatible_brands]))),
            ),
            ("Fast start", "yes (moov first)" if info.faststart else "no (moov after mdat)"),
            ("Fragmented", "yes" if info.fragmented else "no"),
            ("Tracks", str(info.track_count)),
            ("Created", info.creation_time.isoformat() if info.creation_time else None),
        ]
    )


def _video(video: VideoAnalysis) -> list[tuple[str, str]]:
    color = video.color
    colour = (
        ", ".join(
            f"{label} {value}"
            for label, value in (
                ("primaries", color.primaries),
                ("transfer", color.transfer),
                ("matrix", color.matrix),
                ("range", color.range),
            )
            if value
        )
        if color
        else None
    )
    return _present(
        [
            ("Codec", " ".join(filter(None, [video.codec, video.profile]))),
            ("Level", str(video.level) if video.level is not None else None),
            ("Resolution", video.resolution),
            ("Display aspect", video.display_aspect_ratio),
            ("Frame rate", _frame_rate(video)),
            ("Frames", f"{video.frame_count:,}" if video.frame_count is not None else None),
            ("Duration", _seconds(video.duration)),
            ("Bit rate", _bit_rate(video.bit_rate)),
            (
                "Pixel format",
                f"{video.pixel_format} ({video.bit_depth}-bit)"
                if video.pixel_format and video.bit_depth
                else video.pixel_format,
            ),
            ("Colour", colour),
            ("Rotation", f"{video.rotation}°" if video.rotation else None),
            ("Keyframe interval", _seconds(video.keyframe_interval)),
            ("Encrypted", "yes" if video.encrypted else None),
        ]
    )


def _frame_rate(video: VideoAnalysis) -> str | None:
    if not video.frame_rate:
        return None
    variable = " (variable)" if video.variable_frame_rate else ""
    return f"{_number(video.frame_rate)} fps{variable}"


def _picture(video: VideoAnalysis) -> list[tuple[str, str]]:
    return _present(
        [
            ("Frames sampled", str(video.frames_analysed) if video.frames_analysed else None),
            ("Black", _share(video.black_percentage, video.black_segments)),
            ("Frozen", _share(video.frozen_percentage, video.frozen_segments)),
            ("Blur", f"{video.blur:.2f} px" if video.blur is not None else None),
            ("Blockiness", _number(video.blockiness, 2)),
            ("Brightness", _number(video.brightness, 3)),
            ("Contrast", _number(video.contrast, 3)),
        ]
    )


def _audio(audio: AudioAnalysis) -> list[tuple[str, str]]:
    return _present(
        [
            ("Codec", " ".join(filter(None, [audio.codec, audio.profile]))),
            ("Sample rate", f"{audio.sample_rate:,} Hz" if audio.sample_rate else None),
            (
                "Channels",
                f"{audio.channels} ({audio.channel_layout})"
                if audio.channels and audio.channel_layout
                else str(audio.channels or "") or None,
            ),
            ("Bit rate", _bit_rate(audio.bit_rate)),
            ("Duration", _seconds(audio.duration)),
            ("Encrypted", "yes" if audio.encrypted else None),
        ]
    )


def _loudness(audio: AudioAnalysis) -> list[tuple[str, str]]:
    clipping = audio.clipping
    return _present(
        [
            ("Integrated loudness", _unit(audio.loudness_integrated, "LUFS")),
            ("Loudness range", _unit(audio.loudness_range, "LU")),
            ("True peak", _unit(audio.true_peak, "dBTP")),
            ("Sample peak", _unit(audio.sample_peak, "dBFS")),
            ("Max momentary", _unit(audio.max_momentary, "LUFS")),
            ("Max short-term", _unit(audio.max_short_term, "LUFS")),
            ("Silence", _share(audio.silence_percentage, audio.silence_segments)),
            (
                "Clipping",
                f"{clipping.count:,} samples in {clipping.runs:,} runs" if clipping else None,
            ),
            (
                "Phase correlation",
                f"{audio.phase_correlation:.2f}{' (phase issue)' if audio.phase_issue else ''}"
                if audio.phase_correlation is not None
                else None,
            ),
            (
                "DC offset",
                ", ".join(f"{value:.4f}" for value in audio.dc_offset) if audio.dc_offset else None,
            ),
            (
                "Silent channels",
                ", ".join(str(index) for index in audio.channels_silent)
                if audio.channels_silent
                else None,
            ),
        ]
    )


def _present(facts: Sequence[tuple[str, str | None]]) -> list[tuple[str, str]]:
    return [(label, value) for label, value in facts if value]


def _share(percentage: float | None, segments: list[Segment] | None) -> str | None:
    if percentage is None:
        return None
    count = len(segments or [])
    return f"{percentage:.1f} % ({count} stretch{'es' if count != 1 else ''})"


def _number(value: float | None, digits: int = 3) -> str | None:
    if value is None:
        return None
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _unit(value: float | None, unit: str) -> str | None:
    return None if value is None else f"{value:.1f} {unit}"


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f} s"


def _bit_rate(value: int | None) -> str | None:
    return None if not value else f"{value / 1000:,.0f} kbit/s"


def _bytes(value: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {unit} ({value:,} bytes)"
    return f"{value} bytes"
