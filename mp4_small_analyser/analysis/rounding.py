"""How measured values are rounded for the report: finer than any tool shows, so a
comparison with FFmpeg is never decided by our rounding, coarse enough to read."""

from __future__ import annotations

SECONDS_DECIMALS = 3
"""Segment edges: milliseconds."""


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def rounded_value(value: float, digits: int = SECONDS_DECIMALS) -> float:
    # Adding 0.0 turns the -0.0 that rounding leaves into 0.0.
    return round(float(value), digits) + 0.0


def rounded_segments(segments: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(rounded_value(start), rounded_value(end)) for start, end in segments]
