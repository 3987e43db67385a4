"""Built-in checks on colour and HDR signalling (docs/quality.md, "HDR and colour")."""

from __future__ import annotations

from collections.abc import Iterator

from mp4_small_analyser.models import Results

from .finding import Finding

MIN_HDR_BIT_DEPTH = 10
"""HDR transfer functions band visibly in 8 bits."""


def colour_mismatch(results: Results) -> Iterator[Finding]:
    video = results.video_analysis
    hdr = video.hdr if video is not None else None
    if hdr is None or not hdr.mismatches:
        return
    fields = ", ".join(
        f"{m.field} {m.container} in the container vs {m.bitstream} in the bitstream"
        for m in hdr.mismatches
    )
    yield Finding(
        "COLOUR_SIGNALLING_MISMATCH",
        None,
        "warning",
        f"Colour or HDR signalling disagrees: {fields}. Players that read the "
        "container (browsers, AVFoundation) and those that read the bitstream (FFmpeg) will "
        "show the picture differently.",
        value=",".join(m.field for m in hdr.mismatches),
    )


def hdr_metadata(results: Results) -> Iterator[Finding]:
    video = results.video_analysis
    hdr = video.hdr if video is not None else None
    if video is None or hdr is None:
        return
    if hdr.format == "PQ10":
        yield Finding(
            "HDR_METADATA_MISSING",
            None,
            "warning",
            "The video is PQ (SMPTE ST 2084) without mastering display or content "
            "light level metadata: displays must guess how to tone-map it.",
            value=hdr.format,
        )
    if hdr.format not in ("SDR", "SDR (BT.2020)") and (video.bit_depth or 8) < MIN_HDR_BIT_DEPTH:
        yield Finding(
            "HDR_BIT_DEPTH",
            None,
            "error",
            f"{hdr.format} video in {video.bit_depth}-bit: HDR transfer functions "
            "need at least 10 bits, 8 bits band visibly.",
            value=video.bit_depth,
            limit=MIN_HDR_BIT_DEPTH,
        )
