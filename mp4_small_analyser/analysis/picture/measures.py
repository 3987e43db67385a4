"""The picture meter's result (and the video's bit rate over time) as `PictureMeasures`."""

from __future__ import annotations

from mp4_small_analyser.analysis.picture.meter import PictureResult
from mp4_small_analyser.analysis.rounding import rounded, rounded_segments
from mp4_small_analyser.models import PictureMeasures


def picture_measures(
    result: PictureResult, bit_rate_series: list[int] | None = None
) -> PictureMeasures:
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
        bit_rate_series=bit_rate_series,
    )


def bit_rate_series(bytes_per_second: list[int], duration: float) -> list[int]:
    """Bits per second, the last second (cut short by the end of the video) scaled up to
    the time it covers, so a steady stream reads flat to the end."""
    series = [8 * count for count in bytes_per_second]
    if series:
        covered = duration - (len(series) - 1)
        if 0.05 < covered < 1.0:
            series[-1] = round(series[-1] / covered)
    return series
