"""QC checks: judge `Results` against a named delivery profile.

A profile is data (limits and severities), the rules are shared. A rule whose
input was not measured (`None` under `--probe` or `--no-audio-metrics`) stays
silent rather than guessing. Codes are a contract, listed in docs/quality.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from mp4_small_analyser.analysis.judging.picture_checks import PictureLimits, picture_checks
from mp4_small_analyser.analysis.judging.quality import MIN_FRAME_RATE, MIN_LINES
from mp4_small_analyser.models import AudioAnalysis, Check, Results, Segment, VideoAnalysis

Severity = Literal["error", "warning", "info"]

SEVERITY_ORDER: Mapping[Severity, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class QcProfile:
    """The limits a delivery is judged against; every field is documented in docs/quality.md."""

    name: str
    loudness_target: float
    """LUFS, integrated (BS.1770-4 gated)."""
    loudness_tolerance: float
    """LU either side of the target."""
    loudness_severity: Severity
    true_peak_max: float
    """dBTP."""
    variable_frame_rate_severity: Severity
    faststart_severity: Severity | None = None
    """`None`: where the moov box sits does not matter for this delivery."""
    video_codecs: frozenset[str] | None = None
    """Allowed video codecs; `None`: any."""
    audio_codecs: frozenset[str] | None = None
    pixel_formats: frozenset[str] | None = None
    max_silence_percentage: float = 50.0
    max_av_duration_difference: float = 0.5
    """Seconds between the audio and the video track durations."""
    min_lines: int = MIN_LINES
    """Short side of the picture, in pixels."""
    min_frame_rate: float = MIN_FRAME_RATE
    clipping_error_ratio: float = 1e-3
    """Share of samples clipped above which clipping is an error rather than a warning."""
    max_dc_offset: float = 0.01
    """Mean sample value (full scale = 1), i.e. -40 dBFS."""
    min_loudness_range_blocks: int = 300
    """Gated short-term values (10 a second) below which the loudness range is reported
    as not meaningful: 30 s of programme. EBU R 128 s1 (2016) says LRA is not meaningful
    for short-form content (ads, promos) and recommends Max Short-term instead."""
    max_declared_duration_gap: float = 0.5
    """Seconds between the declared duration and the media that plays (or 2 %, the larger)."""
    picture: PictureLimits = field(default_factory=PictureLimits)
    """Flashes, framing, scan and levels (analysis/judging/picture_checks.py)."""


EBU_R128 = QcProfile(
    name="ebu-r128",
    loudness_target=-23.0,
    loudness_tolerance=1.0,
    loudness_severity="error",
    true_peak_max=-1.0,
    variable_frame_rate_severity="warning",
)
STREAMING = QcProfile(
    name="streaming",
    loudness_target=-14.0,
    loudness_tolerance=1.0,
    loudness_severity="error",
    true_peak_max=-1.0,
    variable_frame_rate_severity="warning",
    picture=PictureLimits(flash_severity="warning", levels_severity="info"),
)
WEB = QcProfile(
    name="web",
    loudness_target=-14.0,
    loudness_tolerance=1.0,
    loudness_severity="warning",
    true_peak_max=-1.0,
    variable_frame_rate_severity="info",
    faststart_severity="error",
    video_codecs=frozenset({"h264"}),
    audio_codecs=frozenset({"aac"}),
    pixel_formats=frozenset({"yuv420p"}),
    picture=PictureLimits(
        flash_severity="warning",
        letterbox_severity="warning",
        scan_severity="error",
        levels_severity="info",
    ),
)
PROFILES: Mapping[str, QcProfile] = {p.name: p for p in (EBU_R128, STREAMING, WEB)}
DEFAULT_PROFILE = EBU_R128.name


def get_profile(name: str) -> QcProfile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown QC profile {name!r}; known profiles: {known}") from None


def run_checks(
    results: Results, profile: str = DEFAULT_PROFILE, notes: Iterable[Check] = ()
) -> list[Check]:
    """Every check `results` raises under `profile`, errors first.

    `notes` are checks only the caller can know about (a track that could not be
    decoded, a truncated analysis; see `metrics_unavailable`, `analysis_truncated`).
    """
    limits = get_profile(profile)
    found = [check for rule in _RULES for check in rule(results, limits)]
    found.extend(notes)
    return sorted(found, key=lambda check: SEVERITY_ORDER[check.severity])


def metrics_unavailable(kind: str, reason: str, track: int | None = None) -> Check:
    """The note for a track whose container facts were read but whose signal was not measured.

    `kind` is "video" or "audio"; `reason` completes "... metrics are missing: <reason>".
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


Rule = Callable[[Results, QcProfile], Iterator[Check]]
AudioRule = Callable[[AudioAnalysis, QcProfile], Iterator[Check]]


def per_audio_track(rule: AudioRule) -> Rule:
    """A rule about one audio track, applied to each; its checks name the track, and their
    messages say which one when there are several ("Audio track 2 (fra, 5.1): ...")."""

    def judge(results: Results, limits: QcProfile) -> Iterator[Check]:
        tracks = results.audio_tracks or (
            [results.audio_analysis] if results.audio_analysis is not None else []
        )
        for audio in tracks:
            prefix = _audio_track_label(audio) + ": " if len(tracks) > 1 else ""
            for check in rule(audio, limits):
                yield check.model_copy(
                    update={"track": audio.index, "message": prefix + check.message}
                )

    return judge


def _audio_track_label(audio: AudioAnalysis) -> str:
    details = ", ".join(d for d in (audio.language, audio.channel_layout) if d)
    return f"Audio track {audio.index}" + (f" ({details})" if details else "")


def _track_presence(results: Results, limits: QcProfile) -> Iterator[Check]:
    if results.video_analysis is None:
        yield Check(
            code="NO_VIDEO_TRACK",
            severity="info",
            message="The file has no video track; picture checks do not apply.",
        )
    if results.audio_analysis is None:
        yield Check(
            code="NO_AUDIO_TRACK",
            severity="info",
            message="The file has no audio track; loudness and audio checks do not apply.",
        )


def _encryption(results: Results, limits: QcProfile) -> Iterator[Check]:
    encrypted: list[tuple[str, str]] = [
        (f"Track {track.index} ({track.type}, {track.codec})", track.type)
        for track in results.tracks
        if track.encrypted
    ]
    if not results.tracks:
        analyses = (("video", results.video_analysis), ("audio", results.audio_analysis))
        encrypted = [
            (f"The {kind} track ({analysis.codec})", kind)
            for kind, analysis in analyses
            if analysis is not None and analysis.encrypted
        ]
    for name, kind in encrypted:
        yield Check(
            code="ENCRYPTED_TRACK",
            severity="warning",
            message=f"{name} is encrypted: its container facts are reported, "
            "its signal cannot be decoded or measured.",
            value=kind,
        )


def _faststart(results: Results, limits: QcProfile) -> Iterator[Check]:
    if limits.faststart_severity is None or results.file_info.faststart:
        return
    yield Check(
        code="NOT_FASTSTART",
        severity=limits.faststart_severity,
        message="The moov box comes after the media data, so a browser must fetch the end of "
        "the file before playing; remux with faststart (moov first).",
        value=False,
    )


def _codecs(results: Results, limits: QcProfile) -> Iterator[Check]:
    tracks: list[tuple[str, VideoAnalysis | AudioAnalysis | None, frozenset[str] | None]]
    tracks = [
        ("video", results.video_analysis, limits.video_codecs),
        ("audio", results.audio_analysis, limits.audio_codecs),
    ]
    for kind, analysis, allowed in tracks:
        if analysis is None or allowed is None or analysis.codec in allowed:
            continue
        expected = _one_of(allowed)
        yield Check(
            code="UNSUPPORTED_CODEC",
            severity="error",
            message=f"The {kind} codec is {analysis.codec}; the {limits.name} profile requires "
            f"{expected}.",
            value=analysis.codec,
            limit=expected,
        )


def _pixel_format(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    allowed = limits.pixel_formats
    if video is None or allowed is None or video.pixel_format is None:
        return
    if video.pixel_format not in allowed:
        expected = _one_of(allowed)
        yield Check(
            code="PIXEL_FORMAT",
            severity="error",
            message=f"The pixel format is {video.pixel_format}; the {limits.name} profile "
            f"requires {expected} (8-bit 4:2:0), which every browser decodes.",
            value=video.pixel_format,
            limit=expected,
        )


def _loudness(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    if audio.loudness_integrated is None:
        return
    lufs = audio.loudness_integrated
    low = limits.loudness_target - limits.loudness_tolerance
    high = limits.loudness_target + limits.loudness_tolerance
    if low <= lufs <= high:
        return
    offset = lufs - limits.loudness_target
    direction = "louder" if offset > 0 else "quieter"
    yield Check(
        code="LOUDNESS_OUT_OF_RANGE",
        severity=limits.loudness_severity,
        message=f"Integrated loudness is {lufs:.1f} LUFS, {abs(offset):.1f} LU {direction} than "
        f"the {limits.loudness_target:.1f} LUFS target of the {limits.name} profile "
        f"(±{limits.loudness_tolerance:.1f} LU allowed).",
        value=lufs,
        limit=high if offset > 0 else low,
    )


def _true_peak(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    if audio.true_peak is None or audio.true_peak <= limits.true_peak_max:
        return
    yield Check(
        code="TRUE_PEAK_OVER_LIMIT",
        severity="error",
        message=f"True peak reaches {audio.true_peak:.1f} dBTP, above the "
        f"{limits.true_peak_max:.1f} dBTP ceiling: the next lossy encode or sample-rate "
        "conversion may clip.",
        value=audio.true_peak,
        limit=limits.true_peak_max,
    )


def _silence(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    if audio.silence_percentage is None:
        return
    if audio.silence_percentage <= limits.max_silence_percentage:
        return
    yield Check(
        code="EXCESSIVE_SILENCE",
        severity="warning",
        message=f"The audio is silent for {audio.silence_percentage:.1f} % of its duration"
        f"{_segments_summary(audio.silence_segments)}, more than "
        f"{limits.max_silence_percentage:.0f} %: check for a missing or muted mix.",
        value=audio.silence_percentage,
        limit=limits.max_silence_percentage,
    )


def _clipping(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    if audio.clipping is None or audio.clipping.count == 0:
        return
    clipping = audio.clipping
    severe = clipping.ratio >= limits.clipping_error_ratio
    yield Check(
        code="CLIPPING",
        severity="error" if severe else "warning",
        message=f"{clipping.count:,} samples ({clipping.ratio * 100:.3f} %) sit at full scale in "
        f"{clipping.runs} runs: the audio is clipped"
        + (f", above the {limits.clipping_error_ratio * 100:g} % error limit." if severe else "."),
        value=clipping.ratio,
        limit=limits.clipping_error_ratio if severe else 0.0,
    )


def _phase(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    if not audio.phase_issue:
        return
    correlation = audio.phase_correlation
    measured = f" (correlation {correlation:.2f})" if correlation is not None else ""
    yield Check(
        code="PHASE_ISSUE",
        severity="warning",
        message=f"The left and right channels are largely out of phase{measured}: the mix "
        "loses level or cancels when played in mono.",
        value=correlation,
    )


def _silent_channels(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    if not audio.channels_silent:
        return
    silent = audio.channels_silent
    numbers = ", ".join(str(index + 1) for index in silent)
    total = f" of {audio.channels}" if audio.channels else ""
    plural = "s" if len(silent) > 1 else ""
    verb = "are" if len(silent) > 1 else "is"
    yield Check(
        code="SILENT_CHANNEL",
        severity="warning",
        message=f"Channel{plural} {numbers}{total} (counting from 1) {verb} digital silence "
        "while the others carry sound.",
        value=",".join(str(index) for index in silent),
    )


def _dc_offset(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    if not audio.dc_offset:
        return
    channel, offset = max(enumerate(audio.dc_offset), key=lambda item: abs(item[1]))
    if abs(offset) <= limits.max_dc_offset:
        return
    yield Check(
        code="DC_OFFSET",
        severity="warning",
        message=f"Channel {channel + 1} has a DC offset of {offset:+.4f} of full scale, above "
        f"{limits.max_dc_offset:g}: it wastes headroom and clicks at edits.",
        value=offset,
        limit=limits.max_dc_offset,
    )


def _loudness_range_basis(audio: AudioAnalysis, limits: QcProfile) -> Iterator[Check]:
    blocks = audio.loudness_range_blocks
    if audio.loudness_range is None or blocks is None:
        return
    if blocks >= limits.min_loudness_range_blocks:
        return
    yield Check(
        code="LRA_NOT_MEANINGFUL",
        severity="info",
        message=f"The loudness range of {audio.loudness_range:.1f} LU rests on {blocks} "
        f"short-term values (10 a second), fewer than {limits.min_loudness_range_blocks}: "
        "EBU R 128 s1 calls LRA not meaningful for short-form content; judge its maximum "
        "short-term loudness instead.",
        value=blocks,
        limit=limits.min_loudness_range_blocks,
    )


def _truncated(results: Results, limits: QcProfile) -> Iterator[Check]:
    info = results.file_info
    if not info.truncated:
        return
    until = f"; it plays to {info.playable_until:.2f} s" if info.playable_until is not None else ""
    yield Check(
        code="TRUNCATED_FILE",
        severity="error",
        message=f"The file ends {info.seconds_missing:.2f} s of media early: "
        f"{info.bytes_missing:,} bytes its tables list are missing (an upload or copy cut "
        f"short){until}. What is present was measured.",
        value=info.seconds_missing,
        limit=0.0,
    )


def _samples_outside_mdat(results: Results, limits: QcProfile) -> Iterator[Check]:
    for track in results.tracks:
        if not track.samples_outside_mdat:
            continue
        yield Check(
            code="SAMPLES_OUTSIDE_MDAT",
            severity="error",
            message=f"Track {track.index} ({track.type}) has {track.samples_outside_mdat} "
            "samples whose bytes lie outside every mdat box: its sample tables point at data "
            "that is not media, and players will show garbage or stop.",
            value=track.samples_outside_mdat,
            limit=0,
            track=track.index,
        )


def _declared_duration(results: Results, limits: QcProfile) -> Iterator[Check]:
    info = results.file_info
    ends = [
        (track.start_time or 0.0) + track.media_duration
        for track in results.tracks
        if track.type in ("video", "audio") and track.media_duration is not None
    ]
    if info.duration is None or not ends or info.truncated or info.fragmented:
        return
    plays = max(ends)
    gap = round(abs(info.duration - plays), 3)
    allowed = max(limits.max_declared_duration_gap, 0.02 * plays)
    if gap <= allowed:
        return
    yield Check(
        code="DURATION_MISMATCH",
        severity="warning",
        message=f"The movie header declares {info.duration:.2f} s but the tracks play "
        f"{plays:.2f} s: players and tools disagree on the length (ffprobe 5 prints the "
        "header's, newer FFmpeg the tracks').",
        value=gap,
        limit=round(allowed, 3),
    )


def _colour_signalling(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    hdr = video.hdr if video is not None else None
    if hdr is None or not hdr.mismatches:
        return
    fields = ", ".join(
        f"{m.field} {m.container} in the container vs {m.bitstream} in the bitstream"
        for m in hdr.mismatches
    )
    yield Check(
        code="COLOUR_SIGNALLING_MISMATCH",
        severity="warning",
        message=f"Colour or HDR signalling disagrees: {fields}. Players that read the "
        "container (browsers, AVFoundation) and those that read the bitstream (FFmpeg) will "
        "show the picture differently.",
        value=",".join(m.field for m in hdr.mismatches),
    )


def _hdr_metadata(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    hdr = video.hdr if video is not None else None
    if video is None or hdr is None:
        return
    if hdr.format == "PQ10":
        yield Check(
            code="HDR_METADATA_MISSING",
            severity="warning",
            message="The video is PQ (SMPTE ST 2084) without mastering display or content "
            "light level metadata: displays must guess how to tone-map it.",
            value=hdr.format,
        )
    if hdr.format not in ("SDR", "SDR (BT.2020)") and (video.bit_depth or 8) < 10:
        yield Check(
            code="HDR_BIT_DEPTH",
            severity="error",
            message=f"{hdr.format} video in {video.bit_depth}-bit: HDR transfer functions "
            "need at least 10 bits, 8 bits band visibly.",
            value=video.bit_depth,
            limit=10,
        )


def _av_duration(results: Results, limits: QcProfile) -> Iterator[Check]:
    video, audio = results.video_analysis, results.audio_analysis
    if video is None or audio is None or video.duration is None or audio.duration is None:
        return
    difference = round(abs(video.duration - audio.duration), 3)
    if difference <= limits.max_av_duration_difference:
        return
    yield Check(
        code="AV_DURATION_MISMATCH",
        severity="warning",
        message=f"The audio lasts {audio.duration:.2f} s and the video {video.duration:.2f} s: "
        f"they differ by {difference:.2f} s, more than "
        f"{limits.max_av_duration_difference:g} s.",
        value=difference,
        limit=limits.max_av_duration_difference,
    )


def _black(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    if video is not None:
        yield from _stretches(
            "BLACK_SEGMENTS", "black", video.black_percentage, video.black_segments
        )


def _frozen(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    if video is not None:
        yield from _stretches(
            "FROZEN_SEGMENTS", "frozen", video.frozen_percentage, video.frozen_segments
        )


def _stretches(
    code: str, state: str, percentage: float | None, segments: list[Segment] | None
) -> Iterator[Check]:
    if not percentage:
        return
    yield Check(
        code=code,
        severity="warning",
        message=f"The picture is {state} for {percentage:.1f} % of the video"
        f"{_segments_summary(segments)}.",
        value=percentage,
        limit=0.0,
    )


def _variable_frame_rate(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    if video is None or not video.variable_frame_rate:
        return
    average = f" (average {video.frame_rate:.3f} fps)" if video.frame_rate else ""
    yield Check(
        code="VARIABLE_FRAME_RATE",
        severity=limits.variable_frame_rate_severity,
        message=f"Frame durations vary{average}: editors and broadcast chains expect a "
        "constant frame rate and may drift out of sync.",
        value=True,
    )


def _resolution(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    if video is None or not video.width or not video.height:
        return
    lines = min(video.width, video.height)
    if lines >= limits.min_lines:
        return
    yield Check(
        code="LOW_RESOLUTION",
        severity="warning",
        message=f"The picture is {video.width}x{video.height}: its short side of {lines} "
        f"pixels is below {limits.min_lines}, so it looks soft on most screens.",
        value=lines,
        limit=limits.min_lines,
    )


def _frame_rate(results: Results, limits: QcProfile) -> Iterator[Check]:
    video = results.video_analysis
    if video is None or not video.frame_rate or video.frame_rate >= limits.min_frame_rate:
        return
    yield Check(
        code="LOW_FRAME_RATE",
        severity="warning",
        message=f"The frame rate is {video.frame_rate:.2f} fps, below {limits.min_frame_rate:g} "
        "fps: motion will look jerky.",
        value=video.frame_rate,
        limit=limits.min_frame_rate,
    )


def _one_of(allowed: frozenset[str]) -> str:
    return " or ".join(sorted(allowed))


def _segments_summary(segments: list[Segment] | None) -> str:
    if not segments:
        return ""
    start, end = segments[0]
    return f" (the first stretch runs from {start:.1f} s to {end:.1f} s)"


_RULES: tuple[Rule, ...] = (
    _track_presence,
    _truncated,
    _samples_outside_mdat,
    _declared_duration,
    _encryption,
    _faststart,
    _codecs,
    _pixel_format,
    *(
        per_audio_track(rule)
        for rule in (
            _loudness,
            _true_peak,
            _clipping,
            _silence,
            _phase,
            _silent_channels,
            _dc_offset,
            _loudness_range_basis,
        )
    ),
    _av_duration,
    _black,
    _frozen,
    _variable_frame_rate,
    _colour_signalling,
    _hdr_metadata,
    _resolution,
    _frame_rate,
    lambda results, limits: picture_checks(results, limits.picture),
)
