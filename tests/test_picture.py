"""Picture metrics through the whole path (PyAV decode -> PictureMeter), checked against
FFmpeg's blackdetect and freezedetect run on the same generated files.

Bounds, and why: a sampled frame stands for the interval up to the next sample,
and a stretch starts and ends at the first sample inside and outside it, as the
filters report the first frame inside and outside. So each of our edges is
between 0 and one sample gap late against FFmpeg's; a gap is at most the sample
interval plus four frames (the decoder takes the first decoded frame at or after
each sample time, and skips B-frames, of which x264 puts at most three in a row
by default). At the end of the file we close at the duration, blackdetect at
the last frame's timestamp (one frame earlier) and freezedetect not at all (we
close its open stretch at the duration). A stretch's length is then within one
gap, and a percentage within 100 * segments * gap / duration points.
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser.analysis.decode import LumaFrame, luma_frames, open_container
from mp4_small_analyser.analysis.picture.meter import PictureMeter, PictureResult
from mp4_small_analyser.analysis.sources.base import LocalFileSource
from mp4_small_analyser.options import AnalysisOptions
from tests.mediagen import moving_pattern, write_video

WIDTH, HEIGHT, FPS = 320, 240, 25
FRAME = 1.0 / FPS
Segment = tuple[float, float]


# Media built from stretches --------------------------------------------------------------


@dataclass(frozen=True)
class Stretch:
    kind: str
    """"move" (new picture every frame), "still" (one textured picture repeated),
    "grey" (uniform RGB grey `value`) or "dots" (grey `value` with a `share` of pixels at 200)."""
    seconds: float
    value: int = 0
    share: float = 0.0
    black: bool = False
    """Black by construction: the grey's luma is more than 3 codes below the pix_th=0.10
    level (limited range 16 + 0.1 * 219 = 37.9, full range 25.5) and its bright dots cover
    1% of the picture (pic_th=0.98); not black when more than 3 codes above, or at 5% dots."""


def _frames(stretches: list[Stretch]) -> list[np.ndarray]:
    frames: list[np.ndarray] = []
    for stretch in stretches:
        count = round(stretch.seconds * FPS)
        grey = np.full((HEIGHT, WIDTH, 3), stretch.value, np.uint8)
        if stretch.kind == "move":
            frames += moving_pattern(WIDTH, HEIGHT, count, seed=len(frames))
        elif stretch.kind == "still":
            frames += moving_pattern(WIDTH, HEIGHT, 1, seed=len(frames)) * count
        elif stretch.kind == "grey":
            frames += [grey] * count
        else:
            dots = np.random.default_rng(len(frames)).random((HEIGHT, WIDTH)) < stretch.share
            grey[dots] = 200
            frames += [grey] * count
    return frames


def _expected(stretches: list[Stretch], black: bool) -> list[Segment]:
    """Black (or unchanging) stretches of at least 2 s, from the generation."""
    found: list[Segment] = []
    start = 0.0
    for stretch in stretches:
        end = start + stretch.seconds
        hit = stretch.black if black else stretch.kind != "move"
        if hit and stretch.seconds >= 2.0:
            found.append((start, end))
        start = end
    return found


MOVE = Stretch("move", 1.0)
MOVING = Stretch("move", 6.0)
# Limited range: grey 21 -> Y 34 (black), grey 29 -> Y 41 (not black).
LIMITED = [
    Stretch("grey", 2.4, 0, black=True),
    Stretch("move", 2.2),
    Stretch("grey", 2.8, 21, black=True),
    Stretch("move", 1.2),
    Stretch("grey", 2.4, 29),
    MOVE,
    Stretch("dots", 2.4, 0, share=0.01, black=True),
    Stretch("move", 0.8),
    Stretch("dots", 2.4, 0, share=0.05),
    Stretch("move", 0.6),
    Stretch("grey", 2.6, 0, black=True),
]
# Full range (yuvj420p, Y = grey): 20 is black, 30 is not (though it would be in limited range).
FULL = [
    MOVE,
    Stretch("grey", 2.8, 20, black=True),
    MOVE,
    Stretch("grey", 2.8, 30),
    MOVE,
    Stretch("grey", 2.4, 0, black=True),
]
# Limited-range samples flagged full range: grey 20 -> Y 33, black only if the flag were ignored.
FLAGGED = [MOVE, Stretch("grey", 2.8, 20), MOVE, Stretch("grey", 2.4, 5, black=True)]
# Stills repeated by x264 with a keyframe every second: each re-coded keyframe differs from
# the still by coding noise, which n=-60dB tolerates or not, as freezedetect decides.
FROZEN = [
    Stretch("move", 2.0),
    Stretch("still", 3.2),
    Stretch("move", 0.8),
    Stretch("still", 1.0),
    Stretch("move", 1.4),
    Stretch("still", 3.2),
]


@dataclass(frozen=True)
class Clip:
    stretches: list[Stretch]
    pix_fmt: str = "yuv420p"
    options: dict[str, str] | None = None
    from_generation: bool = True
    """Whether the stretches themselves are the expected segments (not when coding noise
    on re-coded keyframes splits or shortens the stills)."""


CLIPS: dict[str, Clip] = {
    "limited_range": Clip(LIMITED),
    "limited_range_10bit": Clip(LIMITED, pix_fmt="yuv420p10le"),
    "yuvj420p": Clip(FULL, pix_fmt="yuvj420p"),
    "color_range_pc": Clip(FLAGGED, options={"color_range": "pc"}),
    "stills_gop25": Clip(FROZEN, options={"g": "25"}, from_generation=False),
    "stills_gop25_crf35": Clip(FROZEN, options={"g": "25", "crf": "35"}, from_generation=False),
    "moving": Clip([MOVING]),
}


@dataclass(frozen=True)
class Reference:
    duration: float
    black: list[Segment]
    frozen: list[Segment]


class ClipStore:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._paths: dict[str, Path] = {}
        self._references: dict[str, Reference] = {}

    def path(self, name: str) -> Path:
        if name not in self._paths:
            clip = CLIPS[name]
            self._paths[name] = write_video(
                self._directory / f"{name}.mp4",
                _frames(clip.stretches),
                fps=FPS,
                pix_fmt=clip.pix_fmt,
                options=clip.options,
            )
        return self._paths[name]

    def reference(self, name: str) -> Reference:
        if name not in self._references:
            self._references[name] = ffmpeg_reference(self.path(name))
        return self._references[name]


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipStore:
    return ClipStore(tmp_path_factory.mktemp("picture"))


# References and our measure ---------------------------------------------------------------


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(out)


def ffmpeg_reference(path: Path) -> Reference:
    """blackdetect=d=2:pix_th=0.10:pic_th=0.98 and freezedetect=n=-60dB:d=2 on `path`."""
    stderr = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-an", "-vf",
         "blackdetect=d=2:pix_th=0.10:pic_th=0.98,freezedetect=n=-60dB:d=2", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    duration = ffprobe_duration(path)
    black = [
        (float(a), float(b))
        for a, b in re.findall(r"black_start:([\d.]+) black_end:([\d.]+)", stderr)
    ]
    starts = [float(v) for v in re.findall(r"freeze_start: ([\d.]+)", stderr)]
    ends = [float(v) for v in re.findall(r"freeze_end: ([\d.]+)", stderr)]
    assert len(ends) in (len(starts), len(starts) - 1), stderr
    frozen = list(zip(starts, [*ends, duration], strict=False))
    return Reference(duration, black, frozen)


@dataclass(frozen=True)
class Measured:
    result: PictureResult
    times: list[float]
    duration: float

    @property
    def gap(self) -> float:
        """Longest time a sample stands for, the end of the file included."""
        edges = [*self.times, self.duration]
        return max(b - a for a, b in itertools.pairwise(edges))


def measure(path: Path, sample_rate: float = 2.0, keyframes_only: bool = False) -> Measured:
    meter = PictureMeter(AnalysisOptions(video_sample_rate=sample_rate))
    times = []
    container = open_container(LocalFileSource(path))
    try:
        for frame in luma_frames(container, 0, sample_rate, 1e9, keyframes_only):
            meter.add(frame)
            times.append(frame.time)
    finally:
        container.close()
    duration = ffprobe_duration(path)
    return Measured(meter.result(duration), times, duration)


def assert_late_by_at_most(ours: list[Segment], theirs: list[Segment], gap: float) -> None:
    """Each of our edges is at or after theirs (one frame of slack) and at most `gap` later;
    an end one frame more, as blackdetect ends a stretch open at the end on the last frame."""
    assert len(ours) == len(theirs), (ours, theirs)
    for (start, end), (ref_start, ref_end) in zip(ours, theirs, strict=True):
        assert -FRAME - 1e-6 <= start - ref_start <= gap + 1e-6, (ours, theirs)
        assert -FRAME - 1e-6 <= end - ref_end <= gap + FRAME + 1e-6, (ours, theirs)


def covered_percentage(segments: list[Segment], duration: float) -> float:
    return 100.0 * sum(b - a for a, b in segments) / duration


def assert_percentage_close(
    ours: float, segments: list[Segment], gap: float, duration: float
) -> None:
    bound = 100.0 * len(segments) * (gap + FRAME) / duration
    assert abs(ours - covered_percentage(segments, duration)) <= bound + 1e-6


# Black and frozen against FFmpeg ----------------------------------------------------------


@pytest.mark.parametrize("sample_rate", [2.0, 5.0])
@pytest.mark.parametrize("name", list(CLIPS))
def test_black_and_frozen_follow_ffmpeg(clips: ClipStore, name: str, sample_rate: float) -> None:
    reference = clips.reference(name)
    measured = measure(clips.path(name), sample_rate)
    result, gap = measured.result, measured.gap
    assert gap <= 1.0 / sample_rate + 4 * FRAME + 1e-6

    assert_late_by_at_most(result.black_segments, reference.black, gap)
    assert_late_by_at_most(result.frozen_segments, reference.frozen, gap)
    assert_percentage_close(result.black_percentage, reference.black, gap, measured.duration)
    assert_percentage_close(result.frozen_percentage, reference.frozen, gap, measured.duration)


@pytest.mark.parametrize("name", [n for n, clip in CLIPS.items() if clip.from_generation])
def test_segments_are_the_generated_stretches(clips: ClipStore, name: str) -> None:
    """Near-black greys and sparse dots on either side of the thresholds, in both ranges."""
    stretches = CLIPS[name].stretches
    measured = measure(clips.path(name))
    # Both filters and we see the stretches the generation made, to our sampling.
    for black in (True, False):
        expected = _expected(stretches, black)
        reference = clips.reference(name)
        assert_late_by_at_most(reference.black if black else reference.frozen, expected, FRAME)
        ours = measured.result.black_segments if black else measured.result.frozen_segments
        assert_late_by_at_most(ours, expected, measured.gap)


def test_keyframes_only_edges_are_known_to_a_keyframe_interval(clips: ClipStore) -> None:
    path = clips.path("stills_gop25")
    reference = clips.reference("stills_gop25")
    measured = measure(path, keyframes_only=True)
    assert measured.gap <= 1.0 + FRAME + 1e-6
    assert_late_by_at_most(measured.result.frozen_segments, reference.frozen, measured.gap)


def test_moving_content_is_neither_black_nor_frozen(clips: ClipStore) -> None:
    result = measure(clips.path("moving")).result
    assert result.black_segments == [] and result.frozen_segments == []
    assert result.black_percentage == 0.0 and result.frozen_percentage == 0.0
    assert result.frames == MOVING.seconds * 2.0


# Stretch bookkeeping, on frames made directly -----------------------------------------------


def _luma_frame(time: float, value: int, seed: int | None = None) -> LumaFrame:
    luma = np.full((64, 64), value, np.uint8)
    if seed is not None:
        luma = np.random.default_rng(seed).integers(60, 200, (64, 64), dtype=np.uint8)
    return LumaFrame(time, luma, luma, full_range=False, key_frame=True)


def test_open_stretches_close_at_the_duration_and_short_ones_are_dropped() -> None:
    meter = PictureMeter(AnalysisOptions())
    for i in range(3):
        meter.add(_luma_frame(i * 0.5, 16))  # 1.5 s of black: too short
    for i in range(3, 6):
        meter.add(_luma_frame(i * 0.5, 120, seed=i))
    for i in range(6, 10):
        meter.add(_luma_frame(i * 0.5, 16))  # black from 3.0 s to the end
    result = meter.result(5.0)
    assert result.black_segments == [(3.0, 5.0)]
    assert result.black_percentage == pytest.approx(40.0)
    assert result.frozen_segments == [(3.0, 5.0)]
    assert result.frames == 10


def test_black_frames_are_left_out_of_blur_and_blockiness() -> None:
    rng = np.random.default_rng(0)
    detailed = rng.integers(60, 200, (9, 9), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    black = np.full_like(detailed, 16)
    black[:8, :8] = 200  # 1.2% bright: still a black picture, with one sharp block edge
    meter = PictureMeter(AnalysisOptions())
    meter.add(LumaFrame(0.0, detailed, detailed, False, True))
    alone = meter.result(0.5)
    meter = PictureMeter(AnalysisOptions())
    meter.add(LumaFrame(0.0, detailed, detailed, False, True))
    meter.add(LumaFrame(0.5, black, black, False, True))
    mixed = meter.result(1.0)
    assert mixed.blur == alone.blur and mixed.blockiness == alone.blockiness
    assert mixed.brightness != alone.brightness


# Blur, blockiness, levels -----------------------------------------------------------------


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    radius = math.ceil(3 * sigma)
    taps = np.exp(-(np.arange(-radius, radius + 1) ** 2) / (2 * sigma * sigma))
    taps /= taps.sum()
    out = image.astype(np.float64)
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)], "reflect")
        length = out.shape[axis]
        out = sum(w * np.take(padded, range(i, i + length), axis=axis) for i, w in enumerate(taps))
    return out


def shapes_scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Flat-shaded rectangles and ellipses with pixel-sharp edges on a smooth background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    image = 128.0 + 40.0 * np.sin(xx / width * 3 + yy / height * 2)
    for _ in range(120):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(3, height / 5), rng.uniform(3, height / 5)
        if rng.random() < 0.5:
            inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
        else:
            inside = (abs(xx - cx) < rx) & (abs(yy - cy) < ry)
        image[inside] = rng.uniform(20, 235)
    return image


def fractal_scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Noise with a 1/f amplitude spectrum, the statistics of natural pictures."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.fft2(rng.normal(size=(height, width)))
    k = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.fftfreq(width)[None, :])
    k[0, 0] = 1.0
    image = np.real(np.fft.ifft2(spectrum / k))
    return 128.0 + 45.0 * (image - image.mean()) / image.std()


def panning(image: np.ndarray, width: int, height: int, count: int) -> list[np.ndarray]:
    """`count` RGB grey frames of a window moving 3 px a frame across `image`."""
    return [
        np.repeat(np.clip(np.round(image[:height, 3 * i : 3 * i + width]), 0, 255), 3, axis=1)
        .reshape(height, width, 3)
        .astype(np.uint8)
        for i in range(count)
    ]


def _write(directory: Path, name: str, frames: list[np.ndarray], **options: str) -> Path:
    return write_video(directory / f"{name}.mp4", frames, fps=Fraction(10), options=options)


@pytest.fixture(scope="session")
def blur_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("blur")
    scene = shapes_scene(WIDTH + 60, HEIGHT)
    blurred = panning(gaussian_blur(scene, 2.0 * HEIGHT / 360), WIDTH, HEIGHT, 20)
    rng = np.random.default_rng(1)
    grainy = [
        np.clip(frame + rng.normal(0.0, 4.0, (HEIGHT, WIDTH, 1)), 0, 255).astype(np.uint8)
        for frame in blurred
    ]
    return {
        "sharp": _write(directory, "sharp", panning(scene, WIDTH, HEIGHT, 20), crf="18"),
        "blurred": _write(directory, "blurred", blurred, crf="18"),
        "grainy": _write(directory, "grainy", grainy, crf="18"),
        "dark": _write(directory, "dark", panning(scene * 0.2 + 4, WIDTH, HEIGHT, 20), crf="18"),
    }


def test_blur_reads_the_gaussian_radius_and_ignores_darkness(blur_clips: dict[str, Path]) -> None:
    blur = {name: measure(path).result.blur for name, path in blur_clips.items()}
    sharp, blurred, grainy, dark = blur["sharp"], blur["blurred"], blur["grainy"], blur["dark"]
    assert sharp is not None and blurred is not None and grainy is not None and dark is not None
    # Pixel-sharp edges at 240 lines are 0.5 px there, 0.75 px at the 360-line scale.
    assert sharp < 1.0
    # The blurred clip was blurred by sigma = 2 px at the 360-line scale.
    assert 0.6 * 2.0 <= blurred <= 1.4 * 2.0
    assert blurred - sharp >= 0.8
    # Film-like grain (sigma 4 levels, new every frame) on the blurred clip is not detail.
    # Sampled frames are I/P frames (B-frames are skipped), which keep more of the grain
    # than B-frames: the grainy clip reads ~1.06 against 0.67, well apart still.
    assert grainy - sharp >= 0.3
    # The same sharp scene at a fifth of the contrast is not blurrier.
    assert abs(dark - sharp) <= 0.2


@pytest.fixture(scope="session")
def block_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("blocks")
    width, height = 640, 360
    frames = panning(fractal_scene(width + 60, height), width, height, 20)
    clips = {}
    for crf in ("18", "48"):
        clips[f"crf{crf}"] = _write(directory, f"crf{crf}", frames, crf=crf)
        clips[f"crf{crf}_nodeblock"] = _write(
            directory, f"crf{crf}_nodeblock", frames, crf=crf, **{"x264-params": "no-deblock=1"}
        )
    yy, xx = np.mgrid[0:height, 0 : width + 60]
    gradient = 60.0 + 100.0 * xx / width + 30.0 * yy / height
    clips["gradient"] = _write(
        directory, "gradient", panning(gradient, width, height, 20), crf="18"
    )
    flat = [np.full((height, width, 3), 128, np.uint8)] * 20
    clips["flat"] = _write(directory, "flat", flat, crf="18")
    return clips


def test_blockiness_grows_with_compression(block_clips: dict[str, Path]) -> None:
    def score(name: str) -> float | None:
        return measure(block_clips[name]).result.blockiness

    for suffix in ("", "_nodeblock"):
        low, high = score(f"crf18{suffix}"), score(f"crf48{suffix}")
        assert low is not None and high is not None
        assert abs(low - 1.0) <= 0.1, "near-transparent encode reads as no blocking"
        assert high >= low + 0.08, suffix
    assert (score("crf48_nodeblock") or 0) >= 1.5, "without deblocking the blocks are plain"


def test_clean_smooth_content_is_not_blocky(block_clips: dict[str, Path]) -> None:
    gradient = measure(block_clips["gradient"]).result.blockiness
    assert gradient is None or gradient <= 1.1
    flat = measure(block_clips["flat"]).result
    assert flat.blockiness is None and flat.blur is None


@pytest.fixture(scope="session")
def level_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("levels")
    grey = [np.full((HEIGHT, WIDTH, 3), 200, np.uint8)] * 10
    halves = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    halves[:, WIDTH // 2 :] = 255
    clips = {}
    for pix_fmt in ("yuv420p", "yuvj420p"):
        for name, frames in (("grey200", grey), ("halves", [halves] * 10)):
            path = directory / f"{name}_{pix_fmt}.mp4"
            clips[f"{name}_{pix_fmt}"] = write_video(path, frames, fps=10, pix_fmt=pix_fmt)
    return clips


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuvj420p"])
def test_brightness_and_contrast_are_fractions_of_the_range(
    level_clips: dict[str, Path], pix_fmt: str
) -> None:
    grey = measure(level_clips[f"grey200_{pix_fmt}"]).result
    assert grey.brightness == pytest.approx(200 / 255, abs=0.01)
    assert grey.contrast == pytest.approx(0.0, abs=0.01)
    halves = measure(level_clips[f"halves_{pix_fmt}"]).result
    assert halves.brightness == pytest.approx(0.5, abs=0.01)
    assert halves.contrast == pytest.approx(0.5, abs=0.02)
