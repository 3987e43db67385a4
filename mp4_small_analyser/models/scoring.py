"""Quality scores: a number in [0, 1] and the components it rests on (docs/quality.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mp4_small_analyser.models.base import Model


class QualityScore(Model):
    score: float = Field(ge=0.0, le=1.0)
    components: dict[str, float] = Field(
        default_factory=dict, description="Each component in [0, 1]; see docs/quality.md."
    )
    basis: Literal["container", "decoded"] | None = Field(
        None,
        description="What the score rests on: `container`, the container facts alone (a probe: "
        "bit rate, size, frame rate, sample rate), which cannot see blocking, blur, loudness "
        "or clipping; `decoded`, the decoded pictures or sound as well. Compare scores of "
        "the same basis only. Null in results stored before this field was added; there "
        "`metadata.mode` tells: `probe` scored the container facts alone.",
    )


class Scored(Model):
    quality_score: float | None = Field(None, ge=0.0, le=1.0)
    quality: QualityScore | None = None


def scored(quality: QualityScore | None) -> Scored:
    if quality is None:
        return Scored()
    return Scored(quality_score=round(quality.score, 3), quality=quality)
