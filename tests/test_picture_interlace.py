"""idet's field metrics, verdicts and vote, and the comparison with what the stream signals."""

from __future__ import annotations

import numpy as np
import pytest

from mp4_small_analyser.analysis.picture.interlace import (
    InterlaceMeter,
    SignalledScan,
    classify,
    field_sums,
    repeated,
    signalled_order,
)
from mp4_small_analyser.analysis.picture.meters import cadence_free_stride
from tests import picture_clips as media


def naive_sums(prev: np.ndarray, cur: np.ndarray, nxt: np.ndarray) -> list[int]:
    """idet's loops, line by line."""
    alpha, gamma, delta = [0, 0], [0, 0], 0
    p, c, n = (a.astype(np.int64) for a in (prev, cur, nxt))
    for y in range(2, cur.shape[0] - 2):
        alpha[y & 1] += int(np.abs(c[y - 1] + c[y + 1] - 2 * p[y]).sum())
        alpha[(y ^ 1) & 1] += int(np.abs(c[y - 1] + c[y + 1] - 2 * n[y]).sum())
        delta += int(np.abs(c[y - 1] + c[y + 1] - 2 * c[y]).sum())
        gamma[(y ^ 1) & 1] += int(np.abs(2 * c[y] - 2 * p[y]).sum())
    return [alpha[0], alpha[1], delta, gamma[0], gamma[1]]


def test_field_sums_equal_idets_line_loops() -> None:
    rng = np.random.default_rng(3)
    prev, cur, nxt = (rng.integers(0, 256, (37, 23), dtype=np.uint8) for _ in range(3))
    assert list(field_sums(prev, cur, nxt)) == naive_sums(prev, cur, nxt)


def luma(frame: media.Yuv) -> list[np.ndarray]:
    return [frame[0]]


@pytest.mark.parametrize(("top_first", "expected"), [(True, "tff"), (False, "bff")])
def test_fields_from_two_instants_read_as_their_field_order(top_first: bool, expected: str) -> None:
    meter = InterlaceMeter()
    for i in range(12):
        meter.add(luma(media.woven(96, 128, i / 25, i / 25 + 0.02, top_first)))
    result = meter.result()
    assert result.detected == expected
    assert getattr(result.single, expected) == 12


def test_progressive_motion_reads_progressive_and_a_still_picture_undetermined() -> None:
    moving, still = InterlaceMeter(), InterlaceMeter()
    zero = np.zeros((96, 128))
    for i in range(10):
        moving.add(
            luma(media.yuv_planes((media.moving_scene(96, 128, i / 25) - 16) / 219, zero, zero))
        )
        still.add(luma(media.grey(96, 128, 100)))
    assert moving.result().detected == "progressive"
    assert still.result().detected == "undetermined"


def test_a_field_repeated_from_the_previous_picture_is_counted() -> None:
    h, w = 96, 128
    a, b = media.moving_scene(h, w, 0.0), media.moving_scene(h, w, 0.1)
    first = a.copy()
    second = b.copy()
    second[1::2] = a[1::2]  # bottom field repeated from the first picture
    sums = field_sums(first.astype(np.uint8), second.astype(np.uint8), b.astype(np.uint8))
    assert repeated(sums[3], sums[4]) == "bottom"


def test_classify_follows_idets_thresholds() -> None:
    assert classify(105, 100, 1000) == "tff"
    assert classify(104, 100, 1000) == "undetermined"
    assert classify(100, 105, 1000) == "bff"
    assert classify(100, 100, 60) == "progressive"


def test_the_vote_needs_three_agreeing_verdicts_to_change_an_established_one() -> None:
    meter = InterlaceMeter()
    tff = [media.woven(64, 96, i / 25, i / 25 + 0.02, True)[0] for i in range(8)]
    bff = [media.woven(64, 96, i / 25, i / 25 + 0.02, False)[0] for i in range(8, 12)]
    for picture in tff + bff:
        meter.add([picture])
    result = meter.result()
    # The first BFF picture is classified against a TFF neighbour; the vote lags 3 pictures.
    assert result.multi.tff > result.single.tff
    assert result.multi.tff + result.multi.bff == 12


def test_signalled_scan_maps_ffmpeg_field_orders() -> None:
    assert [signalled_order(i) for i in range(6)] == [
        "unknown",
        "progressive",
        "tff",
        "bff",
        "bff",
        "tff",
    ]


def _verdict(content_top_first: bool | None, signalled: SignalledScan) -> str | None:
    meter = InterlaceMeter()
    zero = np.zeros((96, 128))
    for i in range(10):
        if content_top_first is None:
            y = (media.moving_scene(96, 128, i / 25) - 16) / 219
            meter.add(luma(media.yuv_planes(y, zero, zero)))
        else:
            meter.add(luma(media.woven(96, 128, i / 25, i / 25 + 0.02, content_top_first)))
    return meter.result(signalled).mismatch


def test_mismatches_between_content_and_signalling() -> None:
    progressive = SignalledScan("progressive", 0, 10)
    tff = SignalledScan("tff", 10, 10)
    assert _verdict(True, progressive) == "interlaced_flagged_progressive"
    assert _verdict(None, tff) == "progressive_flagged_interlaced"
    assert _verdict(False, tff) == "field_order"
    assert _verdict(True, tff) == "none"
    assert _verdict(None, progressive) == "none"


def test_interlace_stride_avoids_the_periods_of_field_cadences() -> None:
    assert [cadence_free_stride(f * 0.5) for f in (24, 25, 30, 50, 60)] == [13, 13, 17, 29, 31]
