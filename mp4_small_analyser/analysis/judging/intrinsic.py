"""Checks the code emits whatever the profile: facts about the file, not limits of a spec.

These need reasoning a field and a limit cannot express (which channel is the
LFE, which track is encrypted when there is no track list) or are known only to
the orchestrator (a track that could not be decoded, a truncated analysis; they
are stored in the result and carried over when it is judged again). A profile
cannot remove them silently by accident: it changes them by code in its
`intrinsic` list (severity, optionally per variant or `when`, or disabled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from mp4_small_analyser.analysis.audio.loudness import LFE_CHANNELS
from mp4_small_analyser.models import Check, Results, Severity

NOTE_CODES = frozenset({"METRICS_UNAVAILABLE", "ANALYSIS_TRUNCATED"})
"""Known only while analysing; stored with the result and carried over by later judgements."""


@dataclass(frozen=True)
class Finding:
    code: str
    variant: str | None
    severity: Severity
    message: str
    value: float | str | bool | None = None
    limit: float | str | None = None


@dataclass(frozen=True)
class Intrinsic:
    code: str
    defaults: Mapping[str | None, Severity]
    """Default severity per variant (None: the check has no variants)."""
    description: str
    note: bool = False
    """Known only to the orchestrator and stored with the result (see NOTE_CODES)."""


def _presence(results: Results) -> Iterator[Finding]:
    if results.video_analysis is None:
        yield Finding(
            "NO_VIDEO_TRACK",
            None,
            "info",
            "The file has no video track; picture checks do not apply.",
        )
    if results.audio_analysis is None:
        yield Finding(
            "NO_AUDIO_TRACK",
            None,
            "info",
            "The file has no audio track; loudness and audio checks do not apply.",
        )


def _encryption(results: Results) -> Iterator[Finding]:
    named: list[tuple[str, str]] = [
        (f"Track {track.index} ({track.type}, {track.codec})", track.type)
        for track in results.tracks
        if track.encrypted
    ]
    if not results.tracks:
        analyses = (("video", results.video_analysis), ("audio", results.audio_analysis))
        named = [
            (f"The {kind} track ({analysis.codec})", kind)
            for kind, analysis in analyses
            if analysis is not None and analysis.encrypted
        ]
    for name, kind in named:
        yield Finding(
            "ENCRYPTED_TRACK",
            None,
            "warning",
            f"{name} is encrypted: its container facts are reported, its signal cannot be "
            "decoded or measured.",
            value=kind,
        )


def _silent_channels(results: Results) -> Iterator[Finding]:
    audio = results.audio_analysis
    if audio is None or not audio.channels_silent:
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


REGISTRY: Mapping[str, Intrinsic] = {
    item.code: item
    for item in (
        Intrinsic("NO_VIDEO_TRACK", {None: "info"}, "The file has no video track."),
        Intrinsic("NO_AUDIO_TRACK", {None: "info"}, "The file has no audio track."),
        Intrinsic(
            "ENCRYPTED_TRACK",
            {None: "warning"},
            "A track is encrypted: container facts only.",
        ),
        Intrinsic(
            "SILENT_CHANNEL",
            {"other": "warning", "lfe": "info"},
            "A channel is digital silence while others are not; variant `lfe` or `other`.",
        ),
        Intrinsic(
            "METRICS_UNAVAILABLE",
            {None: "warning"},
            "A track's signal could not be decoded (stored with the result).",
            note=True,
        ),
        Intrinsic(
            "ANALYSIS_TRUNCATED",
            {None: "info"},
            "Only the first max_media_duration seconds were decoded (stored with the result).",
            note=True,
        ),
        Intrinsic(
            "ANALYSIS_OPTIONS_DIFFER",
            {None: "warning"},
            "The result was analysed with other options than the profile's `analysis` asks for.",
        ),
    )
}


_EMITTERS: tuple[Callable[[Results], Iterator[Finding]], ...] = (
    _presence,
    _encryption,
    _silent_channels,
)


def findings(results: Results, notes: list[Check]) -> list[Finding]:
    """Every intrinsic finding at its default severity, notes included."""
    found = [finding for emit in _EMITTERS for finding in emit(results)]
    # A stored note carries the severity of the profile it was judged by last: start over.
    found.extend(
        Finding(note.code, None, _default(note), note.message, note.value, note.limit)
        for note in notes
    )
    return found


def _default(note: Check) -> Severity:
    item = REGISTRY.get(note.code)
    return item.defaults.get(None, note.severity) if item is not None else note.severity


def metrics_unavailable(kind: str, reason: str) -> Check:
    """The note for a track whose container facts were read but whose signal was not measured.

    `kind` is "video" or "audio"; `reason` completes "... metrics are missing: <reason>".
    """
    return Check(
        code="METRICS_UNAVAILABLE",
        severity="warning",
        message=f"The {kind} track's signal metrics are missing: {reason}.",
        value=kind,
    )


def analysis_truncated(kind: str, max_duration: float) -> Check:
    """The note for a track longer than the most the analysis decodes (`max_duration` s)."""
    return Check(
        code="ANALYSIS_TRUNCATED",
        severity="info",
        message=f"The {kind} track is longer than {max_duration:g} s: only its first "
        f"{max_duration:g} s were decoded, and its signal metrics describe that part only.",
        value=kind,
        limit=max_duration,
    )


def stored_notes(results: Results) -> list[Check]:
    """The orchestrator's notes kept in a stored result's checks."""
    return [check for check in results.checks if check.code in NOTE_CODES]
