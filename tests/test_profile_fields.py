"""The rule-able fields come from the result models, and paths are checked against them."""

from __future__ import annotations

import re

import pytest

from mp4_small_analyser.analysis.judging.fields import UNITS, catalogue
from mp4_small_analyser.analysis.judging.paths import PathError, parse, resolve
from mp4_small_analyser.models import Track
from tests.judging_builders import results


def paths() -> set[str]:
    return {entry.path for entry in catalogue()}


def test_the_catalogue_holds_every_model_field_and_the_derived_measures() -> None:
    found = paths()
    for expected in (
        "file_info.faststart",
        "video_analysis.codec",
        "video_analysis.color.primaries",
        "audio_analysis.loudness_integrated",
        "audio_analysis.clipping.ratio",
        "audio_analysis.short_term_series[]",
        "tracks[].language",
        "derived.black_longest_inner",
    ):
        assert expected in found


def test_judgements_themselves_are_not_rule_able() -> None:
    assert not {path for path in paths() if path.split(".")[0] in ("checks", "profile")}


def test_every_unit_names_a_catalogue_field() -> None:
    assert set(UNITS) <= paths()


def test_literal_fields_know_their_values() -> None:
    node = parse("tracks[*].type").node
    assert node.kind == "string"
    assert node.choices is not None and "audio" in node.choices


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("video_analysis.bitrate", "did you mean 'bit_rate'"),
        ("audio_analysis.loudness_integrated_lufs", "did you mean 'loudness_integrated'"),
        ("audio.loudness_integrated", "results have no field 'audio'"),
        ("tracks.language", "is a list: address its items"),
        ("video_analysis.codec.name", "is a string, it has no field 'name'"),
        ("file_info[0]", "is not a list"),
        ("tracks[type=audio].codec", "use [N] or [*] (a `when` clause on the same list"),
        ("tracks[0:2].codec", "use [N] or [*]"),
        ("Video_Analysis.codec", "is not a field name"),
    ],
)
def test_bad_paths_say_what_is_wrong(path: str, message: str) -> None:
    with pytest.raises(PathError, match=re.escape(message)):
        parse(path)


def test_items_are_selected_by_index_or_every_item() -> None:
    tracks = [
        Track(index=0, type="video", codec="h264"),
        Track(index=1, type="audio", codec="aac", language="eng"),
        Track(index=2, type="audio", codec="ac3", language="fra"),
    ]
    view = {"tracks": results(tracks=tracks).tracks}
    assert [f.value for f in resolve(parse("tracks[1].codec"), view)] == ["aac"]
    assert [f.value for f in resolve(parse("tracks[9].codec"), view)] == [None]
    assert [f.value for f in resolve(parse("tracks[*].codec"), view)] == ["h264", "aac", "ac3"]
    assert [f.index for f in resolve(parse("tracks[*].codec"), view)] == [0, 1, 2]


def test_a_bound_item_stays_the_same_item() -> None:
    tracks = [Track(index=0, type="video"), Track(index=1, type="audio", language="eng")]
    view = {"tracks": results(tracks=tracks).tracks}
    found = resolve(parse("tracks[*].type"), view, {"tracks": 1})
    assert [f.value for f in found] == ["audio"]


def test_every_derived_measure_names_the_tracks_it_comes_from() -> None:
    from mp4_small_analyser.analysis.judging.derived import TRACKS_OF, Derived

    assert set(TRACKS_OF) == set(Derived.model_fields)
