"""A decoded picture as 8-bit planes, its small version, and its display light.

Meters that must see every frame (flashes, cuts, the TI peak search) cannot
afford full-size numpy work 25-60 times a second, so the decode loop shrinks
each plane by an integer area average to at most `DENSE_LINES` (90) lines.
At three picture heights (the usual viewing distance, the picture 18.9
degrees high) a 90-line pixel is 0.2 degree: the flash rule's quarter of the
screen is ~2000 of them, and flashing patterns finer than 0.2 degree average
out (WCAG exempts those under 0.1 degree; BT.1702 states no size). Averaging
also removes coding noise, which matters for cut scores.

Costs on this machine (2 cores shared with other jobs, numpy 2.4, CPU time
per frame): shrinking Y, U, V of a 1080p frame to 90 lines ~0.5 ms (reading
the full planes dominates), 720p ~0.3 ms; display light at 90x160 ~0.15 ms.
swscale's full-size `frame.reformat(format="rgb24")` costs ~8 ms at 1080p,
which is why colour is converted here, after shrinking.

Planes are read as they are coded (no range conversion); deeper than 8 bits
are shifted to 8, as the picture meters work on 8-bit levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import av
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

DENSE_LINES = 90
"""The small planes of the every-frame pass have at most this many lines."""

Matrix = Literal["bt709", "bt601", "bt2020"]

_LUMA_WEIGHTS: dict[Matrix, tuple[float, float, float]] = {
    # (Kr, Kg, Kb) of each matrix: BT.709 Table 3 item 3.2, BT.601 item 2.1, BT.2020 Table 4.
    "bt709": (0.2126, 0.7152, 0.0722),
    "bt601": (0.299, 0.587, 0.114),
    "bt2020": (0.2627, 0.6780, 0.0593),
}

# FFmpeg's AVColorSpace numbers, as PyAV's `frame.colorspace` gives them.
_COLORSPACES: dict[int, Matrix] = {1: "bt709", 5: "bt601", 6: "bt601", 9: "bt2020", 10: "bt2020"}


@dataclass(frozen=True)
class Planes:
    """One picture's planes at 8 bits, as coded."""

    y: U8
    u: U8 | None
    """None for grey pictures."""
    v: U8 | None
    full_range: bool
    matrix: Matrix
    """YCbCr matrix; unspecified is taken as BT.709 from 720 lines up, BT.601 below."""


def frame_planes(frame: av.VideoFrame, copy: bool = False) -> Planes:
    """The coded planes of a PyAV frame as uint8 arrays (views unless `copy`).

    Views are valid only while the frame lives; a meter that keeps a plane past
    the next decoded frame must ask for a copy. Non-planar YUV and RGB formats
    go through swscale to yuv444p (rare in MP4 delivery).
    """
    fmt = frame.format
    name = fmt.name
    if not name.startswith(("yuv", "gray")):
        frame = frame.reformat(format="yuv444p")
        fmt = frame.format
        name = fmt.name
    components = fmt.components
    bits = components[0].bits if components else 8
    arrays = [_plane(frame, i, bits, copy) for i in range(len(frame.planes))]
    full_range = int(frame.color_range) == 2 or name.startswith(("yuvj", "gray"))
    u = arrays[1] if len(arrays) >= 3 else None
    v = arrays[2] if len(arrays) >= 3 else None
    return Planes(arrays[0], u, v, full_range, _matrix(frame))


def _plane(frame: av.VideoFrame, index: int, bits: int, copy: bool) -> U8:
    plane = frame.planes[index]
    data = memoryview(plane)
    if bits <= 8:
        rows = np.frombuffer(data, dtype=np.uint8).reshape(plane.height, plane.line_size)
        view = rows[:, : plane.width]
        return np.array(view) if copy else view
    wide = np.frombuffer(data, dtype="<u2").reshape(plane.height, plane.line_size // 2)
    shifted: U8 = (wide[:, : plane.width] >> (bits - 8)).astype(np.uint8)
    return shifted


def _matrix(frame: av.VideoFrame) -> Matrix:
    known = _COLORSPACES.get(int(frame.colorspace))
    if known is not None:
        return known
    # Unspecified: what players assume (HD and up BT.709, SD BT.601).
    return "bt709" if frame.height >= 720 else "bt601"


def dense_factor(height: int, lines: int = DENSE_LINES) -> int:
    """Integer shrink factor bringing `height` lines to at most `lines`."""
    return max(1, -(-height // lines))


def area_shrink(plane: U8, factor: int, row_stride: int = 1) -> F32:
    """Mean of each `factor` x `factor` block (edges that do not fill a block are dropped).

    Lines are summed in groups through a reshaped view (whole contiguous lines
    per step), then columns by strided adds on the shortened picture: 0.3 ms
    for a 1080p luma plane, where a reshape-mean over both axes takes ~3 ms.
    Sums stay in uint16 up to factor 16 (16 x 16 x 255 < 65536).
    `row_stride` 2 reads every other line of each block (half the memory
    traffic, which dominates at 1080p): the mean of the even lines, close to
    the block mean on camera pictures, and exact on flat areas.
    """
    if factor <= 1:
        return plane.astype(np.float32)
    height = plane.shape[0] // factor * factor
    width = plane.shape[1] // factor * factor
    wide = np.uint16 if factor <= 16 else np.uint32
    stride = row_stride if factor % row_stride == 0 else 1
    lines = plane[:height:stride, :width]
    rows = lines.reshape(height // factor, factor // stride, width).sum(axis=1, dtype=wide)
    blocks = rows[:, 0::factor].copy()
    for dx in range(1, factor):
        blocks += rows[:, dx::factor]
    small: F32 = blocks.astype(np.float32)
    small *= np.float32(stride / (factor * factor))
    return small


@dataclass(frozen=True)
class SmallPicture:
    """A picture shrunk for the every-frame meters."""

    time: float
    """Seconds from the start of the stream."""
    y: F32
    """Luma levels (0-255 codes, not range-converted)."""
    u: F32 | None
    """Chroma levels at the size of `y` (nearest sample), or None for grey pictures."""
    v: F32 | None
    full_range: bool
    matrix: Matrix


def small_picture(planes: Planes, time: float, lines: int = DENSE_LINES) -> SmallPicture:
    """Shrink luma and chroma to about `lines` lines, chroma brought to the luma grid."""
    factor = dense_factor(planes.y.shape[0], lines)
    # From 8x8 blocks up, every other line is plenty for a block mean (see area_shrink).
    y = area_shrink(planes.y, factor, row_stride=2 if factor >= 8 else 1)
    if planes.u is None or planes.v is None:
        return SmallPicture(time, y, None, None, planes.full_range, planes.matrix)
    u = _chroma_on_luma_grid(planes.u, planes.y.shape, factor, y.shape)
    v = _chroma_on_luma_grid(planes.v, planes.y.shape, factor, y.shape)
    return SmallPicture(time, y, u, v, planes.full_range, planes.matrix)


def _chroma_on_luma_grid(
    chroma: U8, luma_shape: tuple[int, ...], factor: int, small_shape: tuple[int, ...]
) -> F32:
    sub_y = max(1, round(luma_shape[0] / chroma.shape[0]))
    sub_x = max(1, round(luma_shape[1] / chroma.shape[1]))
    if factor % sub_y == 0 and factor % sub_x == 0 and sub_y == sub_x:
        shrunk = area_shrink(chroma, factor // sub_y)
        if shrunk.shape[0] >= small_shape[0] and shrunk.shape[1] >= small_shape[1]:
            return shrunk[: small_shape[0], : small_shape[1]]
    # Subsampling that does not divide the factor (odd factors, 4:2:2, 4:1:1): nearest sample
    # of the chroma plane at each small pixel's centre; the meters need chroma only coarsely.
    rows = np.minimum(
        ((np.arange(small_shape[0]) + 0.5) * factor / sub_y).astype(np.intp), chroma.shape[0] - 1
    )
    cols = np.minimum(
        ((np.arange(small_shape[1]) + 0.5) * factor / sub_x).astype(np.intp), chroma.shape[1] - 1
    )
    picked: F32 = chroma[np.ix_(rows, cols)].astype(np.float32)
    return picked


@dataclass(frozen=True)
class DisplayModel:
    """How coded levels become light on the reference display.

    BT.1702 states its thresholds in cd/m² on a domestic screen; the guidance
    (and Harding FPA, EA's IRIS, WCAG 2.x's relative luminance) assume a
    display of about 200 cd/m² peak white, so 20 cd/m² is a tenth of peak and
    160 cd/m² four fifths. The EOTF is BT.1886's pure-power form with a zero
    black level, gamma 2.4 (an sRGB-like 2.2 reads mid-greys ~1.1x brighter).
    """

    peak: float = 200.0
    """cd/m² of nominal white."""
    gamma: float = 2.4


CHROMA_EXACT = 0.02
"""|Cb| or |Cr| (of 0.5) under which a pixel is neutral enough for luma-based luminance."""


def display_light(picture: SmallPicture, model: DisplayModel | None = None) -> tuple[F32, F32]:
    """(luminance in cd/m², red quantity) per small pixel.

    Luminance is the display's light: R'G'B' from the YCbCr matrix, linearised
    with the EOTF, weighted by the matrix's luminance coefficients (constant-
    luminance Y, not luma). The red quantity is the one of the red-flash rule
    (Harding & Binnie 2002, adopted by WCAG 2.x and IRIS): 320 x (R - G - B) on
    linear 0-1 values where the pixel is saturated red, R / (R + G + B) >= 0.8,
    else 0; negative values are 0.

    The EOTF is a 4096-entry table. A picture whose pixels are nearly all
    neutral (chroma under CHROMA_EXACT) takes the EOTF of luma, within 2 % of
    the true luminance there and with a red quantity under 1 (of 20 needed).
    """
    model = model or DisplayModel()
    y_norm, cb, cr = _normalised(picture)
    chromatic = (np.abs(cb) > CHROMA_EXACT) | (np.abs(cr) > CHROMA_EXACT)
    if not chromatic.any():
        return _eotf(y_norm, model), np.zeros_like(y_norm)
    kr, kg, kb = _LUMA_WEIGHTS[picture.matrix]
    r = cr * np.float32(2.0 * (1.0 - kr))
    r += y_norm
    b = cb * np.float32(2.0 * (1.0 - kb))
    b += y_norm
    g = y_norm - np.float32(kr) * r
    g -= np.float32(kb) * b
    g *= np.float32(1.0 / kg)
    unit = DisplayModel(1.0, model.gamma)
    lr, lg, lb = _eotf(r, unit), _eotf(g, unit), _eotf(b, unit)
    luminance = lr * np.float32(kr * model.peak)
    luminance += lg * np.float32(kg * model.peak)
    luminance += lb * np.float32(kb * model.peak)
    excess = lr - lg - lb
    saturated = lr >= np.float32(0.8) * (lr + lg + lb)
    saturated &= excess > 0
    red: F32 = np.where(saturated, np.float32(320.0) * excess, np.float32(0.0))
    return luminance, red


_STEPS = 4096


def _eotf(signal: F32, model: DisplayModel) -> F32:
    """peak x signal^gamma through a 4096-entry table (signal clipped to 0-1)."""
    table = _TABLES.get((model.peak, model.gamma))
    if table is None:
        codes = np.linspace(0.0, 1.0, _STEPS, dtype=np.float64)
        table = _TABLES[(model.peak, model.gamma)] = (model.peak * codes**model.gamma).astype(
            np.float32
        )
    index = signal * np.float32(_STEPS - 1)
    index += np.float32(0.5)
    np.clip(index, 0, _STEPS - 1, out=index)
    light: F32 = np.take(table, index.astype(np.int32))
    return light


_TABLES: dict[tuple[float, float], F32] = {}


def _normalised(picture: SmallPicture) -> tuple[F32, F32, F32]:
    """Y' in 0-1 and Cb, Cr in -0.5..0.5 from coded levels (BT.601/709 quantisation)."""
    zero = np.zeros_like(picture.y)
    if picture.full_range:
        y = picture.y * np.float32(1.0 / 255.0)
        scale, offset = np.float32(1.0 / 255.0), np.float32(128.0)
    else:
        y = (picture.y - np.float32(16.0)) * np.float32(1.0 / 219.0)
        scale, offset = np.float32(1.0 / 224.0), np.float32(128.0)
    if picture.u is None or picture.v is None:
        return y, zero, zero
    return y, (picture.u - offset) * scale, (picture.v - offset) * scale
