"""Measures a rule may use that are computed from a stored result, never from media.

Delivery specs speak of "the short side", "black longer than 1 s except at the
head and tail", "aspect ratio between 1:3 and 3:1": facts that follow from
fields the result already holds. They live under `derived.` so that a rule
names them like any field, and re-judging a stored result needs no decoding.

Head and tail: black and frozen stretches come from frames sampled every
`duration / frames_analysed` seconds (0.5 s by default), so a stretch counts as
the head when it starts within one sample interval of 0, and as the tail when
it ends within one interval of the end. Only stretches at least as long as the
analysis' `black_min_duration` / `freeze_min_duration` (2 s by default) are
recorded at all: a rule on shorter stretches needs a finer analysis (a
profile's `analysis` block asks for one).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from mp4_small_analyser.models import AudioAnalysis, Results, Segment, VideoAnalysis

from .audio_tracks import audio_tracks_of

DEFAULT_SAMPLE_INTERVAL = 0.5
"""Seconds between sampled frames when the result does not say (2 frames per second)."""


class DerivedAudioTrack(BaseModel):
    """Measures of one audio track, in the order of `audio_tracks`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dc_offset_max: float | None = Field(
        None, description="Largest absolute per-channel mean sample value (full scale = 1)."
    )


class Derived(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    short_side: int | None = Field(None, description="Pixels: the smaller of width and height.")
    long_side: int | None = Field(None, description="Pixels: the larger of width and height.")
    aspect_ratio: float | None = Field(
        None, description="Displayed width over height (rotation applied)."
    )
    av_duration_difference: float | None = Field(
        None, description="Seconds between the audio and the video track durations."
    )
    dc_offset_max: float | None = Field(
        None,
        description="Largest absolute per-channel mean sample value (full scale = 1), "
        "first audio track.",
    )
    audio_tracks: list[DerivedAudioTrack] = Field(
        default_factory=list, description="Per audio track, in the order of `audio_tracks`."
    )
    black_head: float | None = Field(None, description="Seconds of black at the start.")
    black_tail: float | None = Field(None, description="Seconds of black at the end.")
    black_longest_inner: float | None = Field(
        None, description="Seconds: the longest black stretch touching neither head nor tail."
    )
    frozen_head: float | None = Field(None, description="Seconds frozen at the start.")
    frozen_tail: float | None = Field(None, description="Seconds frozen at the end.")
    frozen_longest_inner: float | None = Field(
        None, description="Seconds: the longest frozen stretch touching neither head nor tail."
    )


TRACKS_OF: Mapping[str, tuple[str, ...]] = {
    "short_side": ("video_analysis",),
    "long_side": ("video_analysis",),
    "aspect_ratio": ("video_analysis",),
    "av_duration_difference": ("video_analysis", "audio_analysis"),
    "dc_offset_max": ("audio_analysis",),
    "audio_tracks": ("audio_analysis",),
    "black_head": ("video_analysis",),
    "black_tail": ("video_analysis",),
    "black_longest_inner": ("video_analysis",),
    "frozen_head": ("video_analysis",),
    "frozen_tail": ("video_analysis",),
    "frozen_longest_inner": ("video_analysis",),
}
"""The track analyses each measure is computed from: without the track, a rule on it is moot."""


def derive(results: Results) -> Derived:
    video, audio = results.video_analysis, results.audio_analysis
    sides = _sides(video)
    black = _edges(video, video.black_segments if video else None, results)
    frozen = _edges(video, video.frozen_segments if video else None, results)
    return Derived(
        short_side=min(sides) if sides else None,
        long_side=max(sides) if sides else None,
        aspect_ratio=_aspect_ratio(video),
        av_duration_difference=(
            round(abs(video.duration - audio.duration), 3)
            if video and audio and video.duration is not None and audio.duration is not None
            else None
        ),
        dc_offset_max=_dc_offset_max(audio),
        audio_tracks=[
            DerivedAudioTrack(dc_offset_max=_dc_offset_max(track))
            for track in audio_tracks_of(results)
        ],
        black_head=black[0],
        black_tail=black[1],
        black_longest_inner=black[2],
        frozen_head=frozen[0],
        frozen_tail=frozen[1],
        frozen_longest_inner=frozen[2],
    )


def _dc_offset_max(audio: AudioAnalysis | None) -> float | None:
    return max(abs(offset) for offset in audio.dc_offset) if audio and audio.dc_offset else None


def _sides(video: VideoAnalysis | None) -> tuple[int, int] | None:
    if video is None or not video.width or not video.height:
        return None
    return video.width, video.height


def _aspect_ratio(video: VideoAnalysis | None) -> float | None:
    if video is None or not video.width or not video.height:
        return None
    width, height = video.width, video.height
    if video.rotation % 180 == 90:
        width, height = height, width
    return round(width / height, 4)


def _edges(
    video: VideoAnalysis | None, segments: list[Segment] | None, results: Results
) -> tuple[float | None, float | None, float | None]:
    """(head, tail, longest inner) seconds; all None when the picture was not measured."""
    if video is None or segments is None:
        return None, None, None
    duration = video.duration or results.file_info.duration
    interval = DEFAULT_SAMPLE_INTERVAL
    if duration and video.frames_analysed:
        interval = duration / video.frames_analysed
    head = tail = inner = 0.0
    for start, end in segments:
        length = round(end - start, 3)
        if start <= interval:
            head = max(head, length)
        elif duration is not None and end >= duration - interval:
            tail = max(tail, length)
        else:
            inner = max(inner, length)
    return head, tail, inner
