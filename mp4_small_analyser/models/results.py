"""`Results`: everything known about one file, and the checks judged on it."""

from __future__ import annotations

from pydantic import Field

from mp4_small_analyser.models.audio import AudioAnalysis
from mp4_small_analyser.models.base import Model
from mp4_small_analyser.models.captions import Captions
from mp4_small_analyser.models.container import FileInfo, Track
from mp4_small_analyser.models.verdict import Severity, Verdict
from mp4_small_analyser.models.video import VideoAnalysis


class Check(Model):
    code: str
    severity: Severity
    message: str
    value: float | str | bool | None = None
    limit: float | str | None = None
    track: int | None = Field(None, description="Index of the track the check is about.")


class Results(Model):
    verdict: Verdict | None = Field(
        None, description="pass / warn / fail against the profile, and the checks that decided it."
    )
    file_info: FileInfo
    video_analysis: VideoAnalysis | None = None
    audio_analysis: AudioAnalysis | None = Field(
        None, description="The first audio track (also audio_tracks[0])."
    )
    audio_tracks: list[AudioAnalysis] = Field(
        default_factory=list, description="Every audio track, in file order."
    )
    captions: Captions | None = None
    tracks: list[Track] = Field(default_factory=list)
    profile: str | None = Field(None, description="QC profile the checks were judged against.")
    checks: list[Check] = Field(default_factory=list)
