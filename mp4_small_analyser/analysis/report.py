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
from typing import Any, TypeVar

import numpy as np

from mp4_small_analyser.analysis.audio.defects import AudioDefectMeter
from mp4_small_analyser.analysis.audio.loudness import LoudnessMeter
from mp4_small_analyser.analysis.audio.silence import SilenceDetector
from mp4_small_analyser.analysis.container.probe import ProbeResult, probe
from mp4_small_analyser.analysis.decode import (
    LumaFrame,
    MediaDecoder,
    TrackDecodeError,
    audio_format,
    open_container,
)
from mp4_small_analyser.analysis.judging.checks import (
    analysis_truncated,
    get_profile,
    metrics_unavailable,
    run_checks,
)
from mp4_small_analyser.analysis.judging.quality import audio_quality, video_quality
from mp4_small_analyser.analysis.picture.meter import PictureMeter
from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.models import AudioAnalysis, Check, QualityScore, Results, VideoAnalysis
from mp4_small_analyser.options import AnalysisOptions

DECIMALS = 3
_Track = TypeVar("_Track", VideoAnalysis, AudioAnalysis)


def analyse(source: ByteSource, options: AnalysisOptions) -> Results:
    found = probe(source)
    video, audio = found.video, found.audio
    notes: list[Check] = []
    if not options.probe_only:
        measured = _measure(source, found, options)
        notes = measured.notes
        if video is not None and measured.video:
            video = video.model_copy(update=measured.video)
        if audio is not None and measured.audio:
            audio = audio.model_copy(update=measured.audio)
    if video is not None:
        video = _with_quality(video, video_quality(video))
    if audio is not None:
        target = get_profile(options.profile).loudness_target
        audio = _with_quality(audio, audio_quality(audio, target))
    results = Results(
        file_info=found.file_info,
        video_analysis=video,
        audio_analysis=audio,
        tracks=found.tracks,
        profile=options.profile,
    )
    return results.model_copy(update={"checks": run_checks(results, options.profile, notes)})


@dataclass
class _Measured:
    video: dict[str, Any] = field(default_factory=dict)
    audio: dict[str, Any] = field(default_factory=dict)
    notes: list[Check] = field(default_factory=list)


def _measure(source: ByteSource, found: ProbeResult, options: AnalysisOptions) -> _Measured:
    """Decode the measured tracks in one pass and feed every meter."""
    measured = _Measured()
    audio_index = _decodable(found.audio, found.audio_stream_index, options.audio_metrics)
    video_index = _decodable(found.video, found.video_stream_index, options.video_metrics)
    if audio_index is None and video_index is None:
        return measured
    try:
        container = open_container(source)
    except TrackDecodeError as exc:
        for kind, index in (("audio", audio_index), ("video", video_index)):
            if index is not None:
                measured.notes.append(metrics_unavailable(kind, str(exc)))
        return measured
    with container:
        decoder = MediaDecoder(
            container,
            audio_index=audio_index,
            video_index=video_index,
            max_duration=options.max_media_duration,
            video_sample_rate=options.video_sample_rate,
            keyframes_only=options.video_keyframes_only,
        )
        audio_meters = (
            _AudioMeters(container, audio_index, options) if audio_index is not None else None
        )
        picture = PictureMeter(options) if video_index is not None else None
        with _InBackground(picture.add if picture else None) as add_frame:
            for item in decoder:
                if isinstance(item, LumaFrame):
                    add_frame(item)
                elif audio_meters is not None:
                    audio_meters.add(item)
        if decoder.audio is not None and audio_meters is not None:
            if (reason := decoder.failure(decoder.audio)) is not None:
                measured.notes.append(metrics_unavailable("audio", reason))
            else:
                measured.audio = audio_meters.fields()
                if decoder.audio.truncated:
                    measured.notes.append(analysis_truncated("audio", options.max_media_duration))
        if decoder.video is not None and picture is not None:
            if (reason := decoder.failure(decoder.video)) is not None:
                measured.notes.append(metrics_unavailable("video", reason))
            else:
                measured.video = _picture_fields(picture, decoder, found)
                if decoder.video.truncated:
                    measured.notes.append(analysis_truncated("video", options.max_media_duration))
    return measured


def _decodable(
    track: VideoAnalysis | AudioAnalysis | None, index: int | None, wanted: bool
) -> int | None:
    # Encrypted tracks are not decoded; run_checks reports them as ENCRYPTED_TRACK.
    if track is None or index is None or not wanted or track.encrypted:
        return None
    return index


class _InBackground:
    """Feed frames to a meter on a second thread while this one decodes.

    FFmpeg's decoder and numpy both release the GIL, so the picture metrics of one
    frame overlap the decoding of the next. At most `depth` frames wait, bounding memory.
    """

    def __init__(self, consume: Callable[[LumaFrame], None] | None, depth: int = 4) -> None:
        self._consume = consume
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="picture")
        self._pending: deque[Future[None]] = deque()

    def __enter__(self) -> Callable[[LumaFrame], None]:
        return self._submit

    def _submit(self, frame: LumaFrame) -> None:
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


class _AudioMeters:
    def __init__(self, container: Any, index: int, options: AnalysisOptions) -> None:
        fmt = audio_format(container, index)
        self.sample_rate = fmt.sample_rate
        self.loudness = LoudnessMeter(fmt.sample_rate, fmt.channel_names)
        self.silence = SilenceDetector(
            fmt.sample_rate,
            fmt.channels,
            threshold_db=options.silence_threshold_db,
            min_duration=options.silence_min_duration,
        )
        self.defects = AudioDefectMeter(fmt.channels)

    def add(self, block: np.ndarray) -> None:
        self.loudness.add(block)
        self.silence.add(block)
        self.defects.add(block)

    def fields(self) -> dict[str, Any]:
        loudness = self.loudness.result()
        silence = self.silence.result()
        defects = self.defects.result()
        return {
            "loudness_integrated": _round(loudness.integrated),
            "loudness_range": _round(loudness.loudness_range),
            "true_peak": _round(loudness.true_peak),
            "sample_peak": _round(loudness.sample_peak),
            "max_momentary": _round(loudness.max_momentary),
            "max_short_term": _round(loudness.max_short_term),
            "short_term_series": [_round(v, 2) for v in loudness.short_term_series],
            "silence_percentage": _round(silence.percentage, 2),
            "silence_segments": [(_r(a), _r(b)) for a, b in silence.segments],
            "silence_segment_count": silence.segment_count,
            "clipping": defects.clipping,
            "dc_offset": [_r(v, 6) for v in defects.dc_offset],
            "channels_silent": defects.channels_silent,
            "phase_correlation": _round(defects.phase_correlation),
            "phase_issue": defects.phase_issue,
        }


def _picture_fields(
    picture: PictureMeter, decoder: MediaDecoder, found: ProbeResult
) -> dict[str, Any]:
    assert decoder.video is not None
    duration = found.video.duration if found.video and found.video.duration else None
    analysed = min(duration, decoder.video.max_duration) if duration else decoder.video.last_time
    result = picture.result(analysed)
    return {
        "frames_analysed": result.frames,
        "black_percentage": _round(result.black_percentage, 2),
        "black_segments": [(_r(a), _r(b)) for a, b in result.black_segments],
        "frozen_percentage": _round(result.frozen_percentage, 2),
        "frozen_segments": [(_r(a), _r(b)) for a, b in result.frozen_segments],
        "blur": _round(result.blur, 4),
        "blockiness": _round(result.blockiness, 4),
        "brightness": _round(result.brightness, 4),
        "contrast": _round(result.contrast, 4),
    }


def _with_quality(track: _Track, quality: QualityScore | None) -> _Track:
    if quality is None:
        return track
    return track.model_copy(update={"quality_score": round(quality.score, 3), "quality": quality})


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _r(value: float, digits: int = DECIMALS) -> float:
    # Adding 0.0 turns the -0.0 that rounding leaves into 0.0.
    return round(float(value), digits) + 0.0
