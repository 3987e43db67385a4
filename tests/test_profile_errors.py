"""Bad profiles of each kind, and the messages that tell their author what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mp4_small_analyser.analysis.judging import ProfileError, ProfileLibrary


def problems(raw: dict[str, Any] | str, tmp_path: Path | None = None) -> list[str]:
    library = ProfileLibrary()
    with pytest.raises(ProfileError) as caught:
        if isinstance(raw, str):
            assert tmp_path is not None
            path = tmp_path / "spec.yaml"
            path.write_text(raw, encoding="utf-8")
            library.from_file(path)
        else:
            library.from_object(raw)
    return [str(issue) for issue in caught.value.issues]


def profile(*rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "spec", "description": "test", "rules": list(rules), **extra}


def rule(**fields: Any) -> dict[str, Any]:
    return {"code": "SOME_RULE", "field": "audio_analysis.true_peak", "max": -1, **fields}


def test_an_unknown_field_names_the_rule_and_suggests_the_right_one() -> None:
    found = problems(profile(rule(), rule(code="BITRATE_LOW", field="video_analysis.bitrate")))
    assert found == [
        "inline profile: rules[1] (BITRATE_LOW).field: unknown field 'video_analysis.bitrate': "
        "'video_analysis' has no field 'bitrate'; did you mean 'bit_rate'?"
    ]


def test_a_value_of_the_wrong_type_for_the_field() -> None:
    found = problems(profile(rule(field="video_analysis.codec", max=None, one_of=["h264", 264])))
    assert found == [
        "inline profile: rules[0] (SOME_RULE): video_analysis.codec: 264 is not text "
        "(quote it: '264')"
    ]


def test_a_condition_the_field_type_cannot_meet() -> None:
    found = problems(profile(rule(field="video_analysis.codec")))
    assert "max cannot apply to a string field" in found[0]


def test_a_literal_field_refuses_values_it_never_takes() -> None:
    found = problems(profile(rule(field="tracks[*].type", max=None, equals="vidoe")))
    assert "'vidoe' is never a value of this field" in found[0]
    assert "did you mean 'video'?" in found[0]


def test_an_unknown_condition_key_suggests_the_known_one() -> None:
    found = problems(profile({"code": "TP", "field": "audio_analysis.true_peak", "maximum": -1}))
    assert any("rules[0] (TP): unknown key 'maximum'; did you mean 'max'?" in f for f in found)


def test_two_kinds_of_condition_in_one_rule() -> None:
    found = problems(profile(rule(equals=-1.0)))
    assert "conflicting conditions equals and max" in found[0]


def test_target_without_tolerance() -> None:
    found = problems(profile(rule(max=None, target=-23)))
    assert "`target` needs `tolerance`" in found[0]


def test_yaml_reads_3e6_as_text() -> None:
    found = problems(profile(rule(field="video_analysis.bit_rate", max=None, min="3e6")))
    assert any("YAML needs 3000000 or 3.0e+6" in f for f in found)


def test_a_severity_that_does_not_exist() -> None:
    found = problems(profile(rule(severity="critical")))
    assert (
        "rules[0] (SOME_RULE).severity: Input should be 'error', 'warning' or 'info'" in (found[0])
    )


def test_unknown_parent_suggests_a_known_one() -> None:
    found = problems(profile(extends="ebu-r182"))
    assert found == [
        "inline profile: extends: unknown parent profile 'ebu-r182'; did you mean 'ebu-r128'?"
    ]


def test_circular_extends_shows_the_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\ndescription: x\nextends: ./b.yaml\n")
    (tmp_path / "b.yaml").write_text("name: b\ndescription: x\nextends: ./a.yaml\n")
    with pytest.raises(ProfileError) as caught:
        ProfileLibrary().from_file(tmp_path / "a.yaml")
    text = str(caught.value)
    assert "circular extends:" in text
    assert "a.yaml →" in text and "b.yaml →" in text


def test_an_inline_profile_cannot_extend_a_path() -> None:
    found = problems(profile(extends="/etc/passwd.yaml"))
    assert "extends profiles by name only, not by path" in found[0]


def test_overriding_or_disabling_a_rule_that_is_not_inherited() -> None:
    found = problems(
        profile(
            extends="ebu-r128",
            disable=["TRUE_PEAK_OVER_LIMTI"],
            overrides={"LOUDNES_OUT_OF_RANGE": {"tolerance": 1}},
        )
    )
    assert found == [
        "inline profile: disable[0]: there is no inherited rule 'TRUE_PEAK_OVER_LIMTI'; "
        "did you mean 'TRUE_PEAK_OVER_LIMIT'?",
        "inline profile: overrides.LOUDNES_OUT_OF_RANGE: there is no inherited rule "
        "'LOUDNES_OUT_OF_RANGE'; did you mean 'LOUDNESS_OUT_OF_RANGE'?",
    ]


def test_two_rules_with_one_id() -> None:
    found = problems(profile(rule(), rule(max=-2)))
    assert "rules[1] (SOME_RULE): a second rule with id 'SOME_RULE'" in found[0]


def test_a_rule_may_not_take_an_intrinsic_code() -> None:
    found = problems(profile(rule(code="SILENT_CHANNEL")))
    assert "change its severity under `intrinsic:`" in found[0]


def test_intrinsic_settings_are_checked() -> None:
    found = problems(
        profile(
            intrinsic=[
                {"code": "SILENT_CHANNELS", "severity": "error"},
                {"code": "SILENT_CHANNEL", "variant": "lef", "severity": "error"},
                {"code": "NO_AUDIO_TRACK"},
            ]
        )
    )
    assert "no built-in check 'SILENT_CHANNELS'; did you mean 'SILENT_CHANNEL'?" in found[0]
    assert "has no variant 'lef' (variants: other, lfe); did you mean 'lfe'?" in found[1]
    assert "give a `severity` or `disabled: true`" in found[2]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("{value.__class__}", "use plain names only"),
        ("{valeu}", "unknown name {valeu}; did you mean 'value'?"),
        ("{value!r}", "conversion !r is not allowed"),
        ("{target}", "uses {target} but the rule has no target"),
        ("{delta:+.1f}", "{delta}, which needs target/tolerance"),
        ("{index}", "the field selects no list items"),
    ],
)
def test_message_templates_are_checked(message: str, expected: str) -> None:
    found = problems(profile(rule(message=message)))
    assert expected in found[0]


def test_a_format_spec_that_does_not_fit_the_field() -> None:
    found = problems(
        profile(
            rule(field="video_analysis.codec", max=None, equals="h264", message="codec {value:.1f}")
        )
    )
    assert "cannot show a string value this way" in found[0]


def test_analysis_options_are_checked() -> None:
    found = problems(profile(analysis={"black_min_duraton": 1.0, "video_sample_rate": 500}))
    assert any(
        "analysis.black_min_duraton: not an analysis option; did you mean "
        "'black_min_duration'?" in f
        for f in found
    )
    assert any(
        "analysis.video_sample_rate: Input should be less than or equal to 120" in f for f in found
    )


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    text = "name: spec\ndescription: x\nrules: []\nrules: []\n"
    found = problems(text, tmp_path)
    assert "key 'rules' appears twice" in found[0]


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        profile(
            rule(field="audio_analysis.loudnes"),
            rule(code="B", field="video_analysis.height", max=None, one_of=["1080"]),
            rule(code="C", message="{nope}"),
        )
    )
    assert len(found) == 3


def test_a_malformed_profile_still_reports_its_other_problems() -> None:
    found = problems(
        profile(
            rule(code="A", field="audio_analysis.loudnes"),
            {"code": "B", "field": "audio_analysis.channel_layout", "one_off": ["5.1"]},
            extends="ebu-r128s1",
        )
    )
    assert len(found) == 3
    assert any("unknown key 'one_off'; did you mean 'one_of'?" in f for f in found)
    assert any("did you mean 'ebu-r128-s1'?" in f for f in found)
    assert any("rules[0] (A).field: unknown field" in f for f in found)
