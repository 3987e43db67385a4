"""scdet's score, cut times and shot counts."""

from __future__ import annotations

import numpy as np

from mp4_small_analyser.analysis.picture.cuts import CutMeter, mafd


def test_mafd_is_the_mean_absolute_difference_in_percent_of_256_levels() -> None:
    a = np.zeros((4, 4), np.uint8)
    b = np.full((4, 4), 64, np.uint8)
    assert mafd(a, b) == 25.0
    assert mafd(b.astype(np.float32), a.astype(np.float32)) == 25.0


def test_a_cut_is_a_sudden_difference_and_steady_motion_is_not() -> None:
    meter = CutMeter()
    levels = [100] * 5 + [180] * 5 + [180 + 10 * i for i in range(1, 7)]
    for i, level in enumerate(levels):
        meter.add(np.full((8, 8), min(level, 255), np.uint8), i * 0.04)
    result = meter.result(len(levels) * 0.04)
    # 100 -> 180: MAFD 31.25, previous 0: score 31.25. Then steps of 10 levels (MAFD 3.9)
    # score min(3.9, |3.9 - 0|) = 3.9 once, then 0: no cut.
    assert [round(c.time, 2) for c in result.cuts] == [0.2]
    assert result.shot_count == 2
    assert result.average_shot_length == len(levels) * 0.04 / 2


def test_the_first_picture_scores_zero_and_a_size_change_is_not_a_cut() -> None:
    meter = CutMeter()
    meter.add(np.zeros((8, 8), np.uint8), 0.0)
    assert meter.last_score == 0.0
    meter.add(np.full((4, 4), 255, np.uint8), 0.04)
    assert meter.last_score == 0.0 and meter.result(0.08).cut_count == 0
