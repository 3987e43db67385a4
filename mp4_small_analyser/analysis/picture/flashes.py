"""Flashes that risk photosensitive seizures: ITU-R BT.1702 and Ofcom's guidance.

The rule (ITU-R BT.1702 and Annex 1 of Ofcom's Guidance Note to Section 2 of
the Broadcasting Code state the same thresholds; their texts could not be
retrieved here, docs/quality.md lists the sources the figures rest on):
- a potentially harmful flash is a pair of opposing changes in luminance
  (up then down, or down then up) of 20 cd/m² or more, where the darker
  image is below 160 cd/m²;
- a transition to or from a saturated red is potentially harmful whatever
  its luminance;
- flashing is not permitted when the combined area of concurrent flashes is
  more than one quarter of the screen and there are more than three flashes
  in any one-second period (isolated single, double or triple flashes are
  acceptable).
Quantities: display luminance in cd/m² from `planes.display_light` (200
cd/m² white, as the guidance's domestic display); the red quantity of
Harding & Binnie (2002), used by WCAG 2.x and EA's IRIS: 320 x (R - G - B)
of linear RGB where R / (R + G + B) >= 0.8, else 0, a red transition being
a change of more than 20 of it.

How the rule is applied, pixel by pixel of the small (at most 90-line)
picture, each pixel ~0.2 degree at three picture heights (`planes`):
1. Each pixel follows its quantity with a zig-zag: after a rise it tracks
   the running maximum, and a fall of the threshold or more below it is a
   transition (and the other way round), so slow fades count once, however
   many frames they take, and noise below the threshold never counts. A
   luminance transition counts only if the darker of its two ends is below
   160 cd/m².
   A pixel's transition counts only when the mean of its cell (CELL_ROWS cells
   per picture height, ~1 degree) makes a transition at the same frame: a
   flash changes whole areas, while a pan across texture changes pixels one
   after another and leaves the cells' means nearly alone. Measured on
   generated clips: a natural (1/f) texture panning a fifth of the picture a
   second read 2.5 flashes/s pixel by pixel, 0.5 with cells; 9-pixel stripes
   panning 200 px/s at 576 lines 3.5 (a fail) and 2.0; the flash clips (full
   screen, 20 % and 40 % of it, red) read the same either way, areas included
   (the pixels, not the cells, make the area).
2. Each pixel counts its transitions within the last second, (t - 1 s, t].
3. At each picture, the screen's count is the largest k such that more than
   a quarter of the pixels made at least k transitions in that second. More
   than three flashes is seven transitions or more (WCAG's "7 or more
   alternating transitions").
Counting per pixel over the second, rather than requiring the quarter of the
screen to change in the same frame, lets flashes out of phase across the
screen (a strobe sweeping the stage) add up, as "combined area of flashes"
reads; EA's IRIS instead averages luminance over the frame when a quarter of
it changes, which misses a flash covering 30 % of the screen (its average
change is 30 % of the local one).

Also reported (a warning, not a failure): extended flashing, 2-3 flashes a
second (4-6 transitions) kept up for 4 s within any 5 s, the thresholds of
IRIS's "extended failure" (after Harding FPA's); not a BT.1702 clause. And
the largest share of the screen flashing more than 3 times a second.

Not covered: regular spatial patterns (the guidance's regular-pattern
clause) and HDR luminance (PQ/HLG): docs/quality.md, "Flashes".
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from mp4_small_analyser.analysis.picture.planes import DisplayModel, SmallPicture, display_light

F32 = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]

LUMINANCE_STEP = 20.0
"""cd/m²: the smallest luminance change that is half a flash (BT.1702, Ofcom)."""
DARK_LIMIT = 160.0
"""cd/m²: a luminance flash counts only if its darker image is below this."""
RED_STEP = 20.0
"""Red quantity units: a red transition changes 320 x (R - G - B) by more than this."""
AREA_SHARE = 0.25
"""More than this share of the screen must flash together."""
MAX_TRANSITIONS = 6
"""Three flashes (six transitions) in any second are acceptable; a seventh transition fails."""
WINDOW = 1.0
"""Seconds of the counting window."""
EXTENDED_MIN, EXTENDED_MAX = 4, 6
"""Transitions per second counted as sustained flashing near the limit."""
CELL_ROWS = 18
"""Cells per picture height whose mean must flash with a pixel for the pixel to count."""
EXTENDED_SPAN, EXTENDED_SHARE = 5.0, 4.0
"""Extended flashing: EXTENDED_SHARE seconds of near-limit flashing within EXTENDED_SPAN."""

Kind = Literal["general", "red"]


@dataclass(frozen=True)
class FlashSegment:
    start: float
    end: float
    """Seconds: first to last transition of the flashing pixels in the one-second windows that
    hold too many flashes (a transition's time is the frame where the change shows)."""
    kind: Kind
    peak_frequency: float
    """Most flashes (transitions / 2) in one second inside the segment."""


@dataclass(frozen=True)
class FlashResult:
    frames: int
    passed: bool
    """No failing segment, general or red (extended flashing does not fail)."""
    peak_frequency: float
    """Most general flashes in any one second over more than a quarter of the screen."""
    red_peak_frequency: float
    flashes_per_second: list[float]
    """General flashes over more than a quarter of the screen in each whole second of media."""
    red_flashes_per_second: list[float]
    failing_segments: list[FlashSegment]
    extended_segments: list[FlashSegment]
    max_flashing_area: float
    """Largest share of the screen making more than MAX_TRANSITIONS transitions in one second."""


class _ZigZag:
    """Per-pixel transitions of a quantity: swings of at least `step` between running extremes."""

    def __init__(self, step: float, strict: bool, dark_limit: float | None) -> None:
        self._step = np.float32(step)
        self._strict = strict
        self._dark = None if dark_limit is None else np.float32(dark_limit)
        self._extreme: F32 | None = None
        self._direction: npt.NDArray[np.int8] | None = None
        self._idle = False

    def update(self, value: F32) -> Mask:
        extreme, direction = self._extreme, self._direction
        if extreme is None or direction is None or extreme.shape != value.shape:
            self._extreme = value.copy()
            self._direction = np.zeros(value.shape, np.int8)
            self._idle = not value.any()
            return np.zeros(value.shape, np.bool_)
        if self._idle and not value.any():
            # Red on pictures without saturated red: all zero, nothing can turn (most frames).
            return np.zeros(value.shape, np.bool_)
        change = value - extreme
        if self._strict:
            up = (direction <= 0) & (change > self._step)
            down = (direction >= 0) & (change < -self._step)
        else:
            up = (direction <= 0) & (change >= self._step)
            down = (direction >= 0) & (change <= -self._step)
        turned = up | down
        counted = turned
        if self._dark is not None:
            counted = turned & (np.minimum(value, extreme) < self._dark)
        steady = ~turned
        np.maximum(extreme, value, out=extreme, where=steady & (direction > 0))
        np.minimum(extreme, value, out=extreme, where=steady & (direction < 0))
        np.copyto(extreme, value, where=turned)
        direction[up] = 1
        direction[down] = -1
        self._idle = not extreme.any()
        return counted

    @property
    def idle(self) -> bool:
        """Nothing held and nothing seen: an all-zero quantity cannot make a transition."""
        return self._idle


class _Cells:
    """The grid of cells over a picture: each cell's mean, and a cell mask back on pixels."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        side = max(1, round(shape[0] / CELL_ROWS))
        self._row_starts = np.arange(0, shape[0], side)
        self._col_starts = np.arange(0, shape[1], side)
        self._rows = np.arange(shape[0]) // side
        self._cols = np.arange(shape[1]) // side
        sizes = np.outer(
            np.diff(self._row_starts, append=shape[0]), np.diff(self._col_starts, append=shape[1])
        )
        self._scale = (1.0 / sizes).astype(np.float32)

    def means(self, values: F32) -> F32:
        rows = np.add.reduceat(values, self._row_starts, axis=0)
        sums: F32 = np.add.reduceat(rows, self._col_starts, axis=1)
        sums *= self._scale
        return sums

    def on_pixels(self, cells: Mask) -> Mask:
        mask: Mask = cells[self._rows][:, self._cols]
        return mask


class _Window:
    """Per-pixel transition counts over the last WINDOW seconds, and the screen's count."""

    def __init__(self) -> None:
        self._maps: deque[tuple[float, Mask]] = deque()
        self._counts: npt.NDArray[np.uint16] | None = None

    def add(self, time: float, transitions: Mask) -> tuple[int, float]:
        """(screen count, share of pixels over MAX_TRANSITIONS) for the window ending at `time`."""
        counts = self._counts
        if counts is None or counts.shape != transitions.shape:
            counts = self._counts = np.zeros(transitions.shape, np.uint16)
            self._maps.clear()
        counts += transitions
        self._maps.append((time, transitions))
        while self._maps and self._maps[0][0] <= time - WINDOW + 1e-6:
            counts -= self._maps.popleft()[1]
        return screen_count(counts)

    def span(self, level: int) -> tuple[float, float]:
        """First and last transition times, in the current window, of the pixels at `level`."""
        assert self._counts is not None
        flashing = self._counts >= level
        times = [t for t, transitions in self._maps if np.any(transitions & flashing)]
        return times[0], times[-1]


def screen_count(counts: npt.NDArray[np.uint16]) -> tuple[int, float]:
    """Largest k with more than AREA_SHARE of pixels at >= k, and the share above the limit."""
    most = int(counts.max())
    if most == 0 or (
        most <= MAX_TRANSITIONS and np.count_nonzero(counts) <= AREA_SHARE * counts.size
    ):
        return 0, 0.0  # the common case, without a histogram
    histogram = np.bincount(counts.ravel())
    at_least = np.cumsum(histogram[::-1])[::-1]  # at_least[k]: pixels with count >= k
    over = np.flatnonzero(at_least > AREA_SHARE * counts.size)
    level = int(over[-1]) if over.size else 0
    above = int(at_least[MAX_TRANSITIONS + 1]) if at_least.size > MAX_TRANSITIONS + 1 else 0
    return level, above / counts.size


class _Verdicts:
    """Failing and extended segments, and per-second counts, of one kind of flash."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.failing: list[FlashSegment] = []
        self.extended: list[FlashSegment] = []
        self.peak = 0
        self.per_second: list[float] = []
        self._second_counts: npt.NDArray[np.uint16] | None = None
        self._second = 0
        self._near: deque[tuple[float, float]] = deque()  # (time, seconds of near-limit flashing)
        self._near_total = 0.0
        self._last_time: float | None = None

    def add(self, time: float, transitions: Mask, level: int, window: _Window) -> None:
        self.peak = max(self.peak, level)
        if level > MAX_TRANSITIONS:
            start, end = window.span(level)
            _extend(self.failing, self.kind, start, end, level)
        self._track_extended(time, level, window)
        self._track_seconds(time, transitions)

    def _track_extended(self, time: float, level: int, window: _Window) -> None:
        step = 0.0 if self._last_time is None else max(time - self._last_time, 0.0)
        self._last_time = time
        near = step if EXTENDED_MIN <= level <= EXTENDED_MAX else 0.0
        self._near.append((time, near))
        self._near_total += near
        while self._near and self._near[0][0] <= time - EXTENDED_SPAN + 1e-6:
            self._near_total -= self._near.popleft()[1]
        if self._near_total >= EXTENDED_SHARE - 1e-6:
            start = self._near[0][0] if self._near else time
            _extend(self.extended, self.kind, start, window.span(level)[1], level)

    def _track_seconds(self, time: float, transitions: Mask) -> None:
        second = math.floor(time + 1e-6)
        counts = self._second_counts
        if counts is None or counts.shape != transitions.shape:
            counts = self._second_counts = np.zeros(transitions.shape, np.uint16)
            self._second = second
        while second > self._second:
            self.per_second.append(screen_count(counts)[0] / 2)
            counts[:] = 0
            self._second += 1
        counts += transitions

    def close(self) -> None:
        if self._second_counts is not None:
            self.per_second.append(screen_count(self._second_counts)[0] / 2)
            self._second_counts = None


def _extend(segments: list[FlashSegment], kind: Kind, start: float, end: float, level: int) -> None:
    if segments and segments[-1].end >= start - 1e-6:
        last = segments[-1]
        segments[-1] = FlashSegment(
            last.start, max(last.end, end), kind, max(last.peak_frequency, level / 2)
        )
    else:
        segments.append(FlashSegment(start, end, kind, level / 2))


class FlashMeter:
    """Streaming: `add` every picture (small, from the every-frame pass) in order, then `result`.

    Memory: per pixel a running extreme, a direction and one second of
    transition maps for each of the two quantities (~0.8 MB at 160x90, 25 fps).
    Cost ~0.4 ms CPU a picture at 160x90, colour conversion included.
    """

    def __init__(self, model: DisplayModel | None = None) -> None:
        model = model or DisplayModel()
        self._model = model
        self._luminance = _ZigZag(
            LUMINANCE_STEP * model.peak / 200.0, False, DARK_LIMIT * model.peak / 200.0
        )
        self._red = _ZigZag(RED_STEP, True, None)
        self._cell_luminance = _ZigZag(
            LUMINANCE_STEP * model.peak / 200.0, False, DARK_LIMIT * model.peak / 200.0
        )
        self._cell_red = _ZigZag(RED_STEP, True, None)
        self._cells: _Cells | None = None
        self._general_window = _Window()
        self._red_window = _Window()
        self._general = _Verdicts("general")
        self._red_verdicts = _Verdicts("red")
        self._frames = 0
        self._max_area = 0.0

    def add(self, picture: SmallPicture) -> None:
        luminance, red = display_light(picture, self._model)
        self.add_light(picture.time, luminance, red)

    def add_light(self, time: float, luminance: F32, red: F32) -> None:
        """The same from display light already computed (cd/m² and the red quantity)."""
        self._frames += 1
        cells = self._cells
        if cells is None or cells.shape != luminance.shape:
            cells = self._cells = _Cells(luminance.shape)
        general = self._luminance.update(luminance)
        general &= cells.on_pixels(self._cell_luminance.update(cells.means(luminance)))
        reds = self._red.update(red)
        if red.any() or not self._cell_red.idle:
            reds &= cells.on_pixels(self._cell_red.update(cells.means(red)))
        level, area = self._general_window.add(time, general)
        red_level, red_area = self._red_window.add(time, reds)
        self._max_area = max(self._max_area, area, red_area)
        self._general.add(time, general, level, self._general_window)
        self._red_verdicts.add(time, reds, red_level, self._red_window)

    def result(self) -> FlashResult:
        self._general.close()
        self._red_verdicts.close()
        failing = sorted(
            self._general.failing + self._red_verdicts.failing, key=lambda s: (s.start, s.kind)
        )
        extended = sorted(
            self._general.extended + self._red_verdicts.extended, key=lambda s: (s.start, s.kind)
        )
        return FlashResult(
            frames=self._frames,
            passed=not failing,
            peak_frequency=self._general.peak / 2,
            red_peak_frequency=self._red_verdicts.peak / 2,
            flashes_per_second=list(self._general.per_second),
            red_flashes_per_second=list(self._red_verdicts.per_second),
            failing_segments=failing,
            extended_segments=extended,
            max_flashing_area=self._max_area,
        )
