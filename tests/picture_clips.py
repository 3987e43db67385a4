"""Test media with known truth for the picture depth measures, generated with PyAV (libx264).

Every clip is a few seconds of small pictures so the whole set encodes in
about half a minute on one core. Frames are built in YCbCr so levels are
exact (no swscale rounding) where a test depends on them. `CATALOGUE` names
each clip with what it should measure; the `picture_clips` fixture
(tests/fixtures_media.py) makes each one on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
Yuv = tuple[U8, U8, U8]

KR, KB = 0.2126, 0.0722  # BT.709


@dataclass(frozen=True)
class Clip:
    path: Path
    fps: int
    frames: int
    width: int
    height: int


def write_clip(
    path: Path,
    frames: Iterator[Yuv],
    fps: int,
    width: int,
    height: int,
    *,
    full_range: bool = False,
    x264_params: str | None = None,
    crf: int = 16,
) -> Clip:
    """Encode yuv420p frames with libx264 (BT.709 signalled, range as asked)."""
    options = {"preset": "veryfast", "crf": str(crf)}
    if x264_params:
        options["x264-params"] = x264_params
    count = 0
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.color_range = 2 if full_range else 1
        stream.codec_context.colorspace = 1
        stream.codec_context.color_primaries = 1
        stream.codec_context.color_trc = 1
        stream.codec_context.time_base = Fraction(1, fps)
        for y, u, v in frames:
            stacked = np.concatenate([y, u.reshape(-1, width), v.reshape(-1, width)])
            frame = av.VideoFrame.from_ndarray(stacked, format="yuv420p")
            frame.color_range = 2 if full_range else 1
            frame.colorspace = 1
            frame.pts = count
            frame.time_base = Fraction(1, fps)
            count += 1
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return Clip(path, fps, count, width, height)


# ---------------------------------------------------------------- colour helpers


def rgb_to_yuv(rgb: F64, full_range: bool = False) -> Yuv:
    """Gamma-encoded R'G'B' in 0-1 (h, w, 3) to BT.709 yuv420p planes."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = KR * r + (1 - KR - KB) * g + KB * b
    cb = (b - y) / (2 * (1 - KB))
    cr = (r - y) / (2 * (1 - KR))
    return yuv_planes(y, cb, cr, full_range)


def yuv_planes(y: F64, cb: F64, cr: F64, full_range: bool = False) -> Yuv:
    """Normalised Y' (0-1), Cb/Cr (-0.5..0.5) to quantised 4:2:0 planes."""
    if full_range:
        yq = np.round(y * 255)
        cbq, crq = np.round(cb * 255 + 128), np.round(cr * 255 + 128)
    else:
        yq = np.round(16 + 219 * y)
        cbq, crq = np.round(128 + 224 * cb), np.round(128 + 224 * cr)
    return (
        np.clip(yq, 0, 255).astype(np.uint8),
        _half(np.clip(cbq, 0, 255)),
        _half(np.clip(crq, 0, 255)),
    )


def _half(plane: F64) -> U8:
    h, w = plane.shape
    half: U8 = np.round(plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))).astype(np.uint8)
    return half


def grey(h: int, w: int, level: float) -> Yuv:
    """A flat picture of luma code `level` (limited range), neutral chroma."""
    return (
        np.full((h, w), level, np.uint8),
        np.full((h // 2, w // 2), 128, np.uint8),
        np.full((h // 2, w // 2), 128, np.uint8),
    )


def texture(h: int, w: int, t: float, seed: int = 0, lo: float = 60, hi: float = 190) -> F64:
    """Natural-looking moving luma (codes): waves at a few scales plus fine grain."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(seed)
    k = rng.uniform(0.02, 0.09, 4)
    phase = rng.uniform(0, 6.3, 4)
    field = (
        np.sin(xx * k[0] + 3.0 * t + phase[0]) * np.cos(yy * k[1] - 2.0 * t + phase[1])
        + 0.5 * np.sin((xx + yy) * k[2] + 5.0 * t + phase[2])
        + 0.3 * np.sin((xx - 2 * yy) * k[3] + phase[3])
    )
    field = (field - field.min()) / (np.ptp(field) + 1e-9)
    grain = rng.normal(0, 2.0, (h, w))
    out: F64 = lo + (hi - lo) * field + grain
    return out


def textured_frame(h: int, w: int, t: float, seed: int = 0) -> Yuv:
    y = texture(h, w, t, seed)
    cb = 0.08 * np.sin(np.arange(w) / 37.0 + seed)[None, :] * np.ones((h, 1))
    cr = 0.06 * np.cos(np.arange(h) / 23.0 + seed)[:, None] * np.ones((1, w))
    return yuv_planes((y - 16) / 219, cb, cr)


# ---------------------------------------------------------------- letterbox


def boxed(h: int, w: int, t: float, top: int, bottom: int, left: int, right: int) -> Yuv:
    """Textured content inside black bars of the given sizes (limited-range black, 16)."""
    y, u, v = textured_frame(h, w, t)
    y = y.copy()
    u, v = u.copy(), v.copy()
    mask = np.zeros((h, w), bool)
    mask[:top] = True
    mask[h - bottom :] = True
    mask[:, :left] = True
    mask[:, w - right :] = True
    y[mask] = 16
    cmask = mask[::2, ::2]
    u[cmask] = 128
    v[cmask] = 128
    return y, u, v


def letterbox_clip(
    path: Path, bars: Callable[[float], tuple[int, int, int, int]], seconds: float = 2.0
) -> Clip:
    h, w, fps = 360, 640, 25
    n = round(seconds * fps)
    return write_clip(path, (boxed(h, w, i / fps, *bars(i / fps)) for i in range(n)), fps, w, h)


# ---------------------------------------------------------------- interlace


def moving_scene(h: int, w: int, t: float) -> F64:
    """Luma codes of a scene with strong horizontal motion (vertical edges move 8 px/frame)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    x = xx - 200.0 * t
    bars = 0.5 + 0.5 * np.sign(np.sin(x / 9.0))
    blob = np.exp(-(((xx - w / 2 - 150 * np.sin(3 * t)) / 80) ** 2 + ((yy - h / 2) / 60) ** 2))
    out: F64 = 40 + 150 * (0.7 * bars + 0.3 * blob) + 0.3 * (yy % 7)
    return out


def woven(h: int, w: int, t0: float, t1: float, top_first: bool) -> Yuv:
    """A frame whose two fields are the scene at two instants (the first field at t0)."""
    first, second = moving_scene(h, w, t0), moving_scene(h, w, t1)
    y = np.empty((h, w))
    top, bottom = (first, second) if top_first else (second, first)
    y[0::2] = top[0::2]
    y[1::2] = bottom[1::2]
    zero = np.zeros((h, w))
    return yuv_planes((y - 16) / 219, zero, zero)


def interlaced_clip(
    path: Path, top_first: bool, coded_interlaced: bool = False, seconds: float = 2.0
) -> Clip:
    """576i25-style content: 50 fields a second woven into 25 frames."""
    h, w, fps = 576, 720, 25
    n = round(seconds * fps)
    params = None
    if coded_interlaced:
        params = "interlaced=1:tff=1" if top_first else "interlaced=1:bff=1"
    frames = (woven(h, w, i / fps, i / fps + 0.5 / fps, top_first) for i in range(n))
    return write_clip(path, frames, fps, w, h, x264_params=params)


def interlaced_clip_mislabelled(path: Path, seconds: float = 2.0) -> Clip:
    """Bottom-field-first content coded as interlaced top-field-first."""
    h, w, fps = 576, 720, 25
    n = round(seconds * fps)
    frames = (woven(h, w, i / fps, i / fps + 0.5 / fps, False) for i in range(n))
    return write_clip(path, frames, fps, w, h, x264_params="interlaced=1:tff=1")


def progressive_motion_clip(path: Path, seconds: float = 2.0) -> Clip:
    h, w, fps = 576, 720, 25
    n = round(seconds * fps)
    zero = np.zeros((h, w))
    frames = (yuv_planes((moving_scene(h, w, i / fps) - 16) / 219, zero, zero) for i in range(n))
    return write_clip(path, frames, fps, w, h)


def telecine_clip(path: Path, seconds: float = 2.0) -> Clip:
    """24 progressive frames a second pulled down 3:2 to 30 interlaced-style frames (TFF).

    Film frames A B C D become fields At Ab | Bt Bb | Bt Cb | Ct Db | Dt Db, so
    the third and fifth frame of each group repeat a field of the frame before.
    """
    h, w, fps = 480, 720, 30
    film = [moving_scene(h, w, k / 24.0) for k in range(round(seconds * 24) + 4)]
    # (top field source, bottom field source) for the five frames of each 4-film-frame group
    pattern = [(0, 0), (1, 1), (1, 2), (2, 3), (3, 3)]
    zero = np.zeros((h, w))
    frames: list[Yuv] = []
    group = 0
    while len(frames) < round(seconds * fps):
        for top, bottom in pattern:
            y = np.empty((h, w))
            y[0::2] = film[4 * group + top][0::2]
            y[1::2] = film[4 * group + bottom][1::2]
            frames.append(yuv_planes((y - 16) / 219, zero, zero))
        group += 1
    return write_clip(path, iter(frames[: round(seconds * fps)]), fps, w, h)


# ---------------------------------------------------------------- levels


def levels_clip(path: Path, kind: str, seconds: float = 1.0) -> Clip:
    """A scene with black (10 %), white (10 %) and textured mid-tones, coded four ways.

    `legal`: limited range (black 16, white 235), flagged limited; `full_in_limited`: the
    same scene in full-range codes (black 0, white 255) flagged limited; `limited_in_full`:
    the limited-range codes flagged full; `chroma_out`: legal luma, with a saturated patch
    whose Cb reaches 4 and one whose Cr reaches 252."""
    h, w, fps = 360, 640, 25
    n = round(seconds * fps)

    def frame(i: int) -> Yuv:
        level = (texture(h, w, i / fps, seed=7) - 16) / 219  # 0.2-0.8 of the range
        level[:, : w // 10] = 0.0
        level[:, -w // 10 :] = 1.0
        cb = np.zeros((h, w))
        cr = np.zeros((h, w))
        if kind == "chroma_out":
            cb[: h // 4, w // 4 : w // 2] = -0.553  # 128 - 0.553 * 224 = 4
            cr[-h // 4 :, w // 4 : w // 2] = 0.55  # 128 + 0.55 * 224 = 251
        full = kind == "full_in_limited"
        y, u, v = yuv_planes(level, cb, cr, full_range=full)
        return y, u, v

    return write_clip(
        path,
        (frame(i) for i in range(n)),
        fps,
        w,
        h,
        full_range=kind == "limited_in_full",
        crf=0,  # lossless: every frame keeps the exact codes of the columns and patches
    )


# ---------------------------------------------------------------- cuts


def cuts_clip(path: Path, cuts: tuple[float, ...] = (1.0, 2.2, 3.6), seconds: float = 5.0) -> Clip:
    """Moving textures, a different scene after each cut time."""
    h, w, fps = 360, 640, 25
    n = round(seconds * fps)

    def frame(i: int) -> Yuv:
        t = i / fps
        scene = sum(1 for c in cuts if t >= c - 1e-9)
        lo, hi = [(40, 150), (100, 220), (30, 120), (80, 200)][scene % 4]
        y = texture(h, w, t * 0.3, seed=11 * scene + 3, lo=lo, hi=hi)
        zero = np.zeros((h, w))
        tint = 0.05 * (scene % 3 - 1)
        return yuv_planes((y - 16) / 219, zero + tint, zero - tint)

    return write_clip(path, (frame(i) for i in range(n)), fps, w, h)


# ---------------------------------------------------------------- flashes


def flash_clip(
    path: Path,
    rate: float,
    *,
    dark: tuple[float, float, float] = (0.0, 0.0, 0.0),
    bright: tuple[float, float, float] = (1.0, 1.0, 1.0),
    area: float = 1.0,
    seconds: float = 3.0,
    fps: int = 25,
) -> Clip:
    """`rate` flashes a second (a square wave of R'G'B' colours) over the middle `area` of the
    screen, the rest a mid-grey texture; rate 0 is a steady picture."""
    h, w = 240, 320
    n = round(seconds * fps)
    background = texture(h, w, 0.0, seed=5, lo=90, hi=140)
    bg_rgb = np.repeat(((background - 16) / 219)[..., None], 3, axis=2)
    side = round(float(np.sqrt(area)) * h), round(float(np.sqrt(area)) * w)
    top, left = (h - side[0]) // 2, (w - side[1]) // 2

    def frame(i: int) -> Yuv:
        on = rate > 0 and int(np.floor(2 * rate * i / fps)) % 2 == 1
        colour = np.array(bright if on else dark)
        rgb = bg_rgb.copy()
        rgb[top : top + side[0], left : left + side[1]] = colour
        return rgb_to_yuv(rgb)

    return write_clip(path, (frame(i) for i in range(n)), fps, w, h, crf=10)


def equal_luminance_grey(rgb: tuple[float, float, float], gamma: float = 2.4) -> float:
    """R'=G'=B' of the grey with the same display luminance as R'G'B' `rgb` (BT.709)."""
    lin = [c**gamma for c in rgb]
    lum = KR * lin[0] + (1 - KR - KB) * lin[1] + KB * lin[2]
    return float(lum ** (1 / gamma))


def time_of(frame_index: int, fps: int) -> float:
    return frame_index / fps


# ---------------------------------------------------------------- catalogue

RED = (1.0, 0.0, 0.0)
RED_GREY = equal_luminance_grey(RED)


@dataclass(frozen=True)
class Item:
    make: Callable[[Path], Clip]
    truth: str


CATALOGUE: dict[str, Item] = {
    "letterbox": Item(
        lambda p: letterbox_clip(p, lambda t: (44, 44, 0, 0)),
        "bars 44 px top and bottom in 640x360 (a 2.35:1 picture)",
    ),
    "pillarbox": Item(
        lambda p: letterbox_clip(p, lambda t: (0, 0, 80, 80)),
        "bars 80 px left and right (4:3 in 16:9)",
    ),
    "tff_progressive_coded": Item(
        lambda p: interlaced_clip(p, True), "TFF fields from two instants, coded progressive"
    ),
    "bff_progressive_coded": Item(
        lambda p: interlaced_clip(p, False), "BFF fields from two instants, coded progressive"
    ),
    "bff_content_tff_coded": Item(
        interlaced_clip_mislabelled, "BFF content coded interlaced TFF: field order mismatch"
    ),
    "progressive_motion": Item(progressive_motion_clip, "progressive, the same motion"),
    "telecine": Item(telecine_clip, "3:2 pulldown, a field repeated in 2 frames of 5"),
    "levels_legal": Item(lambda p: levels_clip(p, "legal"), "16-235, flagged limited"),
    "levels_full_in_limited": Item(
        lambda p: levels_clip(p, "full_in_limited"), "0-255 content flagged limited"
    ),
    "levels_limited_in_full": Item(
        lambda p: levels_clip(p, "limited_in_full"), "16-235 content flagged full"
    ),
    "levels_chroma_out": Item(
        lambda p: levels_clip(p, "chroma_out"), "legal luma, Cb down to 4 and Cr up to 251"
    ),
    "cuts": Item(cuts_clip, "hard cuts at 1.0, 2.2 and 3.6 s (frames 25, 55, 90)"),
    "flash_10hz": Item(lambda p: flash_clip(p, 10.0), "full-screen 10 flashes/s: fails"),
    "flash_1hz": Item(lambda p: flash_clip(p, 1.0), "full-screen 1 flash/s: passes"),
    "flash_red_5hz": Item(
        lambda p: flash_clip(p, 5.0, dark=(RED_GREY,) * 3, bright=RED),
        "saturated red against the grey of equal luminance 5/s: red fails, general passes",
    ),
}


class PictureClips:
    """Each catalogue clip, made on first use into `directory` and kept for the session."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._paths: dict[str, Path] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        with self._lock:
            if name not in self._paths:
                path = self._directory / f"{name}.mp4"
                CATALOGUE[name].make(path)
                self._paths[name] = path
            return self._paths[name]
