"""The sparse-sampling rule: which measures a coverage can support (`--fast` tells the truth)."""

from __future__ import annotations

from mp4_small_analyser.analysis.picture.sampling import Coverage, GapTracker, judge, unusable


def test_the_gap_includes_the_start_and_the_end() -> None:
    tracker = GapTracker()
    for t in (0.5, 1.0, 1.5):
        tracker.add(t)
    assert tracker.coverage(4.0, every_frame=False).max_gap == 2.5
    assert GapTracker().coverage(3.0, every_frame=False).max_gap == 3.0


def test_a_single_keyframe_cannot_say_how_much_is_frozen() -> None:
    # The --fast bug: a 3 s clip, 2 s frozen, one keyframe.
    coverage = Coverage(pictures=1, every_frame=False, max_gap=3.0)
    names = {v.metric for v in unusable(coverage)}
    assert {"frozen", "black", "flashes", "shots", "ti", "interlace", "blur", "levels"} <= names


def test_two_samples_a_second_support_black_and_frozen_of_one_second_and_more() -> None:
    # B-frames skipped: an instant may wait a few frames for the next decoded one.
    coverage = Coverage(pictures=20, every_frame=False, max_gap=0.66)
    assert judge("frozen", coverage, 2.0, 2.0).usable
    assert judge("black", coverage, 1.0, 2.0).usable
    assert not judge("frozen", coverage, 2.0, 0.8).usable
    assert not judge("flashes", coverage, 2.0, 2.0).usable
    assert judge("levels", coverage, 2.0, 2.0).usable


def test_a_two_second_gop_is_too_sparse_for_two_second_stretches() -> None:
    keyframes = Coverage(pictures=15, every_frame=False, max_gap=2.0)
    assert not judge("black", keyframes, 2.0, 2.0).usable
    assert judge("blur", keyframes, 2.0, 2.0).usable


def test_a_short_clip_sampled_twice_a_second_supports_the_statistics() -> None:
    assert judge("si", Coverage(pictures=2, every_frame=False, max_gap=0.5), 2.0, 2.0).usable
    assert not judge("si", Coverage(pictures=2, every_frame=False, max_gap=3.0), 2.0, 2.0).usable
    long_gop = Coverage(pictures=40, every_frame=False, max_gap=12.0)
    assert not judge("brightness", long_gop, 2.0, 2.0).usable


def test_every_frame_supports_everything() -> None:
    assert unusable(Coverage(pictures=20, every_frame=True, max_gap=0.5)) == []
