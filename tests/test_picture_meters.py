"""The picture meters bundle on decoded frames: both depths, and what a stream may throw at it."""

from __future__ import annotations

import av
import numpy as np

from mp4_small_analyser.analysis.decode import LumaFrame, VideoPicture, _luma
from mp4_small_analyser.analysis.picture.meters import PictureMeters, StreamTraits
from mp4_small_analyser.options import AnalysisOptions

TRAITS = StreamTraits(frame_rate=25.0, sample_aspect_ratio=1.0, field_order=1)


def frames(width: int, height: int, count: int, seed: int) -> list[av.VideoFrame]:
    rng = np.random.default_rng(seed)
    return [
        av.VideoFrame.from_ndarray(
            rng.integers(16, 236, (height, width, 3), dtype=np.uint8), format="rgb24"
        ).reformat(format="yuv420p")
        for _ in range(count)
    ]


def feed(meters: PictureMeters, pictures: list[av.VideoFrame], start: float) -> None:
    for index, picture in enumerate(pictures):
        time = start + index / 25
        item: LumaFrame | VideoPicture = (
            _luma(picture, time) if index % 12 == 0 else VideoPicture(time, picture)
        )
        meters.add(item)


def test_a_picture_size_change_mid_stream_is_measured_on_both_sides() -> None:
    meters = PictureMeters(AnalysisOptions(video_every_frame=True), TRAITS)
    # 27 frames: an idet triplet (every 13th frame) waits across the change for its next.
    feed(meters, frames(64, 48, 27, seed=1), 0.0)
    feed(meters, frames(96, 64, 30, seed=2), 27 / 25)
    result = meters.result(57 / 25, frames_decoded=57)
    assert result.flashes is not None and result.cuts is not None
    assert result.interlace is not None and result.interlace.frames >= 4
    assert result.active_area is not None and result.active_area.frame_width == 96
    assert result.siti.si_mean is not None and result.siti.ti_mean is not None


def test_the_sampled_depth_feeds_only_the_samples_meters() -> None:
    meters = PictureMeters(AnalysisOptions(), TRAITS)
    for index, picture in enumerate(frames(64, 48, 5, seed=3)):
        meters.add(_luma(picture, index * 0.5))
    result = meters.result(2.5, frames_decoded=5)
    assert result.depth == "sampled" and result.coverage.pictures == 5
    assert result.flashes is None and result.cuts is None and result.interlace is None
    assert result.levels is not None and result.siti.si_mean is not None
    assert result.siti.ti_mean is None
