"""The picture meter's result as the report's `PictureMeasures`."""

from __future__ import annotations

from mp4_small_analyser.analysis.picture.meter import PictureResult
from mp4_small_analyser.analysis.rounding import rounded, rounded_segments
from mp4_small_analyser.models import PictureMeasures


def picture_measures(result: PictureResult) -> PictureMeasures:
    return PictureMeasures(
        frames_analysed=result.frames,
        black_percentage=rounded(result.black_percentage, 2),
        black_segments=rounded_segments(result.black_segments),
        frozen_percentage=rounded(result.frozen_percentage, 2),
        frozen_segments=rounded_segments(result.frozen_segments),
        blur=rounded(result.blur, 4),
        blockiness=rounded(result.blockiness, 4),
        brightness=rounded(result.brightness, 4),
        contrast=rounded(result.contrast, 4),
    )
