"""What a file's page shows: the verdict, every check, the facts, the plots and the thumbnails.

Built from a task result alone, so the service's pages and the `--html`
report show the same thing; the plots' data are typed models the page passes
to its script as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pydantic import BaseModel

from mp4_small_analyser.models import (
    Check,
    CompletedResult,
    FailedResult,
    Results,
    Thumbnails,
    Verdict,
)
from mp4_small_analyser.service.web.fact_format import track_name
from mp4_small_analyser.service.web.facts import AudioRow, FactGroup, audio_rows, fact_groups
from mp4_small_analyser.service.web.profiles import ProfileView
from mp4_small_analyser.service.web.rows import parsed_result
from mp4_small_analyser.service.web.timeline import Timeline, timeline
from mp4_small_analyser.stores.records import StoredPayload, payload_json

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class LoudnessPlot(BaseModel):
    """Short-term loudness once a second, with the profile's limits (LUFS / dBTP)."""

    series: list[float | None]
    integrated: float | None = None
    target: float | None = None
    tolerance: float | None = None
    true_peak: float | None = None
    ceiling: float | None = None
    profile: str | None = None
    track: str | None = None
    """Which audio track, when the file has several (the first is plotted)."""


class BitRatePlot(BaseModel):
    """Bits in each second of the video track (its `tracks[]` entry), its mean and its
    highest 1 s window."""

    series: list[int]
    mean: int | None = None
    peak_1s: int | None = None


class PlotData(BaseModel):
    loudness: LoudnessPlot | None = None
    bit_rate: BitRatePlot | None = None


@dataclass(frozen=True)
class ScoreView:
    track: str
    score: float | None
    components: list[tuple[str, float]]


@dataclass(frozen=True)
class FileView:
    task_id: str
    file_url: str | None
    status: str
    completed: CompletedResult | None = None
    failed: FailedResult | None = None
    raw_payload: str | None = None
    """The stored payload, pretty-printed, when it is not a task result."""
    checks: list[Check] = field(default_factory=list)
    facts: list[FactGroup] = field(default_factory=list)
    audio: list[AudioRow] = field(default_factory=list)
    plots: PlotData = field(default_factory=PlotData)
    timeline: Timeline | None = None
    thumbnails: Thumbnails | None = None
    scores: list[ScoreView] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict | None:
        return self.completed.results.verdict if self.completed else None

    @property
    def profile(self) -> str | None:
        return self.completed.results.profile if self.completed else None


def file_view(
    task_id: str,
    status: str,
    file_url: str | None,
    payload: StoredPayload | None,
    profiles: dict[str, ProfileView],
) -> FileView:
    result = parsed_result(payload)
    if isinstance(result, FailedResult):
        return FileView(task_id, file_url or result.file_url, status, failed=result)
    if result is None:
        raw = json.dumps(payload_json(payload), indent=2, ensure_ascii=False) if payload else None
        return FileView(task_id, file_url, status, raw_payload=raw)
    return completed_view(task_id, status, result, profiles)


def completed_view(
    task_id: str, status: str, result: CompletedResult, profiles: dict[str, ProfileView]
) -> FileView:
    results = result.results
    profile = profiles.get(results.profile or "")
    return FileView(
        task_id=task_id,
        file_url=result.file_url,
        status=status,
        completed=result,
        checks=sorted(results.checks, key=lambda check: SEVERITY_ORDER[check.severity]),
        facts=fact_groups(result),
        audio=audio_rows(results),
        plots=PlotData(loudness=_loudness(results, profile), bit_rate=_bit_rate(results)),
        timeline=timeline(results),
        thumbnails=results.thumbnails,
        scores=_scores(results),
    )


def _loudness(results: Results, profile: ProfileView | None) -> LoudnessPlot | None:
    audio = results.audio_analysis
    if audio is None or not audio.short_term_series:
        return None
    return LoudnessPlot(
        series=audio.short_term_series,
        integrated=audio.loudness_integrated,
        target=profile.loudness_target if profile else None,
        tolerance=profile.loudness_tolerance if profile else None,
        true_peak=audio.true_peak,
        ceiling=profile.true_peak_max if profile else None,
        profile=results.profile,
        track=track_name(audio) if len(results.audio_tracks) > 1 else None,
    )


def _bit_rate(results: Results) -> BitRatePlot | None:
    video = next((track for track in results.tracks if track.type == "video"), None)
    if video is None or not video.bit_rate_series:
        return None
    return BitRatePlot(
        series=video.bit_rate_series, mean=video.bit_rate, peak_1s=video.bit_rate_peak_1s
    )


def _scores(results: Results) -> list[ScoreView]:
    scores = []
    for label, track in (("Video", results.video_analysis), ("Audio", results.audio_analysis)):
        if track is not None and track.quality is not None:
            components = sorted(track.quality.components.items())
            scores.append(ScoreView(label, track.quality_score, components))
    return scores
