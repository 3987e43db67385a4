"""Codec facts from FFmpeg, for the tracks whose configuration boxes did not give them.

FFmpeg (through PyAV, in process) opens the file and probes its streams, which
decodes a first frame or packet of each; ffprobe does the same. The probe calls
this only for tracks whose sample entry it cannot parse (an unknown codec, a
malformed record) or whose AAC may hide SBR (HE-AAC signalled only inside the
frames), so most probes never open FFmpeg at all.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import av
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext
from av.video.format import VideoFormat
from av.video.stream import VideoStream

from mp4_small_analyser.analysis.container.config.audio_config import AudioConfig
from mp4_small_analyser.analysis.container.config.facts import VideoFacts
from mp4_small_analyser.analysis.container.config.names import MATRICES, PRIMARIES, TRANSFERS
from mp4_small_analyser.analysis.container.streams import Stream
from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.errors import AnalysisError, ErrorCode

_RANGES = {1: "tv", 2: "pc"}


def fill_in(source: ByteSource, streams: list[Stream]) -> list[Stream]:
    """`streams` with FFmpeg's facts where theirs are missing (stream index = track index)."""
    wanted = [i for i, s in enumerate(streams) if s.missing and s.kind in ("video", "audio")]
    if not wanted:
        return streams
    source.seek(0)
    try:
        # 8 KiB reads: FFmpeg's default 32 KiB buffer fetches well past the first packets.
        container = av.open(
            source, mode="r", format="mp4", metadata_errors="replace", buffer_size=8192
        )
    except av.FFmpegError as exc:
        raise AnalysisError(
            ErrorCode.CORRUPT_FILE, f"FFmpeg cannot read the MP4 structure: {exc}"
        ) from exc
    filled = list(streams)
    with container:
        for index in wanted:
            if index >= len(container.streams):
                continue
            stream = container.streams[index]
            context = stream.codec_context
            if isinstance(stream, VideoStream) and isinstance(context, VideoCodecContext):
                sar = stream.sample_aspect_ratio
                filled[index] = replace(streams[index], video=_video(context, sar), problem=None)
            elif isinstance(context, AudioCodecContext):
                filled[index] = replace(streams[index], audio=_audio(context), problem=None)
    return filled


def _video(ctx: VideoCodecContext, sar: Fraction | None) -> VideoFacts:
    width, height = (ctx.width or None), (ctx.height or None)
    return VideoFacts(
        codec=ctx.codec.canonical_name,
        profile=ctx.profile,
        level=ctx.level if ctx.level is not None and ctx.level >= 0 else None,
        width=width,
        height=height,
        pix_fmt=ctx.pix_fmt,
        bit_depth=_bit_depth(ctx.pix_fmt),
        sample_aspect_ratio=sar if sar and sar > 0 else None,
        display_aspect_ratio=None,
        color_range=_RANGES.get(int(ctx.color_range)),
        color_primaries=PRIMARIES.get(int(ctx.color_primaries)),
        color_transfer=TRANSFERS.get(int(ctx.color_trc)),
        color_space=MATRICES.get(int(ctx.colorspace)),
        chroma_location=None,
        config=None,
        container_colour=None,
    )


def _audio(ctx: AudioCodecContext) -> AudioConfig:
    layout = ctx.layout.name
    return AudioConfig(
        codec=ctx.codec.canonical_name,
        profile=ctx.profile,
        sample_rate=ctx.sample_rate or None,
        channels=ctx.channels or None,
        # libavutil describes a layout of unknown order as "N channels"; ffprobe omits it.
        channel_layout=layout if layout and not layout.endswith(" channels") else None,
        sample_fmt=ctx.format.name if ctx.format else None,
        bits_per_raw_sample=None,
        bit_rate=ctx.bit_rate or None,
    )


def _bit_depth(pix_fmt: str | None) -> int | None:
    if not pix_fmt:
        return None
    try:
        components = VideoFormat(pix_fmt).components
    except ValueError:
        return None
    return max((c.bits for c in components), default=None)
