"""Media and results the console's tests and screenshots show: made here, analysed for real.

`demo_clips` writes short clips with known content (a clean spot, a loud promo,
black and frozen stretches, one named like an XSS payload); the service
analyses them like any file and the QC profile engine judges them (default
profile): the spot passes, the promo fails, the black and frozen clip warns.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from tests.mediagen import sine, write_video

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
