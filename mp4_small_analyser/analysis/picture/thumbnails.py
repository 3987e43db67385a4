"""Thumbnails cut from the frames the picture meter samples: no second decode.

At the every-frame depth too only the samples (`LumaFrame`s) are cut from, so
both depths show the same instants.

A contact sheet takes the first sampled frame at or after each of
`CONTACT_SHEET_TILES` instants spread evenly over the analysed video (the last
frame for an instant after the last sample); each
black or frozen stretch gets a picture of its first frame. Only the chosen
frames are converted: each is scaled by FFmpeg (swscale, area filter) straight
to its display size in RGB, turned as the track's rotation says, and encoded
by FFmpeg's own JPEG encoder, about 2 ms a picture from 1080p. The meter tells
where a stretch starts (`PictureMeter.progress`); a stretch may start on the
frame before the current one (a freeze is known when the second frame matches
the first), so the previous frame is kept (a reference, not a copy). A
candidate stretch that ends too short is dropped; the first
`MAX_STRETCH_THUMBNAILS` stretches get a picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import av
import numpy as np
from av.video.frame import VideoFrame

from mp4_small_analyser.analysis.decode import LumaFrame
from mp4_small_analyser.analysis.picture.meter import StretchProgress
from mp4_small_analyser.models import (
    ContactSheet,
    ImageFile,
    StretchThumbnail,
    Thumbnails,
    VideoFacts,
)

CONTACT_SHEET_TILES = 12
TILE_BOX = 160
"""Pixels: each contact-sheet tile fits in a square this size, at its display aspect."""
STRETCH_BOX = 320
"""Pixels: a stretch's thumbnail fits in a square this size."""
MAX_STRETCH_THUMBNAILS = 20
EMPTY_TILE = 0xE8
JPEG_QUALITY = 5
"""FFmpeg's `q:v` for MJPEG, 2 (best) to 31: 5 keeps a 320x180 picture near 10 kB."""


@dataclass(frozen=True)
class Shape:
    """How a coded picture is shown: its display size and clockwise rotation."""

    aspect: float
    """Display width over height, before rotation."""
    rotation: int

    @classmethod
    def of(cls, facts: VideoFacts) -> Shape:
        aspect = (facts.width or 16) / (facts.height or 9)
        if facts.display_aspect_ratio and ":" in facts.display_aspect_ratio:
            num, den = facts.display_aspect_ratio.split(":", 1)
            if num.isdigit() and den.isdigit() and int(num) and int(den):
                aspect = int(num) / int(den)
        return cls(aspect, facts.rotation % 360)

    def fit(self, box: int) -> tuple[int, int]:
        """(width, height) of the picture before rotation, its shown size fitting in `box`."""
        shown = self.aspect if self.rotation in (0, 180) else 1 / self.aspect
        width, height = (box, box / shown) if shown >= 1 else (box * shown, box)
        if self.rotation in (90, 270):
            width, height = height, width
        return max(2, round(width / 2) * 2), max(2, round(height / 2) * 2)


def rgb_picture(frame: VideoFrame, shape: Shape, box: int) -> np.ndarray:
    """The frame at its display size fitting in `box`, turned upright, as RGB rows."""
    width, height = shape.fit(box)
    rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA")
    pixels: np.ndarray = rgb.to_ndarray()
    return np.ascontiguousarray(np.rot90(pixels, k=-(shape.rotation // 90)))


def encode_jpeg(pixels: np.ndarray) -> bytes:
    """RGB rows as a baseline JPEG, by FFmpeg's MJPEG encoder (full-range 4:2:0)."""
    height, width = pixels.shape[:2]
    even = pixels[: height // 2 * 2, : width // 2 * 2]
    frame = VideoFrame.from_ndarray(np.ascontiguousarray(even), format="rgb24")
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = frame.width, frame.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"qmin": str(JPEG_QUALITY), "qmax": str(JPEG_QUALITY)}
    packets = encoder.encode(frame.reformat(format="yuvj420p")) + encoder.encode(None)
    return b"".join(bytes(packet) for packet in packets)


@dataclass
class _Candidate:
    time: float
    pixels: np.ndarray


@dataclass
class _StretchThumbnails:
    """The pictures of one kind of stretch: the open candidate and those confirmed."""

    kind: Literal["black", "frozen"]
    pending: _Candidate | None = None
    seen_segments: int = 0
    confirmed: list[_Candidate] = field(default_factory=list)

    def update(
        self,
        progress: StretchProgress,
        frames: list[LumaFrame],
        cut: Callable[[VideoFrame], np.ndarray] | None,
    ) -> None:
        """Confirm or drop the candidate whose stretch ended; take a new one when a stretch
        opens on one of `frames` (and `cut` is given: there is room for more)."""
        if self.pending is not None and progress.open_since != self.pending.time:
            if progress.segments > self.seen_segments:
                self.confirmed.append(self.pending)
            self.pending = None
        self.seen_segments = progress.segments
        start = progress.open_since
        if start is None or self.pending is not None or cut is None:
            return
        first = next((frame for frame in frames if frame.time == start), None)
        if first is not None and first.picture is not None:
            self.pending = _Candidate(start, cut(first.picture))


class ThumbnailCapture:
    """Fed each sampled frame after the picture meter, with the meter's `progress()`."""

    def __init__(self, facts: VideoFacts, duration: float) -> None:
        self._shape = Shape.of(facts)
        step = duration / CONTACT_SHEET_TILES if duration > 0 else 0.0
        self._instants = [step * (index + 0.5) for index in range(CONTACT_SHEET_TILES)]
        self._tiles: list[_Candidate] = []
        self._black = _StretchThumbnails("black")
        self._frozen = _StretchThumbnails("frozen")
        self._previous: LumaFrame | None = None

    def add(self, frame: LumaFrame, progress: tuple[StretchProgress, StretchProgress]) -> None:
        if frame.picture is not None and self._instants and frame.time >= self._instants[0]:
            pixels = rgb_picture(frame.picture, self._shape, TILE_BOX)
            self._tiles.append(_Candidate(frame.time, pixels))
            self._instants = [instant for instant in self._instants if instant > frame.time]
        frames = [frame] if self._previous is None else [self._previous, frame]
        confirmed = len(self._black.confirmed) + len(self._frozen.confirmed)
        cut = self._cut_stretch if confirmed < MAX_STRETCH_THUMBNAILS else None
        self._black.update(progress[0], frames, cut)
        self._frozen.update(progress[1], frames, cut)
        self._previous = frame

    def _cut_stretch(self, picture: VideoFrame) -> np.ndarray:
        return rgb_picture(picture, self._shape, STRETCH_BOX)

    def finish(
        self, progress: tuple[StretchProgress, StretchProgress]
    ) -> tuple[Thumbnails, list[ImageFile]]:
        """The thumbnails, once the meter has closed its stretches at the end of the video."""
        for stretch, state in zip((self._black, self._frozen), progress, strict=True):
            stretch.update(state, [], None)
        # The last instant may fall after the last sample: the last frame stands for it.
        last = self._previous
        unused = last is not None and (not self._tiles or last.time > self._tiles[-1].time)
        if self._instants and last is not None and last.picture is not None and unused:
            pixels = rgb_picture(last.picture, self._shape, TILE_BOX)
            self._tiles.append(_Candidate(last.time, pixels))
        self._previous = None
        images: list[ImageFile] = []
        sheet = self._contact_sheet(images)
        stretches = sorted(
            (
                (c.time, state.kind, c)
                for state in (self._black, self._frozen)
                for c in state.confirmed
            ),
            key=lambda entry: (entry[0], entry[1]),
        )[:MAX_STRETCH_THUMBNAILS]
        listed = []
        for number, (time, kind, candidate) in enumerate(stretches, start=1):
            name = f"{kind}-{number:02d}.jpg"
            images.append(ImageFile(name, encode_jpeg(candidate.pixels)))
            height, width = candidate.pixels.shape[:2]
            listed.append(
                StretchThumbnail(
                    kind=kind, time=round(time, 3), name=name, width=width, height=height
                )
            )
        return Thumbnails(contact_sheet=sheet, stretches=listed), images

    def _contact_sheet(self, images: list[ImageFile]) -> ContactSheet | None:
        if not self._tiles:
            return None
        tile_height, tile_width = self._tiles[0].pixels.shape[:2]
        columns = min(len(self._tiles), 4 if tile_width >= tile_height else 6)
        rows = math.ceil(len(self._tiles) / columns)
        # Light grey where the grid has no tile: black would read as a black frame.
        sheet = np.full((rows * tile_height, columns * tile_width, 3), EMPTY_TILE, dtype=np.uint8)
        for index, tile in enumerate(self._tiles):
            row, column = divmod(index, columns)
            top, left = row * tile_height, column * tile_width
            sheet[top : top + tile_height, left : left + tile_width] = tile.pixels
        name = "contact-sheet.jpg"
        images.append(ImageFile(name, encode_jpeg(sheet)))
        return ContactSheet(
            name=name,
            width=columns * tile_width,
            height=rows * tile_height,
            columns=columns,
            rows=rows,
            times=[round(tile.time, 3) for tile in self._tiles],
        )
