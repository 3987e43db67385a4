"""Container facts of an MP4 without decoding it.

The walk (`layout.py`) reads the top-level headers and the `moov`; the sample
tables (`tables.py`) give every sample's time, size and place; the configuration
boxes (`streams.py`) give the codec facts ffprobe prints. FFmpeg is asked only
for tracks whose boxes leave a fact missing (`ffmpeg_facts.py`). From the same
tables: durations as ffprobe computes them (`timing.py`), what a cut file lacks
(`truncation.py`), bit rate over time (`bitrate.py`) and the GOP (`gop.py`); the
heads of the first sync samples (`bitstream.py`) add HDR metadata, captions and
the GOP's openness. A remote probe of a non-faststart file reads the first block
and the `moov`, nothing else for H.264, HEVC, AV1 or AAC.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from mp4_small_analyser.analysis.container import captions
from mp4_small_analyser.analysis.container.bitstream import ScanLimits, scan
from mp4_small_analyser.analysis.container.boxes import BoxError
from mp4_small_analyser.analysis.container.ffmpeg_facts import fill_in
from mp4_small_analyser.analysis.container.gop import gop
from mp4_small_analyser.analysis.container.hdr import classify
from mp4_small_analyser.analysis.container.layout import BoxLimits, ContainerLayout, read_layout
from mp4_small_analyser.analysis.container.media_facts import (
    audio_model,
    seconds,
    track_model,
    video_model,
)
from mp4_small_analyser.analysis.container.movie import Movie, parse_movie, rotation
from mp4_small_analyser.analysis.container.streams import PARSE_ERRORS, Stream, describe
from mp4_small_analyser.analysis.container.tables import TrackTables
from mp4_small_analyser.analysis.container.timing import Timing, movie_timing
from mp4_small_analyser.analysis.container.truncation import Integrity, check_integrity
from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.models import (
    AudioFacts,
    Captions,
    EmbeddedCaptions,
    FileInfo,
    Gop,
    Hdr,
    Track,
    VideoFacts,
)


@dataclass(frozen=True)
class ProbeResult:
    file_info: FileInfo
    video: VideoFacts | None
    """First video track."""
    audio_tracks: list[AudioFacts]
    """Every audio track, in file order."""
    tracks: list[Track]
    captions: Captions
    video_stream_index: int | None
    """Stream index of `video` (FFmpeg's stream order is the file's track order)."""

    @property
    def audio(self) -> AudioFacts | None:
        """The first audio track (the original contract's `audio_analysis`)."""
        return self.audio_tracks[0] if self.audio_tracks else None


def probe(
    source: ByteSource, limits: BoxLimits | None = None, scan_limits: ScanLimits | None = None
) -> ProbeResult:
    """Describe the file behind `source`; raises `AnalysisError` on unusable input.

    EMPTY_FILE for zero bytes, NOT_MP4 when the first box is not an ISO-BMFF box,
    CORRUPT_FILE when the boxes cannot be read, NO_MEDIA_TRACKS when nothing is
    audio or video.
    """
    if source.size == 0:
        raise AnalysisError(ErrorCode.EMPTY_FILE, "The file is empty (0 bytes)")
    limits = limits or BoxLimits()
    layout = read_layout(source, limits)
    try:
        return _probe(source, layout, limits, scan_limits or ScanLimits())
    except (*PARSE_ERRORS, BoxError) as exc:
        # Tables that contradict each other beyond what the readers anticipate.
        raise AnalysisError(
            ErrorCode.CORRUPT_FILE, f"The moov box cannot be read: {type(exc).__name__}: {exc}"
        ) from exc


def _probe(
    source: ByteSource, layout: ContainerLayout, limits: BoxLimits, scan_limits: ScanLimits
) -> ProbeResult:
    movie = parse_movie(layout.moov, layout.moofs, limits)
    streams = [describe(track, source.read_at) for track in movie.tracks]
    if not any(s.kind in ("video", "audio") for s in streams):
        kinds = ", ".join(s.kind for s in streams) or "none"
        raise AnalysisError(
            ErrorCode.NO_MEDIA_TRACKS, f"The file has no audio or video track (tracks: {kinds})"
        )
    streams = fill_in(source, streams)
    timing = movie_timing(movie)
    integrity = check_integrity(movie, layout.top_level, layout.file_size, layout.walk_complete)
    tracks = [
        track_model(i, tables, stream, timing.tracks[i], integrity.tracks[i], movie.fragmented)
        for i, (tables, stream) in enumerate(zip(movie.tracks, streams, strict=True))
    ]
    video_index = next((i for i, s in enumerate(streams) if s.video is not None), None)
    video, embedded = None, None
    if video_index is not None:
        tables, stream = movie.tracks[video_index], streams[video_index]
        hdr, structure, embedded = _bitstream(tables, stream, source, scan_limits)
        turn = rotation(tables.matrix, movie.matrix)
        video = video_model(tracks[video_index], tables, stream, turn, hdr, structure)
    text = [
        captions.text_track(i, s.entry.type, movie.tracks[i].handler, tracks[i].language)
        for i, s in enumerate(streams)
        if s.kind == "subtitle" and s.entry is not None
    ]
    return ProbeResult(
        file_info=_file_info(layout, movie, timing, integrity),
        video=video,
        audio_tracks=[
            audio_model(tracks[i], s) for i, s in enumerate(streams) if s.kind == "audio"
        ],
        tracks=tracks,
        captions=Captions(
            present=bool(text) or bool(embedded and (embedded.cea608 or embedded.cea708)),
            embedded=embedded,
            tracks=text,
        ),
        video_stream_index=video_index,
    )


def _bitstream(
    tables: TrackTables, stream: Stream, source: ByteSource, limits: ScanLimits
) -> tuple[Hdr, Gop, EmbeddedCaptions | None]:
    facts = stream.video
    assert facts is not None and stream.entry is not None
    found = scan(tables, facts, None if stream.encrypted else source.read_at, limits)
    hdr = classify(facts, stream.entry, found.messages)
    structure = gop(tables, found.sync_nal_types, facts.codec)
    embedded = captions.embedded(found) if facts.codec in ("h264", "hevc") else None
    return hdr, structure, embedded


def _file_info(
    layout: ContainerLayout, movie: Movie, timing: Timing, integrity: Integrity
) -> FileInfo:
    duration = timing.format_duration
    size = layout.file_size
    missing = [t for t in integrity.tracks if t.playable_until is not None]
    until = min((t.playable_until for t in missing if t.playable_until is not None), default=None)
    return FileInfo(
        file_size=size,
        duration=seconds(duration),
        duration_from_streams=seconds(timing.format_duration_from_streams),
        start_time=seconds(timing.format_start_time),
        format=container_format(layout.major_brand),
        major_brand=layout.major_brand,
        compatible_brands=list(layout.compatible_brands),
        bit_rate=int(size * 8 / duration) if duration else None,
        faststart=layout.faststart,
        fragmented=movie.fragmented,
        track_count=len(movie.tracks),
        creation_time=movie.creation_time,
        truncated=integrity.truncated,
        bytes_missing=integrity.bytes_missing,
        seconds_missing=seconds(integrity.seconds_missing) or 0.0,
        playable_until=seconds(Fraction(until)) if until is not None else None,
    )


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
