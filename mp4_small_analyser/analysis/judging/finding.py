"""A built-in check's finding, before a profile decides its severity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mp4_small_analyser.models import Severity


@dataclass(frozen=True)
class Finding:
    code: str
    variant: str | None
    severity: Severity
    message: str
    value: float | str | bool | None = None
    limit: float | str | None = None
    track: int | None = None
    """Index (in `tracks`) of the track the finding is about; None: the file."""
    binding: Mapping[str, int] = field(default_factory=dict)
    """The list item it is about (`{"audio_tracks": 1}`), so that a profile setting's `when`
    clause on `audio_tracks[*]` reads that same track."""
