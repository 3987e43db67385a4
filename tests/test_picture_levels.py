"""signalstats' per-picture levels, BRNG, and the range-mismatch heuristic."""

from __future__ import annotations

import numpy as np

from mp4_small_analyser.analysis.picture.levels import (
    LevelsMeter,
    brng_count,
    histogram_levels,
    range_verdict,
)


def test_frame_levels_read_percentiles_as_signalstats() -> None:
    histogram = np.zeros(256, np.int64)
    histogram[[10, 20, 30, 40]] = [1, 1, 7, 1]  # 10 pixels: lrint(1) -> first code, lrint(9)
    levels = histogram_levels(histogram)
    assert (levels.minimum, levels.low, levels.high, levels.maximum) == (10, 10, 30, 40)
    assert levels.average == (10 + 20 + 7 * 30 + 40) / 10


def test_brng_counts_luma_positions_whose_luma_or_chroma_sample_is_out_of_range() -> None:
    y = np.full((4, 4), 100, np.uint8)
    y[0, 0] = 240  # luma out
    u = np.full((2, 2), 128, np.uint8)
    v = np.full((2, 2), 128, np.uint8)
    v[1, 1] = 250  # covers luma rows 2-3, columns 2-3
    assert brng_count(y, u, v) == 1 + 4
    y[3, 3] = 5  # already counted through its chroma
    assert brng_count(y, u, v) == 5


def _histogram(codes: dict[int, int]) -> np.ndarray:
    histogram = np.zeros(256, np.int64)
    for code, count in codes.items():
        histogram[code] = count
    return histogram


def test_full_range_content_flagged_limited_is_found() -> None:
    ramp = _histogram({c: 10 for c in range(256)})
    assert range_verdict(ramp, flagged_full=False) == "full_content_flagged_limited"


def test_occasional_overshoot_in_limited_range_is_consistent() -> None:
    codes = {c: 1000 for c in range(16, 236)} | {240: 5, 250: 1}
    assert range_verdict(_histogram(codes), flagged_full=False) == "consistent"


def test_limited_content_flagged_full_needs_a_pile_up_at_video_black_or_white() -> None:
    parked = {c: 100 for c in range(20, 230)} | {16: 5000, 235: 5000}
    assert range_verdict(_histogram(parked), flagged_full=True) == "limited_content_flagged_full"
    low_contrast = {c: 100 for c in range(40, 200)}
    assert range_verdict(_histogram(low_contrast), flagged_full=True) == "consistent"


def test_the_meter_summarises_pictures_and_flags_out_of_range_pictures() -> None:
    meter = LevelsMeter()
    legal = np.tile(np.arange(16, 236, dtype=np.uint8), (10, 1))
    hot = legal.copy()
    hot[:, :10] = 250
    c = np.full((5, 110), 128, np.uint8)
    meter.add(legal, c, c, False)
    meter.add(hot, c, c, False)
    result = meter.result()
    assert result is not None
    assert result.y.minimum == 16 and result.y.maximum == 250
    assert result.out_of_range_max == 10 / 220 and result.out_of_range_frames == 0.5
    assert result.u is not None and result.u.percentiles[50] == 128
