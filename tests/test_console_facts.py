"""The file page's facts and timeline for what the demo clips do not show: Dolby Vision,
colour mismatches, text tracks, padding-only captions, a scan and a range mismatch, red
flashes, windowboxing, results from before `audio_tracks`, and a probe's unmeasured lanes.
The browser tests (tests/test_console_browser.py) show the rest on analysed files."""

from __future__ import annotations

from typing import Any

from mp4_small_analyser.models import Captions, EmbeddedCaptions, TextTrack
from mp4_small_analyser.service.web.facts import audio_rows
from mp4_small_analyser.service.web.picture_facts import flash_facts, framing_facts
from mp4_small_analyser.service.web.stream_facts import caption_facts, colour_facts
from mp4_small_analyser.service.web.timeline import timeline
from tests.judging_builders import every_frame_measures, results, video


def test_dolby_vision_and_its_mismatches_are_named() -> None:
    clip = video(
        hdr={
            "format": "Dolby Vision",
            "formats": ["Dolby Vision", "HDR10"],
            "dolby_vision": {
                "profile": 8,
                "level": 4,
                "compatibility_id": 1,
                "rpu": True,
                "el": False,
                "bl": True,
            },
            "metadata_source": "both",
            "mismatches": [{"field": "transfer", "container": "smpte2084", "bitstream": "bt709"}],
        }
    )
    facts = dict(colour_facts(clip.color, clip.hdr))
    assert facts["Dynamic range"] == "Dolby Vision (also plays as HDR10)"
    assert facts["Dolby Vision"] == "profile 8, level 4, compatibility 1"
    assert facts["HDR metadata from"] == "container boxes and bitstream SEI"
    assert facts["Mismatches"] == "transfer: container smpte2084, bitstream bt709"


def test_text_tracks_and_padding_only_captions_are_told_apart() -> None:
    captions = Captions(
        present=True,
        embedded=EmbeddedCaptions(cea608=False, cea708=False, carried=True, samples_scanned=2),
        tracks=[
            TextTrack(index=2, kind="subtitles", codec="webvtt", sample_entry="wvtt"),
            TextTrack(
                index=3, kind="captions", codec="eia_608", sample_entry="c608", language="fra"
            ),
        ],
    )
    assert dict(caption_facts(captions)) == {
        "Captions": "yes",
        "In the video (A/53)": "cc_data carried, padding only",
        "Text tracks": "webvtt subtitles, eia_608 captions (fra)",
    }


def test_a_scan_and_a_range_mismatch_are_spelled_out() -> None:
    measures: dict[str, Any] = every_frame_measures()
    measures["interlace"] |= {"detected": "tff", "telecine": True, "mismatch": "field_order"}
    measures["interlace"]["signalled_field_order"] = "bff"
    levels = video().levels
    assert levels is not None
    clip = video(
        **measures,
        levels=levels.model_copy(update={"range_verdict": "full_content_flagged_limited"}),
    )
    facts = dict(framing_facts(clip))
    assert facts["Interlace"] == (
        "interlaced, top field first, pulldown (repeated fields); signalled interlaced, bottom "
        "field first; mismatch: field order (58 pictures)"
    )
    assert facts["Range"] == "flagged limited: full content flagged limited"


def test_red_flashes_and_a_windowbox_get_their_own_colours() -> None:
    measures: dict[str, Any] = every_frame_measures()
    red = {"start": 2.0, "end": 3.5, "kind": "red", "peak_frequency": 5.0}
    measures["flashes"] |= {"passed": False, "red_peak_frequency": 5.0, "failing_segments": [red]}
    window = {"x": 40, "y": 30, "width": 1840, "height": 1020, "kind": "windowbox"}
    full = {"x": 0, "y": 0, "width": 1920, "height": 1080, "kind": "full"}
    area = video().active_area
    assert area is not None
    segments = [{"start": 0.0, "end": 10.0, **full}, {"start": 10.0, "end": 30.0, **window}]
    judged = results(
        v={
            **measures,
            "active_area": area.model_dump() | {"stable": False, "segments": segments},
        }
    )
    drawn = timeline(judged)
    assert drawn is not None
    lanes = {lane.kind: lane for lane in drawn.lanes}
    assert [(bar.kind, bar.label) for bar in lanes["flashes"].bars] == [
        ("flash-red", "Red flashing 5/s")
    ]
    assert [(bar.kind, bar.start) for bar in lanes["framing"].bars] == [("windowbox", 10.0)]
    assert lanes["framing"].marks == [10.0]
    assert drawn.legend() == [
        ("flash-red", "red flashing (fails)"),
        ("windowbox", "windowbox"),
        ("framing", "framing change"),
    ]
    assert judged.video_analysis is not None
    facts = dict(flash_facts(judged.video_analysis.flashes))
    assert facts["Most red flashes"] == "5 a second"
    assert facts["Failing"] == "2.00–3.50 s (red, 5/s)"


def test_a_result_from_before_audio_tracks_still_lists_its_audio() -> None:
    (row,) = audio_rows(results())
    assert (row.loudness, row.true_peak, row.channels) == (-23.0, -3.0, "2 (stereo)")


def test_a_probe_draws_no_timeline_and_lanes_say_why_they_are_empty() -> None:
    probe_video = {
        name: None
        for name in (
            "black_segments",
            "black_percentage",
            "frozen_segments",
            "frozen_percentage",
            "active_area",
            "levels",
            "sampling",
        )
    }
    assert timeline(results(v=probe_video, a={"silence_segments": None})) is None
    sampled = timeline(results(no_audio=True))
    assert sampled is not None
    why = {lane.kind: lane.unmeasured for lane in sampled.lanes}
    assert why == {
        "silence": "no audio track",
        "black": None,
        "frozen": None,
        "flashes": "not measured",
        "framing": None,
        "cuts": "not measured",
    }
