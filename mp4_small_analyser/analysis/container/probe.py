"""Container facts of an MP4 without decoding it.

The box reader answers the cheap questions and tells "not an MP4" from "a broken
MP4" before FFmpeg sees a byte; PyAV then supplies the codec facts exactly as
ffprobe prints them (both use libavformat's mov demuxer and codec parameters).
Sample-table statistics (frame count, keyframe interval, frame-rate variability,
bit rate) come from the boxes, or from FFmpeg's index for fragmented files whose
samples live in `moof` boxes the box reader does not walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Disposition, Stream
from av.video.codeccontext import VideoCodecContext
from av.video.format import VideoFormat
from av.video.stream import VideoStream

from mp4_small_analyser.analysis.container.boxes import (
    BoxLimits,
    ContainerLayout,
    TrackBoxes,
    read_layout,
)
from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.models import AudioFacts, Color, FileInfo, Track, VideoFacts

# libavutil's names (pixdesc.c), which ffprobe prints; "unspecified" values are left out.
_PRIMARIES = {
    0: "reserved", 1: "bt709", 3: "reserved", 4: "bt470m", 5: "bt470bg", 6: "smpte170m",
    7: "smpte240m", 8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432",
    22: "ebu3213",
}  # fmt: skip
_TRANSFERS = {
    0: "reserved", 1: "bt709", 3: "reserved", 4: "bt470m", 5: "bt470bg", 6: "smpte170m",
    7: "smpte240m", 8: "linear", 9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e",
    13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428",
    18: "arib-std-b67",
}  # fmt: skip
_MATRICES = {
    0: "gbr", 1: "bt709", 3: "reserved", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
    8: "ycgco", 9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc",
    13: "chroma-derived-c", 14: "ictcp",
}  # fmt: skip
_RANGES = {1: "tv", 2: "pc"}


@dataclass(frozen=True)
class ProbeResult:
    file_info: FileInfo
    video: VideoFacts | None
    """First video track (cover art excluded)."""
    audio: AudioFacts | None
    """First audio track."""
    tracks: list[Track]
    video_stream_index: int | None
    """PyAV stream index of `video`, for decoding later."""
    audio_stream_index: int | None


def probe(source: ByteSource, limits: BoxLimits | None = None) -> ProbeResult:
    """Describe the file behind `source`; raises `AnalysisError` on unusable input.

    EMPTY_FILE for zero bytes, NOT_MP4 when the first box is not an ISO-BMFF box,
    CORRUPT_FILE when the boxes or FFmpeg cannot be read, NO_MEDIA_TRACKS when
    nothing is audio or video.
    """
    if source.size == 0:
        raise AnalysisError(ErrorCode.EMPTY_FILE, "The file is empty (0 bytes)")
    layout = read_layout(source, limits)
    source.seek(0)
    try:
        # The boxes already proved this is ISO-BMFF: naming the demuxer skips format probing.
        # 8 KiB reads: FFmpeg's default 32 KiB buffer fetched well past the first packets
        # (h264_aac over HTTP: 155 KB read, 89 KB with 8 KiB).
        container = av.open(
            source, mode="r", format="mp4", metadata_errors="replace", buffer_size=8192
        )
    except av.FFmpegError as exc:
        raise AnalysisError(
            ErrorCode.CORRUPT_FILE, f"FFmpeg cannot read the MP4 structure: {exc}"
        ) from None
    with container:
        return _describe(container, layout, source.size)


def container_format(major_brand: str | None) -> str:
    """Short format name from the `ftyp` major brand.

    "qt  " or no `ftyp` (old QuickTime) → "mov"; 3GPP brands → "3gp"/"3g2"; iTunes
    "M4A "/"M4B "/"M4P " → "m4a" and "M4V " → "m4v"; everything else → "mp4".
    """
    brand = (major_brand or "").strip()
    if major_brand is None or brand == "qt":
        return "mov"
    if brand.startswith("3g2"):
        return "3g2"
    if brand.startswith(("3gp", "3ge", "3gg", "3gs")):
        return "3gp"
    if brand in ("M4A", "M4B", "M4P"):
        return "m4a"
    if brand.startswith("M4V"):
        return "m4v"
    return "mp4"


def _describe(container: InputContainer, layout: ContainerLayout, file_size: int) -> ProbeResult:
    boxes_by_id: dict[int, TrackBoxes] = {}
    for track in layout.tracks:
        boxes_by_id.setdefault(track.track_id, track)
    streams = list(container.streams)
    tracks = [_track(s, boxes_by_id.get(s.id)) for s in streams]
    video = next(
        (s for s in container.streams.video if not s.disposition & Disposition.attached_pic),
        None,
    )
    audio = next(iter(container.streams.audio), None)
    if video is None and audio is None:
        kinds = ", ".join(t.type for t in tracks) or "none"
        raise AnalysisError(
            ErrorCode.NO_MEDIA_TRACKS,
            f"The file has no audio or video track (tracks: {kinds})",
        )
    duration = container.duration / 1_000_000 if container.duration is not None else None
    if duration is None and layout.movie.timescale and layout.movie.duration:
        duration = layout.movie.duration / layout.movie.timescale
    file_info = FileInfo(
        file_size=file_size,
        duration=duration,
        format=container_format(layout.major_brand),
        major_brand=layout.major_brand,
        compatible_brands=list(layout.compatible_brands),
        bit_rate=container.bit_rate or None,
        faststart=layout.faststart,
        fragmented=layout.fragmented,
        track_count=len(streams),
        creation_time=layout.movie.creation_time,
    )
    return ProbeResult(
        file_info=file_info,
        video=_video(video, boxes_by_id.get(video.id)) if video is not None else None,
        audio=_audio(audio, boxes_by_id.get(audio.id)) if audio is not None else None,
        tracks=tracks,
        video_stream_index=video.index if video is not None else None,
        audio_stream_index=audio.index if audio is not None else None,
    )


def _codec_name(stream: Stream, boxes: TrackBoxes | None) -> str | None:
    # The codec descriptor name ("av1", "mp3"), not the decoder's ("libdav1d", "mp3float").
    if stream.codec_context is not None:
        return stream.codec_context.codec.canonical_name
    if boxes is not None and boxes.sample_entry:
        return boxes.sample_entry.strip() or None
    return None


def _duration(stream: Stream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _track(stream: Stream, boxes: TrackBoxes | None) -> Track:
    language = stream.language
    return Track(
        index=stream.index,
        type=stream.type,
        codec=_codec_name(stream, boxes),
        duration=_duration(stream),
        language=language if language and language != "und" else None,
        encrypted=boxes.encrypted if boxes is not None else False,
    )


def _bit_rate(stream: VideoStream | AudioStream, boxes: TrackBoxes | None) -> int | None:
    """From the sample tables; FFmpeg's declared rate for tracks they do not cover."""
    if boxes is not None and boxes.sample_bit_rate:
        return boxes.sample_bit_rate
    ctx = stream.codec_context
    return (ctx.bit_rate or None) if ctx is not None else None


@dataclass(frozen=True)
class _SampleFacts:
    frame_count: int | None
    keyframe_interval: float | None
    variable_frame_rate: bool


def _sample_facts(stream: Stream, boxes: TrackBoxes | None) -> _SampleFacts:
    if boxes is None or boxes.samples is None or boxes.samples.sample_count == 0:
        return _index_facts(stream)
    return _SampleFacts(
        boxes.samples.sample_count, boxes.keyframe_interval, boxes.variable_frame_rate
    )


def _index_facts(stream: Stream) -> _SampleFacts:
    """The same facts from FFmpeg's sample index (fragmented files keep samples in moof)."""
    entries = [e for e in stream.index_entries if not e.is_discard]
    if not entries:
        return _SampleFacts(None, None, False)
    times = np.array([e.timestamp for e in entries], dtype=np.int64)
    keys = times[np.array([e.is_keyframe for e in entries], dtype=bool)]
    interval = None
    if 2 <= len(keys) < len(times) and stream.time_base is not None:
        interval = float((keys[-1] - keys[0]) / (len(keys) - 1) * stream.time_base)
    # The last sample is left out as in the box statistics: muxers often shorten it.
    deltas = np.diff(times)[:-1]
    variable = bool(len(deltas)) and int(deltas.max() - deltas.min()) > 1
    return _SampleFacts(len(times), interval, variable)


def _video(stream: VideoStream, boxes: TrackBoxes | None) -> VideoFacts:
    ctx = stream.codec_context
    width = ctx.width if ctx is not None and ctx.width > 0 else None
    height = ctx.height if ctx is not None and ctx.height > 0 else None
    facts = _sample_facts(stream, boxes)
    duration = _duration(stream)
    rate = stream.average_rate
    frame_rate = float(rate) if rate else None
    if frame_rate is None and facts.frame_count and duration:
        frame_rate = facts.frame_count / duration
    # FFmpeg's "unknown level" is -99; ffprobe prints it, we leave it out.
    level = ctx.level if ctx is not None else -1
    return VideoFacts(
        codec=_codec_name(stream, boxes) or "unknown",
        profile=ctx.profile if ctx is not None else None,
        level=level if level >= 0 else None,
        width=width,
        height=height,
        resolution=f"{width}x{height}" if width and height else None,
        display_aspect_ratio=_display_aspect_ratio(width, height, stream.sample_aspect_ratio),
        frame_rate=frame_rate,
        variable_frame_rate=facts.variable_frame_rate,
        frame_count=facts.frame_count,
        duration=duration,
        bit_rate=_bit_rate(stream, boxes),
        pixel_format=ctx.pix_fmt if ctx is not None else None,
        bit_depth=_bit_depth(ctx.pix_fmt if ctx is not None else None),
        rotation=boxes.rotation if boxes is not None else 0,
        color=_color(ctx) if ctx is not None else None,
        keyframe_interval=facts.keyframe_interval,
        encrypted=boxes.encrypted if boxes is not None else False,
    )


def _audio(stream: AudioStream, boxes: TrackBoxes | None) -> AudioFacts:
    ctx = stream.codec_context
    layout = ctx.layout.name if ctx is not None else None
    return AudioFacts(
        codec=_codec_name(stream, boxes) or "unknown",
        profile=ctx.profile if ctx is not None else None,
        sample_rate=(ctx.sample_rate or None) if ctx is not None else None,
        channels=(ctx.channels or None) if ctx is not None else None,
        # libavutil describes a layout of unknown order as "N channels"; ffprobe omits it.
        channel_layout=layout if layout and not layout.endswith(" channels") else None,
        bit_rate=_bit_rate(stream, boxes),
        duration=_duration(stream),
        encrypted=boxes.encrypted if boxes is not None else False,
    )


def _display_aspect_ratio(
    width: int | None, height: int | None, sar: Fraction | None
) -> str | None:
    """As ffprobe prints it; square pixels when the file does not say."""
    if not width or not height:
        return None
    if not sar or sar <= 0:
        sar = Fraction(1)
    dar = Fraction(width * sar.numerator, height * sar.denominator)
    return f"{dar.numerator}:{dar.denominator}"


def _bit_depth(pix_fmt: str | None) -> int | None:
    if not pix_fmt:
        return None
    try:
        components = VideoFormat(pix_fmt).components
    except ValueError:
        return None
    return max((c.bits for c in components), default=None)


def _color(ctx: VideoCodecContext) -> Color | None:
    color = Color(
        primaries=_PRIMARIES.get(ctx.color_primaries),
        transfer=_TRANSFERS.get(ctx.color_trc),
        matrix=_MATRICES.get(ctx.colorspace),
        range=_RANGES.get(ctx.color_range),
    )
    return color if color != Color() else None
