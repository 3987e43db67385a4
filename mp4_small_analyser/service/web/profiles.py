"""The QC profiles as the pages show them: each profile's rules, and its loudness limits.

`known_profiles()` is the one place the pages learn which profiles exist:
today the fixed profiles of `analysis/judging/checks.py`. When profiles become
data (the QC profile engine), only this function changes: it maps each
profile of the engine's registry to a `ProfileView`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mp4_small_analyser.analysis.judging.checks import PROFILES, QcProfile
from mp4_small_analyser.models import Severity


@dataclass(frozen=True)
class RuleView:
    code: str
    requirement: str
    """What the rule asks, in words."""
    severity: Severity


@dataclass(frozen=True)
class ProfileView:
    name: str
    title: str
    rules: tuple[RuleView, ...]
    loudness_target: float | None = None
    """LUFS; with the tolerance, the band the loudness plot shows."""
    loudness_tolerance: float | None = None
    true_peak_max: float | None = None
    """dBTP: the ceiling the loudness plot shows."""


def known_profiles() -> dict[str, ProfileView]:
    """Every profile a file can be judged against, by name."""
    return {name: _view(profile) for name, profile in PROFILES.items()}


_TITLES = {
    "ebu-r128": "EBU R 128 broadcast delivery",
    "streaming": "Streaming platforms",
    "web": "Web playback (H.264 + AAC, faststart)",
}


def _view(profile: QcProfile) -> ProfileView:
    return ProfileView(
        name=profile.name,
        title=_TITLES.get(profile.name, profile.name),
        rules=tuple(_rules(profile)),
        loudness_target=profile.loudness_target,
        loudness_tolerance=profile.loudness_tolerance,
        true_peak_max=profile.true_peak_max,
    )


def _rules(profile: QcProfile) -> list[RuleView]:
    target, tolerance = profile.loudness_target, profile.loudness_tolerance
    rules = [
        RuleView(
            "LOUDNESS_OUT_OF_RANGE",
            f"Integrated loudness {target:g} LUFS ± {tolerance:g} LU",
            profile.loudness_severity,
        ),
        RuleView(
            "TRUE_PEAK_OVER_LIMIT", f"True peak at most {profile.true_peak_max:g} dBTP", "error"
        ),
        RuleView(
            "CLIPPING",
            f"No clipped runs (an error above {profile.clipping_error_ratio:.1%} of samples)",
            "warning",
        ),
        RuleView(
            "EXCESSIVE_SILENCE",
            f"Silence at most {profile.max_silence_percentage:g} % of the audio",
            "warning",
        ),
        RuleView("PHASE_ISSUE", "Stereo phase correlation above -0.3", "warning"),
        RuleView("SILENT_CHANNEL", "No digitally silent channel beside others", "warning"),
        RuleView(
            "DC_OFFSET", f"DC offset at most {profile.max_dc_offset:g} of full scale", "warning"
        ),
        RuleView(
            "AV_DURATION_MISMATCH",
            f"Audio and video durations within {profile.max_av_duration_difference:g} s",
            "warning",
        ),
        RuleView("BLACK_SEGMENTS", "No black stretch of 2 s or more", "warning"),
        RuleView("FROZEN_SEGMENTS", "No frozen stretch of 2 s or more", "warning"),
        RuleView("LOW_RESOLUTION", f"Short side at least {profile.min_lines} pixels", "warning"),
        RuleView("LOW_FRAME_RATE", f"At least {profile.min_frame_rate:g} fps", "warning"),
        RuleView(
            "VARIABLE_FRAME_RATE", "Constant frame rate", profile.variable_frame_rate_severity
        ),
    ]
    if profile.faststart_severity is not None:
        rules.append(RuleView("NOT_FASTSTART", "moov before mdat", profile.faststart_severity))
    for code, label, allowed in (
        ("UNSUPPORTED_CODEC", "Video codec", profile.video_codecs),
        ("UNSUPPORTED_CODEC", "Audio codec", profile.audio_codecs),
        ("PIXEL_FORMAT", "Pixel format", profile.pixel_formats),
    ):
        if allowed is not None:
            rules.append(RuleView(code, f"{label} one of {', '.join(sorted(allowed))}", "error"))
    return rules
