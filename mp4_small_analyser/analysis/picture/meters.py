"""Every picture meter fed from one decoded video track, at the depth the options ask for.

Two depths (docs/quality.md, "Picture depth"):

- `sampled` (the default) and `keyframes` (`--fast`): the decoder hands over about two
  frames a second (B-frames not decoded) or the keyframes. Each sample goes to the black/
  frozen/blur/blockiness meter and to the active area; every 2 s a sample also gets its
  levels and SI (`STATISTICS_INTERVAL`; a 1080p histogram ~5 ms, SI on every row ~8 ms:
  every row, because sampling rows over-weights or misses the strong edges of letterbox
  bars, 21 % off on the letterbox clip at every 3rd row).
- `every_frame`: every frame is decoded. Flashes, cuts and TI need every frame: each is
  shrunk to at most 90 lines (`planes.small_picture`, ~0.45 ms at 720p) for the flash and
  cut meters, and its TI with the frame before is taken on 60 rows (~0.15 ms; at the coded
  size's `row_step` where it peaks or a cut fires, for TI max). SI and an idet triplet are
  taken every `cadence_free_stride` frames (~0.5 s), levels once a second; the rest stays
  on the samples.
  Measured on the 2-core box, 720p: ~2.0 ms decoding and ~2.4 ms of meters a frame.

Decoded frames are held by reference (PyAV frames own refcounted buffers that the
decoder does not reuse while referenced): keeping the previous frame and a pending
triplet costs no copy. Memory: three decoded frames, the flash meter's state (< 1 MB),
histograms (docs/benchmarks.md gives the peak on a 10-minute 1080p file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from av.video.frame import VideoFrame

from mp4_small_analyser.analysis.decode import LumaFrame, VideoPicture
from mp4_small_analyser.analysis.picture.active_area import ActiveAreaMeter, ActiveAreaResult
from mp4_small_analyser.analysis.picture.cuts import CutMeter, CutsResult
from mp4_small_analyser.analysis.picture.flashes import FlashMeter, FlashResult
from mp4_small_analyser.analysis.picture.interlace import (
    InterlaceMeter,
    InterlaceResult,
    SignalledScan,
    signalled_order,
)
from mp4_small_analyser.analysis.picture.levels import LevelsMeter, LevelsResult
from mp4_small_analyser.analysis.picture.meter import PictureMeter, PictureResult
from mp4_small_analyser.analysis.picture.planes import U8, Planes, frame_planes, small_picture
from mp4_small_analyser.analysis.picture.sampling import Coverage, GapTracker
from mp4_small_analyser.analysis.picture.siti import SiTiMeter, SiTiResult, row_step
from mp4_small_analyser.options import AnalysisOptions

Depth = Literal["sampled", "keyframes", "every_frame"]

STATISTICS_INTERVAL = 2.0
"""Seconds between the pictures whose levels and SI are measured at the sampled depths. The
meters' thread must keep up with the decoder's or the analysis waits for it: at 1 a second
these two (~5 ms a 720p picture) made it the slower one (0.52 s against 0.45 s of decoding
for the 30 s 720p clip), at 1 every 2 s it keeps pace, as before them."""
EVERY_FRAME_STATISTICS_INTERVAL = 1.0
"""The same at the every-frame depth, where decoding every frame leaves the meters time."""
TI_MEAN_ROWS = 60
"""Rows of each frame whose TI goes into the mean (~0.3 ms at 720p, 0.45 ms at 1080p)."""
CADENCE = (2, 3, 5)
"""Periods of field cadences (2:2, 3:3 and 2:3 pulldown) that the interlace stride avoids."""
INTERLACE_COLUMNS = 320
"""idet looks only at vertical structure: every n-th column, so that about this many remain."""


def depth_of(options: AnalysisOptions) -> Depth:
    if options.video_keyframes_only:
        return "keyframes"
    return "every_frame" if options.video_every_frame else "sampled"


def cadence_free_stride(frames: float) -> int:
    """The first whole number of frames >= `frames` sharing no factor with 2, 3 or 5.

    Triplets taken every 15 frames of 3:2-pulldown 30 fps video would all fall
    on the same phase of the 5-frame cadence and see no repeated field.
    """
    stride = max(1, math.ceil(frames - 1e-9))
    while stride > 1 and any(stride % p == 0 for p in CADENCE):
        stride += 1
    return stride


@dataclass(frozen=True)
class StreamTraits:
    """What the meters need to know of the stream beyond its frames."""

    frame_rate: float
    sample_aspect_ratio: float
    field_order: int
    """FFmpeg's AVFieldOrder from the codec parameters."""


@dataclass(frozen=True)
class PictureResults:
    depth: Depth
    frames_decoded: int
    coverage: Coverage
    basic: PictureResult
    """Black, frozen, blur, blockiness, brightness, contrast."""
    active_area: ActiveAreaResult | None
    levels: LevelsResult | None
    siti: SiTiResult
    interlace: InterlaceResult | None
    cuts: CutsResult | None
    flashes: FlashResult | None


class _SampledMeters:
    """The measures that need only separate pictures: active area, levels, SI."""

    def __init__(self, sample_aspect_ratio: float, interval: float) -> None:
        self._interval = interval
        self._next_statistics = 0.0
        self.area = ActiveAreaMeter(sample_aspect_ratio=sample_aspect_ratio)
        self.levels = LevelsMeter()
        self.siti = SiTiMeter()

    def add(self, planes: Planes, time: float, si: bool) -> None:
        self.area.add(planes.y, time)
        if time + 1e-6 >= self._next_statistics:
            self._next_statistics = max(self._next_statistics + self._interval, time)
            self.levels.add(planes.y, planes.u, planes.v, planes.full_range)
            if si:
                self.siti.add_si(planes.y, planes.full_range)


class _EveryFrameMeters:
    """Flashes, cuts, TI and interlace: `add` every decoded frame in presentation order."""

    def __init__(self, frame_rate: float, siti: SiTiMeter, sample_interval: float) -> None:
        self._stride = cadence_free_stride(frame_rate * sample_interval)
        self.siti = siti
        self.flashes = FlashMeter()
        self.cuts = CutMeter()
        self.interlace = InterlaceMeter()
        self.interlaced_flags = 0
        self.frames = 0
        self._previous: Planes | None = None
        self._waiting: tuple[list[U8], list[U8]] | None = None
        """(previous, current) fields of a triplet waiting for its next picture."""
        self._coarse_ti_max = 0.0

    def add(self, frame: VideoFrame, planes: Planes, time: float) -> None:
        self.frames += 1
        self.interlaced_flags += bool(frame.interlaced_frame)
        small = small_picture(planes, time)
        self.flashes.add(small)
        self.cuts.add(small.y, time)
        previous = self._previous
        fields = _fields(planes)
        waiting = self._waiting
        if waiting is not None and waiting[0][0].shape == waiting[1][0].shape == fields[0].shape:
            # A picture size change mid-stream drops the triplet across it.
            self.interlace.add_triplet(*waiting, fields)
        self._waiting = None
        if previous is not None and previous.y.shape == planes.y.shape:
            self._temporal_information(previous, planes)
        if (self.frames - 1) % self._stride == 0:
            # Idet's triplets and SI on a cadence-free stride: samples every 0.5 s of 30 fps
            # pulldown would all see the same phase of its 5-frame cadence.
            self._waiting = (_fields(previous) if previous is not None else fields, fields)
            self.siti.add_si(planes.y, planes.full_range)
        self._previous = planes

    def _temporal_information(self, previous: Planes, planes: Planes) -> None:
        """TI of every frame on every n-th row for the mean, the starting row advancing each
        frame so that the mean covers every row; at the coded size's `row_step` where that
        reaches a new maximum or a cut fires (TI's maximum is there) for the max."""
        height = planes.y.shape[0]
        # An odd step takes rows of both fields in every frame: a std over one field's rows
        # is not the frame's (3:2 pulldown read 9 % low with an even step).
        step = max(1, height // TI_MEAN_ROWS) | 1
        coarse = self.siti.add_ti(
            previous.y,
            planes.y,
            planes.full_range,
            in_max=False,
            step=step,
            first_row=self.frames % step,
        )
        peak = coarse >= self._coarse_ti_max or self.cuts.last_score >= self.cuts.threshold
        self._coarse_ti_max = max(self._coarse_ti_max, coarse)
        if peak:
            self.siti.add_ti(
                previous.y, planes.y, planes.full_range, in_mean=False, step=row_step(height)
            )

    def close(self) -> None:
        waiting = self._waiting
        if waiting is not None and waiting[0][0].shape == waiting[1][0].shape:
            self.interlace.add_triplet(*waiting, waiting[1])
        self._waiting = None


def _fields(planes: Planes) -> list[U8]:
    """The luma idet reads, every n-th column (vertical structure, all idet sees, is kept)."""
    column_step = max(1, planes.y.shape[1] // INTERLACE_COLUMNS)
    return [planes.y[:, ::column_step]]


class PictureMeters:
    """Streaming: `add` each `LumaFrame` (sample) and `VideoPicture` in order, then `result`."""

    def __init__(self, options: AnalysisOptions, traits: StreamTraits) -> None:
        self.depth = depth_of(options)
        self._traits = traits
        self.meter = PictureMeter(options)
        every_frame = self.depth == "every_frame"
        self._sampled = _SampledMeters(
            traits.sample_aspect_ratio,
            EVERY_FRAME_STATISTICS_INTERVAL if every_frame else STATISTICS_INTERVAL,
        )
        self._every = (
            _EveryFrameMeters(
                traits.frame_rate, self._sampled.siti, 1.0 / options.video_sample_rate
            )
            if every_frame
            else None
        )
        self._gaps = GapTracker()
        self._last_time = 0.0

    def add(self, item: LumaFrame | VideoPicture) -> None:
        self._last_time = max(self._last_time, item.time)
        if item.picture is None:
            return
        planes = frame_planes(item.picture)
        if isinstance(item, LumaFrame):
            self.meter.add(item)
            self._gaps.add(item.time)
            self._sampled.add(planes, item.time, si=self._every is None)
        if self._every is not None:
            self._every.add(item.picture, planes, item.time)

    def result(self, duration: float, frames_decoded: int) -> PictureResults:
        """Summaries, open stretches closed at `duration` (seconds of media analysed)."""
        end = max(duration, self._last_time)
        every = self._every
        interlace = cuts = flashes = None
        if every is not None:
            every.close()
            signalled = SignalledScan(
                signalled_order(self._traits.field_order), every.interlaced_flags, every.frames
            )
            interlace = every.interlace.result(signalled) if every.frames else None
            cuts = every.cuts.result(end)
            flashes = every.flashes.result()
        return PictureResults(
            depth=self.depth,
            frames_decoded=frames_decoded,
            coverage=self._gaps.coverage(end, every_frame=every is not None),
            basic=self.meter.result(duration),
            active_area=self._sampled.area.result(end),
            levels=self._sampled.levels.result(),
            siti=self._sampled.siti.result(),
            interlace=interlace,
            cuts=cuts,
            flashes=flashes,
        )
