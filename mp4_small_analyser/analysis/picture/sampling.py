"""When sampled pictures are too sparse for a metric: the rule that keeps `--fast` truthful.

A metric computed from samples is only as good as the largest gap between
analysed pictures (`max_gap`: start to first sample, between samples, last
sample to the end). With keyframes only, one GOP can be the whole clip: a
clip 66.7 % frozen was reported 0 % frozen from its single keyframe. Each
metric states what it needs; one that does not get it is reported as null
and named in a SPARSE_SAMPLING check, rather than given a wrong number.

Needs:
- black, frozen stretches of at least d seconds (d = black_min_duration,
  freeze_min_duration): max_gap <= d / 2 + REORDER_SLACK. Then a qualifying
  stretch holds two samples (freeze needs two that agree) and each edge is
  known to about d / 2, so a reported percentage is within one sample
  interval per stretch edge of blackdetect's / freezedetect's. The slack is
  the wait of a sampled instant for the next decoded frame when B-frames are
  not decoded (up to 4 frames, 0.17 s at 24 fps): 2 samples a second keep
  d = 1 s stretches.
- flashes, cuts (shot count), TI, interlace/telecine: every frame. Flashes
  and cuts are about successive frames; TI is a difference of successive
  frames; idet compares a picture with its neighbours and pulldown shows
  only in the 5-frame cadence. Sampled decoding cannot give them.
- blur, blockiness, brightness, contrast, SI, levels, active area: averages
  or extremes over pictures: max_gap <= MAX_STATISTIC_GAP, and at least
  MIN_STATISTIC_SAMPLES pictures unless they are at most DENSE_GAP apart
  (a short clip sampled twice a second is covered by its few pictures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MIN_STATISTIC_SAMPLES = 5
DENSE_GAP = 1.0
"""Seconds: pictures this close describe the video whatever their number."""
REORDER_SLACK = 0.2
"""Seconds a sampled instant may wait for the next decoded frame (B-frames skipped)."""
MAX_STATISTIC_GAP = 10.0
"""Seconds: statistics from pictures further apart than this describe the samples, not the
video (a 60 s GOP of talking head says nothing about the ad break inside it)."""

Metric = Literal[
    "black",
    "frozen",
    "flashes",
    "shots",
    "ti",
    "interlace",
    "si",
    "levels",
    "active_area",
    "blur",
    "blockiness",
    "brightness",
    "contrast",
]
EVERY_FRAME: tuple[Metric, ...] = ("flashes", "shots", "ti", "interlace")
STATISTICS: tuple[Metric, ...] = (
    "si",
    "levels",
    "active_area",
    "blur",
    "blockiness",
    "brightness",
    "contrast",
)


@dataclass(frozen=True)
class Coverage:
    """How densely the video was looked at."""

    pictures: int
    """Pictures analysed at the coded size (samples)."""
    every_frame: bool
    """Every frame was decoded and fed to the every-frame meters."""
    max_gap: float
    """Seconds: the largest stretch of media without an analysed picture."""


class GapTracker:
    """Streaming: `add` each analysed picture's time, then `coverage` at the end."""

    def __init__(self) -> None:
        self._last: float | None = None
        self._gap = 0.0
        self._pictures = 0

    def add(self, time: float) -> None:
        self._gap = max(self._gap, time - (self._last if self._last is not None else 0.0))
        self._last = time
        self._pictures += 1

    def coverage(self, duration: float, every_frame: bool) -> Coverage:
        if self._last is None:
            return Coverage(0, every_frame, duration)
        return Coverage(self._pictures, every_frame, max(self._gap, duration - self._last))


@dataclass(frozen=True)
class Verdict:
    metric: Metric
    usable: bool
    reason: str | None


def judge(
    metric: Metric, coverage: Coverage, black_min_duration: float, freeze_min_duration: float
) -> Verdict:
    """Whether `metric` may be reported from `coverage`, and why not."""
    gap = coverage.max_gap
    if metric in EVERY_FRAME:
        if coverage.every_frame:
            return Verdict(metric, True, None)
        return Verdict(metric, False, "measured at the every_frame depth only")
    if metric in ("black", "frozen"):
        needed = (black_min_duration if metric == "black" else freeze_min_duration) / 2
        if gap <= needed + REORDER_SLACK + 1e-6 and (metric == "black" or coverage.pictures >= 2):
            return Verdict(metric, True, None)
        return Verdict(
            metric, False, f"needs a picture every {needed:g} s (largest gap {gap:.2f} s)"
        )
    enough = coverage.pictures >= MIN_STATISTIC_SAMPLES or (
        coverage.pictures >= 1 and gap <= DENSE_GAP + 1e-6
    )
    if enough and gap <= MAX_STATISTIC_GAP:
        return Verdict(metric, True, None)
    return Verdict(
        metric,
        False,
        f"needs {MIN_STATISTIC_SAMPLES} pictures at most {MAX_STATISTIC_GAP:g} s apart "
        f"({coverage.pictures} pictures, largest gap {gap:.2f} s)",
    )


def unusable(
    coverage: Coverage,
    black_min_duration: float = 2.0,
    freeze_min_duration: float = 2.0,
    metrics: tuple[Metric, ...] = EVERY_FRAME + STATISTICS + ("black", "frozen"),
) -> list[Verdict]:
    """The metrics to report as null, with the reason for each (the SPARSE_SAMPLING check)."""
    verdicts = (judge(m, coverage, black_min_duration, freeze_min_duration) for m in metrics)
    return [v for v in verdicts if not v.usable]
