"""The BT.1702 / Ofcom flash rule on synthetic light sequences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from mp4_small_analyser.analysis.picture.flashes import FlashMeter, FlashResult
from mp4_small_analyser.analysis.picture.planes import SmallPicture

SHAPE = (18, 32)
FPS = 25


def run(
    light: Callable[[int], tuple[np.ndarray, np.ndarray]], seconds: float = 3.0, fps: int = FPS
) -> FlashResult:
    meter = FlashMeter()
    for i in range(round(seconds * fps)):
        luminance, red = light(i)
        meter.add_light(i / fps, luminance.astype(np.float32), red.astype(np.float32))
    return meter.result()


def square(
    rate: float, dark: float, bright: float, area: float = 1.0, fps: int = FPS
) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    """`rate` flashes a second between two luminances over the first `area` of the pixels."""
    cut = round(area * SHAPE[0] * SHAPE[1])

    def light(i: int) -> tuple[np.ndarray, np.ndarray]:
        on = int(np.floor(2 * rate * i / fps)) % 2 == 1
        lum = np.full(SHAPE[0] * SHAPE[1], 50.0)
        lum[:cut] = bright if on else dark
        return lum.reshape(SHAPE), np.zeros(SHAPE)

    return light


def test_ten_full_screen_flashes_a_second_fail() -> None:
    result = run(square(10, 0, 200))
    assert not result.passed and result.peak_frequency == 10.0
    assert result.failing_segments[0].kind == "general"
    assert result.flashes_per_second[1:] == [10.0, 10.0]


def test_one_flash_a_second_passes() -> None:
    result = run(square(1, 0, 200))
    assert result.passed and result.peak_frequency == 1.0


@pytest.mark.parametrize(("rate", "passes"), [(3.0, True), (3.5, False), (4.0, False)])
def test_more_than_three_flashes_in_a_second_fail(rate: float, passes: bool) -> None:
    assert run(square(rate, 0, 200, fps=50), fps=50).passed is passes


@pytest.mark.parametrize(("area", "passes"), [(0.2, True), (0.25, True), (0.3, False)])
def test_only_flashes_over_more_than_a_quarter_of_the_screen_fail(
    area: float, passes: bool
) -> None:
    result = run(square(10, 0, 200, area))
    assert result.passed is passes
    assert abs(result.max_flashing_area - area) < 0.01


def test_changes_under_20_cd_m2_are_not_flashes() -> None:
    assert run(square(10, 50, 69)).peak_frequency == 0.0
    assert run(square(10, 50, 70)).peak_frequency == 10.0


def test_flashes_whose_darker_image_is_at_least_160_cd_m2_are_not_counted() -> None:
    assert run(square(10, 160, 200)).passed
    assert not run(square(10, 159, 200)).passed


def test_a_flash_spread_over_several_frames_counts_once_per_transition() -> None:
    ramp = [0, 70, 140, 200, 200, 130, 60, 0, 0, 0]  # up over 3 frames, down over 4

    def light(i: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(SHAPE, float(ramp[i % 10])), np.zeros(SHAPE)

    result = run(light)
    # 10 frames a cycle at 25 fps: 2.5 flashes/s; a sliding second can hold 6 transitions.
    assert result.flashes_per_second == [2.5, 2.5, 2.5]
    assert result.peak_frequency == 3.0 and result.passed


def test_out_of_phase_halves_add_up_as_combined_area() -> None:
    half = SHAPE[0] * SHAPE[1] // 2

    def light(i: int) -> tuple[np.ndarray, np.ndarray]:
        on = int(np.floor(2 * 10 * i / FPS)) % 2 == 1
        lum = np.empty(SHAPE[0] * SHAPE[1])
        lum[:half] = 200.0 if on else 0.0
        lum[half:] = 0.0 if on else 200.0  # the other half in counter-phase
        return lum.reshape(SHAPE), np.zeros(SHAPE)

    assert not run(light).passed


def test_saturated_red_flashes_fail_as_red_even_at_constant_luminance() -> None:
    def picture(i: int) -> SmallPicture:
        on = int(np.floor(2 * 5 * i / FPS)) % 2 == 1
        # Red R'G'B' (1, 0, 0) and the grey of equal luminance (gamma 2.4: 0.2126^(1/2.4)).
        grey = 0.2126 ** (1 / 2.4)
        y, cb, cr = (0.2126, -0.2126 / 1.8556, 0.5) if on else (grey, 0.0, 0.0)

        def plane(value: float) -> np.ndarray:
            return np.full(SHAPE, value, np.float32)

        return SmallPicture(
            i / FPS,
            plane(16 + 219 * y),
            plane(128 + 224 * cb),
            plane(128 + 224 * cr),
            False,
            "bt709",
        )

    meter = FlashMeter()
    for i in range(3 * FPS):
        meter.add(picture(i))
    result = meter.result()
    assert not result.passed
    assert result.red_peak_frequency == 5.0 and result.peak_frequency == 0.0
    assert {s.kind for s in result.failing_segments} == {"red"}


def test_sustained_flashing_near_the_limit_is_reported_as_extended() -> None:
    result = run(square(3, 0, 200), seconds=6.0)
    assert result.passed
    assert result.extended_segments and result.extended_segments[0].end > 5.0
    assert not run(square(3, 0, 200), seconds=3.5).extended_segments


def test_failing_segments_cover_the_failing_seconds_with_times() -> None:
    def light(i: int) -> tuple[np.ndarray, np.ndarray]:
        t = i / FPS
        on = 2.0 <= t < 3.0 and int(np.floor(2 * 8 * i / FPS)) % 2 == 1
        return np.full(SHAPE, 200.0 if on else 0.0), np.zeros(SHAPE)

    result = run(light, seconds=5.0)
    (segment,) = result.failing_segments
    assert 2.0 <= segment.start <= 2.1 and 2.9 <= segment.end <= 3.0
    assert result.flashes_per_second[0] == 0.0 and result.flashes_per_second[2] >= 3.5


def test_timestamps_not_frame_counts_define_the_second() -> None:
    meter = FlashMeter()
    for i in range(100):  # 50 fps for 2 s, 5 flashes a second
        on = int(np.floor(2 * 5 * i / 50)) % 2 == 1
        meter.add_light(
            i / 50, np.full(SHAPE, 200.0 if on else 0.0, np.float32), np.zeros(SHAPE, np.float32)
        )
    assert meter.result().peak_frequency == 5.0


def test_a_pan_across_fine_texture_is_not_a_flash_but_a_whole_area_changing_is() -> None:
    """Texture moving a pixel a frame makes each pixel swing by ~100 cd/m² several times a
    second, yet no ~1-degree cell's mean changes: nothing flashes. The same swings made by
    the whole screen at once fail."""
    rng = np.random.default_rng(2)
    texture = rng.choice([20.0, 120.0], size=(90, 160 + 75)).astype(np.float32)
    pan, strobe = FlashMeter(), FlashMeter()
    none = np.zeros((90, 160), np.float32)
    for i in range(75):
        pan.add_light(i / FPS, np.ascontiguousarray(texture[:, i : i + 160]), none)
        strobe.add_light(
            i / FPS, np.full((90, 160), 120.0 if i % 4 < 2 else 20.0, np.float32), none
        )
    panned = pan.result()
    assert panned.passed and panned.peak_frequency <= 1.0
    assert not strobe.result().passed
