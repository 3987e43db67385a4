"""Quality scores in [0, 1] for a video or audio track, from facts already measured.

A score is the weighted geometric mean of the *measures* that were taken (how
good the encoding looks or sounds), times one *penalty* per defect (each 1.0
when the defect is absent). docs/quality.md gives every curve and the reasons.

A score describes the file, not its conformance to a delivery spec: it never
depends on the QC profile (judging the same result against another profile
leaves it unchanged). Loudness costs only outside the band every built-in
profile's target lies in, -24 to -14 LUFS; whether it meets a target is the
verdict's business.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from mp4_small_analyser.models import AudioAnalysis, QualityScore, Segment, VideoAnalysis

VIDEO_CODEC_BIT_COST: Mapping[str, float] = {
    "h264": 1.0,
    "hevc": 0.6,
    "vp9": 0.6,
    "av1": 0.5,
    "vvc": 0.35,
    "mpeg4": 1.5,
    "h263": 2.0,
    "mpeg2video": 2.5,
    "mpeg1video": 3.0,
    "mjpeg": 8.0,
    "prores": 8.0,
    "dnxhd": 8.0,
}
"""Bits a codec spends for the picture quality H.264 reaches with one bit."""

VIDEO_WEIGHTS: Mapping[str, float] = {"compression": 0.5, "blocking": 0.3, "sharpness": 0.2}

REFERENCE_PIXELS = 1280 * 720
REFERENCE_FRAME_RATE = 30.0
PIXEL_EXPONENT = 0.75
"""Bits needed grow as pixels**0.75: larger frames hold more redundancy per pixel."""
FRAME_RATE_EXPONENT = 0.6
"""Bits needed grow as fps**0.6: doubling the frame rate costs about 1.5x the bits."""
COMPRESSION_MIDPOINT_BPP = 0.027
COMPRESSION_STEEPNESS = 1.5
SHARP_BLUR = 0.5
"""Pixels at 360 lines: what the picture metrics read on a pixel-sharp edge."""
BLUR_HALF_EXCESS = 1.5
BLOCKING_HALF_EXCESS = 0.35
MIN_LINES = 480
MIN_FRAME_RATE = 23.0

LOSSLESS_AUDIO_CODECS = frozenset({"alac", "flac", "mlp", "truehd", "wavpack", "tta", "ape"})
AUDIO_CODEC_BIT_COST: Mapping[str, float] = {
    "aac": 1.0,
    "opus": 0.6,
    "vorbis": 0.8,
    "eac3": 1.0,
    "mp3": 1.4,
    "ac3": 1.6,
    "mp2": 2.0,
}
"""Bits a codec spends for the sound quality AAC-LC reaches with one bit."""
AAC_PROFILE_BIT_COST: Mapping[str, float] = {"he-aacv2": 0.5, "he-aac": 0.6}
ENCODING_MIDPOINT_KBPS = 24.0
"""kbit/s per channel at which AAC-LC is judged half good."""
ENCODING_STEEPNESS = 2.2
MIN_SAMPLE_RATE = 32000
TRUE_PEAK_CEILING = -1.0
TRUE_PEAK_HALF_EXCESS = 2.0
CLIPPING_HALF_RATIO = 1e-3
LOUDNESS_BAND = (-24.0, -14.0)
"""LUFS: from ATSC A/85's -24 to the streaming platforms' -14; no penalty inside."""
LOUDNESS_TOLERANCE = 1.0
LOUDNESS_HALF_EXCESS = 12.0


def video_quality(video: VideoAnalysis) -> QualityScore | None:
    """Score the picture; `None` when neither the bitstream nor the pictures were measured."""
    measures: dict[str, float | None] = {
        "compression": _compression(video),
        "blocking": _blocking(video.blockiness),
        "sharpness": _sharpness(video.blur),
    }
    penalties: dict[str, float | None] = {
        "black_frozen": _empty_share_penalty(_black_or_frozen_share(video)),
        "resolution": _at_least(_short_side(video), MIN_LINES),
        "frame_rate": _at_least(video.frame_rate, MIN_FRAME_RATE),
    }
    decoded = ("blocking", "sharpness", "black_frozen")
    if all(measures[name] is None for name in measures) and penalties["black_frozen"] is None:
        return None
    return _combine(measures, VIDEO_WEIGHTS, penalties, decoded)


def audio_quality(audio: AudioAnalysis) -> QualityScore | None:
    """Score the sound; `None` when neither the encoding nor the signal was measured."""
    true_peak = _finite(audio.true_peak)
    loudness = _finite(audio.loudness_integrated)
    clipping = audio.clipping
    silence = audio.silence_percentage
    measures: dict[str, float | None] = {"encoding": _encoding(audio)}
    signal_penalties: dict[str, float | None] = {
        "clipping": None
        if clipping is None
        else _falloff(clipping.ratio, CLIPPING_HALF_RATIO, power=0.5),
        "true_peak": None
        if true_peak is None
        else _falloff(true_peak - TRUE_PEAK_CEILING, TRUE_PEAK_HALF_EXCESS),
        "loudness": None
        if loudness is None
        else _falloff(_outside(loudness, LOUDNESS_BAND) - LOUDNESS_TOLERANCE, LOUDNESS_HALF_EXCESS),
        "silence": None if silence is None else _empty_share_penalty(silence / 100.0),
    }
    if measures["encoding"] is None and all(p is None for p in signal_penalties.values()):
        return None
    penalties = {"sample_rate": _at_least(audio.sample_rate, MIN_SAMPLE_RATE), **signal_penalties}
    return _combine(measures, {"encoding": 1.0}, penalties, tuple(signal_penalties))


def _rising(x: float, midpoint: float, steepness: float) -> float:
    """0 -> 1 as x grows, 0.5 at `midpoint`: a logistic in log x (a Hill curve)."""
    if x <= 0.0:
        return 0.0
    return 1.0 / (1.0 + float((midpoint / x) ** steepness))


def _falloff(excess: float, half_excess: float, power: float = 2.0) -> float:
    """1 while `excess` <= 0, then down towards 0; 0.5 at `half_excess`."""
    if excess <= 0.0:
        return 1.0
    return 1.0 / (1.0 + float((excess / half_excess) ** power))


def _empty_share_penalty(share: float | None) -> float | None:
    """1 - share**2: short gaps cost little, an empty track costs everything."""
    if share is None:
        return None
    return 1.0 - min(max(share, 0.0), 1.0) ** 2


def _outside(value: float, band: tuple[float, float]) -> float:
    """How far `value` lies outside `band` (0 inside)."""
    low, high = band
    return max(low - value, value - high, 0.0)


def _at_least(value: float | None, minimum: float) -> float | None:
    if value is None or value <= 0.0:
        return None
    return min(1.0, value / minimum)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _combine(
    measures: Mapping[str, float | None],
    weights: Mapping[str, float],
    penalties: Mapping[str, float | None],
    decoded: tuple[str, ...],
) -> QualityScore:
    """The score, and its basis: `decoded` when any component in `decoded` (those only the
    decoded signal gives) was measured, else `container`."""
    taken = {name: value for name, value in measures.items() if value is not None}
    total_weight = sum(weights[name] for name in taken)
    score = 1.0
    for name, value in taken.items():
        score *= value ** (weights[name] / total_weight)
    applied = {name: value for name, value in penalties.items() if value is not None}
    for value in applied.values():
        score *= value
    components = {name: round(value, 4) for name, value in {**taken, **applied}.items()}
    basis = "decoded" if any(name in components for name in decoded) else "container"
    return QualityScore(
        score=round(min(max(score, 0.0), 1.0), 4), components=components, basis=basis
    )


def _compression(video: VideoAnalysis) -> float | None:
    """How many bits each pixel gets, against what the codec needs at this size and rate."""
    if not (video.bit_rate and video.width and video.height and video.frame_rate):
        return None
    pixels = video.width * video.height
    bits_per_pixel = video.bit_rate / (pixels * video.frame_rate)
    cost = VIDEO_CODEC_BIT_COST.get(video.codec, 1.0)
    equivalent = (
        bits_per_pixel
        / cost
        * (pixels / REFERENCE_PIXELS) ** (1.0 - PIXEL_EXPONENT)
        * (video.frame_rate / REFERENCE_FRAME_RATE) ** (1.0 - FRAME_RATE_EXPONENT)
    )
    return _rising(equivalent, COMPRESSION_MIDPOINT_BPP, COMPRESSION_STEEPNESS)


def _blocking(blockiness: float | None) -> float | None:
    ratio = _finite(blockiness)
    return None if ratio is None else _falloff(ratio - 1.0, BLOCKING_HALF_EXCESS)


def _sharpness(blur: float | None) -> float | None:
    """From the blur radius (pixels at 360 lines, higher is blurrier)."""
    radius = _finite(blur)
    return None if radius is None else _falloff(radius - SHARP_BLUR, BLUR_HALF_EXCESS)


def _short_side(video: VideoAnalysis) -> int | None:
    if not (video.width and video.height):
        return None
    return min(video.width, video.height)


def _black_or_frozen_share(video: VideoAnalysis) -> float | None:
    """Share of the duration that is black or frozen, counting overlaps once."""
    black, frozen = video.black_percentage, video.frozen_percentage
    if black is None and frozen is None:
        return None
    share = ((black or 0.0) + (frozen or 0.0)) / 100.0
    if video.duration and video.black_segments and video.frozen_segments:
        share -= _overlap(video.black_segments, video.frozen_segments) / video.duration
    return min(max(share, max(black or 0.0, frozen or 0.0) / 100.0), 1.0)


def _overlap(first: list[Segment], second: list[Segment]) -> float:
    return sum(
        max(0.0, min(end_a, end_b) - max(start_a, start_b))
        for start_a, end_a in first
        for start_b, end_b in second
    )


def _encoding(audio: AudioAnalysis) -> float | None:
    """Bits per channel against what the codec needs; 1 for lossless codecs."""
    if audio.codec in LOSSLESS_AUDIO_CODECS or audio.codec.startswith("pcm_"):
        return 1.0
    if not (audio.bit_rate and audio.channels):
        return None
    cost = AUDIO_CODEC_BIT_COST.get(audio.codec, 1.0)
    if audio.codec == "aac" and audio.profile:
        cost = AAC_PROFILE_BIT_COST.get(audio.profile.lower(), cost)
    kbps_per_channel = audio.bit_rate / 1000.0 / audio.channels
    return _rising(kbps_per_channel / cost, ENCODING_MIDPOINT_KBPS, ENCODING_STEEPNESS)
