"""judge(): verdicts, conditional and per-item rules, ladders, extends, intrinsic severities."""

from __future__ import annotations

from typing import Any

import pytest

from mp4_small_analyser.analysis.judging import (
    ProfileError,
    ProfileLibrary,
    ResolvedProfile,
    fails,
    judge,
)
from mp4_small_analyser.models import Check, Segment, Track
from mp4_small_analyser.options import AnalysisOptions
from tests.judging_builders import results

LIBRARY = ProfileLibrary()


def inline(*rules: dict[str, Any], **extra: Any) -> ResolvedProfile:
    raw = {"name": "spec", "description": "test", "rules": list(rules), **extra}
    return LIBRARY.from_object(raw)


def codes(profile: ResolvedProfile, **changes: Any) -> list[tuple[str, str]]:
    judged = judge(results(**changes), profile)
    return [(check.code, check.severity) for check in judged.checks]


@pytest.mark.parametrize("name", LIBRARY.names())
def test_a_clean_file_passes_every_built_in_profile_at_its_target(name: str) -> None:
    profile = LIBRARY.get(name)
    loudness = profile.rule("LOUDNESS_OUT_OF_RANGE")
    target = loudness.rule.target if loudness else -23.0
    judged = judge(results(a={"loudness_integrated": target, "true_peak": -3.0}), profile)
    assert judged.checks == []
    assert judged.verdict.status == "pass"
    assert judged.verdict.decided_by == []


def test_the_verdict_is_decided_by_the_worst_severity() -> None:
    profile = LIBRARY.get("ebu-r128")
    warned = judge(results(v={"variable_frame_rate": True}), profile)
    assert (warned.verdict.status, warned.verdict.decided_by) == ("warn", ["VARIABLE_FRAME_RATE"])
    failed = judge(results(v={"variable_frame_rate": True}, a={"true_peak": 0.5}), profile)
    assert (failed.verdict.status, failed.verdict.decided_by) == ("fail", ["TRUE_PEAK_OVER_LIMIT"])
    assert failed.verdict.counts.model_dump() == {"error": 1, "warning": 1, "info": 0}
    assert [c.severity for c in failed.checks] == ["error", "warning"]
    assert fails(warned.verdict, "warning") and not fails(warned.verdict, "error")


def test_info_never_changes_the_verdict() -> None:
    judged = judge(results(no_video=True), LIBRARY.get("ebu-r128"))
    assert [c.code for c in judged.checks] == ["NO_VIDEO_TRACK"]
    assert judged.verdict.status == "pass"


def test_an_unmeasured_field_is_not_judged_rather_than_passed() -> None:
    probe_only = {"loudness_integrated": None, "true_peak": None}
    judged = judge(results(a=probe_only), LIBRARY.get("ebu-r128"))
    assert judged.verdict.status == "pass"
    assert {"LOUDNESS_OUT_OF_RANGE", "TRUE_PEAK_OVER_LIMIT"} <= set(judged.verdict.not_judged)


def test_present_makes_an_unmeasured_field_a_finding() -> None:
    profile = inline(
        {
            "code": "LOUDNESS_NOT_MEASURED",
            "field": "audio_analysis.loudness_integrated",
            "present": True,
        }
    )
    assert codes(profile, a={"loudness_integrated": None}) == [("LOUDNESS_NOT_MEASURED", "error")]


def test_a_message_shows_the_value_and_the_limit() -> None:
    judged = judge(results(a={"loudness_integrated": -20.2}), LIBRARY.get("ebu-r128"))
    check = judged.checks[0]
    assert check.message == (
        "Integrated loudness is -20.2 LUFS, +2.8 LU from the -23.0 LUFS target of ebu-r128 "
        "(±0.5 LU allowed)."
    )
    assert (check.value, check.limit) == (-20.2, -22.5)


def test_a_rule_without_a_message_gets_a_readable_default() -> None:
    profile = inline({"code": "HD_ONLY", "field": "video_analysis.height", "min": 1080})
    check = judge(results(v={"height": 720, "width": 1280}), profile).checks[0]
    assert check.message == (
        "video_analysis.height is 720 px; the spec profile requires at least 1080 px."
    )


def test_when_applies_a_rule_only_to_matching_files() -> None:
    profile = inline(
        {
            "code": "BIT_RATE_LOW",
            "field": "video_analysis.bit_rate",
            "min": 3_000_000,
            "when": [{"field": "video_analysis.height", "min": 720}],
        }
    )
    assert codes(profile, v={"bit_rate": 2_000_000}) == [("BIT_RATE_LOW", "error")]
    small = {"bit_rate": 2_000_000, "height": 480, "width": 854}
    assert codes(profile, v=small) == []


def test_when_on_an_unmeasured_field_does_not_apply_the_rule() -> None:
    profile = inline(
        {
            "code": "SURROUND_LAYOUT",
            "field": "audio_analysis.channel_layout",
            "equals": "5.1",
            "when": [{"field": "audio_analysis.channels", "equals": 6}],
        }
    )
    assert codes(profile, a={"channels": 6, "channel_layout": "6.0"}) == [
        ("SURROUND_LAYOUT", "error")
    ]
    assert codes(profile, a={"channels": None, "channel_layout": "6.0"}) == []


def test_rules_sharing_code_and_field_keep_the_most_severe_finding() -> None:
    profile = LIBRARY.get("technical")
    assert codes(profile, a={"clipping": {"count": 5, "ratio": 1e-5, "runs": 1}}) == [
        ("CLIPPING", "warning")
    ]
    assert codes(profile, a={"clipping": {"count": 5000, "ratio": 0.01, "runs": 9}}) == [
        ("CLIPPING", "error")
    ]


def test_every_item_of_a_list_is_judged_on_its_own_and_when_picks_the_items() -> None:
    profile = inline(
        {
            "code": "LANGUAGE_TAGGED",
            "field": "tracks[*].language",
            "present": True,
            "message": "Audio track {index} has no language.",
            "when": [{"field": "tracks[*].type", "equals": "audio"}],
        }
    )
    tracks = [
        Track(index=0, type="video"),
        Track(index=1, type="audio", language="eng"),
        Track(index=2, type="audio"),
    ]
    judged = judge(results(tracks=tracks), profile)
    assert [c.message for c in judged.checks] == ["Audio track 2 has no language."]


def test_when_on_the_same_list_judges_the_same_item() -> None:
    profile = inline(
        {
            "code": "AUDIO_CODEC",
            "field": "tracks[*].codec",
            "one_of": ["aac"],
            "when": [{"field": "tracks[*].type", "equals": "audio"}],
        }
    )
    tracks = [
        Track(index=0, type="video", codec="h264"),
        Track(index=1, type="audio", codec="ac3"),
    ]
    judged = judge(results(tracks=tracks), profile)
    assert [c.value for c in judged.checks] == ["ac3"]


def test_extends_replaces_patches_and_disables_by_id() -> None:
    profile = inline(
        {
            "code": "TRUE_PEAK_OVER_LIMIT",
            "field": "audio_analysis.true_peak",
            "max": -2.0,
            "severity": "warning",
        },
        extends="ebu-r128",
        overrides={"LOUDNESS_OUT_OF_RANGE": {"tolerance": 2.0}},
        disable=["VARIABLE_FRAME_RATE"],
    )
    assert profile.rule("LOUDNESS_OUT_OF_RANGE").rule.target == -23.0  # type: ignore[union-attr]
    changes = {
        "a": {"loudness_integrated": -21.5, "true_peak": -1.5},
        "v": {"variable_frame_rate": True},
    }
    assert codes(profile, **changes) == [("TRUE_PEAK_OVER_LIMIT", "warning")]
    origins = {item.rule.key: item.origin for item in profile.rules}
    assert origins["LOUDNESS_OUT_OF_RANGE"] == "spec"
    assert origins["CLIPPING"] == "technical"


def test_an_override_of_another_condition_kind_replaces_the_condition() -> None:
    change = {"min": -24.0, "max": -22.0, "message": "{value:.1f} LUFS is not {expected}."}
    profile = inline(extends="ebu-r128", overrides={"LOUDNESS_OUT_OF_RANGE": change})
    rule = profile.rule("LOUDNESS_OUT_OF_RANGE")
    assert rule is not None
    assert (rule.rule.target, rule.rule.min, rule.rule.max) == (None, -24.0, -22.0)
    check = judge(results(a={"loudness_integrated": -21.0}), profile).checks[0]
    assert check.message == "-21.0 LUFS is not between -24 and -22."


def test_an_override_that_breaks_the_inherited_message_is_refused() -> None:
    with pytest.raises(ProfileError, match=r"uses \{target\} but the rule has no target"):
        inline(extends="ebu-r128", overrides={"LOUDNESS_OUT_OF_RANGE": {"min": -24.0}})


def test_a_silent_lfe_is_information_by_default_and_a_profile_can_raise_it() -> None:
    surround = {
        "channels": 6,
        "channel_layout": "5.1",
        "channels_silent": [3],
        "dc_offset": [0.0] * 6,
    }
    assert codes(LIBRARY.get("ebu-r128"), a=surround) == [("SILENT_CHANNEL", "info")]
    raised = inline(
        extends="ebu-r128",
        intrinsic=[
            {
                "code": "SILENT_CHANNEL",
                "variant": "lfe",
                "severity": "error",
                "when": [{"field": "audio_analysis.channels", "equals": 6}],
            }
        ],
    )
    assert codes(raised, a=surround) == [("SILENT_CHANNEL", "error")]


def test_a_silent_front_channel_stays_a_warning_beside_a_silent_lfe() -> None:
    surround = {
        "channels": 6,
        "channel_layout": "5.1(side)",
        "channels_silent": [2, 3],
        "dc_offset": [0.0] * 6,
    }
    judged = judge(results(a=surround), LIBRARY.get("ebu-r128"))
    assert [(c.severity, c.value) for c in judged.checks] == [("warning", "2"), ("info", "3")]


def test_intrinsic_checks_can_be_disabled_and_children_win() -> None:
    parent = inline(intrinsic=[{"code": "NO_VIDEO_TRACK", "severity": "error"}])
    assert codes(parent, no_video=True) == [("NO_VIDEO_TRACK", "error")]
    child = LIBRARY.from_object(
        {
            "name": "child",
            "description": "x",
            "extends": "ebu-r128",
            "intrinsic": [
                {"code": "NO_VIDEO_TRACK", "severity": "error"},
                {"code": "NO_VIDEO_TRACK", "disabled": True},
            ],
        }
    )
    assert codes(child, no_video=True) == []


def test_stored_notes_are_carried_over_at_their_default_severity() -> None:
    stored = results()
    note = Check(code="METRICS_UNAVAILABLE", severity="error", message="audio: bad", value="audio")
    stale = Check(code="LOUDNESS_OUT_OF_RANGE", severity="error", message="old profile")
    stored = stored.model_copy(update={"checks": [stale, note]})
    judged = judge(stored, LIBRARY.get("ebu-r128"))
    assert [(c.code, c.severity) for c in judged.checks] == [("METRICS_UNAVAILABLE", "warning")]


def test_a_result_analysed_more_coarsely_than_the_profile_asks_is_flagged() -> None:
    profile = inline(analysis={"black_min_duration": 1.0})
    judged = judge(results(), profile, options=AnalysisOptions())
    assert [c.code for c in judged.checks] == ["ANALYSIS_OPTIONS_DIFFER"]
    assert "black_min_duration 2.0 (wanted 1.0)" in judged.checks[0].message
    assert judge(results(), profile, options=AnalysisOptions(black_min_duration=1.0)).checks == []


@pytest.mark.parametrize(
    ("segments", "head", "tail", "inner"),
    [
        ([], 0.0, 0.0, 0.0),
        ([(0.0, 1.5)], 1.5, 0.0, 0.0),
        ([(28.0, 30.0)], 0.0, 2.0, 0.0),
        ([(0.0, 1.0), (10.0, 12.5), (28.6, 30.0)], 1.0, 1.4, 2.5),
    ],
)
def test_black_at_the_head_and_tail_is_told_apart_from_black_inside(
    segments: list[Segment], head: float, tail: float, inner: float
) -> None:
    profile = inline(
        {"id": "H", "code": "H", "field": "derived.black_head", "max": -1},
        {"id": "T", "code": "T", "field": "derived.black_tail", "max": -1},
        {"id": "I", "code": "I", "field": "derived.black_longest_inner", "max": -1},
    )
    judged = judge(results(v={"black_segments": segments}), profile)
    assert [c.value for c in judged.checks] == [head, tail, inner]


def test_rules_on_a_track_the_file_lacks_are_left_out_not_unjudged() -> None:
    judged = judge(results(no_video=True), LIBRARY.get("ebu-r128"))
    assert judged.verdict is not None and judged.verdict.not_judged == []
    unmeasured = judge(results(v={"black_percentage": None}), LIBRARY.get("ebu-r128"))
    assert unmeasured.verdict is not None
    assert unmeasured.verdict.not_judged == ["BLACK_SEGMENTS"]


def test_a_stored_result_is_judged_with_the_options_it_was_measured_with() -> None:
    from datetime import UTC, datetime

    from mp4_small_analyser.analysis.judging import judge_task
    from mp4_small_analyser.models import CompletedResult, Metadata

    profile = inline(analysis={"black_min_duration": 1.0})
    stored = CompletedResult(
        task_id="t",
        file_url="a.mp4",
        processing_time=1.0,
        results=judge(results(), LIBRARY.get("ebu-r128")),
        metadata=Metadata(processed_at=datetime.now(UTC), options=AnalysisOptions()),
    )
    judged = judge_task(stored, profile)
    assert isinstance(judged, CompletedResult)
    assert [c.code for c in judged.results.checks] == ["ANALYSIS_OPTIONS_DIFFER"]
    assert judged.results.verdict is not None and judged.results.verdict.profile == "spec"


def test_a_profile_s_analysis_block_fills_the_options_the_caller_left_alone() -> None:
    profile = inline(analysis={"black_min_duration": 1.0, "video_sample_rate": 4.0})
    merged = profile.analysis_options(AnalysisOptions(video_sample_rate=1.0))
    assert (merged.black_min_duration, merged.video_sample_rate, merged.profile) == (
        1.0,
        1.0,
        "spec",
    )


def test_a_flattened_profile_judges_as_the_original() -> None:
    original = LIBRARY.get("ebu-r128-s1")
    flat = LIBRARY.from_document(original.document())
    assert flat.chain == ("ebu-r128-s1",)
    loud = results(a={"max_short_term": -15.0, "loudness_integrated": -22.0})
    assert judge(loud, flat).checks == judge(loud, original).checks
