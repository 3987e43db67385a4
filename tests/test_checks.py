"""QC checks over constructed results: every code, every profile, and silence when unmeasured."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest

from mp4_small_analyser.analysis.judging.checks import (
    PROFILES,
    QcProfile,
    analysis_truncated,
    get_profile,
    metrics_unavailable,
    run_checks,
)
from mp4_small_analyser.models import (
    AudioAnalysis,
    Check,
    Clipping,
    ColourMismatch,
    FileInfo,
    Hdr,
    Results,
    Track,
    VideoAnalysis,
)
from mp4_small_analyser.options import AnalysisOptions, ProfileName

PROFILE_NAMES = list(PROFILES)


def clean_video(**fields: Any) -> VideoAnalysis:
    base: dict[str, Any] = {
        "codec": "h264",
        "width": 1280,
        "height": 720,
        "frame_rate": 25.0,
        "duration": 10.0,
        "bit_rate": 3_000_000,
        "pixel_format": "yuv420p",
        "black_percentage": 0.0,
        "black_segments": [],
        "frozen_percentage": 0.0,
        "frozen_segments": [],
    }
    return VideoAnalysis(**{**base, **fields})


def clean_audio(profile: QcProfile, **fields: Any) -> AudioAnalysis:
    base: dict[str, Any] = {
        "codec": "aac",
        "sample_rate": 48000,
        "channels": 2,
        "bit_rate": 192_000,
        "duration": 10.0,
        "loudness_integrated": profile.loudness_target,
        "true_peak": profile.true_peak_max - 1.0,
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
    profile: str = "ebu-r128",
    *,
    video: dict[str, Any] | None = None,
    audio: dict[str, Any] | None = None,
    no_video: bool = False,
    no_audio: bool = False,
    faststart: bool = True,
    tracks: list[Track] | None = None,
) -> Results:
    limits = get_profile(profile)
    return Results(
        file_info=FileInfo(
            file_size=1000, format="mp4", faststart=faststart, fragmented=False, track_count=2
        ),
        video_analysis=None if no_video else clean_video(**(video or {})),
        audio_analysis=None if no_audio else clean_audio(limits, **(audio or {})),
        tracks=tracks or [],
    )


def codes(checks: list[Check]) -> list[str]:
    return [check.code for check in checks]


def only(checks: list[Check], code: str) -> Check:
    found = [check for check in checks if check.code == code]
    assert len(found) == 1, codes(checks)
    return found[0]


def test_profiles_are_the_ones_the_options_accept() -> None:
    assert set(PROFILES) == set(get_args(ProfileName))
    assert AnalysisOptions().profile in PROFILES


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown QC profile 'tv'"):
        run_checks(results(), "tv")


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_a_clean_file_raises_nothing(profile: str) -> None:
    assert run_checks(results(profile), profile) == []


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_probe_only_results_raise_no_signal_checks(profile: str) -> None:
    probe_only = Results(
        file_info=FileInfo(
            file_size=1000, format="mp4", faststart=True, fragmented=False, track_count=2
        ),
        video_analysis=VideoAnalysis(
            codec="h264", width=1280, height=720, frame_rate=25.0, pixel_format="yuv420p"
        ),
        audio_analysis=AudioAnalysis(codec="aac", sample_rate=48000, channels=2),
    )
    assert run_checks(probe_only, profile) == []


# --- loudness and peaks --------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_loudness_inside_the_tolerance_passes_and_outside_fails(profile: str) -> None:
    limits = get_profile(profile)
    low = limits.loudness_target - limits.loudness_tolerance
    high = limits.loudness_target + limits.loudness_tolerance
    for edge in (low, high):
        checks = run_checks(results(profile, audio={"loudness_integrated": edge}), profile)
        assert "LOUDNESS_OUT_OF_RANGE" not in codes(checks)

    loud = only(
        run_checks(results(profile, audio={"loudness_integrated": high + 0.1}), profile),
        "LOUDNESS_OUT_OF_RANGE",
    )
    assert loud.severity == limits.loudness_severity
    assert loud.value == pytest.approx(high + 0.1)
    assert loud.limit == high
    assert "louder" in loud.message
    assert f"{limits.loudness_target:.1f} LUFS" in loud.message

    quiet = only(
        run_checks(results(profile, audio={"loudness_integrated": low - 5.0}), profile),
        "LOUDNESS_OUT_OF_RANGE",
    )
    assert quiet.limit == low
    assert "quieter" in quiet.message
    assert f"{low - 5.0:.1f} LUFS" in quiet.message


def test_a_streaming_master_fails_ebu_r128_and_passes_streaming() -> None:
    master = {"loudness_integrated": -14.0}
    assert "LOUDNESS_OUT_OF_RANGE" in codes(run_checks(results(audio=master), "ebu-r128"))
    assert run_checks(results("streaming", audio=master), "streaming") == []


def test_web_loudness_is_advisory() -> None:
    check = only(
        run_checks(results("web", audio={"loudness_integrated": -23.0}), "web"),
        "LOUDNESS_OUT_OF_RANGE",
    )
    assert check.severity == "warning"


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_true_peak_over_the_ceiling_is_an_error(profile: str) -> None:
    ceiling = get_profile(profile).true_peak_max
    at_limit = run_checks(results(profile, audio={"true_peak": ceiling}), profile)
    assert "TRUE_PEAK_OVER_LIMIT" not in codes(at_limit)
    check = only(
        run_checks(results(profile, audio={"true_peak": ceiling + 0.6}), profile),
        "TRUE_PEAK_OVER_LIMIT",
    )
    assert check.severity == "error"
    assert check.value == pytest.approx(ceiling + 0.6)
    assert check.limit == ceiling
    assert f"{ceiling + 0.6:.1f} dBTP" in check.message


# --- audio signal defects ------------------------------------------------------------------


def test_excessive_silence_is_a_warning_above_half_the_duration() -> None:
    assert run_checks(results(audio={"silence_percentage": 50.0}), "ebu-r128") == []
    check = only(
        run_checks(
            results(audio={"silence_percentage": 72.5, "silence_segments": [(1.0, 8.5)]}),
            "ebu-r128",
        ),
        "EXCESSIVE_SILENCE",
    )
    assert check.severity == "warning"
    assert check.value == 72.5
    assert check.limit == 50.0
    assert "72.5 %" in check.message
    assert "1.0 s to 8.5 s" in check.message


def test_clipping_is_a_warning_then_an_error() -> None:
    light = only(
        run_checks(results(audio={"clipping": Clipping(count=4, ratio=4e-6, runs=2)}), "web"),
        "CLIPPING",
    )
    assert light.severity == "warning"
    assert light.limit == 0.0
    assert "4 samples" in light.message
    assert "2 runs" in light.message
    heavy = only(
        run_checks(
            results(audio={"clipping": Clipping(count=96_000, ratio=0.1, runs=900)}), "ebu-r128"
        ),
        "CLIPPING",
    )
    assert heavy.severity == "error"
    assert heavy.value == 0.1
    assert heavy.limit == get_profile("ebu-r128").clipping_error_ratio


def test_phase_issue_reports_the_correlation() -> None:
    check = only(
        run_checks(results(audio={"phase_issue": True, "phase_correlation": -0.85}), "ebu-r128"),
        "PHASE_ISSUE",
    )
    assert check.severity == "warning"
    assert check.value == -0.85
    assert "-0.85" in check.message


def test_silent_channel_names_the_channel() -> None:
    check = only(run_checks(results(audio={"channels_silent": [1]}), "ebu-r128"), "SILENT_CHANNEL")
    assert check.value == "1"
    assert "Channel 2 of 2" in check.message
    several = only(
        run_checks(
            results(audio={"channels": 6, "channels_silent": [4, 5], "dc_offset": [0.0] * 6}),
            "ebu-r128",
        ),
        "SILENT_CHANNEL",
    )
    assert several.value == "4,5"
    assert "Channels 5, 6 of 6" in several.message


def test_dc_offset_reports_the_worst_channel() -> None:
    assert run_checks(results(audio={"dc_offset": [0.01, -0.01]}), "ebu-r128") == []
    check = only(run_checks(results(audio={"dc_offset": [0.002, -0.05]}), "ebu-r128"), "DC_OFFSET")
    assert check.value == -0.05
    assert check.limit == get_profile("ebu-r128").max_dc_offset
    assert "Channel 2" in check.message


# --- tracks and container ------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_missing_tracks_are_information_not_failures(profile: str) -> None:
    no_audio = run_checks(results(profile, no_audio=True), profile)
    assert codes(no_audio) == ["NO_AUDIO_TRACK"]
    assert no_audio[0].severity == "info"
    no_video = run_checks(results(profile, no_video=True), profile)
    assert codes(no_video) == ["NO_VIDEO_TRACK"]
    assert no_video[0].severity == "info"


def test_av_duration_mismatch_over_half_a_second() -> None:
    assert run_checks(results(audio={"duration": 9.5}), "ebu-r128") == []
    check = only(run_checks(results(audio={"duration": 8.75}), "ebu-r128"), "AV_DURATION_MISMATCH")
    assert check.value == pytest.approx(1.25)
    assert check.limit == 0.5
    assert "8.75 s" in check.message
    assert "10.00 s" in check.message


def test_not_faststart_matters_only_for_the_web() -> None:
    check = only(run_checks(results("web", faststart=False), "web"), "NOT_FASTSTART")
    assert check.severity == "error"
    assert check.value is False
    for profile in ("ebu-r128", "streaming"):
        assert run_checks(results(profile, faststart=False), profile) == []


def test_web_requires_h264_aac_yuv420p() -> None:
    checks = run_checks(
        results(
            "web",
            video={"codec": "hevc", "pixel_format": "yuv420p10le"},
            audio={"codec": "opus"},
        ),
        "web",
    )
    unsupported = [check for check in checks if check.code == "UNSUPPORTED_CODEC"]
    assert {check.value for check in unsupported} == {"hevc", "opus"}
    assert {check.limit for check in unsupported} == {"h264", "aac"}
    assert all(check.severity == "error" for check in unsupported)
    pixel = only(checks, "PIXEL_FORMAT")
    assert pixel.value == "yuv420p10le"
    assert pixel.limit == "yuv420p"
    for profile in ("ebu-r128", "streaming"):
        other = results(
            profile, video={"codec": "hevc", "pixel_format": "yuv420p10le"}, audio={"codec": "opus"}
        )
        assert run_checks(other, profile) == []


def test_variable_frame_rate_severity_depends_on_the_profile() -> None:
    severities = {
        profile: only(
            run_checks(results(profile, video={"variable_frame_rate": True}), profile),
            "VARIABLE_FRAME_RATE",
        ).severity
        for profile in PROFILE_NAMES
    }
    assert severities == {
        name: PROFILES[name].variable_frame_rate_severity for name in PROFILE_NAMES
    }
    assert severities["web"] == "info"


def test_encrypted_tracks_are_named_from_the_track_list() -> None:
    tracks = [
        Track(index=0, type="video", codec="h264"),
        Track(index=1, type="audio", codec="aac", encrypted=True),
    ]
    checks = run_checks(results(tracks=tracks), "ebu-r128")
    check = only(checks, "ENCRYPTED_TRACK")
    assert check.value == "audio"
    assert "Track 1 (audio, aac)" in check.message


def test_encrypted_tracks_fall_back_to_the_analysis_flags() -> None:
    checks = run_checks(results(video={"encrypted": True}), "ebu-r128")
    check = only(checks, "ENCRYPTED_TRACK")
    assert check.value == "video"


# --- picture -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "code"), [("black", "BLACK_SEGMENTS"), ("frozen", "FROZEN_SEGMENTS")]
)
def test_black_and_frozen_segments_are_warnings(field: str, code: str) -> None:
    check = only(
        run_checks(
            results(video={f"{field}_percentage": 24.0, f"{field}_segments": [(0.0, 2.4)]}),
            "ebu-r128",
        ),
        code,
    )
    assert check.severity == "warning"
    assert check.value == 24.0
    assert "24.0 %" in check.message
    assert "0.0 s to 2.4 s" in check.message


def test_low_resolution_uses_the_short_side() -> None:
    check = only(run_checks(results(video={"width": 640, "height": 360}), "web"), "LOW_RESOLUTION")
    assert check.value == 360
    assert check.limit == 480
    assert "640x360" in check.message
    portrait = results(video={"width": 1080, "height": 1920})
    assert run_checks(portrait, "ebu-r128") == []


def test_low_frame_rate_below_23_fps() -> None:
    assert run_checks(results(video={"frame_rate": 23.976}), "ebu-r128") == []
    check = only(run_checks(results(video={"frame_rate": 15.0}), "ebu-r128"), "LOW_FRAME_RATE")
    assert check.value == 15.0
    assert check.limit == 23.0
    assert "15.00 fps" in check.message


# --- notes and ordering --------------------------------------------------------------------


def test_notes_from_the_caller_are_kept() -> None:
    notes = [
        metrics_unavailable("video", "the decoder rejected every frame"),
        analysis_truncated("audio", 600.0),
    ]
    checks = run_checks(results(), "ebu-r128", notes)
    unavailable = only(checks, "METRICS_UNAVAILABLE")
    assert unavailable.severity == "warning"
    assert unavailable.value == "video"
    assert "the decoder rejected every frame" in unavailable.message
    truncated = only(checks, "ANALYSIS_TRUNCATED")
    assert truncated.severity == "info"
    assert truncated.limit == 600.0
    assert "600 s" in truncated.message


def test_errors_come_first_then_warnings_then_information() -> None:
    checks = run_checks(
        results(
            "web",
            no_audio=True,
            faststart=False,
            video={"variable_frame_rate": True, "width": 320, "height": 240},
        ),
        "web",
    )
    order = {"error": 0, "warning": 1, "info": 2}
    ranks = [order[check.severity] for check in checks]
    assert ranks == sorted(ranks)
    assert set(codes(checks)) == {
        "NOT_FASTSTART",
        "LOW_RESOLUTION",
        "VARIABLE_FRAME_RATE",
        "NO_AUDIO_TRACK",
    }


def test_every_documented_code_is_produced_somewhere() -> None:
    """docs/quality.md lists the codes; each must be reachable from run_checks or a helper."""
    doc = Path(__file__).resolve().parent.parent / "docs" / "quality.md"
    lines = doc.read_text(encoding="utf-8").splitlines()
    documented = {line.split("`")[1] for line in lines if line.startswith("| `")}
    produced: set[str] = set()
    scenarios = [
        results(
            "web", faststart=False, no_audio=True, video={"codec": "hevc", "pixel_format": "gray"}
        ),
        results(no_video=True, audio={"loudness_integrated": 0.0, "true_peak": 1.0}),
        results(
            audio={
                "silence_percentage": 90.0,
                "clipping": Clipping(count=10, ratio=0.01, runs=2),
                "phase_issue": True,
                "channels_silent": [0],
                "dc_offset": [0.5, 0.0],
                "duration": 2.0,
                "encrypted": True,
            },
            video={
                "black_percentage": 10.0,
                "frozen_percentage": 10.0,
                "variable_frame_rate": True,
                "width": 160,
                "height": 120,
                "frame_rate": 10.0,
            },
        ),
    ]
    pq = Hdr(
        format="PQ10",
        formats=["PQ10"],
        mismatches=[ColourMismatch(field="transfer", container="16", bitstream="1")],
    )
    hdr_and_lra = results(
        video={"hdr": pq, "bit_depth": 8},
        audio={"loudness_range": 3.0, "loudness_range_blocks": 12},
    )
    cut = results(tracks=[Track(index=0, type="video", samples_outside_mdat=3)])
    cut.file_info.truncated, cut.file_info.seconds_missing = True, 2.0
    header = results(
        tracks=[Track(index=0, type="video", start_time=0.0, media_duration=2.0)],
    )
    header.file_info.duration = 10.0
    scenarios += [hdr_and_lra, cut, header]
    for scenario in scenarios:
        profile = "web" if scenario.file_info.faststart is False else "ebu-r128"
        produced |= set(codes(run_checks(scenario, profile)))
    produced |= {metrics_unavailable("audio", "x").code, analysis_truncated("video", 1.0).code}
    assert documented == produced
