"""Write test media with PyAV from numpy arrays (no committed blobs).

Shared by every test module: audio signals carried through a real MP4 (ALAC
keeps them lossless), and video from arrays of frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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


def natural_texture(width: int, height: int, count: int, seed: int = 0) -> list[np.ndarray]:
    """Frames panning across a picture with a natural image's 1/f spectrum.

    White noise would not do: a blur measure cannot tell it from sensor noise.
    """
    rng = np.random.default_rng(seed)
    rows, cols = height + 2 * count, width + count
    fy = np.fft.fftfreq(rows)[:, None]
    fx = np.fft.rfftfreq(cols)[None, :]
    frequency = np.hypot(fx, fy)
    frequency[0, 0] = 1.0
    spectrum = np.fft.rfft2(rng.standard_normal((rows, cols, 3)), axes=(0, 1))
    picture = np.fft.irfft2(spectrum / frequency[..., None], s=(rows, cols), axes=(0, 1))
    picture = 128.0 + 45.0 * (picture - picture.mean()) / picture.std()
    pixels = np.clip(picture, 0, 255).astype(np.uint8)
    return [pixels[2 * i : 2 * i + height, i : i + width] for i in range(count)]


def sine(freq: float, seconds: float, rate: int = 48000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


@dataclass(frozen=True)
class VideoTrack:
    """What `write_media` encodes as video: `frames` textured frames at `fps`."""

    width: int = 160
    height: int = 120
    frames: int = 25
    fps: Fraction = Fraction(25)
    codec: str = "libx264"
    pix_fmt: str = "yuv420p"
    options: dict[str, str] = field(default_factory=dict)
    rotation_cw: int = 0
    """Clockwise display rotation written as the track's display matrix."""
    durations_ms: tuple[int, ...] = ()
    """Cycled frame durations for a variable frame rate (overrides `fps` timing)."""
    noise: bool = False
    """Fresh random noise every frame: incompressible, for large files."""
    sample_aspect_ratio: Fraction | None = None
    color: tuple[int, int, int, int] | None = None
    """Signalled (primaries, transfer, matrix, range) as libavutil enum values."""


@dataclass(frozen=True)
class AudioTrack:
    """What `write_media` encodes as audio: a tone per channel."""

    seconds: float = 1.0
    sample_rate: int = 48000
    channels: int = 2
    codec: str = "aac"
    layout: str | None = None
    language: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    frequency: float = 220.0
    amplitude: float = 0.5
    harmonics: bool = True
    """Channel c plays frequency * (c + 1); False: every channel plays `frequency`."""


def write_media(
    path: Path,
    video: VideoTrack | None = None,
    audio: Sequence[AudioTrack] = (),
    container_format: str | None = None,
    container_options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Encode one optional video track and any number of audio tracks into one file."""
    with av.open(str(path), "w", format=container_format, options=container_options or {}) as out:
        out.metadata.update(metadata or {})
        # Every stream must exist before the muxer writes its header at the first packet.
        video_stream = _add_video(out, video) if video is not None else None
        audio_streams = [(_add_audio(out, track), track) for track in audio]
        if video is not None:
            _encode_video(out, video_stream, video)
        for stream, track in audio_streams:
            _encode_tone(out, stream, track)
    return path


def _add_video(out: Any, spec: VideoTrack) -> Any:
    stream: Any = out.add_stream(spec.codec, rate=spec.fps, options=spec.options)
    stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, spec.pix_fmt
    if spec.rotation_cw:
        # FFmpeg's display matrix angle is counter-clockwise.
        stream.set_display_rotation(-spec.rotation_cw)
    if spec.durations_ms:
        stream.codec_context.time_base = Fraction(1, 1000)
    if spec.sample_aspect_ratio is not None:
        stream.codec_context.sample_aspect_ratio = spec.sample_aspect_ratio
    if spec.color is not None:
        ctx = stream.codec_context
        ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = spec.color
    return stream


def _encode_video(out: Any, stream: Any, spec: VideoTrack) -> None:
    time_base = Fraction(1, 1000) if spec.durations_ms else 1 / Fraction(spec.fps)
    rng = np.random.default_rng(7)
    pattern = None if spec.noise else moving_pattern(spec.width, spec.height, spec.frames)
    pts = 0
    for i in range(spec.frames):
        rgb = (
            rng.integers(0, 256, (spec.height, spec.width, 3), dtype=np.uint8)
            if pattern is None
            else pattern[i]
        )
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        pts += spec.durations_ms[i % len(spec.durations_ms)] if spec.durations_ms else 1
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def _add_audio(out: Any, spec: AudioTrack) -> Any:
    stream: Any = out.add_stream(spec.codec, rate=spec.sample_rate, options=spec.options)
    stream.layout = spec.layout or LAYOUTS[spec.channels]
    if spec.language:
        stream.metadata["language"] = spec.language
    return stream


def _encode_tone(out: Any, stream: Any, spec: AudioTrack) -> None:
    samples = np.vstack(
        [
            sine(
                spec.frequency * (c + 1 if spec.harmonics else 1),
                spec.seconds,
                spec.sample_rate,
                spec.amplitude,
            )
            for c in range(spec.channels)
        ]
    )
    ctx = stream.codec_context
    size = ctx.frame_size or 1024
    for start in range(0, samples.shape[1], size):
        frame = _audio_frame(samples[:, start : start + size], ctx.format.name, stream.layout.name)
        frame.sample_rate, frame.pts = spec.sample_rate, start
        frame.time_base = Fraction(1, spec.sample_rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
