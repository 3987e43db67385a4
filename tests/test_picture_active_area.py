"""Active picture area (cropdetect's rule) and its segments over time."""

from __future__ import annotations

import numpy as np

from mp4_small_analyser.analysis.picture.active_area import (
    LIMIT,
    ActiveAreaMeter,
    Bars,
    Rect,
    active_rect,
    kind_of,
)


def boxed(top: int, bottom: int, left: int, right: int, h: int = 90, w: int = 160) -> np.ndarray:
    luma = np.full((h, w), 120, np.uint8)
    luma[:top] = 16
    luma[h - bottom :] = 16
    luma[:, :left] = 16
    luma[:, w - right :] = 16
    return luma


def test_active_rect_finds_bars_on_each_side() -> None:
    assert active_rect(boxed(10, 12, 5, 7)) == Rect(5, 10, 148, 68)


def test_a_black_picture_has_no_active_area() -> None:
    assert active_rect(np.full((20, 30), 16, np.uint8)) is None


def test_a_line_whose_truncated_mean_is_at_the_limit_is_a_bar_as_in_cropdetect() -> None:
    luma = np.full((20, 10), 100, np.uint8)
    luma[0] = [LIMIT] * 9 + [LIMIT + 9]  # mean 24.9, truncated to 24
    luma[1] = [LIMIT] * 9 + [LIMIT + 10]  # mean 25.0
    rect = active_rect(luma)
    assert rect is not None and rect.y == 1


def test_kind_names_the_bars() -> None:
    assert kind_of(Bars(44, 44, 0, 0), 640, 360) == "letterbox"
    assert kind_of(Bars(0, 0, 80, 80), 640, 360) == "pillarbox"
    assert kind_of(Bars(30, 30, 40, 40), 640, 360) == "windowbox"
    assert kind_of(Bars(1, 1, 0, 0), 640, 360) == "full"


def test_a_change_of_framing_makes_two_segments_and_the_union_is_reported() -> None:
    meter = ActiveAreaMeter()
    for i in range(8):
        meter.add(boxed(10, 10, 0, 0), i * 0.5)
    for i in range(8, 16):
        meter.add(boxed(0, 0, 0, 0), i * 0.5)
    result = meter.result(8.0)
    assert result is not None
    assert not result.stable
    assert [(s.start, s.end, s.kind) for s in result.segments] == [
        (0.0, 4.0, "letterbox"),
        (4.0, 8.0, "full"),
    ]
    assert result.rect == Rect(0, 0, 160, 90) and result.kind == "full"


def test_a_blip_shorter_than_min_duration_and_black_pictures_do_not_break_stability() -> None:
    meter = ActiveAreaMeter(min_duration=1.0)
    for i in range(10):
        luma = boxed(10, 10, 0, 0)
        if i == 4:
            luma = boxed(30, 10, 0, 0)  # a dark top half for one sample
        if i == 6:
            luma = np.full((90, 160), 16, np.uint8)  # a black frame
        meter.add(luma, i * 0.5)
    result = meter.result(5.0)
    assert result is not None and result.stable and result.frames == 9
    assert result.bars == Bars(10, 10, 0, 0)


def test_a_resolution_change_starts_over() -> None:
    meter = ActiveAreaMeter()
    meter.add(boxed(10, 10, 0, 0), 0.0)
    meter.add(boxed(0, 0, 20, 20, h=120, w=200), 0.5)
    result = meter.result(1.0)
    assert result is not None and (result.frame_width, result.frame_height) == (200, 120)
    assert result.kind == "pillarbox"
