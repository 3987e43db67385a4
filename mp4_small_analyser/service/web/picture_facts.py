"""The file page's picture facts: how deep the pictures were looked at, what they show, the
framing, scan and levels, and the flash verdict. A measure left null (not taken at this
depth, or too sparsely sampled) is named with the reason, never shown as zero. Lists (cuts
aside) take a line per item: the page keeps a value's line breaks."""

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
from mp4_small_analyser.service.web.fact_format import (
    Fact,
    number,
    percent,
    present,
    share,
    span,
)

MAX_LISTED = 8
"""Cut times, framing runs or flash stretches written out; the timeline shows every one."""
DEPTHS = {"sampled": "sampled", "keyframes": "keyframes only", "every_frame": "every frame"}
SCAN = {"tff": "interlaced, top field first", "bff": "interlaced, bottom field first"}


def picture_facts(video: VideoAnalysis) -> list[Fact]:
    return present(
        [
            ("Depth", _depth(video.sampling)),
            ("Not measured", _unmeasured(video.sampling)),
            ("Frames sampled", str(video.frames_analysed) if video.frames_analysed else None),
            ("Black", share(video.black_percentage, video.black_segments)),
            ("Frozen", share(video.frozen_percentage, video.frozen_segments)),
            ("Blur", f"{video.blur:.2f} px" if video.blur is not None else None),
            ("Blockiness", number(video.blockiness, 2)),
            ("Brightness", number(video.brightness, 3)),
            ("Contrast", number(video.contrast, 3)),
            ("SI (P.910)", _pair(video.si_mean, video.si_max)),
            ("TI (P.910)", _pair(video.ti_mean, video.ti_max)),
            ("Shots", _shots(video.shots)),
        ]
    )


def framing_facts(video: VideoAnalysis) -> list[Fact]:
    area, levels = video.active_area, video.levels
    return present(
        [
            ("Active area", _active_area(area)),
            ("Framing", _framing_runs(area)),
            ("Interlace", _interlace(video.interlace)),
            ("Levels", _levels(levels)),
            ("Percentiles 1–99", _percentiles(levels)),
            ("Out of range", _out_of_range(levels)),
            ("Range", _range(levels)),
        ]
    )


def flash_facts(flashes: Flashes | None) -> list[Fact]:
    if flashes is None:
        return []
    failing = flashes.failing_segments
    return present(
        [
            (
                "Verdict",
                "pass" if flashes.passed else "fail: over 3 a second on more than ¼ of the screen",
            ),
            ("Most flashes", f"{flashes.peak_frequency:g} a second"),
            ("Most red flashes", f"{flashes.red_peak_frequency:g} a second"),
            ("Largest area", percent(flashes.max_flashing_area, 0) + " of the screen"),
            (
                "Failing",
                "\n".join(
                    f"{span(item.start, item.end)} ({item.kind}, {item.peak_frequency:g}/s)"
                    for item in failing[:MAX_LISTED]
                )
                + ("\n…" if len(failing) > MAX_LISTED else "")
                if failing
                else None,
            ),
            (
                "Extended flashing",
                f"{flashes.extended_seconds:.1f} s at 2–3 a second (warns)"
                if flashes.extended_segments
                else None,
            ),
        ]
    )


def _depth(sampling: PictureSampling | None) -> str | None:
    if sampling is None:
        return None
    return (
        f"{DEPTHS[sampling.depth]}: {sampling.frames_decoded:,} frames decoded, "
        f"largest gap {sampling.max_gap:.2f} s"
    )


def _unmeasured(sampling: PictureSampling | None) -> str | None:
    if sampling is None or not sampling.unmeasured:
        return None
    deeper = [item.measure for item in sampling.unmeasured if item.cause == "depth"]
    lines = [f"{', '.join(deeper)}: every-frame depth only"] if deeper else []
    lines += [
        f"{item.measure}: {item.reason}" for item in sampling.unmeasured if item.cause == "sparse"
    ]
    return "\n".join(lines)


def _pair(mean: float | None, peak: float | None) -> str | None:
    if mean is None or peak is None:
        return None
    return f"{mean:.1f} mean, {peak:.1f} max"


def _shots(shots: Shots | None) -> str | None:
    if shots is None:
        return None
    text = f"{shots.shot_count} shot{'s' if shots.shot_count != 1 else ''}"
    if shots.average_shot_length is not None:
        text += f", {shots.average_shot_length:.1f} s on average"
    if shots.cuts:
        listed = ", ".join(f"{time:.2f}" for time in shots.cuts[:MAX_LISTED])
        more = " …" if shots.cut_count > MAX_LISTED else ""
        text += f"; {shots.cut_count} cut{'s' if shots.cut_count != 1 else ''} at {listed}{more} s"
    return text


def _active_area(area: ActiveArea | None) -> str | None:
    if area is None:
        return None
    bars = area.bars
    text = f"{area.width}x{area.height} at ({area.x}, {area.y}), {area.kind}"
    if area.kind != "full":
        text += (
            f", bars {bars.top} / {bars.bottom} / {bars.left} / {bars.right} px "
            f"(top / bottom / left / right), {percent(area.bar_share)} of the frame"
        )
    return text + f", aspect {area.active_aspect_ratio:.2f}"


def _framing_runs(area: ActiveArea | None) -> str | None:
    if area is None:
        return None
    if area.stable:
        return "stable"
    runs = [
        f"{run.kind} {run.width}x{run.height}, {span(run.start, run.end)}"
        for run in area.segments[:MAX_LISTED]
    ]
    return "\n".join(["changes:", *runs] + (["…"] if len(area.segments) > MAX_LISTED else []))


def _interlace(interlace: Interlace | None) -> str | None:
    if interlace is None:
        return None
    detected = SCAN.get(interlace.detected, interlace.detected)
    if interlace.detected == "undetermined":
        detected = "undetermined (too little motion to tell)"
    text = f"{detected}{', pulldown (repeated fields)' if interlace.telecine else ''}"
    text += (
        f"; signalled {SCAN.get(interlace.signalled_field_order, interlace.signalled_field_order)}"
    )
    if interlace.mismatch not in (None, "none"):
        text += f"; mismatch: {interlace.mismatch.replace('_', ' ')}"
    return text + f" ({interlace.pictures} pictures)"


def _levels(levels: Levels | None) -> str | None:
    if levels is None:
        return None
    planes = [("Y", levels.y), ("U", levels.u), ("V", levels.v)]
    return ", ".join(f"{name} {p.minimum}–{p.maximum}" for name, p in planes if p is not None)


def _percentiles(levels: Levels | None) -> str | None:
    if levels is None:
        return None
    planes = [("Y", levels.y), ("U", levels.u), ("V", levels.v)]
    return ", ".join(f"{name} {p.p1}–{p.p99}" for name, p in planes if p is not None)


def _out_of_range(levels: Levels | None) -> str | None:
    if levels is None:
        return None
    return (
        f"{percent(levels.out_of_range_mean, 2)} mean, {percent(levels.out_of_range_max, 2)} "
        f"max outside Y 16–235, C 16–240\n{percent(levels.out_of_range_pictures, 0)} of "
        "pictures over 1 %"
    )


def _range(levels: Levels | None) -> str | None:
    if levels is None:
        return None
    if levels.range_verdict == "consistent":
        return f"{levels.range_flag}, the levels agree"
    return f"flagged {levels.range_flag}: {levels.range_verdict.replace('_', ' ')}"
