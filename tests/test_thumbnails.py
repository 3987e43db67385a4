"""Thumbnails: a contact sheet and the first frame of each black or frozen stretch.

The clip is 12 s at 25 fps, 320x180: moving texture, 3 s black, moving, 3 s of
one red picture (frozen), moving. Pictures are decoded back with PyAV and
compared with what was encoded, so a thumbnail is known to show the right
frame in its colours: black stays black, the frozen one is red.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from mp4_small_analyser.analysis.picture.thumbnails import (
    CONTACT_SHEET_TILES,
    Shape,
    encode_jpeg,
    rgb_picture,
)
from mp4_small_analyser.analysis.task import run_task, run_task_with_thumbnails
from mp4_small_analyser.models import CompletedResult, VideoFacts
from mp4_small_analyser.options import AnalysisOptions
from tests.mediagen import moving_pattern, write_video

WIDTH, HEIGHT, FPS = 320, 180, 25


RED = (200, 30, 30)


@pytest.fixture(scope="module")
def defect_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    black = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    still = np.full((HEIGHT, WIDTH, 3), RED, np.uint8)
    frames = (
        moving_pattern(WIDTH, HEIGHT, 2 * FPS, seed=1)
        + [black] * (3 * FPS)
        + moving_pattern(WIDTH, HEIGHT, 2 * FPS, seed=2)
        + [still] * (3 * FPS)
        + moving_pattern(WIDTH, HEIGHT, 2 * FPS, seed=3)
    )
    path = tmp_path_factory.mktemp("thumbs") / "defects.mp4"
    return write_video(path, frames, fps=FPS, options={"preset": "ultrafast", "crf": "18"})


def _decode(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        pixels: np.ndarray = frame.to_ndarray(format="rgb24")
        return pixels


@pytest.mark.parametrize("every_frame", [False, True], ids=["sampled", "every_frame"])
def test_stretches_and_contact_sheet_come_with_their_pictures(
    defect_clip: Path, every_frame: bool
) -> None:
    options = AnalysisOptions(video_every_frame=every_frame)
    output = run_task_with_thumbnails(str(defect_clip), options=options)
    result = output.result
    assert isinstance(result, CompletedResult)
    thumbnails = result.results.thumbnails
    assert thumbnails is not None
    images = {image.name: image for image in output.images}
    video = result.results.video_analysis
    assert video is not None and video.black_segments and video.frozen_segments
    # Every frame decoded once feeds the every-frame measures and the thumbnails alike.
    assert video.sampling is not None
    assert video.sampling.depth == ("every_frame" if every_frame else "sampled")
    assert (video.flashes is not None) is every_frame
    assert (video.shots is not None) is every_frame

    # The black stretch is frozen too (one black picture repeated): three stretches.
    expected = sorted(
        [("black", start) for start, _ in video.black_segments]
        + [("frozen", start) for start, _ in video.frozen_segments]
    )
    assert [(s.kind, s.time) for s in thumbnails.stretches] == expected
    assert len(expected) == 3
    black, frozen_black, frozen = thumbnails.stretches
    assert (black.width, black.height) == (320, 180)
    assert _decode(images[black.name].data).mean() < 8
    assert _decode(images[frozen_black.name].data).mean() < 8
    colour = _decode(images[frozen.name].data).reshape(-1, 3).mean(axis=0)
    assert np.abs(colour - RED).max() < 8, colour

    sheet = thumbnails.contact_sheet
    assert sheet is not None
    assert len(sheet.times) == CONTACT_SHEET_TILES
    assert sheet.times == sorted(sheet.times)
    assert (sheet.columns, sheet.rows) == (4, 3)
    assert (sheet.width, sheet.height) == (4 * 160, 3 * 90)
    picture = _decode(images[sheet.name].data)
    assert picture.shape == (sheet.height, sheet.width, 3)
    assert set(images) == {sheet.name, black.name, frozen_black.name, frozen.name}
    assert all(image.data[:2] == b"\xff\xd8" for image in output.images)
    assert all(len(image.data) < 60_000 for image in output.images)


def test_both_depths_cut_the_same_samples(defect_clip: Path) -> None:
    """The frames between samples reach the meters, never the thumbnails."""
    listed = []
    for every_frame in (False, True):
        options = AnalysisOptions(video_every_frame=every_frame)
        result = run_task_with_thumbnails(str(defect_clip), options=options).result
        assert isinstance(result, CompletedResult) and result.results.thumbnails is not None
        listed.append(result.results.thumbnails)
    assert listed[0] == listed[1]


def test_without_thumbnails_nothing_is_cut(defect_clip: Path) -> None:
    result = run_task(str(defect_clip))
    assert isinstance(result, CompletedResult)
    assert result.results.thumbnails is None
    output = run_task_with_thumbnails(str(defect_clip), cut=False)
    assert output.images == ()


@pytest.mark.parametrize(
    ("rotation", "aspect", "box", "expected"),
    [
        (0, "16:9", 320, (320, 180)),
        (90, "16:9", 320, (180, 320)),
        (0, "9:16", 320, (180, 320)),
        (270, "4:3", 160, (120, 160)),
    ],
)
def test_a_picture_fits_its_box_at_its_display_aspect(
    rotation: int, aspect: str, box: int, expected: tuple[int, int]
) -> None:
    facts = VideoFacts(codec="h264", width=1920, height=1080, display_aspect_ratio=aspect)
    shape = Shape.of(facts.model_copy(update={"rotation": rotation}))
    width, height = shape.fit(box)
    shown = (height, width) if rotation in (90, 270) else (width, height)
    assert shown == expected


def test_a_rotated_video_gives_upright_pictures() -> None:
    pixels = np.zeros((90, 160, 3), np.uint8)
    pixels[:, :80] = 255
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
    shape = Shape(aspect=16 / 9, rotation=90)
    upright = rgb_picture(frame, shape, 160)
    assert upright.shape[0] > upright.shape[1]
    # Turned clockwise: the left half of the coded picture is the top half shown.
    assert upright[: upright.shape[0] // 2].mean() > 200
    assert upright[upright.shape[0] // 2 :].mean() < 50
    assert _decode(encode_jpeg(upright)).shape == upright.shape


def test_the_contact_sheet_fills_its_grid_up_to_the_last_sample(tmp_path: Path) -> None:
    # 10 s sampled every 0.5 s: the twelfth instant (9.58 s) comes after the last sample.
    path = write_video(
        tmp_path / "ten.mp4", moving_pattern(160, 90, 250), fps=FPS, options={"preset": "ultrafast"}
    )
    output = run_task_with_thumbnails(str(path))
    assert isinstance(output.result, CompletedResult)
    thumbnails = output.result.results.thumbnails
    assert thumbnails is not None and thumbnails.contact_sheet is not None
    times = thumbnails.contact_sheet.times
    assert len(times) == CONTACT_SHEET_TILES
    assert times[-1] > 9.0 and len(set(times)) == len(times)
