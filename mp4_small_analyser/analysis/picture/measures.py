"""The picture meters' results as the report's `PictureMeasures`.

A measure the sampling could not support (`sampling.unusable`) is left null and listed
in `sampling.unmeasured` with the reason, rather than reported from too few pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

from mp4_small_analyser.analysis.picture.active_area import ActiveAreaResult, AreaSegment
from mp4_small_analyser.analysis.picture.cuts import CutsResult
from mp4_small_analyser.analysis.picture.flashes import FlashResult
from mp4_small_analyser.analysis.picture.flashes import FlashSegment as FlashSpan
from mp4_small_analyser.analysis.picture.interlace import InterlaceResult
from mp4_small_analyser.analysis.picture.levels import ChannelLevels as ChannelSummary
from mp4_small_analyser.analysis.picture.levels import LevelsResult
from mp4_small_analyser.analysis.picture.meters import PictureResults
from mp4_small_analyser.analysis.picture.planes import DisplayModel
from mp4_small_analyser.analysis.picture.sampling import EVERY_FRAME, Metric, Verdict, unusable
from mp4_small_analyser.analysis.rounding import rounded, rounded_segments, rounded_value
from mp4_small_analyser.models import (
    ActiveArea,
    Bars,
    ChannelLevels,
    Flashes,
    FlashSegment,
    FramingSegment,
    Interlace,
    Levels,
    PictureMeasures,
    PictureSampling,
    RepeatedFields,
    ScanCounts,
    Shots,
    Unmeasured,
)
from mp4_small_analyser.options import AnalysisOptions

MAX_SERIES_SECONDS = 3600
"""Per-second flash counts kept at most (as the loudness series)."""

_T = TypeVar("_T")


def picture_measures(results: PictureResults, options: AnalysisOptions) -> PictureMeasures:
    verdicts = unusable(results.coverage, options.black_min_duration, options.freeze_min_duration)
    missing = {verdict.metric for verdict in verdicts}

    def kept(metric: Metric, make: Callable[[], _T]) -> _T | None:
        return None if metric in missing else make()

    basic, siti = results.basic, results.siti
    return PictureMeasures(
        frames_analysed=basic.frames,
        black_percentage=kept("black", lambda: rounded(basic.black_percentage, 2)),
        black_segments=kept("black", lambda: rounded_segments(basic.black_segments)),
        frozen_percentage=kept("frozen", lambda: rounded(basic.frozen_percentage, 2)),
        frozen_segments=kept("frozen", lambda: rounded_segments(basic.frozen_segments)),
        blur=kept("blur", lambda: rounded(basic.blur, 4)),
        blockiness=kept("blockiness", lambda: rounded(basic.blockiness, 4)),
        brightness=kept("brightness", lambda: rounded(basic.brightness, 4)),
        contrast=kept("contrast", lambda: rounded(basic.contrast, 4)),
        active_area=kept("active_area", lambda: _active_area(results.active_area)),
        interlace=kept("interlace", lambda: _interlace(results.interlace)),
        levels=kept("levels", lambda: _levels(results.levels)),
        shots=kept("shots", lambda: _shots(results.cuts)),
        si_mean=kept("si", lambda: rounded(siti.si_mean, 3)),
        si_max=kept("si", lambda: rounded(siti.si_max, 3)),
        ti_mean=kept("ti", lambda: rounded(siti.ti_mean, 3)),
        ti_max=kept("ti", lambda: rounded(siti.ti_max, 3)),
        flashes=kept("flashes", lambda: _flashes(results.flashes)),
        sampling=PictureSampling(
            depth=results.depth,
            frames_decoded=results.frames_decoded,
            max_gap=rounded_value(results.coverage.max_gap),
            unmeasured=[_unmeasured(verdict, options) for verdict in verdicts],
        ),
    )


def _unmeasured(verdict: Verdict, options: AnalysisOptions) -> Unmeasured:
    """Why a measure is null. An every-frame measure asked for (`video_every_frame`) but not
    taken because keyframes only were decoded is a sampling too sparse for it, not a choice."""
    if verdict.metric not in EVERY_FRAME:
        return Unmeasured(measure=verdict.metric, cause="sparse", reason=verdict.reason or "")
    if options.video_every_frame:
        reason = "needs every frame: keyframes only were decoded (video_keyframes_only wins)"
        return Unmeasured(measure=verdict.metric, cause="sparse", reason=reason)
    return Unmeasured(measure=verdict.metric, cause="depth", reason=verdict.reason or "")


def _active_area(result: ActiveAreaResult | None) -> ActiveArea | None:
    if result is None:
        return None
    rect, bars = result.rect, result.bars
    frame_area = result.frame_width * result.frame_height
    return ActiveArea(
        x=rect.x,
        y=rect.y,
        width=rect.width,
        height=rect.height,
        bars=Bars(top=bars.top, bottom=bars.bottom, left=bars.left, right=bars.right),
        bar_share=round(1.0 - rect.width * rect.height / frame_area, 4),
        kind=result.kind,
        active_aspect_ratio=result.active_aspect_ratio,
        stable=result.stable,
        segments=[_framing(segment) for segment in result.segments],
    )


def _framing(segment: AreaSegment) -> FramingSegment:
    rect = segment.rect
    return FramingSegment(
        start=rounded_value(segment.start),
        end=rounded_value(segment.end),
        x=rect.x,
        y=rect.y,
        width=rect.width,
        height=rect.height,
        kind=segment.kind,
    )


def _interlace(result: InterlaceResult | None) -> Interlace | None:
    if result is None or result.signalled is None:
        return None
    signalled = result.signalled
    flagged = signalled.interlaced_frames / signalled.frames if signalled.frames else 0.0
    return Interlace(
        detected=result.detected,
        telecine=result.telecine,
        signalled_field_order=signalled.field_order,
        signalled_interlaced_share=round(flagged, 4),
        pictures=result.frames,
        single=ScanCounts(**asdict(result.single)),
        multi=ScanCounts(**asdict(result.multi)),
        repeated_fields=RepeatedFields(
            top=result.repeated_top, bottom=result.repeated_bottom, neither=result.repeated_neither
        ),
        mismatch=result.mismatch,
    )


def _levels(result: LevelsResult | None) -> Levels | None:
    if result is None:
        return None
    return Levels(
        y=_channel(result.y),
        u=_channel(result.u) if result.u is not None else None,
        v=_channel(result.v) if result.v is not None else None,
        out_of_range_mean=round(result.out_of_range_average, 5),
        out_of_range_max=round(result.out_of_range_max, 5),
        out_of_range_pictures=round(result.out_of_range_frames, 4),
        range_flag="full" if result.flagged_full_range else "limited",
        range_verdict=result.range_verdict,
    )


def _channel(summary: ChannelSummary) -> ChannelLevels:
    percentiles = summary.percentiles
    return ChannelLevels(
        minimum=summary.minimum,
        low=round(summary.low, 2),
        average=round(summary.average, 2),
        high=round(summary.high, 2),
        maximum=summary.maximum,
        p1=percentiles[1],
        p10=percentiles[10],
        p50=percentiles[50],
        p90=percentiles[90],
        p99=percentiles[99],
    )


def _shots(result: CutsResult | None) -> Shots | None:
    if result is None:
        return None
    return Shots(
        cut_count=result.cut_count,
        shot_count=result.shot_count,
        average_shot_length=rounded(result.average_shot_length, 3),
        cuts=[rounded_value(cut.time) for cut in result.cuts],
    )


def _flashes(result: FlashResult | None) -> Flashes | None:
    if result is None:
        return None
    return Flashes(
        passed=result.passed,
        peak_frequency=result.peak_frequency,
        red_peak_frequency=result.red_peak_frequency,
        flashes_per_second=result.flashes_per_second[:MAX_SERIES_SECONDS],
        red_flashes_per_second=result.red_flashes_per_second[:MAX_SERIES_SECONDS],
        failing_segments=[_flash_segment(span) for span in result.failing_segments],
        extended_segments=[_flash_segment(span) for span in result.extended_segments],
        extended_seconds=rounded_value(
            max((span.end - span.start for span in result.extended_segments), default=0.0)
        ),
        max_flashing_area=round(result.max_flashing_area, 4),
        display_peak=DisplayModel().peak,
    )


def _flash_segment(span: FlashSpan) -> FlashSegment:
    return FlashSegment(
        start=rounded_value(span.start),
        end=rounded_value(span.end),
        kind=span.kind,
        peak_frequency=span.peak_frequency,
    )
