"""Which audio tracks a result holds, and how a check about one of them names it.

Every audio track is judged on its own. A check about one names it in `Check.track`
and, when the file has several, starts its message with the track ("Audio track 2
(fra, 5.1): ..."), so a single-track file reads as it always did.
"""

from __future__ import annotations

from mp4_small_analyser.models import AudioAnalysis, Results


def audio_tracks_of(results: Results) -> list[AudioAnalysis]:
    """`audio_tracks`; for a result stored before it existed, its one `audio_analysis`."""
    if results.audio_tracks:
        return list(results.audio_tracks)
    return [results.audio_analysis] if results.audio_analysis is not None else []


def audio_track_prefix(audio: AudioAnalysis, track_count: int) -> str:
    """ "Audio track 2 (fra, 5.1): " when the file has several audio tracks, else nothing."""
    if track_count < 2:
        return ""
    details = ", ".join(d for d in (audio.language, audio.channel_layout) if d)
    return f"Audio track {audio.index}" + (f" ({details})" if details else "") + ": "
