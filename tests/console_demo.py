"""Media and results the console's tests and screenshots show: made here, analysed for real.

`demo_clips` writes short clips with known content (a clean spot, a loud promo,
black and frozen stretches, one named like an XSS payload); the service
analyses them like any file and the QC profile engine judges them (default
profile): the spot passes, the promo fails, the black and frozen clip warns.
`depth_clips` writes what the every-frame depth and the container facts show
on a file page: flashes (failing, then extended), framing changes with hard
cuts, two audio tracks and captions, HDR10 cut short.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from tests import seiinject
from tests.mediagen import sine, write_video
from tests.streamgen import A, V, write

RATE = 48000
FPS = 25
XSS_NAME = "<img src=x onerror=window.__xss=1>.mp4"
"""A file name from a stranger: rendered anywhere as HTML, it would run its script."""


def _tone(seconds: float, rms_db: float, wobble: float = 0.25) -> np.ndarray:
    """A 1 kHz tone at `rms_db` dBFS RMS whose level swells and fades (a curve worth plotting)."""
    amplitude = 10 ** (rms_db / 20) * np.sqrt(2)
    t = np.arange(round(seconds * RATE)) / RATE
    swell = 1.0 + wobble * np.sin(2 * np.pi * t / 6.0)
    tone: np.ndarray = sine(1000.0, seconds, RATE, amplitude) * swell
    return tone


BARS = np.array(
    [
        (235, 235, 235),
        (235, 235, 16),
        (16, 235, 235),
        (16, 235, 16),
        (235, 16, 235),
        (235, 16, 16),
        (16, 16, 235),
    ],
    dtype=np.uint8,
)


def scene(width: int, height: int, count: int, seed: int = 0) -> list[np.ndarray]:
    """A test card: colour bars over a sky-like gradient, and a ball crossing it; flat areas,
    so screenshots of its thumbnails stay small, and moving, so it is neither black nor frozen."""
    rows = np.linspace(0, 1, height)[:, None]
    sky = np.empty((height, width, 3), np.uint8)
    sky[..., 0] = (40 + 60 * rows).astype(np.uint8)
    sky[..., 1] = (90 + 80 * rows).astype(np.uint8)
    sky[..., 2] = (150 + 60 * rows).astype(np.uint8)
    bar_width = width // len(BARS)
    top = height // 6
    for index, colour in enumerate(BARS):
        sky[top : top + height // 4, index * bar_width : (index + 1) * bar_width] = colour
    radius = height // 8
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    ball = yy**2 + xx**2 <= radius**2
    frames = []
    for frame in range(count):
        phase = ((frame + 37 * seed) / max(count, 1)) % 1.0
        cx = int(radius + (width - 2 * radius - 1) * phase)
        cy = int(height * 0.7 + radius * np.sin(2 * np.pi * 2 * phase))
        picture = sky.copy()
        box = picture[cy - radius : cy + radius + 1, cx - radius : cx + radius + 1]
        box[ball[: box.shape[0], : box.shape[1]]] = (250, 200, 40)
        frames.append(picture)
    return frames


def demo_clips(
    directory: Path, width: int = 854, height: int = 480, seconds: float = 10.0
) -> dict[str, Path]:
    """The clips by file name: a clean spot (passes the default profile), a loud promo
    (fails it), 3 s of black then 4 s of a still picture (warns), and the XSS name."""
    directory.mkdir(parents=True, exist_ok=True)
    frames = round(seconds * FPS)
    moving = scene(width, height, frames, seed=1)
    # Stereo, right channel at 0.8: 10*log10(1 + 0.64) = +2.1 LU over one channel's level.
    clean = _tone(seconds, -25.2)
    quiet_gap = clean.copy()
    quiet_gap[round(1.0 * RATE) : round(2.5 * RATE)] = 0.0
    loud = np.clip(_tone(seconds, -9.0, wobble=0.3), -1.0, 1.0)
    black = [np.zeros((height, width, 3), np.uint8)] * (3 * FPS)
    still = [scene(width, height, 3, seed=2)[1]] * (4 * FPS)
    start = frames - len(black) - len(still)
    clips = {
        "spot-final.mp4": (moving, np.vstack([clean, clean * 0.8])),
        "promo-loud.mp4": (scene(width, height, frames, seed=3), np.vstack([loud, loud])),
        "black-and-frozen.mp4": (
            moving[:start] + black + still,
            np.vstack([quiet_gap, quiet_gap * 0.8]),
        ),
    }
    paths = {}
    for name, (pictures, audio) in clips.items():
        paths[name] = write_video(
            directory / name,
            pictures,
            fps=FPS,
            options={"preset": "ultrafast", "crf": "30", "g": str(FPS)},
            audio=audio,
        )
    paths[XSS_NAME] = directory / XSS_NAME
    shutil.copyfile(paths["spot-final.mp4"], paths[XSS_NAME])
    return paths


FLASHING = "flashing.mp4"
FRAMING = "letterbox-two-languages.mp4"
HDR_CUT = "hdr10-cut-short.mp4"
FAILING_FLASHES = (2.0, 4.0, 6.0)
"""Seconds from, to, and flashes a second: more than 3 a second over most of the screen."""
EXTENDED_FLASHES = (4.5, 10.0, 2.5)
"""2-3 flashes a second kept up for more than 4 s: extended flashing, a warning."""
LETTERBOX, PILLARBOX = 44, 80
"""Bar thickness in px of the 640x360 framing clip: 2.35:1 letterboxed, then 4:3 pillarboxed."""
FRAMING_CUTS = (4.0, 7.0)
CAPTIONS = seiinject.a53_cc(field1=b"\x14\x20HI")
MASTER = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"
HDR10_PARAMS = f"log-level=error:hdr10=1:repeat-headers=1:master-display={MASTER}:max-cll=1000,400"
PQ_BT2020 = (9, 16, 9, 1)
"""(primaries, transfer, matrix, range): BT.2020, PQ, BT.2020 non-constant, limited."""
KEPT_SHARE = 0.7
"""The HDR clip loses the last 30 % of its bytes (moov first, so what is left still plays)."""


def _flashing(pictures: list[np.ndarray]) -> list[np.ndarray]:
    """A white/black square over the middle 60 % of the screen, square-wave flashing."""
    height, width = pictures[0].shape[:2]
    side = round(np.sqrt(0.6) * height), round(np.sqrt(0.6) * width)
    top, left = (height - side[0]) // 2, (width - side[1]) // 2
    out = []
    for index, picture in enumerate(pictures):
        time = index / FPS
        for start, end, rate in (FAILING_FLASHES, EXTENDED_FLASHES):
            if start <= time < end:
                on = int(np.floor(2 * rate * (time - start))) % 2 == 1
                picture = picture.copy()
                picture[top : top + side[0], left : left + side[1]] = 235 if on else 16
        out.append(picture)
    return out


def _framed(picture: np.ndarray, bars: tuple[int, int]) -> np.ndarray:
    """`picture` with black bars: (top and bottom, left and right) in px."""
    framed = picture.copy()
    rows, columns = bars
    if rows:
        framed[:rows], framed[-rows:] = 0, 0
    if columns:
        framed[:, :columns], framed[:, -columns:] = 0, 0
    return framed


def _shots(width: int, height: int, seconds: float) -> list[np.ndarray]:
    """Three shots cut at `FRAMING_CUTS`, the ball crossing the middle of each: letterboxed,
    full frame with its colours swapped (a sunset), pillarboxed with another swap."""
    edges = [0, *(round(cut * FPS) for cut in FRAMING_CUTS), round(seconds * FPS)]
    looks = [
        lambda picture: _framed(picture, (LETTERBOX, 0)),
        lambda picture: np.ascontiguousarray(picture[..., ::-1]),
        lambda picture: _framed(np.ascontiguousarray(picture[..., [1, 2, 0]]), (0, PILLARBOX)),
    ]
    frames = []
    for number, look in enumerate(looks):
        count = edges[number + 1] - edges[number]
        # Twice the shot's frames: the ball crosses half the picture, clear of the bars.
        moving = scene(width, height, 2 * count, seed=number)[count // 2 : count // 2 + count]
        frames += [look(picture) for picture in moving]
    return frames


def depth_clips(directory: Path, seconds: float = 10.0) -> dict[str, Path]:
    """The clips by file name for a batch analysed at the every-frame depth."""
    directory.mkdir(parents=True, exist_ok=True)
    width, height = 640, 360
    clean = _tone(seconds, -25.2)
    paths = {
        FLASHING: write_video(
            directory / FLASHING,
            _flashing(scene(width, height, round(seconds * FPS), seed=3)),
            fps=FPS,
            options={"preset": "ultrafast", "crf": "30", "g": str(FPS)},
            audio=np.vstack([clean, clean * 0.8]),
        ),
        FRAMING: write(
            directory / FRAMING,
            V(
                width=width,
                height=height,
                pictures=_shots(width, height, seconds),
                options={"preset": "ultrafast", "crf": "30", "g": str(FPS)},
                packet_filter=seiinject.packet_filter("h264", [(4, CAPTIONS)]),
            ),
            [
                A(seconds=seconds, freq=1000.0, amplitude=0.08, language="eng"),
                A(seconds=seconds, channels=1, freq=500.0, amplitude=0.2, language="fra"),
            ],
        ),
    }
    hdr_seconds = seconds / 2
    whole = write(
        directory / f"whole-{HDR_CUT}",
        V(
            width=width,
            height=height,
            pictures=scene(width, height, round(hdr_seconds * FPS), seed=2),
            codec="libx265",
            pix_fmt="yuv420p10le",
            options={"preset": "ultrafast", "x265-params": HDR10_PARAMS},
            color=PQ_BT2020,
        ),
        [A(seconds=hdr_seconds, freq=1000.0, amplitude=0.08)],
        options={"movflags": "faststart"},
    )
    data = whole.read_bytes()
    paths[HDR_CUT] = directory / HDR_CUT
    paths[HDR_CUT].write_bytes(data[: round(len(data) * KEPT_SHARE)])
    return paths
