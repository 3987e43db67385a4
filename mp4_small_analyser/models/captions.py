"""Captions and subtitles: CEA-608/708 carried in the video's SEI, and text tracks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mp4_small_analyser.models.base import Model


class EmbeddedCaptions(Model):
    """ATSC A/53 cc_data found in the SEI of the first sync samples (no decoding)."""

    cea608: bool = Field(description="CEA-608 data (field 1 or 2) that is not padding.")
    cea708: bool = Field(description="CEA-708 (DTVCC) data that is not padding.")
    carried: bool = Field(
        description="cc_data present at all, even padding (ffprobe: frame side data "
        "'ATSC A53 Part 4 Closed Captions')."
    )
    fields: list[int] = Field(default_factory=list, description="CEA-608 fields with data.")
    first_seen: float | None = Field(None, description="Seconds; first sample with data.")
    samples_scanned: int


class TextTrack(Model):
    index: int
    kind: Literal["subtitles", "captions"]
    codec: str = Field(description='As ffprobe names it: "mov_text", "webvtt", "ttml", ...')
    sample_entry: str
    language: str | None = None


class Captions(Model):
    present: bool = Field(description="Caption data in the video, or a text track.")
    embedded: EmbeddedCaptions | None = Field(
        None, description="Null when the video codec carries no SEI (AV1, VP9) or no video."
    )
    tracks: list[TextTrack] = Field(default_factory=list)
