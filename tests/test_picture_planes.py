"""Plane reading, integer area shrinking and display light."""

from __future__ import annotations

import av
import numpy as np
import pytest

from mp4_small_analyser.analysis.picture.planes import (
    DisplayModel,
    Planes,
    SmallPicture,
    area_shrink,
    dense_factor,
    display_light,
    frame_planes,
    small_picture,
)


@pytest.mark.parametrize("factor", [1, 2, 3, 4, 6, 7])
def test_area_shrink_is_the_block_mean_and_drops_partial_blocks(factor: int) -> None:
    plane = np.random.default_rng(factor).integers(0, 256, (61, 83), dtype=np.uint8)
    h, w = 61 // factor * factor, 83 // factor * factor
    expected = plane[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    np.testing.assert_allclose(area_shrink(plane, factor), expected, atol=1e-4)


def test_dense_factor_brings_common_heights_to_at_most_90_lines() -> None:
    assert [dense_factor(h) for h in (2160, 1080, 720, 576, 480, 360, 90, 60)] == [
        24,
        12,
        8,
        7,
        6,
        4,
        1,
        1,
    ]
    assert dense_factor(1080, lines=180) == 6


def test_small_picture_puts_420_chroma_on_the_luma_grid() -> None:
    y = np.full((1080, 1920), 100, np.uint8)
    u = np.full((540, 960), 90, np.uint8)
    v = np.full((540, 960), 170, np.uint8)
    small = small_picture(Planes(y, u, v, False, "bt709"), 1.5, lines=180)
    assert small.y.shape == small.u.shape == small.v.shape == (180, 320)  # type: ignore[union-attr]
    assert small.time == 1.5 and float(small.u.max()) == 90.0  # type: ignore[union-attr]


def test_small_picture_with_an_odd_factor_samples_chroma_at_block_centres() -> None:
    y = np.zeros((480, 640), np.uint8)
    u = np.tile(np.arange(320, dtype=np.uint8), (240, 1))
    small = small_picture(Planes(y, u, u.copy(), False, "bt601"), 0.0, lines=180)
    assert small.y.shape == small.u.shape == (160, 213)  # type: ignore[union-attr]
    # Block 0 covers luma columns 0-2, centre 1.5, chroma column 0.75 -> 0.
    assert small.u[0, :3].tolist() == [0.0, 2.0, 3.0]  # type: ignore[index]


def _flat(y: float, u: float, v: float, full_range: bool = False) -> SmallPicture:
    def plane(level: float) -> np.ndarray:
        return np.full((4, 4), level, np.float32)

    return SmallPicture(0.0, plane(y), plane(u), plane(v), full_range, "bt709")


def test_display_light_puts_limited_range_white_at_the_model_peak_and_black_at_zero() -> None:
    white, _ = display_light(_flat(235, 128, 128))
    black, _ = display_light(_flat(16, 128, 128))
    np.testing.assert_allclose(white, 200.0, rtol=1e-5)
    np.testing.assert_allclose(black, 0.0, atol=1e-6)
    full_white, _ = display_light(_flat(255, 128, 128, full_range=True), DisplayModel(peak=100))
    np.testing.assert_allclose(full_white, 100.0, rtol=1e-5)


def test_display_light_of_pure_red_is_its_luminance_weight_and_full_red_quantity() -> None:
    # BT.709 R'G'B' (1, 0, 0) in limited range: Y' = 0.2126, Cb = -0.2126/1.8556, Cr = 0.5.
    y = 16 + 219 * 0.2126
    cb = 128 + 224 * (-0.2126 / 1.8556)
    cr = 128 + 224 * 0.5
    luminance, red = display_light(_flat(y, cb, cr))
    np.testing.assert_allclose(luminance, 0.2126 * 200, rtol=2e-3)
    np.testing.assert_allclose(red, 320.0, rtol=5e-3)


def test_grey_has_no_red_quantity() -> None:
    _, red = display_light(_flat(150, 128, 128))
    assert float(red.max()) == 0.0


def test_frame_planes_reads_coded_levels_and_range_without_conversion() -> None:
    data = np.concatenate(
        [
            np.full((32, 48), 17, np.uint8),
            np.full((8, 48), 100, np.uint8),
            np.full((8, 48), 200, np.uint8),
        ]
    )
    frame = av.VideoFrame.from_ndarray(data, format="yuv420p")
    frame.color_range = 2
    planes = frame_planes(frame, copy=True)
    assert planes.y.shape == (32, 48) and int(planes.y[0, 0]) == 17
    assert planes.u is not None and int(planes.u[0, 0]) == 100
    assert planes.v is not None and int(planes.v[0, 0]) == 200
    assert planes.full_range and planes.matrix == "bt601"


def test_frame_planes_shifts_10_bit_planes_to_8_bits() -> None:
    frame = av.VideoFrame(64, 32, "yuv420p10le")
    for plane in frame.planes:
        values = np.frombuffer(memoryview(plane), dtype="<u2").copy()
        values[:] = 940
        plane.update(values.tobytes())
    planes = frame_planes(frame)
    assert int(planes.y[0, 0]) == 940 >> 2


def test_the_luma_shortcut_for_neutral_pixels_matches_the_full_conversion() -> None:
    # A near-neutral picture takes the EOTF of luma; nudging one pixel's chroma over the
    # limit sends the whole picture through R'G'B': the neutral pixels must read the same.
    neutral = _flat(120, 128, 128)
    nudged = _flat(120, 128, 128)
    assert nudged.u is not None
    nudged.u[0, 0] = 160
    fast, _ = display_light(neutral)
    exact, _ = display_light(nudged)
    np.testing.assert_allclose(fast[1:], exact[1:], rtol=2e-3)
