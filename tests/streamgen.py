"""Generate test media with PyAV: any mix of one video, audio tracks and text tracks.

Small and quick: the defaults make 1 s clips at 160x120. Video frames are a moving
texture; audio tracks are tones at a known level; text tracks are packets written
as the sample format wants them (tx3g: 16-bit length + UTF-8; WebVTT and TTML
through FFmpeg's own encoders would need subtitle encoding, which PyAV lacks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 8: "7.1"}


@dataclass(frozen=True)
class V:
    width: int = 160
    height: int = 120
    frames: int = 25
    fps: Fraction = Fraction(25)
    codec: str = "libx264"
    pix_fmt: str = "yuv420p"
    options: dict[str, str] = field(default_factory=lambda: {"preset": "ultrafast"})
    start_frames: int = 0
    """First frame's pts in frames (a later start: the muxer writes an empty edit)."""
    color: tuple[int, int, int, int] | None = None
    """(primaries, transfer, matrix, range) libavutil enum values."""
    noise: bool = False
    sample_aspect_ratio: Fraction | None = None
    packet_filter: Any = None
    """Called with each encoded packet's bytes; returns bytes to mux instead (SEI injection)."""
    pictures: Sequence[np.ndarray] | None = None
    """RGB frames (h x w x 3 uint8) to encode instead of the texture; `frames` is then their
    count."""


@dataclass(frozen=True)
class A:
    seconds: float = 1.0
    rate: int = 48000
    channels: int = 2
    codec: str = "aac"
    layout: str | None = None
    language: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    bit_rate: int | None = None
    start_samples: int = 0
    amplitude: float = 0.5
    freq: float = 220.0
    profile: str | None = None


@dataclass(frozen=True)
class T:
    codec: str = "mov_text"
    language: str | None = None
    cues: tuple[tuple[float, float, str], ...] = ((0.0, 0.5, "hello"),)


def texture(width: int, height: int, count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(height + count, width + count, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    gradient = ((xx + yy) % 256).astype(np.uint8)[..., None]
    return [
        ((base[i : i + height, i : i + width] // 2) + gradient // 2).astype(np.uint8)
        for i in range(count)
    ]


def write(
    path: Path,
    video: V | None = None,
    audio: Sequence[A] = (),
    text: Sequence[T] = (),
    fmt: str | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        vs = _add_video(out, video) if video is not None else None
        streams = [(_add_audio(out, a), a) for a in audio]
        texts = [(_add_text(out, t), t) for t in text]
        if video is not None:
            _encode_video(out, vs, video)
        for stream, spec in streams:
            _encode_audio(out, stream, spec)
        for tstream, tspec in texts:
            _mux_text(out, tstream, tspec)
    return path


def _add_video(out: Any, spec: V) -> Any:
    stream = out.add_stream(spec.codec, rate=spec.fps, options=dict(spec.options))
    stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, spec.pix_fmt
    if spec.sample_aspect_ratio is not None:
        stream.codec_context.sample_aspect_ratio = spec.sample_aspect_ratio
    if spec.color is not None:
        ctx = stream.codec_context
        ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = spec.color
    return stream


def _encode_video(out: Any, stream: Any, spec: V) -> None:
    rng = np.random.default_rng(7)
    frames = spec.pictures
    if frames is None and not spec.noise:
        frames = texture(spec.width, spec.height, spec.frames)
    for i in range(len(frames) if frames is not None else spec.frames):
        rgb = (
            rng.integers(0, 256, (spec.height, spec.width, 3), dtype=np.uint8)
            if frames is None
            else frames[i]
        )
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = i + spec.start_frames
        frame.time_base = 1 / Fraction(spec.fps)
        for packet in stream.encode(frame):
            _mux(out, packet, spec)
    for packet in stream.encode(None):
        _mux(out, packet, spec)


def _mux(out: Any, packet: Any, spec: V) -> None:
    if spec.packet_filter is not None:
        data = spec.packet_filter(bytes(packet))
        new = av.Packet(data)
        new.pts, new.dts, new.time_base = packet.pts, packet.dts, packet.time_base
        new.stream = packet.stream
        new.is_keyframe = packet.is_keyframe
        packet = new
    out.mux(packet)


def _add_audio(out: Any, spec: A) -> Any:
    stream = out.add_stream(spec.codec, rate=spec.rate, options=dict(spec.options))
    stream.layout = spec.layout or LAYOUTS[spec.channels]
    if spec.bit_rate:
        stream.bit_rate = spec.bit_rate
    if spec.profile:
        stream.codec_context.profile = spec.profile
    if spec.language:
        stream.metadata["language"] = spec.language
    return stream


def tone(spec: A) -> np.ndarray:
    t = np.arange(round(spec.seconds * spec.rate)) / spec.rate
    return np.vstack(
        [spec.amplitude * np.sin(2 * np.pi * spec.freq * (c + 1) * t) for c in range(spec.channels)]
    )


def _encode_audio(out: Any, stream: Any, spec: A) -> None:
    samples = tone(spec)
    ctx = stream.codec_context
    size = ctx.frame_size or 1024
    fmt = ctx.format.name
    for start in range(0, samples.shape[1], size):
        chunk = samples[:, start : start + size]
        frame = _audio_frame(chunk, fmt, stream.layout.name)
        frame.sample_rate = spec.rate
        frame.pts = start + spec.start_samples
        frame.time_base = Fraction(1, spec.rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def _audio_frame(chunk: np.ndarray, fmt: str, layout: str) -> av.AudioFrame:
    base = fmt.rstrip("p")
    if base == "flt":
        data = chunk.astype(np.float32)
    elif base == "dbl":
        data = chunk.astype(np.float64)
    elif base == "s16":
        data = np.clip(np.round(chunk * 32767), -32768, 32767).astype(np.int16)
    elif base == "s32":
        data = np.clip(np.round(chunk * 2147483647.0), -(2**31), 2**31 - 1).astype(np.int32)
    else:
        raise ValueError(fmt)
    if not fmt.endswith("p"):
        data = data.T.reshape(1, -1)
    if data.shape[0] >= 8:
        # PyAV's from_ndarray indexes only the first 8 plane pointers; fill planes one by one.
        frame = av.AudioFrame(format=fmt, layout=layout, samples=data.shape[1])
        for plane, row in zip(frame.planes, data, strict=False):
            plane.update(np.ascontiguousarray(row).tobytes())
        return frame
    return av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout=layout)


def _add_text(out: Any, spec: T) -> Any:
    # Pre-encoded packets: PyAV's subtitle encoding needs an ASS header we do not have.
    stream = out.add_mux_stream(spec.codec, time_base=Fraction(1, 1000))
    if spec.language:
        stream.metadata["language"] = spec.language
    return stream


def _mux_text(out: Any, stream: Any, spec: T) -> None:
    for start, end, text in spec.cues:
        raw = text.encode()
        payload = len(raw).to_bytes(2, "big") + raw if spec.codec == "mov_text" else raw
        packet = av.Packet(payload)
        packet.stream = stream
        packet.time_base = Fraction(1, 1000)
        packet.pts = packet.dts = round(start * 1000)
        packet.duration = round((end - start) * 1000)
        out.mux(packet)
