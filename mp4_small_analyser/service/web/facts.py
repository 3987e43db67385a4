"""The facts of a result as labelled lines, with their units: what the file page tabulates.

A value that was not measured is left out rather than shown as zero. Every audio
track gets a row of the audio table and a group of its own, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass

from mp4_small_analyser.models import (
    AudioAnalysis,
    CompletedResult,
    FileInfo,
    Results,
    VideoAnalysis,
)
from mp4_small_analyser.service.web.fact_format import (
    Fact,
    bit_rate,
    byte_count,
    number,
    present,
    seconds,
    share,
    track_name,
    unit,
)
from mp4_small_analyser.service.web.picture_facts import flash_facts, framing_facts, picture_facts
from mp4_small_analyser.service.web.stream_facts import caption_facts, colour_facts, gop_facts


@dataclass(frozen=True)
class FactGroup:
    title: str
    facts: list[Fact]


@dataclass(frozen=True)
class AudioRow:
    """One audio track in the audio table: what tells tracks apart and how loud each is."""

    index: int | None
    language: str | None
    codec: str
    channels: str | None
    sample_rate: int | None
    loudness: float | None
    """Integrated, LUFS."""
    loudness_range: float | None
    true_peak: float | None
    silence: float | None
    """Percent of the track."""


def fact_groups(result: CompletedResult) -> list[FactGroup]:
    results = result.results
    groups = [FactGroup("Container", _container(results.file_info))]
    video = results.video_analysis
    if video is not None:
        groups.append(FactGroup("Video track", _video(video)))
        groups.append(FactGroup("Colour and HDR", colour_facts(video.color, video.hdr)))
        groups.append(FactGroup("GOP", gop_facts(video.gop)))
        groups.append(FactGroup("Picture", picture_facts(video)))
        groups.append(FactGroup("Framing, scan and levels", framing_facts(video)))
        groups.append(FactGroup("Flashes (ITU-R BT.1702)", flash_facts(video.flashes)))
    groups.append(FactGroup("Captions", caption_facts(results.captions)))
    tracks = _audio_tracks(results)
    for audio in tracks:
        groups.append(FactGroup(_audio_title(audio, len(tracks)), _audio(audio)))
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
    return [group for group in groups if group.facts]


def audio_rows(results: Results) -> list[AudioRow]:
    return [
        AudioRow(
            index=audio.index,
            language=audio.language,
            codec=" ".join(filter(None, [audio.codec, audio.profile])),
            channels=_channels(audio),
            sample_rate=audio.sample_rate,
            loudness=audio.loudness_integrated,
            loudness_range=audio.loudness_range,
            true_peak=audio.true_peak,
            silence=audio.silence_percentage,
        )
        for audio in _audio_tracks(results)
    ]


def _audio_tracks(results: Results) -> list[AudioAnalysis]:
    """Every audio track; a result stored before `audio_tracks` existed has its first only."""
    if results.audio_tracks:
        return results.audio_tracks
    return [results.audio_analysis] if results.audio_analysis is not None else []


def _container(info: FileInfo) -> list[Fact]:
    return present(
        [
            ("Format", info.format),
            ("Size", byte_count(info.file_size)),
            ("Duration", seconds(info.duration)),
            ("Bit rate", bit_rate(info.bit_rate)),
            (
                "Brands",
                ", ".join(dict.fromkeys(filter(None, [info.major_brand, *info.compatible_brands]))),
            ),
            ("Fast start", "yes (moov first)" if info.faststart else "no (moov after mdat)"),
            ("Fragmented", "yes" if info.fragmented else "no"),
            ("Tracks", str(info.track_count)),
            ("Created", info.creation_time.isoformat() if info.creation_time else None),
            ("Truncated", _truncation(info)),
        ]
    )


def _truncation(info: FileInfo) -> str | None:
    if not info.truncated:
        return None
    text = f"yes: {info.bytes_missing:,} bytes and {info.seconds_missing:.2f} s of media missing"
    if info.playable_until is not None:
        text += f"; plays to {info.playable_until:.3f} s"
    return text


def _video(video: VideoAnalysis) -> list[Fact]:
    return present(
        [
            ("Codec", " ".join(filter(None, [video.codec, video.profile]))),
            ("Level", str(video.level) if video.level is not None else None),
            ("Resolution", video.resolution),
            ("Display aspect", video.display_aspect_ratio),
            ("Frame rate", _frame_rate(video)),
            ("Frames", f"{video.frame_count:,}" if video.frame_count is not None else None),
            ("Duration", seconds(video.duration)),
            ("Bit rate", bit_rate(video.bit_rate)),
            (
                "Pixel format",
                f"{video.pixel_format} ({video.bit_depth}-bit)"
                if video.pixel_format and video.bit_depth
                else video.pixel_format,
            ),
            ("Rotation", f"{video.rotation}°" if video.rotation else None),
            ("Encrypted", "yes" if video.encrypted else None),
        ]
    )


def _frame_rate(video: VideoAnalysis) -> str | None:
    if not video.frame_rate:
        return None
    variable = " (variable)" if video.variable_frame_rate else ""
    return f"{number(video.frame_rate)} fps{variable}"


def _audio_title(audio: AudioAnalysis, tracks: int) -> str:
    if tracks == 1 and audio.language is None:
        return "Audio track"
    return track_name(audio).capitalize()


def _channels(audio: AudioAnalysis) -> str | None:
    if audio.channels and audio.channel_layout:
        return f"{audio.channels} ({audio.channel_layout})"
    return str(audio.channels) if audio.channels else None


def _audio(audio: AudioAnalysis) -> list[Fact]:
    clipping = audio.clipping
    return present(
        [
            ("Codec", " ".join(filter(None, [audio.codec, audio.profile]))),
            ("Sample rate", f"{audio.sample_rate:,} Hz" if audio.sample_rate else None),
            ("Channels", _channels(audio)),
            ("Bit rate", bit_rate(audio.bit_rate)),
            ("Duration", seconds(audio.duration)),
            ("Encrypted", "yes" if audio.encrypted else None),
            ("Integrated loudness", unit(audio.loudness_integrated, "LUFS")),
            ("Loudness range", unit(audio.loudness_range, "LU")),
            ("True peak", unit(audio.true_peak, "dBTP")),
            ("Sample peak", unit(audio.sample_peak, "dBFS")),
            ("Max momentary", unit(audio.max_momentary, "LUFS")),
            ("Max short-term", unit(audio.max_short_term, "LUFS")),
            ("Silence", share(audio.silence_percentage, audio.silence_segments)),
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
