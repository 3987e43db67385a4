"""P.910 SI/TI as FFmpeg's siti computes them."""

from __future__ import annotations

import numpy as np

from mp4_small_analyser.analysis.picture.siti import (
    SiTiMeter,
    full_levels,
    full_range_lut,
    row_step,
    spatial_information,
    temporal_information,
    to_full_range,
)


def naive_si(full: np.ndarray) -> float:
    a = full.astype(np.float64)
    h, w = a.shape
    mags = []
    for j in range(1, h - 1):
        for i in range(1, w - 1):
            win = a[j - 1 : j + 2, i - 1 : i + 2]
            gx = (win[:, 0] * [1, 2, 1]).sum() - (win[:, 2] * [1, 2, 1]).sum()
            gy = (win[0] * [1, 2, 1]).sum() - (win[2] * [1, 2, 1]).sum()
            mags.append(np.hypot(gx, gy))
    return float(np.std(mags))


def test_si_is_the_std_of_the_sobel_magnitude_over_valid_pixels() -> None:
    full = np.random.default_rng(5).integers(0, 256, (13, 17), dtype=np.uint8)
    assert abs(spatial_information(full) - naive_si(full)) < 1e-3
    assert spatial_information(np.full((10, 10), 77, np.uint8)) == 0.0


def test_ti_is_the_std_of_the_difference_and_survives_large_cuts() -> None:
    a = np.zeros((300, 300), np.uint8)
    b = np.zeros((300, 300), np.uint8)
    b[::2] = 255  # a cut between two very different pictures: sum of squares past 2^31
    assert abs(temporal_information(a, b) - 127.5) < 1e-9
    assert temporal_information(a, a + 9) == 0.0


def test_limited_range_codes_map_to_full_range_with_sitis_truncation() -> None:
    lut = full_range_lut()
    assert [int(lut[c]) for c in (0, 16, 17, 125, 235, 255)] == [0, 0, 1, 126, 255, 255]
    assert to_full_range(np.array([[16]], np.uint8), True)[0, 0] == 16


def test_the_meter_reports_mean_and_max_and_sitis_first_frame_zero() -> None:
    meter = SiTiMeter()
    rng = np.random.default_rng(1)
    frames = [rng.integers(16, 236, (20, 20), dtype=np.uint8) for _ in range(3)]
    for frame in frames:
        meter.add(frame, False)
    result = meter.result()
    full = [to_full_range(f, False) for f in frames]
    tis = [temporal_information(full[0], full[1]), temporal_information(full[1], full[2])]
    assert result.si_frames == 3 and result.ti_frames == 2
    assert result.ti_max == max(tis) and result.ti_mean == sum(tis) / 2
    assert result.ffmpeg_ti_mean == sum(tis) / 3


def test_pairs_picked_for_being_extreme_count_for_the_max_only() -> None:
    meter = SiTiMeter()
    a = np.zeros((10, 10), np.uint8)
    b = a.copy()
    b[::2] = 200
    meter.add_ti(a, a, True)
    meter.add_ti(a, b, True, in_mean=False)
    result = meter.result()
    assert result.ti_mean == 0.0 and result.ti_max == 100.0


def test_the_multiply_shift_mapping_equals_sitis_truncating_table() -> None:
    codes = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(full_levels(codes, False), full_range_lut()[codes])


def test_every_fourth_row_gives_ti_within_a_percent_on_natural_texture() -> None:
    from tests import picture_clips as media

    a = np.clip(media.texture(1080, 1920, 0.0, seed=2), 0, 255).astype(np.uint8)
    b = np.clip(media.texture(1080, 1920, 0.1, seed=2), 0, 255).astype(np.uint8)
    step = row_step(1080)
    assert step == 4
    ti_all, ti_rows = temporal_information(a, b, False), temporal_information(a, b, False, step)
    assert abs(ti_rows - ti_all) < 0.01 * ti_all


def test_ti_rows_starting_anywhere_average_to_every_row() -> None:
    """The every-frame mean takes 60 rows a frame from a starting row that moves each frame."""
    rng = np.random.default_rng(4)
    a = rng.integers(16, 236, (90, 40), dtype=np.uint8)
    b = a.copy()
    b[::2] = 235  # every other row changes: rows of one parity alone would mislead
    step = 9
    rotated = [temporal_information(a, b, False, step, first) for first in range(step)]
    assert abs(np.mean(rotated) - temporal_information(a, b, False)) < 0.05 * float(
        np.mean(rotated)
    )
