"""Decoding for the signal metrics, through PyAV from a byte source.

Audio comes out as float32 blocks (channels x samples, full scale = 1.0);
video as sampled luma frames, both small (for black/freeze/brightness) and
native (for blockiness, which needs the codec's 8x8 grid intact), each with
its decoded frame. At the every-frame depth the frames between samples come
too, as `VideoPicture`s (the decoded frame, no copy). Streams not being
measured are discarded in the demuxer, so the mov demuxer skips their
samples without reading them from a remote source.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.packet import Packet
from av.stream import Discard, Stream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from mp4_small_analyser.analysis.sources.base import ByteSource

AUDIO_BLOCK_SAMPLES = 1 << 16
SMALL_LUMA_HEIGHT = 360


class TrackDecodeError(Exception):
    """A track whose packets the decoder cannot turn into frames."""


@dataclass(frozen=True)
class AudioFormat:
    sample_rate: int
    channels: int
    channel_names: tuple[str, ...]
    """FFmpeg channel names in stream order: FL, FR, FC, LFE, BL, BR, SL, SR, ..."""


@dataclass(frozen=True)
class AudioBlock:
    stream_index: int
    samples: np.ndarray
    """float32, channels x n, full scale = 1.0."""


@dataclass(frozen=True)
class LumaFrame:
    time: float
    """Seconds from the start of the stream."""
    small: np.ndarray
    """uint8 luma, at most SMALL_LUMA_HEIGHT lines."""
    native: np.ndarray
    """uint8 luma at the coded size."""
    full_range: bool
    key_frame: bool
    picture: VideoFrame | None = None
    """The decoded frame itself (a reference, no copy), for the meters that need chroma and
    for thumbnails in colour."""


@dataclass(frozen=True)
class VideoPicture:
    """A decoded frame between two samples (every-frame depth only)."""

    time: float
    """Seconds from the start of the stream."""
    picture: VideoFrame


def open_container(source: ByteSource) -> InputContainer:
    source.seek(0)
    try:
        # Small I/O reads: a discarded track's samples are skipped only if FFmpeg's read
        # buffer does not swallow them along with the wanted ones (32 KiB by default read
        # 45 % of a file for its audio alone, 8 KiB under 30 %); the source caches blocks.
        return av.open(source, mode="r", buffer_size=8192, metadata_errors="replace")
    except av.FFmpegError as exc:
        raise TrackDecodeError(f"cannot open the container: {exc}") from exc


def audio_format(container: InputContainer, stream_index: int) -> AudioFormat:
    return _stream_format(cast(AudioStream, container.streams[stream_index]))


def _stream_format(stream: AudioStream) -> AudioFormat:
    context = _codec_context(stream)
    names = tuple(channel.name for channel in context.layout.channels)
    if not names or context.sample_rate <= 0:
        raise TrackDecodeError("the audio track declares no channels or no sample rate")
    return AudioFormat(context.sample_rate, len(names), names)


def _codec_context(stream: AudioStream | VideoStream) -> Any:
    # A damaged sample description can name no codec FFmpeg knows: no decoder at all.
    context = stream.codec_context
    if context is None:
        raise TrackDecodeError(f"no decoder for the {stream.type} track's codec")
    return context


_Stream = TypeVar("_Stream", AudioStream, VideoStream)
_Frame = TypeVar("_Frame", AudioFrame, VideoFrame)


class _Track(ABC, Generic[_Stream, _Frame]):
    """Decoding state of one stream: frames produced, errors seen, where it stopped."""

    def __init__(self, stream: _Stream, max_duration: float) -> None:
        self.stream: _Stream = stream
        self.max_duration = max_duration
        self.produced = 0
        self.error: str | None = None
        self.truncated = False
        self.done = False

    @abstractmethod
    def feed(self, frame: _Frame) -> list[np.ndarray | LumaFrame | VideoPicture]: ...

    def flush(self) -> list[np.ndarray | LumaFrame | VideoPicture]:
        return []


class _AudioTrack(_Track[AudioStream, AudioFrame]):
    def __init__(self, stream: AudioStream, max_duration: float) -> None:
        super().__init__(stream, max_duration)
        self.format = _stream_format(stream)
        self.resampler = av.AudioResampler(
            format="fltp", layout=stream.layout, rate=self.format.sample_rate
        )
        self.limit = round(max_duration * self.format.sample_rate)
        self.pending: list[np.ndarray] = []
        self.pending_samples = 0
        self.emitted = 0

    def feed(self, frame: AudioFrame) -> list[np.ndarray | LumaFrame | VideoPicture]:
        if frame.layout.nb_channels != self.format.channels or frame.sample_rate <= 0:
            # A damaged packet can decode to another channel layout than the track's (an
            # AAC channel config flipped): PyAV's conversion of such a frame read past its
            # buffers and crashed the process. The frame is dropped, like an undecodable one.
            self.error = (
                f"a frame of {frame.layout.nb_channels} channel(s) at {frame.sample_rate} Hz "
                f"in a track of {self.format.channels} channel(s)"
            )
            return []
        for converted in self.resampler.resample(frame):
            chunk = converted.to_ndarray().reshape(self.format.channels, -1)
            room = self.limit - self.emitted - self.pending_samples
            if chunk.shape[1] >= room:
                chunk = chunk[:, :room]
                self.truncated = self.done = True
            self.pending.append(chunk)
            self.pending_samples += chunk.shape[1]
            self.produced += 1
            if self.done:
                break
        if self.pending_samples >= AUDIO_BLOCK_SAMPLES or self.done:
            return self.flush()
        return []

    def flush(self) -> list[np.ndarray | LumaFrame | VideoPicture]:
        if not self.pending:
            return []
        block = np.concatenate(self.pending, axis=1)
        self.emitted += self.pending_samples
        self.pending, self.pending_samples = [], 0
        return [block]

    @property
    def duration(self) -> float:
        return (self.emitted + self.pending_samples) / self.format.sample_rate


class _VideoTrack(_Track[VideoStream, VideoFrame]):
    def __init__(
        self,
        stream: VideoStream,
        max_duration: float,
        sample_rate: float,
        keyframes_only: bool,
        every_frame: bool = False,
    ) -> None:
        super().__init__(stream, max_duration)
        # Slice threads only (PyAV's default): frame threading adds a frame of latency per
        # thread and, with B-frames skipped, measured 1.9x slower here; files are analysed
        # in parallel by processes instead.
        _codec_context(stream)
        stream.thread_type = "SLICE"
        frame_rate = float(stream.average_rate or 0)
        self.every_frame = every_frame and not keyframes_only
        if keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        elif self.every_frame:
            # Frames no other frame refers to are shown, not predicted from: skipping their
            # deblocking saves ~8 % of decoding and moves their pixels by 0.015 levels on
            # average (benchmark clips), far inside every tolerance of the meters.
            stream.codec_context.options = {"skip_loop_filter": "noref"}
        elif frame_rate >= 4 * sample_rate:
            # Sampling a few frames a second: B-frames can go undecoded (no I or P frame
            # refers to them), which more than halves decoding time for typical streams; a
            # sampled instant then takes the next I or P frame, a few frames later at most.
            stream.codec_context.skip_frame = "BIDIR"
        self.keyframes_only = keyframes_only
        start, time_base = stream.start_time, stream.time_base
        self.start = float(start * time_base) if start and time_base else 0.0
        self.interval = 1.0 / sample_rate
        self.next_time = 0.0
        self.last_time = 0.0
        self.reach = 0.0
        """Seconds of the track the demuxer delivered (end of its last packet), whatever
        the depth decodes: in a cut file, the video that is there."""

    def demuxed(self, packet: Packet[Stream]) -> None:
        if packet.pts is not None and packet.time_base is not None:
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base) - self.start
            self.reach = max(self.reach, end)

    def feed(self, frame: VideoFrame) -> list[np.ndarray | LumaFrame | VideoPicture]:
        if frame.time is None:
            return []
        time = float(frame.time) - self.start
        if time >= self.max_duration:
            self.truncated = self.done = True
            return []
        self.produced += 1
        self.last_time = max(self.last_time, time)
        if not self.keyframes_only and time + 1e-6 < self.next_time:
            return [VideoPicture(time, frame)] if self.every_frame else []
        # Sample at fixed instants, taking the first frame at or after each one.
        self.next_time = (
            time + self.interval
            if self.keyframes_only
            else max(self.next_time + self.interval, time)
        )
        return [_luma(frame, time)]


class MediaDecoder:
    """One pass over the file decoding the measured audio tracks and video track together.

    Iterating yields `AudioBlock`s (one track's float32 channels x n samples),
    `LumaFrame`s (the video samples) and, with `every_frame`, a `VideoPicture`
    for each frame between samples, in demux order. A track that fails is
    recorded (`failure`, or `setup_errors` when it cannot even be set up) and
    dropped; the other tracks go on. The pass stops early once every track has
    reached `max_duration`. Each audio track has its own decoder: several tracks
    cost their decoding, not another pass over the file.
    """

    def __init__(
        self,
        container: InputContainer,
        *,
        audio_indexes: Sequence[int],
        video_index: int | None,
        max_duration: float,
        video_sample_rate: float = 2.0,
        keyframes_only: bool = False,
        every_frame: bool = False,
    ) -> None:
        self._container = container
        self.setup_errors: dict[int, str] = {}
        """Tracks (by stream index) that could not be set up for decoding, and why."""
        self.audio: dict[int, _AudioTrack] = {}
        for index in audio_indexes:
            try:
                self.audio[index] = _AudioTrack(
                    cast(AudioStream, container.streams[index]), max_duration
                )
            except TrackDecodeError as exc:
                self.setup_errors[index] = str(exc)
        self.video: _VideoTrack | None = None
        if video_index is not None:
            try:
                self.video = _VideoTrack(
                    cast(VideoStream, container.streams[video_index]),
                    max_duration,
                    video_sample_rate,
                    keyframes_only,
                    every_frame,
                )
            except TrackDecodeError as exc:
                self.setup_errors[video_index] = str(exc)
        keep = {*self.audio, *([video_index] if self.video is not None else [])}
        for stream in container.streams:
            stream.discard = Discard.default if stream.index in keep else Discard.all
        self._tracks: dict[int, _AudioTrack | _VideoTrack] = dict(self.audio)
        if self.video is not None and video_index is not None:
            self._tracks[video_index] = self.video

    def __iter__(self) -> Iterator[AudioBlock | LumaFrame | VideoPicture]:
        streams = [track.stream for track in self._tracks.values()]
        if not streams:
            # demux() of no stream at all would demux every stream.
            return
        try:
            for packet in self._container.demux(streams):
                track = self._tracks[packet.stream.index]
                if isinstance(track, _VideoTrack):
                    track.demuxed(packet)
                if track.done:
                    if all(t.done for t in self._tracks.values()):
                        break
                    continue
                try:
                    frames = packet.decode()
                except av.FFmpegError as exc:
                    # Isolated corrupt packets are common; only a track that never
                    # yields a frame is reported as undecodable.
                    track.error = f"{exc}"
                    continue
                for frame in frames:
                    yield from _tagged(track, _feed(track, frame))
                    if track.done:
                        break
        except av.FFmpegError as exc:
            for track in self._tracks.values():
                if not track.done:
                    track.error = track.error or f"demuxing stopped: {exc}"
        for track in self._tracks.values():
            yield from _tagged(track, track.flush())

    def failure(self, track: _AudioTrack | _VideoTrack | None) -> str | None:
        """Why a track produced nothing, or None when it decoded."""
        if track is None or track.produced:
            return None
        return track.error or "no frame could be decoded"


def _tagged(
    track: _AudioTrack | _VideoTrack, items: list[np.ndarray | LumaFrame | VideoPicture]
) -> Iterator[AudioBlock | LumaFrame | VideoPicture]:
    for item in items:
        yield AudioBlock(track.stream.index, item) if isinstance(item, np.ndarray) else item


def _feed(
    track: _AudioTrack | _VideoTrack, frame: object
) -> list[np.ndarray | LumaFrame | VideoPicture]:
    """Frames of the type the track decodes; anything else (subtitles) is not ours."""
    if isinstance(track, _AudioTrack):
        return track.feed(frame) if isinstance(frame, AudioFrame) else []
    return track.feed(frame) if isinstance(frame, VideoFrame) else []


def audio_blocks(
    container: InputContainer, stream_index: int, max_duration: float
) -> Iterator[np.ndarray]:
    """Yield float32 (channels x n) blocks of one audio track."""
    decoder = MediaDecoder(
        container, audio_indexes=[stream_index], video_index=None, max_duration=max_duration
    )
    for item in decoder:
        if isinstance(item, AudioBlock):
            yield item.samples
    reason = decoder.setup_errors.get(stream_index) or decoder.failure(
        decoder.audio.get(stream_index)
    )
    if reason is not None:
        raise TrackDecodeError(f"audio cannot be decoded: {reason}")


def luma_frames(
    container: InputContainer,
    stream_index: int,
    sample_rate: float,
    max_duration: float,
    keyframes_only: bool = False,
) -> Iterator[LumaFrame]:
    """Yield about `sample_rate` luma frames per second of one video track."""
    decoder = MediaDecoder(
        container,
        audio_indexes=[],
        video_index=stream_index,
        max_duration=max_duration,
        video_sample_rate=sample_rate,
        keyframes_only=keyframes_only,
    )
    for item in decoder:
        if isinstance(item, LumaFrame):
            yield item
    reason = decoder.setup_errors.get(stream_index) or decoder.failure(decoder.video)
    if reason is not None:
        raise TrackDecodeError(f"video cannot be decoded: {reason}")


def _luma(frame: VideoFrame, time: float) -> LumaFrame:
    native, full_range = _native_luma(frame)
    return LumaFrame(time, _downscale(native), native, full_range, bool(frame.key_frame), frame)


def _native_luma(frame: VideoFrame) -> tuple[np.ndarray, bool]:
    """The coded luma plane as uint8, read directly so no range conversion creeps in."""
    fmt = frame.format
    first = fmt.components[0] if fmt.components else None
    if fmt.name.startswith(("yuv", "nv", "gray")) and first is not None and first.plane == 0:
        plane = frame.planes[0]
        bits = first.bits
        if bits <= 8:
            rows = np.frombuffer(memoryview(plane), dtype=np.uint8)
            luma = rows.reshape(plane.height, plane.line_size)[:, : plane.width]
        else:
            words = np.frombuffer(memoryview(plane), dtype=np.dtype("<u2"))
            wide = words.reshape(plane.height, plane.line_size // 2)[:, : plane.width]
            luma = (wide >> (bits - 8)).astype(np.uint8)
        full_range = int(frame.color_range) == 2 or fmt.name.startswith(("yuvj", "gray"))
        return np.ascontiguousarray(luma), full_range
    gray: np.ndarray = frame.reformat(format="gray").to_ndarray()
    return np.ascontiguousarray(gray), True


def _downscale(luma: np.ndarray) -> np.ndarray:
    """Area-average by an integer factor to at most SMALL_LUMA_HEIGHT lines."""
    factor = -(-luma.shape[0] // SMALL_LUMA_HEIGHT)
    if factor <= 1:
        return luma
    height = luma.shape[0] // factor * factor
    width = luma.shape[1] // factor * factor
    # Integer sums of strided slices: ~20x cheaper than a float mean over a reshaped view.
    total = np.zeros((height // factor, width // factor), dtype=np.uint32)
    for dy in range(factor):
        for dx in range(factor):
            total += luma[dy:height:factor, dx:width:factor]
    area = factor * factor
    small: np.ndarray = ((total + area // 2) // area).astype(np.uint8)
    return small
