"""`Results`: everything known about one file, and the checks judged on it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mp4_small_analyser.models.audio import AudioAnalysis
from mp4_small_analyser.models.base import Model
from mp4_small_analyser.models.container import FileInfo, Track
from mp4_small_analyser.models.video import VideoAnalysis


class Check(Model):
    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    value: float | str | bool | None = None
    limit: float | str | None = None


class Results(Model):
    file_info: FileInfo
    video_analysis: VideoAnalysis | None = None
    audio_analysis: AudioAnalysis | None = None
    tracks: list[Track] = Field(default_factory=list)
    profile: str | None = Field(None, description="QC profile the checks were judged against.")
    checks: list[Check] = Field(default_factory=list)

    def judged(self, checks: list[Check]) -> Results:
        """These results with the checks they raised (`checks` replaces any earlier list)."""
        return Results(
            file_info=self.file_info,
            video_analysis=self.video_analysis,
            audio_analysis=self.audio_analysis,
            tracks=self.tracks,
            profile=self.profile,
            checks=checks,
        )
