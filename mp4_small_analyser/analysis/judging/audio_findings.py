"""Built-in checks about one audio track, looked for on each: a silent channel, a loudness
range resting on too few values. Each names its track (`Check.track`), and its message says
which one when the file has several ("Audio track 2 (fra, 5.1): ...")."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

from mp4_small_analyser.analysis.audio.loudness import LFE_CHANNELS
from mp4_small_analyser.models import AudioAnalysis, Results

from .audio_tracks import audio_track_prefix, audio_tracks_of
from .finding import Finding


def _per_audio_track(
    emit: Callable[[AudioAnalysis], Iterator[Finding]],
) -> Callable[[Results], Iterator[Finding]]:
    """`emit` on every audio track, each finding naming its track."""

    def each(results: Results) -> Iterator[Finding]:
        tracks = audio_tracks_of(results)
        for position, audio in enumerate(tracks):
            prefix = audio_track_prefix(audio, len(tracks))
            for finding in emit(audio):
                yield replace(
                    finding,
                    message=prefix + finding.message,
                    track=audio.index,
                    binding={"audio_tracks": position},
                )

    return each


def _silent_channels_of(audio: AudioAnalysis) -> Iterator[Finding]:
    if not audio.channels_silent:
        return
    names = channel_names(audio.channel_layout, audio.channels)
    lfe = [i for i in audio.channels_silent if i < len(names) and names[i] in LFE_CHANNELS]
    other = [i for i in audio.channels_silent if i not in lfe]
    total = f" of {audio.channels}" if audio.channels else ""
    if other:
        numbers = ", ".join(str(i + 1) for i in other)
        verb = "are" if len(other) > 1 else "is"
        yield Finding(
            "SILENT_CHANNEL",
            "other",
            "warning",
            f"Channel{'s' if len(other) > 1 else ''} {numbers}{total} (counting from 1) {verb} "
            "digital silence while the others carry sound.",
            value=",".join(str(i) for i in other),
        )
    if lfe:
        # Most 5.1 ads leave the LFE empty on purpose (issue 14): worth knowing, not a fault.
        yield Finding(
            "SILENT_CHANNEL",
            "lfe",
            "info",
            f"The LFE channel ({lfe[0] + 1}{total}) is digital silence while the others carry "
            "sound; common in 5.1 mixes without low-frequency effects.",
            value=",".join(str(i) for i in lfe),
        )


MIN_LOUDNESS_RANGE_BLOCKS = 300
"""Gated short-term values (10 a second) below which the loudness range is reported as not
meaningful: 30 s of programme. EBU R 128 s1 (2016) says LRA is not meaningful for
short-form content (ads, promos) and recommends Max Short-term instead."""


def _loudness_range_basis_of(audio: AudioAnalysis) -> Iterator[Finding]:
    blocks = audio.loudness_range_blocks
    if audio.loudness_range is None or blocks is None or blocks >= MIN_LOUDNESS_RANGE_BLOCKS:
        return
    yield Finding(
        "LRA_NOT_MEANINGFUL",
        None,
        "info",
        f"The loudness range of {audio.loudness_range:.1f} LU rests on {blocks} "
        f"short-term values (10 a second), fewer than {MIN_LOUDNESS_RANGE_BLOCKS}: "
        "EBU R 128 s1 calls LRA not meaningful for short-form content; judge its maximum "
        "short-term loudness instead.",
        value=blocks,
        limit=MIN_LOUDNESS_RANGE_BLOCKS,
    )


_LAYOUTS: Mapping[str, tuple[str, ...]] = {
    "mono": ("FC",),
    "stereo": ("FL", "FR"),
    "2.1": ("FL", "FR", "LFE"),
    "3.1": ("FL", "FR", "FC", "LFE"),
    "4.1": ("FL", "FR", "FC", "LFE", "BC"),
    "5.1": ("FL", "FR", "FC", "LFE", "BL", "BR"),
    "5.1(side)": ("FL", "FR", "FC", "LFE", "SL", "SR"),
    "6.1": ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
    "7.1": ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
    "7.1(wide)": ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC"),
}
"""FFmpeg's channel order of its named layouts (libavutil channel_layout.c)."""


def channel_names(layout: str | None, channels: int | None) -> tuple[str, ...]:
    """FFmpeg's channel names for a stored layout; a 6-channel file without one is taken as 5.1."""
    if layout is not None and layout in _LAYOUTS:
        return _LAYOUTS[layout]
    if channels == 6 and layout is None:
        return _LAYOUTS["5.1"]
    return ()


silent_channels = _per_audio_track(_silent_channels_of)
loudness_range_basis = _per_audio_track(_loudness_range_basis_of)
