"""The file page's facts from the boxes and the bitstream headers: colour and HDR, the GOP,
captions. Nothing here is decoded; each group is left out when the file has no such facts."""

from __future__ import annotations

from mp4_small_analyser.models import Captions, Color, Gop, Hdr, MasteringDisplay
from mp4_small_analyser.service.web.fact_format import Fact, present, yes_no

METADATA_SOURCES = {
    "container": "container boxes (mdcv, clli)",
    "bitstream": "bitstream SEI",
    "both": "container boxes and bitstream SEI",
}


def colour_facts(color: Color | None, hdr: Hdr | None) -> list[Fact]:
    return present(
        [
            ("Dynamic range", _formats(hdr)),
            ("Primaries", color.primaries if color else None),
            ("Transfer", color.transfer if color else None),
            ("Matrix", color.matrix if color else None),
            ("Range", color.range if color else None),
            ("Mastering display", _mastering(hdr.mastering_display if hdr else None)),
            (
                "Content light",
                f"MaxCLL {hdr.content_light.max_cll} cd/m², "
                f"MaxFALL {hdr.content_light.max_fall} cd/m²"
                if hdr and hdr.content_light
                else None,
            ),
            (
                "Dolby Vision",
                f"profile {hdr.dolby_vision.profile}, level {hdr.dolby_vision.level}, "
                f"compatibility {hdr.dolby_vision.compatibility_id}"
                if hdr and hdr.dolby_vision
                else None,
            ),
            (
                "HDR metadata from",
                METADATA_SOURCES[hdr.metadata_source] if hdr and hdr.metadata_source else None,
            ),
            (
                "Mismatches",
                "\n".join(
                    f"{item.field}: container {item.container}, bitstream {item.bitstream}"
                    for item in hdr.mismatches
                )
                if hdr and hdr.mismatches
                else None,
            ),
        ]
    )


def gop_facts(gop: Gop | None) -> list[Fact]:
    if gop is None:
        return []
    interval = None
    if gop.interval_mean is not None:
        interval = f"{gop.interval_mean:.3f} s"
        if gop.interval_min is not None and gop.interval_max is not None:
            interval += f" ({gop.interval_min:.3f}–{gop.interval_max:.3f} s)"
    frames = None
    if gop.frames_min is not None and gop.frames_max is not None:
        frames = (
            str(gop.frames_min)
            if gop.frames_min == gop.frames_max
            else f"{gop.frames_min}–{gop.frames_max}"
        )
    return present(
        [
            ("Keyframes", f"{gop.keyframes:,}"),
            ("Keyframe interval", interval),
            ("Frames per GOP", frames),
            ("B-frames", yes_no(gop.b_frames)),
            ("Open GOP", yes_no(gop.open_gop, "unknown (the stream does not tell)")),
        ]
    )


def caption_facts(captions: Captions | None) -> list[Fact]:
    if captions is None:
        return []
    embedded = captions.embedded
    carried = None
    if embedded is not None:
        kinds = [
            kind
            for kind, found in (("CEA-608", embedded.cea608), ("CEA-708", embedded.cea708))
            if found
        ]
        if kinds:
            carried = " and ".join(kinds)
            if embedded.fields:
                carried += f" (field {', '.join(str(field) for field in embedded.fields)})"
            if embedded.first_seen is not None:
                carried += f", from {embedded.first_seen:.2f} s"
        elif embedded.carried:
            carried = "cc_data carried, padding only"
        else:
            carried = f"none in the first {embedded.samples_scanned} sync sample(s)"
    tracks = ", ".join(
        f"{track.codec} {track.kind}" + (f" ({track.language})" if track.language else "")
        for track in captions.tracks
    )
    return present(
        [
            ("Captions", "yes" if captions.present else "none found"),
            ("In the video (A/53)", carried),
            ("Text tracks", tracks or None),
        ]
    )


def _formats(hdr: Hdr | None) -> str | None:
    if hdr is None:
        return None
    others = [name for name in hdr.formats if name != hdr.format]
    return hdr.format + (f" (also plays as {', '.join(others)})" if others else "")


def _mastering(display: MasteringDisplay | None) -> str | None:
    if display is None:
        return None
    primaries = " ".join(
        f"{name} ({x:.3f}, {y:.3f})"
        for name, (x, y) in (("R", display.red), ("G", display.green), ("B", display.blue))
    )
    white = f"white ({display.white[0]:.4f}, {display.white[1]:.4f})"
    luminance = f"{display.min_luminance:g}–{display.max_luminance:g} cd/m²"
    return f"{primaries}\n{white}\n{luminance}"
