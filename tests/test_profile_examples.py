"""The worked delivery specs in examples/profiles judge as their descriptions say."""

from __future__ import annotations

from pathlib import Path

from mp4_small_analyser.analysis.judging import ProfileLibrary, judge
from mp4_small_analyser.models import Results
from mp4_small_analyser.options import AnalysisOptions
from tests.judging_builders import every_frame_measures, results

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "profiles"
LIBRARY = ProfileLibrary()
AD = LIBRARY.get(str(EXAMPLES / "broadcaster-hd-ad.yaml"))
X = LIBRARY.get(str(EXAMPLES / "social-x.yaml"))


def ad(**changes: object) -> Results:
    return results(**changes)  # type: ignore[arg-type]


def failing(judged_results: Results, profile: object) -> list[str]:
    judged = judge(judged_results, profile)  # type: ignore[arg-type]
    return [c.code for c in judged.checks if c.severity != "info"]


EVERY_FRAME = every_frame_measures()
AS_ASKED = AnalysisOptions(black_min_duration=1.0, video_every_frame=True)


def test_a_compliant_hd_spot_passes_with_black_at_head_and_tail() -> None:
    spot = ad(
        v={"black_segments": [(0.0, 1.0), (29.0, 30.0)], "black_percentage": 6.7, **EVERY_FRAME}
    )
    judged = judge(spot, AD, options=AS_ASKED)
    assert judged.verdict.status == "pass", judged.checks
    assert judged.verdict.not_judged == []


def test_the_hd_spec_fails_flashing_and_interlaced_pictures() -> None:
    flashing = {"passed": False, "peak_frequency": 10.0}
    spot = ad(v={**EVERY_FRAME, "flashes": {**EVERY_FRAME["flashes"], **flashing}})
    assert failing(spot, AD) == ["FLASH_RISK"]
    interlaced = {"detected": "tff", "mismatch": "interlaced_flagged_progressive"}
    spot = ad(v={**EVERY_FRAME, "interlace": {**EVERY_FRAME["interlace"], **interlaced}})
    assert sorted(failing(spot, AD)) == ["INTERLACE_MISMATCH", "PROGRESSIVE_SCAN"]


def test_black_inside_the_spot_fails_it() -> None:
    spot = ad(v={"black_segments": [(12.0, 13.5)], "black_percentage": 5.0})
    assert failing(spot, AD) == ["BLACK_INSIDE"]


def test_the_hd_spec_wants_1080p25_h264_high_and_48_khz() -> None:
    spot = ad(
        v={"width": 1280, "height": 720, "frame_rate": 29.97, "profile": "Main"},
        a={"sample_rate": 44100},
    )
    assert sorted(failing(spot, AD)) == [
        "AUDIO_SAMPLE_RATE",
        "FRAME_RATE",
        "FRAME_SIZE",
        "FRAME_SIZE",
        "VIDEO_PROFILE",
    ]


def test_the_hd_spec_judges_5_1_layout_and_keeps_a_silent_lfe_as_information() -> None:
    surround = {
        "channels": 6,
        "channel_layout": "5.1",
        "channels_silent": [3],
        "dc_offset": [0.0] * 6,
    }
    judged = judge(ad(a=surround), AD)
    assert [(c.code, c.severity) for c in judged.checks] == [("SILENT_CHANNEL", "info")]
    dead_centre = {**surround, "channels_silent": [2]}
    assert failing(ad(a=dead_centre), AD) == ["SILENT_CHANNEL"]
    odd = {**surround, "channel_layout": "6.0", "channels_silent": []}
    assert failing(ad(a=odd), AD) == ["AUDIO_LAYOUT"]


def test_the_hd_spec_rejects_a_spot_without_audio() -> None:
    assert failing(ad(no_audio=True), AD) == ["NO_AUDIO_TRACK"]


def test_the_hd_spec_says_when_the_result_was_analysed_too_coarsely() -> None:
    judged = judge(ad(), AD, options=AnalysisOptions())
    assert [c.code for c in judged.checks] == ["ANALYSIS_OPTIONS_DIFFER"]


def test_the_x_spec_refuses_5_1_he_aac_and_long_videos() -> None:
    clip = ad(
        a={
            "channels": 6,
            "channel_layout": "5.1",
            "profile": "HE-AAC",
            "dc_offset": [0.0] * 6,
            "loudness_integrated": -14.0,
        },
        duration=150.0,
    )
    assert sorted(failing(clip, X)) == ["AUDIO_CHANNELS", "AUDIO_PROFILE", "DURATION", "FRAME_SIZE"]


def test_the_x_spec_warns_on_1080p_and_refuses_extreme_aspect_ratios() -> None:
    hd = ad(a={"loudness_integrated": -14.0})
    assert failing(hd, X) == ["FRAME_SIZE"]
    strip = ad(v={"width": 1280, "height": 320}, a={"loudness_integrated": -14.0})
    assert "ASPECT_RATIO" in failing(strip, X)
