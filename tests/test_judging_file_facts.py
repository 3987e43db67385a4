"""Built-in checks on what the probe found: a file cut short, samples outside mdat, a header
at odds with the media, colour and HDR signalling, a loudness range on too few values; the
analysis' notes naming their track; every built-in check reachable."""

from __future__ import annotations

from typing import Any

import pytest

from mp4_small_analyser.analysis.judging import ProfileLibrary, judge
from mp4_small_analyser.analysis.judging.intrinsic import (
    REGISTRY,
    analysis_truncated,
    metrics_unavailable,
)
from mp4_small_analyser.models import Check, ColourMismatch, Hdr, Results, Track
from mp4_small_analyser.options import AnalysisOptions
from tests.judging_builders import results

LIBRARY = ProfileLibrary()


def only(judged: Results, code: str) -> Check:
    found = [check for check in judged.checks if check.code == code]
    assert len(found) == 1, [check.code for check in judged.checks]
    return found[0]


def cut_short(**changes: Any) -> Results:
    return results(
        truncated=True,
        bytes_missing=1_234_567,
        seconds_missing=7.5,
        playable_until=2.25,
        **changes,
    )


def test_a_truncated_file_is_an_error_saying_how_much_is_missing() -> None:
    check = only(judge(cut_short(), LIBRARY.get("ebu-r128")), "TRUNCATED_FILE")
    assert (check.severity, check.value, check.limit) == ("error", 7.5, 0.0)
    assert check.message == (
        "The file ends 7.50 s of media early: 1,234,567 bytes its tables list are missing "
        "(an upload or copy cut short); it plays to 2.25 s. What is present was measured."
    )


def test_a_profile_changes_a_built_in_check_s_severity() -> None:
    lenient = LIBRARY.from_object(
        {
            "name": "archive",
            "description": "x",
            "extends": "ebu-r128",
            "intrinsic": [
                {"code": "TRUNCATED_FILE", "severity": "warning"},
                {"code": "LRA_NOT_MEANINGFUL", "disabled": True},
            ],
        }
    )
    judged = judge(cut_short(a={"loudness_range_blocks": 12}), lenient)
    assert [(c.code, c.severity) for c in judged.checks] == [("TRUNCATED_FILE", "warning")]
    assert judged.verdict is not None and judged.verdict.status == "warn"


def test_samples_outside_mdat_name_their_track() -> None:
    tracks = [Track(index=0, type="video"), Track(index=1, type="audio", samples_outside_mdat=3)]
    check = only(judge(results(tracks=tracks), LIBRARY.get("ebu-r128")), "SAMPLES_OUTSIDE_MDAT")
    assert (check.severity, check.value, check.limit, check.track) == ("error", 3.0, 0.0, 1)
    assert check.message.startswith("Track 1 (audio) has 3 samples whose bytes lie outside")


def header(duration: float, plays: float, **changes: Any) -> Results:
    tracks = [
        Track(index=0, type="video", start_time=0.0, media_duration=plays),
        Track(index=1, type="audio", start_time=0.0, media_duration=plays - 0.1),
    ]
    return results(tracks=tracks, duration=duration, **changes)


def test_a_header_at_odds_with_the_media_is_a_warning() -> None:
    check = only(judge(header(10.0, 2.0), LIBRARY.get("ebu-r128")), "DURATION_MISMATCH")
    assert (check.severity, check.value, check.limit) == ("warning", 8.0, 0.5)
    assert check.message.startswith("The movie header declares 10.00 s but the tracks play 2.00 s")


@pytest.mark.parametrize(
    ("declared", "plays", "changes"),
    [
        (2.4, 2.0, {}),  # within 0.5 s
        (102.0, 100.0, {}),  # within 2 %
        (10.0, 2.0, {"truncated": True}),  # TRUNCATED_FILE says it
        (10.0, 2.0, {"fragmented": True}),  # fragments extend the movie
    ],
)
def test_a_header_close_enough_or_explained_otherwise_is_not_flagged(
    declared: float, plays: float, changes: dict[str, Any]
) -> None:
    judged = judge(header(declared, plays, **changes), LIBRARY.get("ebu-r128"))
    assert "DURATION_MISMATCH" not in {check.code for check in judged.checks}


def pq(**changes: Any) -> Hdr:
    return Hdr(**{"format": "PQ10", "formats": ["PQ10"], **changes})


def test_colour_signalling_names_every_field_that_disagrees() -> None:
    mismatches = [
        ColourMismatch(field="transfer", container="smpte2084", bitstream="bt709"),
        ColourMismatch(field="range", container="pc", bitstream="tv"),
    ]
    judged = judge(
        results(v={"hdr": pq(mismatches=mismatches), "bit_depth": 10}), LIBRARY.get("web")
    )
    check = only(judged, "COLOUR_SIGNALLING_MISMATCH")
    assert (check.severity, check.value) == ("warning", "transfer,range")
    assert check.message.startswith(
        "Colour or HDR signalling disagrees: transfer smpte2084 in the container vs bt709 in "
        "the bitstream, range pc in the container vs tv in the bitstream."
    )


def test_pq_without_metadata_and_hdr_in_8_bits() -> None:
    judged = judge(results(v={"hdr": pq(), "bit_depth": 8}), LIBRARY.get("ebu-r128"))
    assert only(judged, "HDR_METADATA_MISSING").severity == "warning"
    depth = only(judged, "HDR_BIT_DEPTH")
    assert (depth.severity, depth.value, depth.limit) == ("error", 8.0, 10.0)
    assert depth.message.startswith("PQ10 video in 8-bit")
    hdr10 = Hdr(format="HDR10", formats=["HDR10"])
    clean = judge(results(v={"hdr": hdr10, "bit_depth": 10}), LIBRARY.get("ebu-r128"))
    assert clean.checks == []
    sdr = Hdr(format="SDR", formats=["SDR"])
    assert judge(results(v={"hdr": sdr, "bit_depth": 8}), LIBRARY.get("ebu-r128")).checks == []


def test_a_loudness_range_on_few_values_is_information_on_each_track() -> None:
    short = {"loudness_range": 3.0, "loudness_range_blocks": 12}
    tracks = [{"index": 1, "language": "eng", **short}, {"index": 2, "language": "fra"}]
    judged = judge(results(audio_tracks=tracks), LIBRARY.get("ebu-r128-s1"))
    check = only(judged, "LRA_NOT_MEANINGFUL")
    assert (check.severity, check.value, check.limit, check.track) == ("info", 12.0, 300.0, 1)
    assert check.message.startswith(
        "Audio track 1 (eng, stereo): The loudness range of 3.0 LU rests on 12 short-term "
        "values (10 a second), fewer than 300"
    )
    assert judged.verdict is not None and judged.verdict.status == "pass"
    long_enough = results(a={"loudness_range": 6.0, "loudness_range_blocks": 300})
    assert judge(long_enough, LIBRARY.get("ebu-r128")).checks == []


def test_notes_name_their_track_and_keep_it_when_judged_again() -> None:
    notes = [
        metrics_unavailable("audio", "the decoder rejected every frame", 2),
        analysis_truncated("audio", 600.0, 1),
        metrics_unavailable("video", "no frame decoded"),
    ]
    first = judge(results(), LIBRARY.get("ebu-r128"), notes)
    again = judge(first, LIBRARY.get("atsc-a85"))
    for judged in (first, again):
        assert [(c.code, c.severity, c.track) for c in judged.checks] == [
            ("METRICS_UNAVAILABLE", "warning", 2),
            ("METRICS_UNAVAILABLE", "warning", None),
            ("ANALYSIS_TRUNCATED", "info", 1),
        ]
    messages = [c.message for c in again.checks]
    assert messages[0] == (
        "The audio track 2's signal metrics are missing: the decoder rejected every frame."
    )
    assert messages[1] == "The video track's signal metrics are missing: no frame decoded."
    assert messages[2].startswith("The audio track 1 is longer than 600 s: only its first 600 s")


KEYFRAMES_TOO_SPARSE = {
    "depth": "keyframes",
    "frames_decoded": 1,
    "max_gap": 3.0,
    "unmeasured": [{"measure": "frozen", "cause": "sparse", "reason": "needs a picture every 1 s"}],
}


def test_every_built_in_check_is_produced_somewhere() -> None:
    """Each code a profile may change under `intrinsic:` is reachable by judging alone."""
    mismatch = [ColourMismatch(field="transfer", container="16", bitstream="1")]
    scenarios = [
        (results(no_video=True, no_audio=True), None),
        (cut_short(tracks=[Track(index=0, type="video", samples_outside_mdat=3)]), None),
        (header(10.0, 2.0), None),
        (results(tracks=[Track(index=0, type="audio", codec="aac", encrypted=True)]), None),
        (results(a={"channels_silent": [0], "loudness_range_blocks": 12}), None),
        (results(v={"hdr": pq(mismatches=mismatch), "bit_depth": 8}), None),
        (results(), AnalysisOptions(black_min_duration=4.0)),
        (results(v={"sampling": KEYFRAMES_TOO_SPARSE, "frozen_percentage": None}), None),
    ]
    notes = [metrics_unavailable("audio", "x", 1), analysis_truncated("video", 1.0)]
    profile = LIBRARY.from_object(
        {"name": "fine", "description": "x", "analysis": {"black_min_duration": 1.0}}
    )
    produced = {
        check.code
        for scenario, options in scenarios
        for check in judge(scenario, profile, notes, options).checks
    }
    assert produced == set(REGISTRY)
