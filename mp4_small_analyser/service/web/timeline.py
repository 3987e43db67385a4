"""The file page's timeline: a lane per kind of stretch, and the shot cuts as marks.

Lanes: silence, black and frozen stretches; flashing (failing, red, and the
extended flashing that only warns); the framing (letterbox, pillarbox and
windowbox runs, with a mark where the active area changes); shot cuts. A lane
whose measure was not taken says why (`sampling.unmeasured`: flashes and cuts
need the every-frame depth), so an empty lane never reads as "none found".
"""

from __future__ import annotations

from dataclasses import dataclass

from mp4_small_analyser.models import (
    AudioAnalysis,
    PictureSampling,
    Results,
    Segment,
    VideoAnalysis,
)

TICK_STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800)
LEGEND = {
    "flash": "flashing (fails)",
    "flash-red": "red flashing (fails)",
    "flash-extended": "extended flashing (warns)",
    "letterbox": "letterbox",
    "pillarbox": "pillarbox",
    "windowbox": "windowbox",
    "framing": "framing change",
    "cuts": "shot cut",
}
"""What each colour of bar (by its kind) and each mark (by its lane) means, in legend order;
silence, black and frozen bars are named by their lanes."""


@dataclass(frozen=True)
class Bar:
    start: float
    end: float
    kind: str
    """CSS class of the bar (`segment-<kind>`): silence, black, frozen, flash, flash-red,
    flash-extended, letterbox, pillarbox, windowbox."""
    label: str
    """What its tooltip names before the times."""


@dataclass(frozen=True)
class Lane:
    label: str
    kind: str
    """The lane's name for styles and tests: silence, black, frozen, flashes, framing, cuts."""
    bars: list[Bar]
    marks: list[float]
    """Instants: shot cuts, or where the framing changes."""
    unmeasured: str | None = None
    """Why nothing was measured for this lane; None when it was."""

    @property
    def measured(self) -> bool:
        return self.unmeasured is None


@dataclass(frozen=True)
class Timeline:
    duration: float
    lanes: list[Lane]

    def ticks(self) -> list[float]:
        """Round instants for the axis, five to ten of them."""
        for step in TICK_STEPS:
            if self.duration / step <= 10:
                return [i * step for i in range(int(self.duration / step) + 1)]
        return [0.0, self.duration]

    def legend(self) -> list[tuple[str, str]]:
        """(kind, meaning) of the bars and marks shown that their lane alone does not name."""
        shown = {bar.kind for lane in self.lanes for bar in lane.bars}
        shown |= {lane.kind for lane in self.lanes if lane.marks}
        return [(kind, text) for kind, text in LEGEND.items() if kind in shown]


def timeline(results: Results) -> Timeline | None:
    video, audio = results.video_analysis, results.audio_analysis
    duration = results.file_info.duration or max(
        (track.duration or 0.0 for track in (video, audio) if track is not None), default=0.0
    )
    if duration <= 0:
        return None
    lanes = [
        _silence(audio),
        _stretches("Black", "black", video, video.black_segments if video else None),
        _stretches("Frozen", "frozen", video, video.frozen_segments if video else None),
        _flashes(video),
        _framing(video),
        _cuts(video),
    ]
    if not any(lane.measured for lane in lanes):
        return None
    return Timeline(duration, lanes)


def _silence(audio: AudioAnalysis | None) -> Lane:
    if audio is None:
        return Lane("Silence", "silence", [], [], "no audio track")
    if audio.silence_segments is None:
        return Lane("Silence", "silence", [], [], "not measured")
    bars = [Bar(start, end, "silence", "Silence") for start, end in audio.silence_segments]
    return Lane("Silence", "silence", bars, [])


def _stretches(
    label: str, kind: str, video: VideoAnalysis | None, segments: list[Segment] | None
) -> Lane:
    if segments is None:
        return Lane(label, kind, [], [], _why_not(video, kind))
    return Lane(label, kind, [Bar(start, end, kind, label) for start, end in segments], [])


def _flashes(video: VideoAnalysis | None) -> Lane:
    flashes = video.flashes if video else None
    if flashes is None:
        return Lane("Flashes", "flashes", [], [], _why_not(video, "flashes"))
    extended = [
        Bar(span.start, span.end, "flash-extended", f"Extended flashing {span.peak_frequency:g}/s")
        for span in flashes.extended_segments
    ]
    failing = [
        Bar(
            span.start,
            span.end,
            "flash-red" if span.kind == "red" else "flash",
            f"{'Red flashing' if span.kind == 'red' else 'Flashing'} {span.peak_frequency:g}/s",
        )
        for span in flashes.failing_segments
    ]
    # Failing stretches drawn last, over the extended flashing they may overlap.
    return Lane("Flashes", "flashes", extended + failing, [])


def _framing(video: VideoAnalysis | None) -> Lane:
    """Runs with bars; a mark at each change of the active area between runs."""
    area = video.active_area if video else None
    if area is None:
        return Lane("Framing", "framing", [], [], _why_not(video, "active_area"))
    bars = [
        Bar(run.start, run.end, run.kind, f"{run.kind.capitalize()} {run.width}x{run.height}")
        for run in area.segments
        if run.kind != "full"
    ]
    changes = [
        later.start
        for earlier, later in zip(area.segments, area.segments[1:], strict=False)
        if (earlier.x, earlier.y, earlier.width, earlier.height)
        != (later.x, later.y, later.width, later.height)
    ]
    return Lane("Framing", "framing", bars, changes)


def _cuts(video: VideoAnalysis | None) -> Lane:
    shots = video.shots if video else None
    if shots is None:
        return Lane("Shot cuts", "cuts", [], [], _why_not(video, "shots"))
    return Lane("Shot cuts", "cuts", [], list(shots.cuts))


def _why_not(video: VideoAnalysis | None, measure: str) -> str:
    if video is None:
        return "no video track"
    reason = _unmeasured(video.sampling, measure)
    return reason or "not measured"


def _unmeasured(sampling: PictureSampling | None, measure: str) -> str | None:
    for item in sampling.unmeasured if sampling else []:
        if item.measure == measure:
            return "every-frame depth only" if item.cause == "depth" else item.reason
    return None
