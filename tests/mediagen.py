"""Write test media with PyAV from numpy arrays (no committed blobs).

Shared by every test module: audio signals carried through a real MP4 (ALAC
keeps them lossless), and video from arrays of frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 8: "7.1"}


def write_audio(
    path: Path,
    samples: np.ndarray,
    sample_rate: int = 48000,
    codec: str = "alac",
    layout: str | None = None,
    bit_rate: int | None = None,
    container_format: str | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode `samples` (channels x n, float in [-1, 1]) into an audio-only file."""
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float64))
    channels, total = samples.shape
    with av.open(str(path), "w", format=container_format) as out:
        stream: Any = out.add_stream(codec, rate=sample_rate, options=options or {})
        stream.layout = layout or LAYOUTS[channels]
        if bit_rate:
            stream.bit_rate = bit_rate
        ctx = stream.codec_context
        fmt = ctx.format.name if ctx.format else "fltp"
        frame_size = ctx.frame_size or 4096
        pts = 0
        for start in range(0, total, frame_size):
            chunk = samples[:, start : start + frame_size]
            frame = _audio_frame(chunk, fmt, stream.layout.name)
            frame.sample_rate = sample_rate
            frame.pts = pts
            frame.time_base = Fraction(1, sample_rate)
            pts += chunk.shape[1]
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _audio_frame(chunk: np.ndarray, fmt: str, layout: str) -> av.AudioFrame:
    planar = fmt.endswith("p")
    base = fmt.rstrip("p")
    if base == "flt":
        data = chunk.astype(np.float32)
    elif base == "dbl":
        data = chunk.astype(np.float64)
    elif base == "s16":
        data = np.clip(np.round(chunk * 32768.0), -32768, 32767).astype(np.int16)
    elif base == "s32":
        data = np.clip(np.round(chunk * 2147483648.0), -2147483648, 2147483647).astype(np.int32)
    else:
        raise ValueError(f"unsupported sample format {fmt}")
    if not planar:
        data = data.T.reshape(1, -1)
    return av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout=layout)


def write_video(
    path: Path,
    frames: Iterable[np.ndarray],
    fps: Fraction | int = 25,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    audio: np.ndarray | None = None,
    audio_rate: int = 48000,
    audio_codec: str = "aac",
) -> Path:
    """Encode RGB frames (h x w x 3 uint8) and optional audio (channels x n) into one file."""
    frame_list: Sequence[np.ndarray] = list(frames)
    height, width = frame_list[0].shape[:2]
    with av.open(str(path), "w", options=container_options or {}) as out:
        video: Any = out.add_stream(codec, rate=Fraction(fps), options=options or {})
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        audio_stream: Any = None
        if audio is not None:
            audio = np.atleast_2d(audio)
            audio_stream = out.add_stream(audio_codec, rate=audio_rate)
            audio_stream.layout = LAYOUTS[audio.shape[0]]
        for i, rgb in enumerate(frame_list):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if audio is not None and audio_stream is not None:
            ctx = audio_stream.codec_context
            fmt = ctx.format.name
            size = ctx.frame_size or 1024
            for start in range(0, audio.shape[1], size):
                chunk = audio[:, start : start + size]
                frame = _audio_frame(chunk, fmt, audio_stream.layout.name)
                frame.sample_rate = audio_rate
                frame.pts = start
                frame.time_base = Fraction(1, audio_rate)
                for packet in audio_stream.encode(frame):
                    out.mux(packet)
            for packet in audio_stream.encode(None):
                out.mux(packet)
    return path


def moving_pattern(width: int, height: int, count: int, seed: int = 0) -> list[np.ndarray]:
    """Textured frames that change every frame (not black, not frozen)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(height + count, width + count, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    gradient = ((xx + yy) % 256).astype(np.uint8)[..., None]
    return [
        ((base[i : i + height, i : i + width] // 2) + gradient // 2).astype(np.uint8)
        for i in range(count)
    ]


def sine(freq: float, seconds: float, rate: int = 48000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)
