"""An audio track: container facts, signal measures and quality score, flat in JSON."""

from __future__ import annotations

from pydantic import Field

from mp4_small_analyser.models.base import Model, Segment
from mp4_small_analyser.models.scoring import QualityScore, Scored, scored


class Clipping(Model):
    count: int = Field(description="Samples at full scale inside runs of >= 3 consecutive ones.")
    ratio: float
    runs: int


class ChannelMeasures(Model):
    name: str = Field(description='FFmpeg\'s channel name: "FL", "FR", "FC", "LFE", ...')
    sample_peak: float | None = Field(None, description="dBFS; null for digital silence.")
    true_peak: float | None = Field(None, description="dBTP; null for digital silence.")
    loudness: float | None = Field(
        None, description="LUFS of this channel alone (BS.1770, gated); null for LFE."
    )


class AudioFacts(Model):
    """What the container and the codec parameters say about an audio track (the probe)."""

    index: int | None = Field(None, description="Track index (ffprobe stream index).")
    language: str | None = Field(None, description="ISO 639-2 code from the track header.")
    codec: str
    profile: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    channel_layout: str | None = None
    bit_rate: int | None = None
    duration: float | None = None
    encrypted: bool = False


class AudioMeasures(Model):
    """What the decoded signal shows (full analysis only; `None` when not measured)."""

    loudness_integrated: float | None = Field(None, description="LUFS, gated (BS.1770-4).")
    loudness_range: float | None = Field(None, description="LU (EBU Tech 3342).")
    loudness_range_blocks: int | None = Field(
        None, description="Gated short-term values (10 a second) the loudness range rests on."
    )
    true_peak: float | None = Field(None, description="dBTP, 4x oversampled.")
    sample_peak: float | None = Field(None, description="dBFS.")
    max_momentary: float | None = None
    max_short_term: float | None = None
    short_term_series: list[float | None] | None = Field(
        None, description="Short-term loudness once a second (LUFS; null below -70)."
    )
    silence_percentage: float | None = None
    silence_segments: list[Segment] | None = Field(
        None, description="[start, end] seconds of the first 100 silences (silencedetect rules)."
    )
    silence_segment_count: int | None = Field(
        None, description="How many silences there are, including those not listed."
    )
    clipping: Clipping | None = None
    dc_offset: list[float] | None = Field(None, description="Mean sample value per channel.")
    channels_silent: list[int] | None = Field(
        None, description="Indexes of channels that are digital silence while others are not."
    )
    phase_correlation: float | None = None
    phase_issue: bool | None = None
    per_channel: list[ChannelMeasures] | None = None


class AudioAnalysis(Scored, AudioMeasures, AudioFacts):
    """An audio track: its facts, the signal measures and the quality score, in one flat
    object (the callback contract); built through `assemble`, never piecemeal."""

    @classmethod
    def assemble(
        cls,
        facts: AudioFacts,
        measures: AudioMeasures | None = None,
        quality: QualityScore | None = None,
    ) -> AudioAnalysis:
        return cls(
            **facts.model_dump(),
            **(measures or AudioMeasures()).model_dump(),
            **scored(quality).model_dump(),
        )
