"""From a byte source to `Results`: probe, then the metrics the options ask for.

Container facts always come first and are kept whatever happens later: a
track that cannot be decoded loses its metrics (and gets a check saying why),
never the report.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from av.video.stream import VideoStream

from mp4_small_analyser.analysis.audio.meters import AudioMeters
from mp4_small_analyser.analysis.container.layout import BoxLimits
from mp4_small_analyser.analysis.container.probe import ProbeResult, probe
from mp4_small_analyser.analysis.decode import (
    AudioBlock,
    LumaFrame,
    MediaDecoder,
    TrackDecodeError,
    VideoPicture,
    open_container,
)
from mp4_small_analyser.analysis.judging import ResolvedProfile, judge
from mp4_small_analyser.analysis.judging.intrinsic import analysis_truncated, metrics_unavailable
from mp4_small_analyser.analysis.judging.quality import audio_quality, video_quality
from mp4_small_analyser.analysis.picture.measures import picture_measures
from mp4_small_analyser.analysis.picture.meters import PictureMeters, StreamTraits
from mp4_small_analyser.analysis.picture.thumbnails import ThumbnailCapture
from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.models import (
    AudioAnalysis,
    AudioFacts,
    AudioMeasures,
    Check,
    ImageFile,
    PictureMeasures,
    Results,
    Thumbnails,
    VideoAnalysis,
    VideoFacts,
)
from mp4_small_analyser.options import AnalysisOptions


@dataclass(frozen=True)
class Analysis:
    results: Results
    images: tuple[ImageFile, ...] = ()
    """The thumbnails' pictures that `results.thumbnails` names."""


def analyse(
    source: ByteSource,
    options: AnalysisOptions,
    profile: ResolvedProfile,
    limits: BoxLimits,
    *,
    thumbnails: bool = False,
) -> Analysis:
    """The file's results judged by `profile` (`options` already hold its `analysis` block);
    with `thumbnails`, pictures of the sampled frames too."""
    found = probe(source, limits)
    measured = _Measured() if options.probe_only else _measure(source, found, options, thumbnails)
    # A quality score rests on the facts and the measures together: assembled twice.
    video = None
    if found.video is not None:
        unscored_video = VideoAnalysis.assemble(found.video, measured.video)
        video = VideoAnalysis.assemble(found.video, measured.video, video_quality(unscored_video))
    audio_tracks = []
    for facts in found.audio_tracks:
        measures = measured.audio.get(facts.index) if facts.index is not None else None
        unscored_audio = AudioAnalysis.assemble(facts, measures)
        audio_tracks.append(AudioAnalysis.assemble(facts, measures, audio_quality(unscored_audio)))
    unjudged = Results(
        file_info=found.file_info,
        video_analysis=video,
        audio_analysis=audio_tracks[0] if audio_tracks else None,
        audio_tracks=audio_tracks,
        captions=found.captions,
        tracks=found.tracks,
        thumbnails=measured.thumbnails,
    )
    return Analysis(judge(unjudged, profile, measured.notes, options), tuple(measured.images))


@dataclass
class _Measured:
    video: PictureMeasures | None = None
    audio: dict[int, AudioMeasures] = field(default_factory=dict)
    """By track index."""
    notes: list[Check] = field(default_factory=list)
    thumbnails: Thumbnails | None = None
    images: list[ImageFile] = field(default_factory=list)


def _measure(
    source: ByteSource, found: ProbeResult, options: AnalysisOptions, thumbnails: bool
) -> _Measured:
    """Decode the measured tracks in one pass and feed every meter."""
    measured = _Measured()
    audio_indexes = [
        index
        for facts in found.audio_tracks[: options.max_audio_tracks]
        if (index := _decodable(facts, facts.index, options.audio_metrics)) is not None
    ]
    video_index = _decodable(found.video, found.video_stream_index, options.video_metrics)
    if not audio_indexes and video_index is None:
        return measured
    try:
        container = open_container(source)
    except TrackDecodeError as exc:
        failed = {index: str(exc) for index in [*audio_indexes, video_index] if index is not None}
        measured.notes.extend(_unavailable(failed, video_index))
        return measured
    with container:
        decoder = MediaDecoder(
            container,
            audio_indexes=audio_indexes,
            video_index=video_index,
            max_duration=options.max_media_duration,
            video_sample_rate=options.video_sample_rate,
            keyframes_only=options.video_keyframes_only,
            every_frame=options.video_every_frame,
        )
        measured.notes.extend(_unavailable(decoder.setup_errors, video_index))
        audio_meters = {
            index: AudioMeters(track.format, options) for index, track in decoder.audio.items()
        }
        picture = (
            PictureMeters(options, _traits(decoder.video.stream))
            if decoder.video is not None
            else None
        )
        capture = (
            ThumbnailCapture(found.video, _planned_video(decoder, found))
            if thumbnails and picture is not None and found.video is not None
            else None
        )
        with _InBackground(_frame_consumer(picture, capture)) as add_frame:
            for item in decoder:
                if isinstance(item, LumaFrame | VideoPicture):
                    add_frame(item)
                elif isinstance(item, AudioBlock):
                    audio_meters[item.stream_index].add(item.samples)
        _collect_audio(measured, decoder, audio_meters, options)
        if picture is not None:
            _collect_video(measured, decoder, found, picture, capture, options)
    return measured


def _unavailable(problems: dict[int, str], video_index: int | None) -> list[Check]:
    """METRICS_UNAVAILABLE for each track (by stream index) that could not be decoded."""
    return [
        metrics_unavailable("video", problem)
        if index == video_index
        else metrics_unavailable("audio", problem, index)
        for index, problem in problems.items()
    ]


def _collect_audio(
    measured: _Measured,
    decoder: MediaDecoder,
    meters: dict[int, AudioMeters],
    options: AnalysisOptions,
) -> None:
    for index, track in decoder.audio.items():
        if (reason := decoder.failure(track)) is not None:
            measured.notes.append(metrics_unavailable("audio", reason, index))
            continue
        measured.audio[index] = meters[index].measures()
        if track.truncated:
            measured.notes.append(analysis_truncated("audio", options.max_media_duration, index))


def _collect_video(
    measured: _Measured,
    decoder: MediaDecoder,
    found: ProbeResult,
    picture: PictureMeters,
    capture: ThumbnailCapture | None,
    options: AnalysisOptions,
) -> None:
    video = decoder.video
    assert video is not None
    if (reason := decoder.failure(video)) is not None:
        measured.notes.append(metrics_unavailable("video", reason))
        return
    analysed = picture.result(_analysed_video(decoder, found), video.produced)
    measured.video = picture_measures(analysed, options)
    if capture is not None:
        # After `result`, which closes the stretches still open at the end.
        measured.thumbnails, measured.images = capture.finish(picture.meter.progress())
    if video.truncated:
        measured.notes.append(analysis_truncated("video", options.max_media_duration))


def _frame_consumer(
    picture: PictureMeters | None, capture: ThumbnailCapture | None
) -> Callable[[LumaFrame | VideoPicture], None] | None:
    """What the background thread does with each decoded frame: meter it, then let the
    thumbnails see where the black/frozen meter's stretches stand. Thumbnails are cut from
    the samples only (`LumaFrame`s), at every depth: the frames between samples that the
    every-frame depth also hands over (`VideoPicture`s) go to the meters alone."""
    if picture is None or capture is None:
        return picture.add if picture else None

    def consume(frame: LumaFrame | VideoPicture) -> None:
        picture.add(frame)
        if isinstance(frame, LumaFrame):
            capture.add(frame, picture.meter.progress())

    return consume


def _decodable(
    track: VideoFacts | AudioFacts | None, index: int | None, wanted: bool
) -> int | None:
    # Encrypted tracks are not decoded; judging reports them as ENCRYPTED_TRACK.
    if track is None or index is None or not wanted or track.encrypted:
        return None
    return index


class _InBackground:
    """Feed frames to a meter on a second thread while this one decodes.

    FFmpeg's decoder and numpy both release the GIL, so the picture metrics of one
    frame overlap the decoding of the next. At most `depth` frames wait, bounding memory.
    """

    def __init__(
        self, consume: Callable[[LumaFrame | VideoPicture], None] | None, depth: int = 4
    ) -> None:
        self._consume = consume
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="picture")
        self._pending: deque[Future[None]] = deque()

    def __enter__(self) -> Callable[[LumaFrame | VideoPicture], None]:
        return self._submit

    def _submit(self, frame: LumaFrame | VideoPicture) -> None:
        if self._consume is None:
            return
        self._pending.append(self._pool.submit(self._consume, frame))
        while len(self._pending) > self._depth:
            self._pending.popleft().result()

    def __exit__(self, *exc: object) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _traits(stream: VideoStream) -> StreamTraits:
    context = stream.codec_context
    aspect = context.sample_aspect_ratio
    return StreamTraits(
        frame_rate=float(stream.average_rate or 25),
        sample_aspect_ratio=float(aspect) if aspect else 1.0,
        field_order=int(context.field_order),
    )


def _planned_video(decoder: MediaDecoder, found: ProbeResult) -> float:
    """Seconds of video the decoding is set to cover: the track's duration up to the limit."""
    video = decoder.video
    assert video is not None
    duration = found.video.duration if found.video and found.video.duration else None
    return min(duration, video.max_duration) if duration else video.last_time


def _analysed_video(decoder: MediaDecoder, found: ProbeResult) -> float:
    """Seconds of video the pictures stand for, once decoded: the planned span and, in a
    file cut inside the track, up to the end of the last packet it holds. (Against the
    declared duration, a clip cut at a quarter read as three quarters never sampled: a
    false SPARSE_SAMPLING with black and frozen left null.)"""
    video = decoder.video
    assert video is not None
    planned = _planned_video(decoder, found)
    if found.video and found.video.duration and _video_cut_short(found) and not video.truncated:
        return min(planned, video.reach)
    return planned


def _video_cut_short(found: ProbeResult) -> bool:
    """Samples of the video track lie past the end of the file."""
    return any(
        track.index == found.video_stream_index and track.samples_missing > 0
        for track in found.tracks
    )
