"""QC checks on the picture depth measures: flashes, framing, scan, levels, sampling.

Each rule reads only the result (a measure left null stays silent, as every rule
does); its limits and severities are a `PictureLimits`, part of each profile.
Codes and defaults are listed in docs/quality.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from mp4_small_analyser.models import Check, Results, VideoAnalysis

Severity = Literal["error", "warning", "info"]

MAX_FLASHES_PER_SECOND = 3.0
"""BT.1702 / Ofcom: more than three flashes in any one second fail."""
EXTENDED_FLASHING_SECONDS = 4.0


@dataclass(frozen=True)
class PictureLimits:
    """What a profile asks of the picture depth measures."""

    flash_severity: Severity = "error"
    """FLASH_RISK: flashing over BT.1702 / Ofcom's limit (photosensitive epilepsy)."""
    letterbox_severity: Severity | None = "info"
    """LETTERBOX: black bars around the picture; `None`: bars are fine."""
    scan_severity: Severity = "warning"
    """INTERLACE_MISMATCH: interlaced pictures flagged progressive, or the reverse."""
    max_out_of_range_pictures: float = 0.0
    """Share of pictures (0-1) allowed more than 1 % of pixels outside Y 16-235 / C 16-240."""
    levels_severity: Severity = "warning"


VideoRule = Callable[[VideoAnalysis, PictureLimits], Iterator[Check]]


def _flashes(video: VideoAnalysis, limits: PictureLimits) -> Iterator[Check]:
    flashes = video.flashes
    if flashes is None:
        return
    if not flashes.passed:
        first = flashes.failing_segments[0]
        peak = max(flashes.peak_frequency, flashes.red_peak_frequency)
        kinds = sorted({segment.kind for segment in flashes.failing_segments})
        more = len(flashes.failing_segments) - 1
        yield Check(
            code="FLASH_RISK",
            severity=limits.flash_severity,
            message=f"The picture flashes up to {peak:g} times a second over more than a quarter "
            f"of the screen ({' and '.join(kinds)} flashes), more than the "
            f"{MAX_FLASHES_PER_SECOND:g} that ITU-R BT.1702 and Ofcom's guidance allow: from "
            f"{first.start:.2f} s to {first.end:.2f} s"
            + (f" and in {more} more stretch(es)" if more else "")
            + ". A photosensitive-epilepsy risk: it fails a broadcast flash test.",
            value=peak,
            limit=MAX_FLASHES_PER_SECOND,
        )
    if flashes.extended_segments:
        longest = max(flashes.extended_segments, key=lambda segment: segment.end - segment.start)
        yield Check(
            code="FLASH_EXTENDED",
            severity="warning",
            message="The picture keeps flashing 2 to 3 times a second for 4 s or more (from "
            f"{longest.start:.2f} s to {longest.end:.2f} s): under the limit, but sustained "
            "flashing near it fails the stricter analysers (Harding FPA's extended test).",
            value=round(longest.end - longest.start, 3),
            limit=EXTENDED_FLASHING_SECONDS,
        )


def _framing(video: VideoAnalysis, limits: PictureLimits) -> Iterator[Check]:
    area = video.active_area
    if area is None:
        return
    if area.kind != "full" and limits.letterbox_severity is not None:
        bars = area.bars
        yield Check(
            code="LETTERBOX",
            severity=limits.letterbox_severity,
            message=f"The picture is {area.kind}ed: black bars of {bars.top}/{bars.bottom}/"
            f"{bars.left}/{bars.right} px (top/bottom/left/right) cover "
            f"{100 * area.bar_share:.1f} % of the frame around a {area.width}x{area.height} "
            f"picture ({area.active_aspect_ratio:.2f}:1).",
            value=area.bar_share,
            limit=0.0,
        )
    if not area.stable:
        yield Check(
            code="ACTIVE_AREA_CHANGE",
            severity="warning",
            message=f"The framing changes {len(area.segments) - 1} time(s) (black bars come and "
            "go for a second or more): "
            + ", ".join(
                f"{segment.kind} from {segment.start:.1f} s" for segment in area.segments[:4]
            )
            + ".",
            value=len(area.segments),
            limit=1,
        )


def _scan(video: VideoAnalysis, limits: PictureLimits) -> Iterator[Check]:
    interlace = video.interlace
    if interlace is None or interlace.mismatch in (None, "none"):
        return
    signalled = interlace.signalled_field_order
    content = "pulled-down (telecined)" if interlace.telecine else interlace.detected.upper()
    if interlace.mismatch == "field_order":
        yield Check(
            code="FIELD_ORDER_MISMATCH",
            severity="error",
            message=f"The fields are {interlace.detected.upper()} but the stream signals "
            f"{signalled.upper()}: played as signalled, motion judders back and forth.",
            value=interlace.detected,
            limit=signalled,
        )
        return
    if interlace.mismatch == "interlaced_flagged_progressive":
        message = (
            f"The pictures are interlaced ({content} fields from two instants) but the stream "
            "signals progressive: players will not deinterlace, and moving edges comb."
        )
    else:
        message = (
            f"The pictures are progressive but the stream signals interlaced ({signalled}): "
            "players may deinterlace and halve the vertical detail."
        )
    yield Check(
        code="INTERLACE_MISMATCH",
        severity=limits.scan_severity,
        message=message,
        value=interlace.detected,
        limit=signalled,
    )


def _levels(video: VideoAnalysis, limits: PictureLimits) -> Iterator[Check]:
    levels = video.levels
    if levels is None:
        return
    if levels.out_of_range_pictures > limits.max_out_of_range_pictures:
        yield Check(
            code="LEVELS_OUT_OF_RANGE",
            severity=limits.levels_severity,
            message=f"{100 * levels.out_of_range_pictures:.0f} % of the analysed pictures have "
            "more than 1 % of their pixels outside the broadcast-legal range (Y 16-235, "
            f"C 16-240; at most {100 * levels.out_of_range_max:.1f} % of a picture), "
            f"luma {levels.y.minimum}-{levels.y.maximum}.",
            value=levels.out_of_range_max,
            limit=0.01,
        )
    if levels.range_verdict != "consistent":
        full_content = levels.range_verdict == "full_content_flagged_limited"
        message = (
            f"The pictures use the full 0-255 range (luma {levels.y.minimum}-"
            f"{levels.y.maximum}) but the stream signals limited range: players will crush "
            "the blacks and clip the whites."
            if full_content
            else f"The pictures keep to 16-235 (luma {levels.y.minimum}-{levels.y.maximum}, "
            "blacks and whites piled at 16 and 235) but the stream signals full range: they "
            "will look washed out."
        )
        yield Check(
            code="RANGE_MISMATCH",
            severity="warning",
            message=message,
            value=levels.range_verdict,
            limit=levels.range_flag,
        )


def _sampling(video: VideoAnalysis, limits: PictureLimits) -> Iterator[Check]:
    sampling = video.sampling
    if sampling is None:
        return
    sparse = [item for item in sampling.unmeasured if item.cause == "sparse"]
    if not sparse:
        return
    reasons: dict[str, list[str]] = {}
    for item in sparse:
        reasons.setdefault(item.reason, []).append(item.measure)
    listed = "; ".join(f"{', '.join(names)} {reason}" for reason, names in reasons.items())
    yield Check(
        code="SPARSE_SAMPLING",
        severity="info",
        message=f"The {sampling.depth} analysis looked at pictures up to {sampling.max_gap:.2f} s "
        f"apart, too sparse for some measures, which are left null rather than guessed: "
        f"{listed}.",
        value=sampling.max_gap,
    )


PICTURE_RULES: tuple[VideoRule, ...] = (_flashes, _framing, _scan, _levels, _sampling)


def picture_checks(results: Results, limits: PictureLimits) -> Iterator[Check]:
    video = results.video_analysis
    if video is None:
        return
    for rule in PICTURE_RULES:
        yield from rule(video, limits)
