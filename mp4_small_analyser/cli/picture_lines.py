"""The readable report's lines for the picture depth measures: framing, scan, levels, shots,
SI/TI, flashes, and what the depth used left unmeasured. A line is left out when its
measure was not taken (null in the result)."""

from __future__ import annotations

from mp4_small_analyser.models import (
    ActiveArea,
    Flashes,
    Interlace,
    Levels,
    PictureSampling,
    Shots,
    VideoAnalysis,
)

MAX_CUTS_SHOWN = 8


def picture_depth_lines(video: VideoAnalysis) -> list[tuple[str, str | None]]:
    return [
        ("depth", _sampling(video.sampling)),
        ("framing", _framing(video.active_area)),
        ("scan", _scan(video.interlace)),
        ("levels", _levels(video.levels)),
        ("shots", _shots(video.shots)),
        ("SI/TI", _siti(video)),
        ("flashes", _flashes(video.flashes)),
    ]


def _sampling(sampling: PictureSampling | None) -> str | None:
    if sampling is None:
        return None
    line = f"{sampling.depth.replace('_', ' ')}, {sampling.frames_decoded} frames decoded"
    line += f", largest gap {sampling.max_gap:.2f} s"
    sparse = [item.measure for item in sampling.unmeasured if item.cause == "sparse"]
    deeper = [item.measure for item in sampling.unmeasured if item.cause == "depth"]
    if sparse:
        line += f"; too sparse for {', '.join(sparse)}"
    if deeper:
        line += f"; {', '.join(deeper)} need --every-frame"
    return line


def _framing(area: ActiveArea | None) -> str | None:
    if area is None:
        return None
    bars = area.bars
    line = f"{area.kind} {area.width}x{area.height}"
    if area.kind != "full":
        line += f" (bars {bars.top}/{bars.bottom}/{bars.left}/{bars.right} px t/b/l/r)"
    line += f", active aspect {area.active_aspect_ratio:.2f}"
    if area.stable:
        return line + ", stable"
    return line + f", changes: {len(area.segments)} framings"


def _scan(interlace: Interlace | None) -> str | None:
    if interlace is None:
        return None
    content = {"tff": "TFF", "bff": "BFF"}.get(interlace.detected, interlace.detected)
    line = f"{content} content"
    if interlace.telecine:
        line += " with pulldown (repeated fields)"
    line += f", signalled {interlace.signalled_field_order}"
    if interlace.mismatch not in (None, "none"):
        line += f" ({interlace.mismatch.replace('_', ' ')})"
    return line


def _levels(levels: Levels | None) -> str | None:
    if levels is None:
        return None
    y = levels.y
    line = f"Y {y.minimum}-{y.maximum} (P1 {y.p1}, P99 {y.p99})"
    if levels.u is not None and levels.v is not None:
        line += (
            f", U {levels.u.minimum}-{levels.u.maximum}, V {levels.v.minimum}-{levels.v.maximum}"
        )
    line += f", {100 * levels.out_of_range_mean:.1f} % out of range (max "
    line += f"{100 * levels.out_of_range_max:.1f} %), {levels.range_flag} range"
    if levels.range_verdict != "consistent":
        line += f": {levels.range_verdict.replace('_', ' ')}"
    return line


def _shots(shots: Shots | None) -> str | None:
    if shots is None:
        return None
    line = f"{shots.shot_count}"
    if shots.average_shot_length is not None:
        line += f", average {shots.average_shot_length:.1f} s"
    if shots.cuts:
        shown = ", ".join(f"{time:.2f}" for time in shots.cuts[:MAX_CUTS_SHOWN])
        more = ", ..." if shots.cut_count > MAX_CUTS_SHOWN else ""
        line += f" (cuts at {shown}{more} s)"
    return line


def _siti(video: VideoAnalysis) -> str | None:
    parts = []
    if video.si_mean is not None and video.si_max is not None:
        parts.append(f"SI {video.si_mean:.1f} mean / {video.si_max:.1f} max")
    if video.ti_mean is not None and video.ti_max is not None:
        parts.append(f"TI {video.ti_mean:.1f} / {video.ti_max:.1f}")
    return ", ".join(parts) or None


def _flashes(flashes: Flashes | None) -> str | None:
    if flashes is None:
        return None
    peak = f"peak {flashes.peak_frequency:g}/s, red {flashes.red_peak_frequency:g}/s"
    if flashes.passed:
        return f"pass ({peak})"
    spans = ", ".join(
        f"{span.start:.2f}-{span.end:.2f} s {span.kind}" for span in flashes.failing_segments[:3]
    )
    return f"FAIL ({peak}): {spans}"
