"""`Results`: everything known about one file, and the checks judged on it."""

from __future__ import annotations

from pydantic import Field

from mp4_small_analyser.models.audio import AudioAnalysis
from mp4_small_analyser.models.base import Model
from mp4_small_analyser.models.container import FileInfo, Track
from mp4_small_analyser.models.thumbnails import Thumbnails
from mp4_small_analyser.models.verdict import Severity, Verdict
from mp4_small_analyser.models.video import VideoAnalysis


class Check(Model):
    code: str
    severity: Severity
    message: str
    value: float | str | bool | None = None
    limit: float | str | None = None


class Results(Model):
    verdict: Verdict | None = Field(
        None, description="pass / warn / fail against the profile, and the checks that decided it."
    )
    file_info: FileInfo
    video_analysis: VideoAnalysis | None = None
    audio_analysis: AudioAnalysis | None = None
    tracks: list[Track] = Field(default_factory=list)
    profile: str | None = Field(None, description="QC profile the checks were judged against.")
    checks: list[Check] = Field(default_factory=list)
    thumbnails: Thumbnails | None = Field(
        None, description="Pictures of the video, when the analysis was asked to cut them."
    )

    def judged(self, checks: list[Check]) -> Results:
        """These results with the checks they raised (`checks` replaces any earlier list)."""
        return Results(
            verdict=self.verdict,
            file_info=self.file_info,
            video_analysis=self.video_analysis,
            audio_analysis=self.audio_analysis,
            tracks=self.tracks,
            profile=self.profile,
            checks=checks,
            thumbnails=self.thumbnails,
        )
