"""Picture metrics on sampled luma frames: black and frozen stretches, blur, blockiness, levels.

Black and frozen stretches follow FFmpeg's blackdetect and freezedetect with
the same settings. A pixel is black when its luma is at most the pixel
threshold placed in the frame's range and truncated as blackdetect does
(limited range: int(16 + pix_th * 219), 37 at 0.10; full range:
int(pix_th * 255), 25), and a picture is black when its share of black pixels
reaches pic_th. A picture is frozen when its mean absolute luma difference
from the first picture of the candidate stretch, divided by 256 (freezedetect's
MAFD), is at most 10^(n/20) (0.001 at -60 dB). Either kind of stretch counts
when it lasts at least d seconds.

The filters see every frame; we see samples, and each sampled frame stands for
the interval up to the next sample, the last one up to the end of the analysed
media. A stretch starts at its first sample and ends at the first sample
outside it, as the filters report the first frame inside and outside it, so
both edges are late by less than one sample interval (0.5 s at 2 samples/s, a
GOP in keyframes-only mode) and a stretch's length is known to one interval.
A frozen stretch needs two samples that agree. A stretch still open at the end
is closed at the end of the analysed media, where blackdetect closes it at
the last frame's timestamp (one frame earlier) and freezedetect leaves it open.

Black and frozen are measured on the coded luma plane, as the filters do,
except that freezedetect also averages the chroma planes, whose differences
are usually smaller: our MAFD is 1 to 1.5 times FFmpeg's, so near the
threshold we find a little less freeze. (The plane scaled down to 360 lines
halves coding noise and would find more freeze than FFmpeg, more so the
higher the resolution.) Blur, brightness and contrast are measured on the
scaled plane, so they read alike at any resolution; blockiness on the coded
plane, whose 8x8 grid it looks for. Black frames count for brightness and
contrast only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mp4_small_analyser.analysis.decode import LumaFrame
from mp4_small_analyser.models import Segment
from mp4_small_analyser.options import AnalysisOptions

LIMITED_BLACK = 16
LIMITED_WHITE = 235

BLUR_REFERENCE_LINES = 360
"""Blur is expressed in pixels of a picture this many lines high."""
MAX_BLUR = 8.0
"""Pixels; past this the edges' curvature is lost in 8-bit rounding, so softer pictures read 8."""
MIN_DETAIL_ENERGY = 0.25
"""Squared luma levels per pixel: a frame whose structure (noise removed) has a
smaller mean squared gradient is flat, and its blur is not measured."""
MIN_DETAIL_SHARE = 0.1
"""A frame whose gradient energy is more than 90% noise has no structure to measure."""

BLOCK = 8
BLOCK_STEP_CAP = 24
"""Luma levels: larger steps are the content's own edges, not block artefacts;
capping keeps the few that happen to fall on the grid from swamping the sums."""
VISIBLE_STEP = 1.0
"""Luma levels: block edges where neither the boundary step nor the steps inside
the blocks reach this are flat (nothing to see) and left out."""
MIN_ACTIVE_EDGES = 64
"""Block edges with something to see that a frame needs for its blockiness to count."""
INTERIOR_PHASES = (0, 1, 2, 4, 5, 6)
"""Step positions inside an 8-pixel block used as the reference: not 7 (the
boundary being measured) nor 3 (the 4x4 transform boundary of H.264/HEVC)."""


@dataclass(frozen=True)
class PictureResult:
    frames: int
    black_percentage: float
    black_segments: list[Segment]
    frozen_percentage: float
    frozen_segments: list[Segment]
    blur: float | None
    """Pixels at 360 lines; higher is blurrier (see `frame_blur`)."""
    blockiness: float | None
    """Boundary-to-interior step ratio; 1.0 is no blocking (see `frame_blockiness`)."""
    brightness: float | None
    """Mean luma, 0 (black) to 1 (white) in the frame's range."""
    contrast: float | None
    """Standard deviation of luma as a fraction of the range."""


@dataclass(frozen=True)
class StretchProgress:
    """Where one kind of stretch stands after the frames added so far."""

    segments: int
    """Stretches found (closed and long enough)."""
    open_since: float | None
    """Start of the stretch under way, long enough yet or not."""


class _Stretches:
    """Runs of a state, kept when they last at least `min_duration` seconds (as both filters)."""

    def __init__(self, min_duration: float) -> None:
        self.min_duration = min_duration
        self.segments: list[Segment] = []
        self._start: float | None = None

    def begin(self, time: float) -> None:
        if self._start is None:
            self._start = time

    def end(self, time: float) -> None:
        if self._start is not None and time - self._start >= self.min_duration:
            self.segments.append((self._start, time))
        self._start = None

    def progress(self) -> StretchProgress:
        return StretchProgress(len(self.segments), self._start)

    def percentage(self, duration: float) -> float:
        if duration <= 0:
            return 0.0
        covered = sum(end - start for start, end in self.segments)
        return min(100.0, 100.0 * covered / duration)


class _Mean:
    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    def add(self, value: float | None) -> None:
        if value is not None:
            self.total += value
            self.count += 1

    def value(self) -> float | None:
        return self.total / self.count if self.count else None


class PictureMeter:
    """Streaming picture metrics: `add` each sampled frame in time order, then `result`."""

    def __init__(self, options: AnalysisOptions) -> None:
        self._pixel_threshold = options.black_pixel_threshold
        self._black_ratio = options.black_picture_ratio
        self._noise = 10.0 ** (options.freeze_noise_db / 20.0)
        self._black = _Stretches(options.black_min_duration)
        self._frozen = _Stretches(options.freeze_min_duration)
        self._reference: LumaFrame | None = None
        self._frames = 0
        self._last_time = 0.0
        self._blur = _Mean()
        self._blockiness = _Mean()
        self._brightness = _Mean()
        self._contrast = _Mean()

    def add(self, frame: LumaFrame) -> None:
        self._frames += 1
        self._last_time = frame.time
        black = self._track_black(frame)
        self._track_freeze(frame)
        brightness, contrast = frame_levels(frame.small, frame.full_range)
        self._brightness.add(brightness)
        self._contrast.add(contrast)
        if not black:
            self._blur.add(frame_blur(frame.small))
            self._blockiness.add(frame_blockiness(frame.native))

    def progress(self) -> tuple[StretchProgress, StretchProgress]:
        """(black, frozen) after the last frame added: what thumbnails of stretches follow."""
        return self._black.progress(), self._frozen.progress()

    def result(self, duration: float) -> PictureResult:
        """Close open stretches at `duration` (seconds of media analysed) and summarise."""
        end = max(duration, self._last_time)
        self._black.end(end)
        self._frozen.end(end)
        return PictureResult(
            frames=self._frames,
            black_percentage=self._black.percentage(end),
            black_segments=list(self._black.segments),
            frozen_percentage=self._frozen.percentage(end),
            frozen_segments=list(self._frozen.segments),
            blur=self._blur.value(),
            blockiness=self._blockiness.value(),
            brightness=self._brightness.value(),
            contrast=self._contrast.value(),
        )

    def _track_black(self, frame: LumaFrame) -> bool:
        threshold = black_pixel_level(self._pixel_threshold, frame.full_range)
        black = black_pixel_ratio(frame.native, threshold) >= self._black_ratio
        if black:
            self._black.begin(frame.time)
        else:
            self._black.end(frame.time)
        return black

    def _track_freeze(self, frame: LumaFrame) -> None:
        reference = self._reference
        if reference is not None and mean_absolute_difference(reference.native, frame.native) <= (
            self._noise
        ):
            self._frozen.begin(reference.time)
            return
        self._frozen.end(frame.time)
        self._reference = frame


def black_pixel_level(pixel_threshold: float, full_range: bool) -> int:
    """Highest 8-bit luma counted as black, truncated as blackdetect does."""
    if full_range:
        return int(pixel_threshold * 255)
    return int(LIMITED_BLACK + pixel_threshold * (LIMITED_WHITE - LIMITED_BLACK))


def black_pixel_ratio(luma: np.ndarray, level: int) -> float:
    return int(np.count_nonzero(luma <= level)) / luma.size


def mean_absolute_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| over the plane divided by 256, as freezedetect's MAFD (luma only).

    Planes of different sizes (a resolution change) count as fully different.
    """
    if a.shape != b.shape:
        return 1.0
    difference: np.ndarray = np.maximum(a, b)
    difference -= np.minimum(a, b)
    return float(difference.sum(dtype=np.uint64)) / difference.size / 256.0


def frame_levels(luma: np.ndarray, full_range: bool) -> tuple[float, float]:
    """(brightness, contrast): mean and standard deviation of luma, as fractions of the range."""
    mean = float(luma.mean())
    std = float(luma.std())
    if full_range:
        return mean / 255.0, std / 255.0
    span = LIMITED_WHITE - LIMITED_BLACK
    return min(max((mean - LIMITED_BLACK) / span, 0.0), 1.0), std / span


def frame_blur(luma: np.ndarray) -> float | None:
    """Blur radius in pixels of a 360-line picture; higher is blurrier, None for a flat frame.

    The ratio of gradient energy to Laplacian energy is the square of a length:
    for an ideal edge blurred by a Gaussian of standard deviation s it is 2 s^2,
    whatever the edge's contrast, so the square root of half of it reads s, and
    a dark or low-contrast picture reads as sharp as a bright one. Both
    energies are taken over the whole picture after removing the part due to
    noise, estimated with Immerkær's operator (noise of variance v adds 4 v and
    20 v), so grain does not pass for detail. A pixel-sharp edge reads 0.5,
    typical camera video 0.6-1.2, soft or upscaled video 1.5-3; fine textures
    blurred by s read about 0.7 s. Limits: texture as fine as pixel noise
    counts as noise (a picture of pure noise has no structure to measure), and
    edges of under ~20 levels blurred by more than ~1.5 px read sharper than
    they are, because their 8-bit steps are sharp.
    """
    if min(luma.shape) < 3:
        return None
    x = luma.astype(np.float32)
    dx = np.diff(x, axis=1)
    dy = np.diff(x, axis=0)
    dxx = np.diff(dx, axis=1)
    dyy = np.diff(dy, axis=0)
    laplacian = dxx[1:-1] + dyy[:, 1:-1]
    immerkaer = dxx[2:] - 2.0 * dxx[1:-1] + dxx[:-2]
    noise_variance = math.pi / 2.0 * (float(np.abs(immerkaer).mean()) / 6.0) ** 2
    total_gradient = float(np.square(dx).mean() + np.square(dy).mean())
    gradient = total_gradient - 4.0 * noise_variance
    curvature = float(np.square(laplacian).mean()) - 20.0 * noise_variance
    if gradient < max(MIN_DETAIL_ENERGY, MIN_DETAIL_SHARE * total_gradient):
        return None
    scale = BLUR_REFERENCE_LINES / int(luma.shape[0])
    if curvature <= 0:
        return MAX_BLUR
    return min(math.sqrt(gradient / (2.0 * curvature)) * scale, MAX_BLUR)


def frame_blockiness(luma: np.ndarray) -> float | None:
    """Mean luma step across 8-pixel block boundaries over the mean step inside the blocks.

    Taken on each 8-pixel stretch of block boundary, vertical and horizontal,
    against the steps at the block-interior positions of the same lines. About
    1.0 without blocking (a little below when deblocking smooths the
    boundaries), growing with visible block edges: 1.2 is noticeable, 1.5 and
    more is plainly blocky. Stretches where nothing reaches one luma level are
    flat and left out, and the interior reference is at least one level, so
    the one-level block edges of a clean smooth gradient do not count as
    blocking. None when fewer than MIN_ACTIVE_EDGES stretches have anything to see.
    """
    boundary, interior = _block_edge_steps(luma)
    visible = np.maximum(boundary, interior) >= VISIBLE_STEP
    if np.count_nonzero(visible) < MIN_ACTIVE_EDGES:
        return None
    return float(boundary[visible].sum() / np.maximum(interior[visible], VISIBLE_STEP).sum())


def _block_edge_steps(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per 8-pixel stretch of block boundary: (mean step across it, mean step inside the block)."""
    height, width = luma.shape
    per_edge = [np.zeros((0, BLOCK), np.uint16)]
    rows, cols = height // BLOCK * BLOCK, (width - 1) // BLOCK * BLOCK
    if rows and cols:
        steps = _capped_steps(luma[:rows, : cols + 1], axis=1)
        sums = steps.reshape(rows // BLOCK, BLOCK, cols).sum(axis=1, dtype=np.uint16)
        per_edge.append(sums.reshape(-1, BLOCK))
    rows, cols = (height - 1) // BLOCK * BLOCK, width // BLOCK * BLOCK
    if rows and cols:
        steps = _capped_steps(luma[: rows + 1, :cols], axis=0)
        sums = steps.reshape(rows // BLOCK, BLOCK, cols // BLOCK, BLOCK).sum(
            axis=3, dtype=np.uint16
        )
        per_edge.append(sums.transpose(0, 2, 1).reshape(-1, BLOCK))
    means = np.concatenate(per_edge).astype(np.float32) / BLOCK
    return means[:, BLOCK - 1], means[:, INTERIOR_PHASES].mean(axis=1)


def _capped_steps(luma: np.ndarray, axis: int) -> np.ndarray:
    """|difference| between neighbours along `axis`, in uint8 and capped at BLOCK_STEP_CAP."""
    after, before = (luma[:, 1:], luma[:, :-1]) if axis == 1 else (luma[1:], luma[:-1])
    steps: np.ndarray = np.maximum(after, before)
    steps -= np.minimum(after, before)
    np.minimum(steps, BLOCK_STEP_CAP, out=steps)
    return steps
