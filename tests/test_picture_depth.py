"""The picture depth measures end to end: `run_task` on clips made with a known truth
(tests/picture_clips.py), each value checked against that truth and against the FFmpeg
filter doing the same job on the same file, with the tolerance stated at each comparison.

Flashes have no FFmpeg counterpart (its `photosensitivity` filter removes flashes by a
heuristic of its own and reports no BT.1702 verdict): they are checked against the truth
the clips were built with.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser.analysis.judging import builtin_library, judge
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult, VideoAnalysis
from mp4_small_analyser.options import AnalysisOptions
from tests import ffmpeg_filters
from tests.mediagen import natural_texture, write_video
from tests.picture_clips import PictureClips

EVERY_FRAME = AnalysisOptions(video_every_frame=True)


@cache
def completed(path: Path, options: AnalysisOptions = EVERY_FRAME) -> CompletedResult:
    """One analysis per clip and options for the whole module (the clips live as long)."""
    result = run_task(str(path), options=options)
    assert isinstance(result, CompletedResult), result
    return result


def analysed(path: Path, options: AnalysisOptions = EVERY_FRAME) -> VideoAnalysis:
    video = completed(path, options).results.video_analysis
    assert video is not None
    return video


@pytest.mark.parametrize(
    ("name", "bars"), [("letterbox", (44, 44, 0, 0)), ("pillarbox", (0, 0, 80, 80))]
)
def test_bars_of_known_size_are_measured_as_cropdetect_measures_them(
    picture_clips: PictureClips, name: str, bars: tuple[int, int, int, int]
) -> None:
    path = picture_clips.path(name)
    area = analysed(path, AnalysisOptions()).active_area  # the default, sampled depth
    assert area is not None
    assert (area.bars.top, area.bars.bottom, area.bars.left, area.bars.right) == bars
    assert area.kind == name and area.stable
    assert area.bar_share == pytest.approx(1 - area.width * area.height / (640 * 360), abs=1e-4)
    # cropdetect's union rectangle, to the pixel (tolerance 0 px).
    crop = ffmpeg_filters.cropdetect(path)
    assert (area.x, area.x + area.width - 1) == (crop["x1"], crop["x2"])
    assert (area.y, area.y + area.height - 1) == (crop["y1"], crop["y2"])


SIGNALLED = {"progressive": "progressive", "tt": "tff", "bb": "bff", "tb": "bff", "bt": "tff"}


@pytest.mark.parametrize(
    ("name", "detected", "mismatch"),
    [
        ("tff_progressive_coded", "tff", "interlaced_flagged_progressive"),
        ("bff_progressive_coded", "bff", "interlaced_flagged_progressive"),
        ("bff_content_tff_coded", "bff", "field_order"),
        ("progressive_motion", "progressive", "none"),
    ],
)
def test_fields_from_two_instants_are_found_as_idet_finds_them(
    picture_clips: PictureClips, name: str, detected: str, mismatch: str
) -> None:
    path = picture_clips.path(name)
    interlace = analysed(path).interlace
    assert interlace is not None
    assert (interlace.detected, interlace.mismatch) == (detected, mismatch)
    # idet over every frame and plane: the same majority verdict (ours: a triplet every
    # 13 frames, luma only, so only the verdict is compared, not the counts).
    multi = ffmpeg_filters.idet(path)["multi"]
    determined = {key: multi[key] for key in ("tff", "bff", "progressive")}
    assert max(determined, key=lambda key: determined[key]) == detected
    assert interlace.signalled_field_order == SIGNALLED[ffmpeg_filters.field_order(path)]


def test_pulldown_is_found_from_repeated_fields_as_idet_finds_them(
    picture_clips: PictureClips,
) -> None:
    path = picture_clips.path("telecine")
    interlace = analysed(path).interlace
    assert interlace is not None
    assert interlace.telecine and interlace.mismatch == "interlaced_flagged_progressive"
    # 3:2 pulldown repeats a field in 2 frames of 5: idet's repeated-field share and ours
    # (a triplet every 17 frames at 30 fps, no factor of the 5-frame cadence) within 15 points.
    repeated = ffmpeg_filters.idet(path)["repeated"]
    theirs = (repeated["top"] + repeated["bottom"]) / sum(repeated.values())
    fields = interlace.repeated_fields
    ours = (fields.top + fields.bottom) / (fields.top + fields.bottom + fields.neither)
    assert theirs == pytest.approx(0.4, abs=0.1)
    assert ours == pytest.approx(theirs, abs=0.15)


LEVEL_CLIPS = {
    "levels_legal": ("consistent", "limited", 0.0),
    "levels_full_in_limited": ("full_content_flagged_limited", "limited", 0.2),
    "levels_limited_in_full": ("limited_content_flagged_full", "full", 0.0),
    "levels_chroma_out": ("consistent", "limited", 0.125),
}


@pytest.mark.parametrize("name", list(LEVEL_CLIPS))
def test_levels_and_legal_range_are_measured_as_signalstats_measures_them(
    picture_clips: PictureClips, name: str
) -> None:
    verdict, flag, out_of_range = LEVEL_CLIPS[name]
    path = picture_clips.path(name)
    levels = analysed(path, AnalysisOptions()).levels
    assert levels is not None
    assert (levels.range_verdict, levels.range_flag) == (verdict, flag)
    # Truth: black and white columns of 10 % of the width each; in full codes they are out of
    # the 16-235 range (20 % of the pixels), as are the saturated chroma patches (1/8 each).
    assert levels.out_of_range_mean == pytest.approx(out_of_range, abs=0.01)
    frames = ffmpeg_filters.per_frame(path, "signalstats=stat=brng")

    def column(key: str) -> list[float]:
        return [float(frame[f"lavfi.signalstats.{key}"]) for frame in frames]

    # The extremes are the fixed columns and patches: the same codes in every frame, so
    # signalstats' over all frames equal ours over the sampled ones (tolerance 0 codes).
    for plane, ours in (("Y", levels.y), ("U", levels.u), ("V", levels.v)):
        assert ours is not None
        assert (ours.minimum, ours.maximum) == (
            min(column(f"{plane}MIN")),
            max(column(f"{plane}MAX")),
        )
        # LOW / HIGH move with the texture: the mean over frames within 2 codes.
        assert ours.low == pytest.approx(statistics.mean(column(f"{plane}LOW")), abs=2)
        assert ours.high == pytest.approx(statistics.mean(column(f"{plane}HIGH")), abs=2)
    # BRNG (share of out-of-range pixels): mean over frames within 0.005.
    assert levels.out_of_range_mean == pytest.approx(statistics.mean(column("BRNG")), abs=0.005)


def test_the_levels_meter_equals_signalstats_on_every_frame(picture_clips: PictureClips) -> None:
    """The meter itself on every decoded frame at the coded size: MIN, LOW, HIGH, MAX to the
    code, AVG and BRNG within 0.001 (signalstats prints %g)."""
    import av

    from mp4_small_analyser.analysis.picture.levels import brng_count, histogram_levels
    from mp4_small_analyser.analysis.picture.planes import frame_planes

    for name in ("levels_full_in_limited", "levels_chroma_out"):
        path = picture_clips.path(name)
        frames = ffmpeg_filters.per_frame(path, "signalstats=stat=brng")
        with av.open(str(path)) as container:
            decoded = list(container.decode(video=0))
        assert len(decoded) == len(frames)
        for frame, theirs in zip(decoded, frames, strict=True):
            planes = frame_planes(frame)
            for plane, values in (("Y", planes.y), ("U", planes.u), ("V", planes.v)):
                assert values is not None
                ours = histogram_levels(np.bincount(values.ravel(), minlength=256))
                expected = [
                    float(theirs[f"lavfi.signalstats.{plane}{key}"])
                    for key in ("MIN", "LOW", "HIGH", "MAX")
                ]
                assert [ours.minimum, ours.low, ours.high, ours.maximum] == expected
                average = float(theirs[f"lavfi.signalstats.{plane}AVG"])
                assert ours.average == pytest.approx(average, abs=1e-3)
            brng = brng_count(planes.y, planes.u, planes.v) / planes.y.size
            assert brng == pytest.approx(float(theirs["lavfi.signalstats.BRNG"]), abs=1e-3)


def test_hard_cuts_are_found_at_their_times_as_scdet_finds_them(
    picture_clips: PictureClips,
) -> None:
    path = picture_clips.path("cuts")
    video = analysed(path)
    assert video.shots is not None
    assert video.shots.cuts == [1.0, 2.2, 3.6] and video.shots.shot_count == 4
    assert video.shots.average_shot_length == pytest.approx(5.0 / 4)
    # scdet (threshold 10) on the same file: the same cut times, to the frame.
    frames = ffmpeg_filters.per_frame(path, "scdet=t=10")
    theirs = [round(float(f["lavfi.scd.time"]), 3) for f in frames if "lavfi.scd.time" in f]
    assert video.shots.cuts == theirs


def test_si_and_ti_follow_sitis_figures(picture_clips: PictureClips) -> None:
    """P.910 SI/TI against FFmpeg's siti on every frame. TI mean: ours from every frame
    (60 rows each, rotating) within 2 % of siti's, whose average also counts a 0 for the
    first frame (P.910 does not: we compare with siti x n / (n - 1)); TI max at the coded
    size within 1 %; SI on every row of a picture every ~0.5 s: max within 1 %, mean within
    5 % (the cut clip's four scenes differ in SI by 40 %)."""
    path = picture_clips.path("cuts")
    video = analysed(path)
    theirs = ffmpeg_filters.siti_summary(path)
    frames = 125
    assert video.ti_mean == pytest.approx(theirs["ti_mean"] * frames / (frames - 1), rel=0.02)
    assert video.ti_max == pytest.approx(theirs["ti_max"], rel=0.01)
    assert video.si_max == pytest.approx(theirs["si_max"], rel=0.01)
    assert video.si_mean == pytest.approx(theirs["si_mean"], rel=0.05)


def test_sampled_si_weighs_letterbox_edges_as_siti_does(picture_clips: PictureClips) -> None:
    """At the default depth SI is taken every 2 s on every row: here the first picture alone,
    equal to siti's SI of that frame (printed to 2 decimals; every 3rd row read 21 % high,
    the bars' edges over-weighted)."""
    path = picture_clips.path("letterbox")
    video = analysed(path, AnalysisOptions())
    first = float(ffmpeg_filters.per_frame(path, "siti")[0]["lavfi.siti.si"])
    assert video.si_mean == pytest.approx(first, abs=0.006)
    assert video.si_max == pytest.approx(first, abs=0.006)


def test_ten_full_screen_flashes_a_second_fail_and_one_passes(
    picture_clips: PictureClips,
) -> None:
    fails = analysed(picture_clips.path("flash_10hz")).flashes
    passes = analysed(picture_clips.path("flash_1hz")).flashes
    assert fails is not None and passes is not None
    assert not fails.passed and fails.peak_frequency == 10.0
    (segment,) = fails.failing_segments
    # 3 s of flashing from the first frame: the segment spans it, from the first transition.
    assert segment.kind == "general" and segment.start <= 0.1 and segment.end >= 2.9
    assert fails.flashes_per_second[1:] == [10.0, 10.0]
    assert passes.passed and passes.peak_frequency == 1.0 and passes.failing_segments == []


def test_saturated_red_flashes_fail_as_red_at_constant_luminance(
    picture_clips: PictureClips,
) -> None:
    flashes = analysed(picture_clips.path("flash_red_5hz")).flashes
    assert flashes is not None
    assert not flashes.passed
    assert (flashes.red_peak_frequency, flashes.peak_frequency) == (5.0, 0.0)
    assert {segment.kind for segment in flashes.failing_segments} == {"red"}


def test_the_sampled_depth_leaves_the_every_frame_measures_null_and_says_why(
    picture_clips: PictureClips,
) -> None:
    video = analysed(picture_clips.path("cuts"), AnalysisOptions())
    assert video.flashes is None and video.shots is None and video.interlace is None
    assert video.ti_mean is None and video.si_mean is not None and video.levels is not None
    assert video.sampling is not None and video.sampling.depth == "sampled"
    unmeasured = {item.measure: item.cause for item in video.sampling.unmeasured}
    assert unmeasured == dict.fromkeys(("flashes", "shots", "ti", "interlace"), "depth")


@pytest.fixture(scope="module")
def one_keyframe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The --fast bug's clip: 1 s moving, then 2 s of one still picture (66.7 % frozen), a
    single keyframe (lossless, so frozen means identical)."""
    moving = natural_texture(160, 120, 25, seed=4)
    still = [natural_texture(160, 120, 1, seed=9)[0]] * 50
    path = tmp_path_factory.mktemp("fast") / "one_keyframe.mp4"
    options = {"g": "300", "sc_threshold": "0", "qp": "0"}
    return write_video(path, moving + still, fps=25, options=options)


def test_keyframes_only_reports_no_frozen_share_it_cannot_know(one_keyframe: Path) -> None:
    sampled = analysed(one_keyframe, AnalysisOptions())
    assert sampled.frozen_percentage == pytest.approx(66.7, abs=100 * 0.5 / 3)
    result = run_task(str(one_keyframe), options=AnalysisOptions(video_keyframes_only=True))
    assert isinstance(result, CompletedResult)
    video = result.results.video_analysis
    assert video is not None and video.sampling is not None
    # One keyframe for 3 s: neither the frozen share nor the statistics can be told.
    assert video.frozen_percentage is None and video.black_percentage is None
    assert video.blur is None and video.levels is None
    assert video.sampling.depth == "keyframes" and video.sampling.max_gap == 3.0
    sparse = {item.measure for item in video.sampling.unmeasured if item.cause == "sparse"}
    assert {"frozen", "black", "blur", "levels", "active_area", "si"} <= sparse
    (check,) = [c for c in result.results.checks if c.code == "SPARSE_SAMPLING"]
    assert "frozen" in check.message and check.value == 3.0


@pytest.mark.parametrize(
    ("name", "code", "severities"),
    [
        ("flash_10hz", "FLASH_RISK", ("error", "error", "error")),
        ("flash_red_5hz", "FLASH_RISK", ("error", "error", "error")),
        ("letterbox", "LETTERBOX", ("info", "info", "warning")),
        ("tff_progressive_coded", "INTERLACE_MISMATCH", ("warning", "warning", "error")),
        ("bff_content_tff_coded", "FIELD_ORDER_MISMATCH", ("error", "error", "error")),
        ("levels_full_in_limited", "LEVELS_OUT_OF_RANGE", ("warning", "info", "info")),
        ("levels_full_in_limited", "RANGE_MISMATCH", ("warning", "warning", "warning")),
        ("levels_limited_in_full", "RANGE_MISMATCH", ("warning", "warning", "warning")),
    ],
)
def test_each_finding_raises_its_check_at_each_profiles_severity(
    picture_clips: PictureClips, name: str, code: str, severities: tuple[str, str, str]
) -> None:
    results = completed(picture_clips.path(name)).results
    for profile, severity in zip(("ebu-r128", "streaming", "web"), severities, strict=True):
        checks = judge(results, builtin_library().get(profile)).checks
        (check,) = [c for c in checks if c.code == code]
        assert check.severity == severity, (profile, check)
        assert len(check.message) > 40


def test_the_flash_and_scan_rules_are_silent_at_the_default_depth(
    picture_clips: PictureClips,
) -> None:
    """Not measured at the sampled depth, and not expected there: no check, not "not judged"."""
    results = completed(picture_clips.path("flash_10hz"), AnalysisOptions()).results
    assert results.video_analysis is not None and results.video_analysis.flashes is None
    assert results.verdict is not None
    every_frame_codes = {"FLASH_RISK", "FLASH_EXTENDED", "INTERLACE_MISMATCH"}
    every_frame_codes.add("FIELD_ORDER_MISMATCH")
    assert not every_frame_codes & {c.code for c in results.checks}
    assert not every_frame_codes & set(results.verdict.not_judged)


def test_the_bt1702_profile_analyses_every_frame_and_fails_flashing(
    picture_clips: PictureClips,
) -> None:
    profile = builtin_library().get("bt1702").document()
    result = run_task(str(picture_clips.path("flash_10hz")), profile=profile)
    assert isinstance(result, CompletedResult)
    video = result.results.video_analysis
    assert video is not None and video.sampling is not None
    assert video.sampling.depth == "every_frame"
    assert result.results.verdict is not None and result.results.verdict.status == "fail"
    assert "FLASH_RISK" in result.results.verdict.decided_by
    assert result.metadata.options is not None and result.metadata.options.video_every_frame


def test_bt1702_under_fast_says_the_flashes_were_not_judged(picture_clips: PictureClips) -> None:
    """`--fast` wins over the profile's every-frame analysis: the flash rules are not judged
    and SPARSE_SAMPLING, a warning under this profile, says why."""
    profile = builtin_library().get("bt1702").document()
    fast = AnalysisOptions(video_keyframes_only=True)
    result = run_task(str(picture_clips.path("flash_10hz")), options=fast, profile=profile)
    assert isinstance(result, CompletedResult)
    verdict = result.results.verdict
    assert verdict is not None and {"FLASH_RISK", "FLASH_RISK_RED"} <= set(verdict.not_judged)
    (sparse,) = [c for c in result.results.checks if c.code == "SPARSE_SAMPLING"]
    assert sparse.severity == "warning" and "flashes" in sparse.message


@pytest.mark.parametrize("name", ["flash_1hz", "progressive_motion", "levels_legal", "cuts"])
def test_clean_clips_raise_no_picture_depth_check(picture_clips: PictureClips, name: str) -> None:
    codes = {check.code for check in completed(picture_clips.path(name)).results.checks}
    depth_codes = {"FLASH_RISK", "FLASH_EXTENDED", "LETTERBOX", "ACTIVE_AREA_CHANGE"}
    depth_codes |= {"INTERLACE_MISMATCH", "FIELD_ORDER_MISMATCH", "LEVELS_OUT_OF_RANGE"}
    depth_codes |= {"RANGE_MISMATCH", "SPARSE_SAMPLING"}
    assert not codes & depth_codes


def test_a_request_asks_for_every_frame_through_its_options() -> None:
    """The depth crosses the service as the CLI flag does: the request's `options`, carried
    by each queue message to the worker's `run_task`."""
    from mp4_small_analyser.service.planning import plan_batch
    from mp4_small_analyser.service.schemas import FilesUrlRequest
    from mp4_small_analyser.stores.messages import AnalyseMessage

    request = FilesUrlRequest.model_validate(
        {"files_url": ["https://example.com/ad.mp4"], "options": {"video_every_frame": True}}
    )
    (message,) = plan_batch(request).messages
    queued = AnalyseMessage.model_validate_json(message.model_dump_json())
    assert queued.options is not None and queued.options.video_every_frame


def test_the_readable_report_shows_every_picture_depth_measure(
    picture_clips: PictureClips,
) -> None:
    """`mp4-analyser analyse --every-frame` as a user runs it: one line per measure."""
    path = picture_clips.path("flash_10hz")
    run = subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", "analyse", "--every-frame", str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.startswith("  ")}
    assert "every frame, 75 frames decoded" in lines["depth"]
    assert "progressive content, signalled progressive" in lines["scan"]
    assert "Y 16-" in lines["levels"] and "limited range" in lines["levels"]
    assert lines["shots"].split()[1] == "16,"  # every flash edge is a cut, as in scdet
    assert "SI " in lines["SI/TI"] and "TI " in lines["SI/TI"]
    assert "FAIL (peak 10/s" in lines["flashes"] and "general" in lines["flashes"]
    assert "FLASH_RISK" in run.stdout
    framed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mp4_small_analyser.cli",
            "analyse",
            str(picture_clips.path("letterbox")),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "letterbox 640x272 (bars 44/44/0/0 px t/b/l/r)" in framed.stdout
    assert "flashes, shots, ti, interlace need --every-frame" in framed.stdout
