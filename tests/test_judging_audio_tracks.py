"""Every audio track judged on its own: checks name their track, and with several tracks
their messages say which one; a single-track or older stored result reads as before."""

from __future__ import annotations

from typing import Any

from mp4_small_analyser.analysis.judging import ProfileLibrary, judge
from mp4_small_analyser.models import Check, Track
from tests.judging_builders import results

LIBRARY = ProfileLibrary()

STEREO = {"index": 1, "language": "eng"}
SURROUND = {
    "index": 2,
    "language": "fra",
    "channels": 6,
    "channel_layout": "5.1",
    "dc_offset": [0.0] * 6,
}


def judged_checks(profile: str = "ebu-r128", **changes: Any) -> list[Check]:
    return judge(results(**changes), LIBRARY.get(profile)).checks


def test_each_audio_track_is_judged_and_named_when_there_are_several() -> None:
    loud = {**SURROUND, "loudness_integrated": -20.2}
    checks = judged_checks(audio_tracks=[STEREO, loud])
    assert [(c.code, c.track) for c in checks] == [("LOUDNESS_OUT_OF_RANGE", 2)]
    assert checks[0].message == (
        "Audio track 2 (fra, 5.1): Integrated loudness is -20.2 LUFS, +2.8 LU from the "
        "-23.0 LUFS target of ebu-r128 (±0.5 LU allowed)."
    )


def test_a_single_audio_track_reads_as_before_and_still_names_its_track() -> None:
    checks = judged_checks(audio_tracks=[{**STEREO, "loudness_integrated": -20.2}])
    assert [(c.code, c.track) for c in checks] == [("LOUDNESS_OUT_OF_RANGE", 1)]
    assert checks[0].message.startswith("Integrated loudness is -20.2 LUFS")


def test_a_result_stored_before_audio_tracks_is_judged_on_audio_analysis() -> None:
    stored = results(a={"index": 1, "loudness_integrated": -20.2, "true_peak": 0.5})
    assert stored.audio_tracks == []
    checks = judge(stored, LIBRARY.get("ebu-r128")).checks
    assert {(c.code, c.track) for c in checks} == {
        ("LOUDNESS_OUT_OF_RANGE", 1),
        ("TRUE_PEAK_OVER_LIMIT", 1),
    }
    assert all(not c.message.startswith("Audio track") for c in checks)


def test_a_track_left_unmeasured_is_not_judged_while_the_others_are() -> None:
    unmeasured = {**SURROUND, "loudness_integrated": None, "true_peak": None}
    judged = judge(results(audio_tracks=[STEREO, unmeasured]), LIBRARY.get("ebu-r128"))
    assert judged.verdict is not None
    assert judged.verdict.status == "pass"
    assert {"LOUDNESS_OUT_OF_RANGE", "TRUE_PEAK_OVER_LIMIT"} <= set(judged.verdict.not_judged)
    loud = judge(
        results(audio_tracks=[{**STEREO, "true_peak": 0.5}, unmeasured]), LIBRARY.get("ebu-r128")
    )
    assert loud.verdict is not None
    assert (loud.verdict.status, loud.verdict.decided_by) == ("fail", ["TRUE_PEAK_OVER_LIMIT"])


def test_a_ladder_is_kept_per_track() -> None:
    slightly = {"count": 5, "ratio": 1e-5, "runs": 1}
    heavily = {"count": 5000, "ratio": 0.01, "runs": 9}
    checks = judged_checks(
        "technical",
        audio_tracks=[{**STEREO, "clipping": slightly}, {**SURROUND, "clipping": heavily}],
    )
    assert [(c.code, c.severity, c.track) for c in checks] == [
        ("CLIPPING", "error", 2),
        ("CLIPPING", "warning", 1),
    ]


def test_dc_offset_is_judged_on_each_track() -> None:
    offset = {**SURROUND, "dc_offset": [0.0, 0.0, 0.05, 0.0, 0.0, 0.0]}
    checks = judged_checks("technical", audio_tracks=[STEREO, offset])
    assert [(c.code, c.value, c.track) for c in checks] == [("DC_OFFSET", 0.05, 2)]
    assert checks[0].message.startswith("Audio track 2 (fra, 5.1): A channel has a DC offset")


def test_a_when_clause_on_the_same_track_picks_that_track() -> None:
    he_aac = {**STEREO, "profile": "HE-AAC"}
    ac3 = {**SURROUND, "codec": "ac3", "profile": None}
    checks = judged_checks("social", audio_tracks=[he_aac, ac3])
    profiles = [(c.track, c.value) for c in checks if c.code == "AUDIO_PROFILE"]
    assert profiles == [(1, "HE-AAC")]
    codecs = [(c.track, c.value) for c in checks if c.code == "UNSUPPORTED_CODEC"]
    assert codecs == [(2, "ac3")]


def test_built_in_checks_about_a_track_name_it_and_a_setting_reads_that_track() -> None:
    silent_lfe = {**SURROUND, "channels_silent": [3]}
    stereo_silent = {**STEREO, "channels_silent": [1]}
    checks = judged_checks(audio_tracks=[stereo_silent, silent_lfe])
    assert [(c.code, c.severity, c.track, c.message.split(":")[0]) for c in checks] == [
        ("SILENT_CHANNEL", "warning", 1, "Audio track 1 (eng, stereo)"),
        ("SILENT_CHANNEL", "info", 2, "Audio track 2 (fra, 5.1)"),
    ]
    raised = LIBRARY.from_object(
        {
            "name": "surround-spec",
            "description": "x",
            "extends": "ebu-r128",
            "intrinsic": [
                {
                    "code": "SILENT_CHANNEL",
                    "severity": "error",
                    "when": [{"field": "audio_tracks[*].channels", "equals": 6}],
                }
            ],
        }
    )
    judged = judge(results(audio_tracks=[stereo_silent, silent_lfe]), raised)
    assert [(c.severity, c.track) for c in judged.checks] == [("error", 2), ("warning", 1)]


def test_a_rule_on_the_track_list_names_the_track() -> None:
    profile = LIBRARY.from_object(
        {
            "name": "spec",
            "description": "x",
            "rules": [
                {
                    "code": "LANGUAGE_TAGGED",
                    "field": "tracks[*].language",
                    "present": True,
                    "when": [{"field": "tracks[*].type", "equals": "audio"}],
                }
            ],
        }
    )
    tracks = [Track(index=0, type="video"), Track(index=1, type="audio")]
    judged = judge(results(tracks=tracks), profile)
    assert [(c.code, c.track) for c in judged.checks] == [("LANGUAGE_TAGGED", 1)]


def test_a_rule_on_audio_analysis_names_the_first_track() -> None:
    profile = LIBRARY.from_object(
        {
            "name": "spec",
            "description": "x",
            "rules": [
                {
                    "code": "AUDIO_RATE",
                    "field": "audio_analysis.sample_rate",
                    "equals": 48000,
                    "message": "The audio runs at {value} Hz.",
                }
            ],
        }
    )
    judged = judge(results(audio_tracks=[{**STEREO, "sample_rate": 44100}, SURROUND]), profile)
    assert [(c.track, c.message) for c in judged.checks] == [
        (1, "Audio track 1 (eng, stereo): The audio runs at 44100 Hz.")
    ]
