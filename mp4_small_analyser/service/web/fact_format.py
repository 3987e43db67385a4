"""How the file page writes a fact: units, rounding, and leaving out what was not measured."""

from __future__ import annotations

from collections.abc import Sequence

from mp4_small_analyser.models import AudioAnalysis, Segment

Fact = tuple[str, str]


def present(facts: Sequence[tuple[str, str | None]]) -> list[Fact]:
    """The facts with a value: one not measured is left out rather than shown as zero."""
    return [(label, value) for label, value in facts if value]


def share(percentage: float | None, segments: list[Segment] | None) -> str | None:
    if percentage is None:
        return None
    count = len(segments or [])
    return f"{percentage:.1f} % ({count} stretch{'es' if count != 1 else ''})"


def number(value: float | None, digits: int = 3) -> str | None:
    if value is None:
        return None
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def unit(value: float | None, name: str) -> str | None:
    return None if value is None else f"{value:.1f} {name}"


def seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f} s"


def span(start: float, end: float) -> str:
    return f"{start:.2f}–{end:.2f} s"


def bit_rate(value: int | None) -> str | None:
    return None if not value else f"{value / 1000:,.0f} kbit/s"


def percent(fraction: float, digits: int = 1) -> str:
    return f"{100 * fraction:.{digits}f} %"


def byte_count(value: int) -> str:
    for name, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {name} ({value:,} bytes)"
    return f"{value} bytes"


def yes_no(value: bool | None, unknown: str = "unknown") -> str:
    return unknown if value is None else ("yes" if value else "no")


def track_name(audio: AudioAnalysis) -> str:
    """`audio track 2 (fra)`: its index in the file's tracks, and its language when known."""
    index = f" {audio.index}" if audio.index is not None else ""
    return f"audio track{index}" + (f" ({audio.language})" if audio.language else "")
