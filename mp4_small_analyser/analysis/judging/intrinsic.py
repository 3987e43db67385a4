"""Checks the code emits whatever the profile: facts about the file, not limits of a spec.

These need reasoning a field and a limit cannot express (which channel is the
LFE, which track is encrypted when there is no track list, how much of a cut
file is missing, which colour fields disagree) or are known only to the
orchestrator (a track that could not be decoded, a truncated analysis; they
are stored in the result and carried over when it is judged again). A profile
cannot remove them silently by accident: it changes them by code in its
`intrinsic` list (severity, optionally per variant or `when`, or disabled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from mp4_small_analyser.models import Check, Results, Severity

from .audio_findings import MIN_LOUDNESS_RANGE_BLOCKS, loudness_range_basis, silent_channels
from .colour_signalling import MIN_HDR_BIT_DEPTH, colour_mismatch, hdr_metadata
from .file_integrity import (
    MAX_DECLARED_DURATION_GAP,
    MAX_DECLARED_DURATION_SHARE,
    declared_duration,
    samples_outside_mdat,
    truncated,
)
from .finding import Finding
from .picture_findings import sparse_sampling

NOTE_CODES = frozenset({"METRICS_UNAVAILABLE", "ANALYSIS_TRUNCATED"})
"""Known only while analysing; stored with the result and carried over by later judgements."""


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
            "TRUNCATED_FILE",
            {None: "error"},
            "Samples the tables list lie beyond the end of the file (an upload cut short).",
        ),
        Intrinsic(
            "SAMPLES_OUTSIDE_MDAT",
            {None: "error"},
            "A track's sample tables point at bytes outside every mdat box.",
        ),
        Intrinsic(
            "DURATION_MISMATCH",
            {None: "warning"},
            "The movie header's duration and the media that plays differ by more than "
            f"{MAX_DECLARED_DURATION_GAP:g} s or {MAX_DECLARED_DURATION_SHARE * 100:g} %.",
        ),
        Intrinsic(
            "COLOUR_SIGNALLING_MISMATCH",
            {None: "warning"},
            "The container's colour or HDR signalling disagrees with the bitstream's.",
        ),
        Intrinsic(
            "HDR_METADATA_MISSING",
            {None: "warning"},
            "PQ video without mastering display or content light level metadata (PQ10).",
        ),
        Intrinsic(
            "HDR_BIT_DEPTH",
            {None: "error"},
            f"HDR (PQ, HLG, Dolby Vision) in fewer than {MIN_HDR_BIT_DEPTH} bits.",
        ),
        Intrinsic(
            "LRA_NOT_MEANINGFUL",
            {None: "info"},
            "An audio track's loudness range rests on fewer than "
            f"{MIN_LOUDNESS_RANGE_BLOCKS} short-term values.",
        ),
        Intrinsic(
            "SPARSE_SAMPLING",
            {None: "info"},
            "Picture measures left null: the analysed pictures were too far apart (--fast).",
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
    truncated,
    samples_outside_mdat,
    declared_duration,
    _encryption,
    silent_channels,
    loudness_range_basis,
    colour_mismatch,
    hdr_metadata,
    sparse_sampling,
)


def findings(results: Results, notes: list[Check]) -> list[Finding]:
    """Every intrinsic finding at its default severity, notes included."""
    found = [finding for emit in _EMITTERS for finding in emit(results)]
    # A stored note carries the severity of the profile it was judged by last: start over.
    found.extend(
        Finding(note.code, None, _default(note), note.message, note.value, note.limit, note.track)
        for note in notes
    )
    return found


def _default(note: Check) -> Severity:
    item = REGISTRY.get(note.code)
    return item.defaults.get(None, note.severity) if item is not None else note.severity


def metrics_unavailable(kind: str, reason: str, track: int | None = None) -> Check:
    """The note for a track whose container facts were read but whose signal was not measured.

    `kind` is "video" or "audio"; `reason` completes "... metrics are missing: <reason>";
    `track` is its index in `tracks`, when there may be several of its kind.
    """
    return Check(
        code="METRICS_UNAVAILABLE",
        severity="warning",
        message=f"The {_track_name(kind, track)} signal metrics are missing: {reason}.",
        value=kind,
        track=track,
    )


def analysis_truncated(kind: str, max_duration: float, track: int | None = None) -> Check:
    """The note for a track longer than the most the analysis decodes (`max_duration` s)."""
    return Check(
        code="ANALYSIS_TRUNCATED",
        severity="info",
        message=f"The {_track_name(kind, track)[:-2]} is longer than {max_duration:g} s: only "
        f"its first {max_duration:g} s were decoded, and its signal metrics describe that "
        "part only.",
        value=kind,
        limit=max_duration,
        track=track,
    )


def _track_name(kind: str, track: int | None) -> str:
    """ "audio track's" or "audio track 2's" (track index as in `tracks`)."""
    return f"{kind} track's" if track is None else f"{kind} track {track}'s"


def stored_notes(results: Results) -> list[Check]:
    """The orchestrator's notes kept in a stored result's checks."""
    return [check for check in results.checks if check.code in NOTE_CODES]
