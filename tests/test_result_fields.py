"""Every field of a full result, pinned end to end on clips made here with known content.

Each expectation names one field of the result JSON; the test fails when a
field is missing, renamed or added (the key sets must match at every level,
lists included), or when its value leaves what the clip was built to show.
Values follow from how the clip was made (a 3 s black stretch, a 1.5 s gap in
a -23 dBFS tone, ...); tolerances cover codecs and sampling, and say why.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser import __version__
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from mp4_small_analyser.options import AnalysisOptions
from tests.mediagen import (
    AudioTrack,
    VideoTrack,
    natural_texture,
    sine,
    write_audio,
    write_media,
    write_video,
)

RATE = 48000
WIDTH, HEIGHT, FPS, SECONDS = 320, 240, 25, 8.0
BLACK = (2.0, 5.0)
STILL = (5.0, 8.0)
GAP = (5.0, 6.5)
SAMPLE_INTERVAL = 0.5
"""Picture metrics sample 2 frames a second: segment edges are known to one interval."""
TONE_RMS_DB = -23.0
TONE_PEAK = 10 ** (TONE_RMS_DB / 20) * math.sqrt(2)
RIGHT_GAIN = 0.5
STEREO_LOUDNESS = TONE_RMS_DB + 10 * math.log10(1 + RIGHT_GAIN**2)
"""BS.1770 sums channel energies; K-weighting is ~0 dB at 1 kHz and the -0.691 offset
cancels it, so the right channel at half amplitude adds 10*log10(1.25) = 0.97 LU."""


Expectation = Callable[[object], bool]


@dataclass(frozen=True)
class Near:
    value: float
    tolerance: float

    def __call__(self, actual: object) -> bool:
        return isinstance(actual, int | float) and abs(actual - self.value) <= self.tolerance


@dataclass(frozen=True)
class Between:
    low: float
    high: float

    def __call__(self, actual: object) -> bool:
        return isinstance(actual, int | float) and self.low <= actual <= self.high


def equals(expected: object) -> Expectation:
    return lambda actual: actual == expected and type(actual) is type(expected)


def is_none(actual: object) -> bool:
    return actual is None


def segments(expected: list[tuple[float, float]], tolerance: float) -> list[list[Expectation]]:
    return [[Near(start, tolerance), Near(end, tolerance)] for start, end in expected]


def unit_interval(actual: object) -> bool:
    return isinstance(actual, float) and 0.0 <= actual <= 1.0


def check_fields(expected: object, actual: object, path: str = "") -> list[str]:
    """Differences between an expectation tree and a JSON value: missing, extra, wrong."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = [f"{path}.{key}: missing" for key in expected if key not in actual]
        problems += [
            f"{path}.{key}: not pinned by this test" for key in actual if key not in expected
        ]
        for key in expected.keys() & actual.keys():
            problems += check_fields(expected[key], actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        return [
            problem
            for index, (item, value) in enumerate(zip(expected, actual, strict=True))
            for problem in check_fields(item, value, f"{path}[{index}]")
        ]
    assert callable(expected), f"{path}: expectation must be callable"
    return [] if expected(actual) else [f"{path}: {actual!r} fails {expected!r}"]


def quality(components: tuple[str, ...], basis: str = "decoded") -> dict[str, object]:
    return {
        "score": unit_interval,
        "components": dict.fromkeys(components, unit_interval),
        "basis": equals(basis),
    }


def bit_rate_series(seconds: float) -> Expectation:
    """Bits in each second of the track: one value per started second (AAC priming may add
    one), adding up to the track's bits."""

    def check(series: object) -> bool:
        return (
            isinstance(series, list)
            and math.ceil(seconds) <= len(series) <= math.ceil(seconds) + 1
            and all(isinstance(bits, int) and bits >= 0 for bits in series)
        )

    return check


def track(
    index: int, kind: str, codec: str, duration: float, language: str | None = None
) -> dict[str, object]:
    return {
        "index": equals(index),
        "type": equals(kind),
        "codec": equals(codec),
        "duration": Near(duration, 0.05),
        "language": equals(language) if language else is_none,
        "encrypted": equals(False),
        "track_id": equals(index + 1),
        "start_time": Near(0.0, 0.001),
        "declared_duration": Near(duration, 0.05),
        "media_duration": Near(duration, 0.05),
        "samples_missing": equals(0),
        "samples_outside_mdat": equals(0),
        "bit_rate": Between(8_000, 5_000_000),
        "bit_rate_series": bit_rate_series(duration),
        # A sliding 1 s window holds at least the mean second and at most the whole track.
        "bit_rate_peak_1s": Between(8_000, 40_000_000),
        "bit_rate_peak_5s": Between(8_000, 10_000_000) if duration >= 5 else is_none,
    }


def check(
    code: str,
    severity: str,
    value: Expectation,
    limit: Expectation,
    track: Expectation = is_none,
) -> dict[str, object]:
    return {
        "code": equals(code),
        "severity": equals(severity),
        "message": lambda text: isinstance(text, str) and len(text) > 20,
        "value": value,
        "limit": limit,
        "track": track,
    }


SDR = {
    "format": equals("SDR"),
    "formats": equals(["SDR"]),
    "mastering_display": is_none,
    "content_light": is_none,
    "dolby_vision": is_none,
    "metadata_source": is_none,
    "mismatches": equals([]),
}
NO_CAPTIONS = {"present": equals(False), "embedded": is_none, "tracks": equals([])}


def lra_basis(blocks: Expectation, track: int) -> dict[str, object]:
    """Short clips: LRA rests on fewer short-term values than R 128 s1 finds meaningful."""
    return check("LRA_NOT_MEANINGFUL", "info", blocks, equals(300.0), equals(track))


def metadata(
    mode: str, file_size: int, options: AnalysisOptions | None = None
) -> dict[str, object]:
    return {
        "processor": equals("mp4_small_analyser"),
        "version": equals(__version__),
        "processed_at": lambda text: isinstance(text, str) and text.endswith("Z"),
        "mode": equals(mode),
        # Decoding seeks back to the samples after probing: at least the file, not much more.
        "bytes_read": Between(file_size * 0.5, file_size * 2),
        "requests": Between(1, 1000),
        # What the result was measured with, so judging it again can tell (ANALYSIS_OPTIONS_DIFFER).
        "options": equals((options or AnalysisOptions()).model_dump(mode="json")),
    }


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s of 320x240 H.264 (lossless, so frozen means identical) with stereo AAC: moving
    texture, then 3 s black, then 3 s of one still picture; a 1 kHz tone at -23 dBFS RMS
    (right channel at half amplitude) with a 1.5 s gap of digital silence."""
    moving = natural_texture(WIDTH, HEIGHT, round(BLACK[0] * FPS))
    black = [np.zeros((HEIGHT, WIDTH, 3), np.uint8)] * round((BLACK[1] - BLACK[0]) * FPS)
    still = [natural_texture(WIDTH, HEIGHT, 1, seed=3)[0]] * round((STILL[1] - STILL[0]) * FPS)
    tone = sine(1000.0, SECONDS, RATE, TONE_PEAK)
    tone[round(GAP[0] * RATE) : round(GAP[1] * RATE)] = 0.0
    path = tmp_path_factory.mktemp("fields") / "programme.mp4"
    return write_video(
        path,
        moving + black + still,
        fps=FPS,
        options={"g": str(FPS), "qp": "0"},
        audio=np.vstack([tone, tone * RIGHT_GAIN]),
    )


@pytest.fixture(scope="module")
def lossless_tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s of a 1 kHz sine at -23 dBFS RMS, mono ALAC: the signal arrives bit-exact."""
    path = tmp_path_factory.mktemp("fields") / "tone.m4a"
    return write_audio(path, sine(1000.0, 3.0, RATE, TONE_PEAK)[None, :], codec="alac")


def result_json(path: Path, options: AnalysisOptions | None = None) -> dict[str, object]:
    result = run_task(str(path), task_id="pinned", options=options)
    assert isinstance(result, CompletedResult), result
    payload: dict[str, object] = json.loads(result.model_dump_json())
    return payload


def video_facts(size_tolerance: float = 0.0) -> dict[str, object]:
    return {
        "codec": equals("h264"),
        "profile": equals("High 4:4:4 Predictive"),
        "level": Between(10, 62),
        "width": equals(WIDTH),
        "height": equals(HEIGHT),
        "resolution": equals(f"{WIDTH}x{HEIGHT}"),
        "display_aspect_ratio": equals("4:3"),
        "frame_rate": equals(float(FPS)),
        "variable_frame_rate": equals(False),
        "frame_count": equals(round(SECONDS * FPS)),
        "duration": Near(SECONDS, 0.001),
        "bit_rate": Between(100_000, 5_000_000),
        "pixel_format": equals("yuv420p"),
        "bit_depth": equals(8),
        "rotation": equals(0),
        "color": is_none,
        "keyframe_interval": Near(1.0, 0.001),
        "encrypted": equals(False),
        "hdr": SDR,
        # One keyframe a second (g=25), lossless x264: no B-frames, closed GOPs.
        "gop": {
            "keyframes": equals(round(SECONDS)),
            "interval_min": Near(1.0, 1e-6),
            "interval_max": Near(1.0, 1e-6),
            "interval_mean": Near(1.0, 1e-6),
            "frames_min": equals(FPS),
            "frames_max": equals(FPS),
            "b_frames": equals(False),
            "open_gop": equals(False),
        },
    }


def audio_facts() -> dict[str, object]:
    return {
        "index": equals(1),
        "language": is_none,
        "codec": equals("aac"),
        "profile": equals("LC"),
        "sample_rate": equals(RATE),
        "channels": equals(2),
        "channel_layout": equals("stereo"),
        "bit_rate": Between(32_000, 512_000),
        "duration": Near(SECONDS, 0.05),
        "encrypted": equals(False),
    }


def test_every_field_of_a_full_result_is_pinned(programme: Path) -> None:
    size = programme.stat().st_size
    black_share = 100 * (BLACK[1] - BLACK[0]) / SECONDS
    # Black pictures are also frozen (freezedetect sees them so too): both stretches freeze.
    frozen_share = 100 * (STILL[1] - BLACK[0]) / SECONDS
    sampled = SAMPLE_INTERVAL * 100 / SECONDS
    programme_audio = programme_audio_fields()
    expected = {
        "status": equals("completed"),
        "task_id": equals("pinned"),
        "batch_id": is_none,
        "file_url": equals(str(programme)),
        "processing_time": Between(0.0, 60.0),
        "results": {
            # The stereo tone reads about -22 LUFS: outside EBU R 128's -23 ± 0.5 LU, so the
            # default profile fails it; every rule's field was measured. Its 8 s make its
            # loudness range rest on too few values (information).
            "verdict": {
                "status": equals("fail"),
                "profile": equals("ebu-r128"),
                "decided_by": equals(["LOUDNESS_OUT_OF_RANGE"]),
                "counts": {"error": equals(1), "warning": equals(3), "info": equals(1)},
                "not_judged": equals([]),
            },
            "file_info": {
                "file_size": equals(size),
                "duration": Near(SECONDS, 0.05),
                "format": equals("mp4"),
                "major_brand": equals("isom"),
                "compatible_brands": lambda brands: isinstance(brands, list) and "isom" in brands,
                "bit_rate": Near(size * 8 / SECONDS, size * 8 / SECONDS * 0.01),
                "faststart": equals(False),
                "fragmented": equals(False),
                "track_count": equals(2),
                "creation_time": is_none,
                "duration_from_streams": Near(SECONDS, 0.05),
                "start_time": equals(0.0),
                "truncated": equals(False),
                "bytes_missing": equals(0),
                "seconds_missing": equals(0.0),
                "playable_until": is_none,
            },
            "video_analysis": {
                **video_facts(),
                "frames_analysed": equals(round(SECONDS / SAMPLE_INTERVAL)),
                "black_percentage": Near(black_share, sampled),
                "black_segments": segments([BLACK], SAMPLE_INTERVAL),
                "frozen_percentage": Near(frozen_share, sampled),
                "frozen_segments": segments([BLACK, STILL], SAMPLE_INTERVAL),
                # A natural 1/f texture reads like camera video (docs/quality.md).
                "blur": Between(0.5, 1.2),
                "blockiness": Near(1.0, 0.1),
                # Mid-grey texture for 5 s of 8, black for 3 s.
                "brightness": Between(0.2, 0.45),
                "contrast": Between(0.02, 0.2),
                **picture_depth_fields(every_frame=False),
                "quality_score": unit_interval,
                "quality": quality(
                    (
                        "compression",
                        "blocking",
                        "sharpness",
                        "black_frozen",
                        "resolution",
                        "frame_rate",
                    )
                ),
            },
            "audio_analysis": programme_audio,
            "audio_tracks": [programme_audio],
            # Two keyframes in the first 2 s are scanned; x264 writes no caption SEI.
            "captions": {
                "present": equals(False),
                "embedded": {
                    "cea608": equals(False),
                    "cea708": equals(False),
                    "carried": equals(False),
                    "fields": equals([]),
                    "first_seen": is_none,
                    "samples_scanned": equals(2),
                },
                "tracks": equals([]),
            },
            "tracks": [
                {
                    **track(0, "video", "h264", SECONDS),
                    # Bits a second (their mean is the track's bit rate; the console plots
                    # them): moving lossless texture costs most, black almost nothing, the
                    # still picture one keyframe a second (g=25), about half a second of
                    # moving texture.
                    "bit_rate_series": [Between(1_000_000, 3_000_000)] * 2
                    + [Between(0, 50_000)] * 3
                    + [Between(300_000, 1_000_000)] * 3,
                },
                track(1, "audio", "aac", SECONDS),
            ],
            "profile": equals("ebu-r128"),
            "checks": [
                check(
                    "LOUDNESS_OUT_OF_RANGE",
                    "error",
                    Between(-22.5, STEREO_LOUDNESS + 0.5),
                    equals(-22.5),
                    equals(1),
                ),
                check("BLACK_SEGMENTS", "warning", Near(black_share, sampled), equals(0.0)),
                check("FROZEN_SEGMENTS", "warning", Near(frozen_share, sampled), equals(0.0)),
                check("LOW_RESOLUTION", "warning", equals(float(HEIGHT)), equals(480.0)),
                # Short-term values at 10 Hz from 3 s to 8 s: 51.
                lra_basis(equals(51.0), 1),
            ],
            # Cut only where they can be stored (the service's workers, `analyse --html`).
            "thumbnails": is_none,
        },
        "metadata": metadata("full", size),
    }
    assert check_fields(expected, result_json(programme)) == []


def programme_audio_fields() -> dict[str, object]:
    return {
        **audio_facts(),
        # Blocks across the gap's edges pass the relative gate a little quieter.
        "loudness_integrated": Near(STEREO_LOUDNESS, 0.5),
        "loudness_range": Between(1.0, 5.0),
        "loudness_range_blocks": equals(51),
        # AAC rings a little above the sine's peak where the gap cuts the tone.
        "true_peak": Between(-20.5, -16.0),
        "sample_peak": Between(-20.5, -16.0),
        "max_momentary": Near(STEREO_LOUDNESS, 0.3),
        "max_short_term": Near(STEREO_LOUDNESS, 0.3),
        "short_term_series": [is_none, is_none]
        + [Between(STEREO_LOUDNESS - 4, STEREO_LOUDNESS + 0.3)] * 6,
        "silence_percentage": Near(100 * (GAP[1] - GAP[0]) / SECONDS, 0.5),
        "silence_segments": segments([GAP], 0.02),
        "silence_segment_count": equals(1),
        "clipping": {"count": equals(0), "ratio": equals(0.0), "runs": equals(0)},
        "dc_offset": [Near(0.0, 1e-3), Near(0.0, 1e-3)],
        "channels_silent": equals([]),
        "phase_correlation": Near(1.0, 0.01),
        "phase_issue": equals(False),
        # Each channel alone: the tone at -23 dBFS RMS, the right one 6 dB lower.
        "per_channel": [
            channel("FL", TONE_RMS_DB, (-20.5, -16.0)),
            channel("FR", TONE_RMS_DB + 20 * math.log10(RIGHT_GAIN), (-26.5, -22.0)),
        ],
        "quality_score": unit_interval,
        "quality": quality(
            ("encoding", "sample_rate", "clipping", "true_peak", "loudness", "silence")
        ),
    }


def picture_depth_fields(every_frame: bool) -> dict[str, object]:
    """The programme's framing, levels, SI/TI, shots, scan and flashes: a full 320x240
    picture, limited-range black at code 16, cuts into and out of the black stretch."""
    full_frame = {"x": equals(0), "y": equals(0), "width": equals(WIDTH), "height": equals(HEIGHT)}

    def channel_levels(minimum: Expectation, p1: Expectation) -> dict[str, object]:
        return {
            "minimum": minimum,
            **dict.fromkeys(("low", "average", "high"), Between(16.0, 240.0)),
            "maximum": Between(128, 240),
            "p1": p1,
            **dict.fromkeys(("p10", "p50", "p90", "p99"), Between(16, 240)),
        }

    frames = round(SECONDS * FPS)
    sampled_fields: dict[str, object] = {
        "active_area": {
            **full_frame,
            "bars": dict.fromkeys(("top", "bottom", "left", "right"), equals(0)),
            "bar_share": equals(0.0),
            "kind": equals("full"),
            "active_aspect_ratio": Near(WIDTH / HEIGHT, 1e-4),
            "stable": equals(True),
            # Black pictures have no active area: the framing runs on through them.
            "segments": [
                {"start": equals(0.0), "end": equals(SECONDS), **full_frame, "kind": equals("full")}
            ],
        },
        "levels": {
            # Black is video-range 16 in 3 s of 8: the 1st percentile too.
            "y": channel_levels(equals(16), equals(16)),
            "u": channel_levels(Between(16, 128), Between(16, 128)),
            "v": channel_levels(Between(16, 128), Between(16, 128)),
            "out_of_range_mean": equals(0.0),
            "out_of_range_max": equals(0.0),
            "out_of_range_pictures": equals(0.0),
            "range_flag": equals("limited"),
            "range_verdict": equals("consistent"),
        },
        # A natural texture's Sobel spread, black pictures 0 in the mean.
        "si_mean": Between(15.0, 60.0),
        "si_max": Between(30.0, 90.0),
    }
    if not every_frame:
        depth_only = ("flashes", "shots", "ti", "interlace")
        return sampled_fields | {
            "interlace": is_none,
            "shots": is_none,
            "ti_mean": is_none,
            "ti_max": is_none,
            "flashes": is_none,
            "sampling": {
                "depth": equals("sampled"),
                # Lossless x264 here has no B-frames: every frame is decoded, 2 a second measured.
                "frames_decoded": equals(frames),
                "max_gap": Near(SAMPLE_INTERVAL, 0.05),
                "unmeasured": [
                    {"measure": equals(name), "cause": equals("depth"), "reason": is_text}
                    for name in depth_only
                ],
            },
        }
    pictures = math.ceil(frames / 13)  # an idet triplet every 13 frames (coprime with 2, 3, 5)
    counts = dict.fromkeys(("tff", "bff", "progressive", "undetermined"), Between(0, pictures))
    return sampled_fields | {
        "interlace": {
            # Still or black pictures show no fields: undetermined, or progressive on motion.
            "detected": lambda scan: scan in ("progressive", "undetermined"),
            "telecine": equals(False),
            "signalled_field_order": equals("progressive"),
            "signalled_interlaced_share": equals(0.0),
            "pictures": equals(pictures),
            "single": counts | {"tff": equals(0), "bff": equals(0)},
            "multi": counts | {"tff": equals(0), "bff": equals(0)},
            "repeated_fields": {
                "top": equals(0),
                "bottom": equals(0),
                "neither": equals(pictures),
            },
            "mismatch": lambda value: value in ("none", None),
        },
        "shots": {
            "cut_count": equals(2),
            "shot_count": equals(3),
            "average_shot_length": Near(SECONDS / 3, 0.001),
            "cuts": [equals(BLACK[0]), equals(BLACK[1])],
        },
        # The cut into black is TI's maximum: the texture's spread of levels.
        "ti_mean": Between(2.0, 15.0),
        "ti_max": Between(20.0, 60.0),
        "flashes": {
            "passed": equals(True),
            # Into black and out of it 3 s later: one transition in each of those seconds.
            "peak_frequency": equals(0.5),
            "red_peak_frequency": equals(0.0),
            "flashes_per_second": [
                equals(0.5) if second in (2, 5) else equals(0.0) for second in range(round(SECONDS))
            ],
            "red_flashes_per_second": [equals(0.0)] * round(SECONDS),
            "failing_segments": equals([]),
            "extended_segments": equals([]),
            "extended_seconds": equals(0.0),
            "max_flashing_area": equals(0.0),
            "display_peak": equals(200.0),
        },
        "sampling": {
            "depth": equals("every_frame"),
            "frames_decoded": equals(frames),
            "max_gap": Near(SAMPLE_INTERVAL, 0.05),
            "unmeasured": equals([]),
        },
    }


def is_text(actual: object) -> bool:
    return isinstance(actual, str) and len(actual) > 10


def channel(name: str, loudness: float, peaks: tuple[float, float]) -> dict[str, object]:
    return {
        "name": equals(name),
        "sample_peak": Between(*peaks),
        "true_peak": Between(*peaks),
        "loudness": Near(loudness, 0.5),
    }


def test_every_picture_depth_field_of_an_every_frame_analysis_is_pinned(programme: Path) -> None:
    payload = result_json(programme, AnalysisOptions(video_every_frame=True))
    results = payload["results"]
    assert isinstance(results, dict)
    video = results["video_analysis"]
    assert isinstance(video, dict)
    depth = picture_depth_fields(every_frame=True)
    assert check_fields(depth, {key: video[key] for key in depth}) == []


def test_every_field_of_a_lossless_audio_result_is_pinned(lossless_tone: Path) -> None:
    size = lossless_tone.stat().st_size
    expected_audio = {
        "index": equals(0),
        "language": is_none,
        "codec": equals("alac"),
        "profile": is_none,
        "sample_rate": equals(RATE),
        "channels": equals(1),
        "channel_layout": equals("mono"),
        "bit_rate": Between(100_000, 1_536_000),
        "duration": Near(3.0, 0.001),
        "encrypted": equals(False),
        # Lossless: EBU Tech 3341 accuracy (±0.1 LU) applies.
        "loudness_integrated": Near(TONE_RMS_DB, 0.1),
        "loudness_range": Near(0.0, 0.1),
        # One short-term value: the window ending at 3 s.
        "loudness_range_blocks": equals(1),
        "true_peak": Near(20 * math.log10(TONE_PEAK), 0.1),
        "sample_peak": Near(20 * math.log10(TONE_PEAK), 0.05),
        "max_momentary": Near(TONE_RMS_DB, 0.1),
        "max_short_term": Near(TONE_RMS_DB, 0.1),
        "short_term_series": [is_none, is_none, Near(TONE_RMS_DB, 0.1)],
        "silence_percentage": equals(0.0),
        "silence_segments": equals([]),
        "silence_segment_count": equals(0),
        "clipping": {"count": equals(0), "ratio": equals(0.0), "runs": equals(0)},
        "dc_offset": [Near(0.0, 1e-4)],
        "channels_silent": equals([]),
        "phase_correlation": is_none,
        "phase_issue": is_none,
        "per_channel": [
            {
                "name": equals("FC"),
                "sample_peak": Near(20 * math.log10(TONE_PEAK), 0.05),
                "true_peak": Near(20 * math.log10(TONE_PEAK), 0.1),
                "loudness": Near(TONE_RMS_DB, 0.1),
            }
        ],
        "quality_score": equals(1.0),
        "quality": quality(
            ("encoding", "sample_rate", "clipping", "true_peak", "loudness", "silence")
        ),
    }
    payload = result_json(lossless_tone)
    results = payload["results"]
    assert isinstance(results, dict)
    assert check_fields(expected_audio, results["audio_analysis"]) == []
    assert check_fields([expected_audio], results["audio_tracks"]) == []
    assert results["video_analysis"] is None
    assert check_fields(NO_CAPTIONS, results["captions"]) == []
    assert check_fields([track(0, "audio", "alac", 3.0)], results["tracks"]) == []
    no_video = check("NO_VIDEO_TRACK", "info", is_none, is_none)
    assert check_fields([no_video, lra_basis(equals(1.0), 0)], results["checks"]) == []
    assert check_fields(metadata("full", size), payload["metadata"]) == []


def test_a_probe_leaves_every_measure_null_and_keeps_every_fact(programme: Path) -> None:
    payload = result_json(programme, AnalysisOptions(probe_only=True))
    results = payload["results"]
    assert isinstance(results, dict)
    measured_video = [
        *("frames_analysed", "black_percentage", "black_segments", "frozen_percentage"),
        *("frozen_segments", "blur", "blockiness", "brightness", "contrast"),
        *("active_area", "interlace", "levels", "shots", "si_mean", "si_max", "ti_mean"),
        *("ti_max", "flashes", "sampling"),
    ]
    measured_audio = [
        *("loudness_integrated", "loudness_range", "true_peak", "sample_peak", "max_momentary"),
        *("max_short_term", "short_term_series", "silence_percentage", "silence_segments"),
        *("silence_segment_count", "clipping", "dc_offset", "channels_silent"),
        *("phase_correlation", "phase_issue", "loudness_range_blocks", "per_channel"),
    ]
    video = {**video_facts(), **dict.fromkeys(measured_video, is_none)}
    video |= {
        "quality_score": unit_interval,
        "quality": quality(("compression", "resolution", "frame_rate"), basis="container"),
    }
    audio = {**audio_facts(), **dict.fromkeys(measured_audio, is_none)}
    audio |= {
        "quality_score": unit_interval,
        "quality": quality(("encoding", "sample_rate"), basis="container"),
    }
    assert check_fields(video, results["video_analysis"]) == []
    assert check_fields(audio, results["audio_analysis"]) == []
    assert check_fields([audio], results["audio_tracks"]) == []
    # A probe reads the moov and the first samples only.
    size = programme.stat().st_size
    probe_metadata = metadata("probe", size, AnalysisOptions(probe_only=True)) | {
        "bytes_read": Between(1, size / 4)
    }
    assert check_fields(probe_metadata, payload["metadata"]) == []


def test_a_vanished_field_is_caught() -> None:
    """The checker itself: a renamed or missing field is reported, not ignored."""
    expected = {"max_momentary": Near(-23.0, 0.1), "dc_offset": [Near(0.0, 1e-3)]}
    assert check_fields(expected, {"max_momentary_lufs": -23.0, "dc_offset": [0.0]}) == [
        ".max_momentary: missing",
        ".max_momentary_lufs: not pinned by this test",
    ]
    assert check_fields(expected, {"max_momentary": -23.0, "dc_offset": []}) == [
        ".dc_offset: expected 1 items, got []"
    ]


def rms_amplitude(dbfs: float) -> float:
    return 10 ** (dbfs / 20) * math.sqrt(2)


@pytest.fixture(scope="module")
def three_audio_tracks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 kHz tone on every channel of three AAC tracks: stereo at -23 dBFS RMS (English),
    5.1 at -33 dBFS (French), mono at -23 dBFS (German), beside 1 s of video."""
    tone = {"seconds": 4.0, "frequency": 1000.0, "harmonics": False}
    path = tmp_path_factory.mktemp("fields") / "three_audio.mp4"
    return write_media(
        path,
        VideoTrack(frames=25),
        (
            AudioTrack(channels=2, language="eng", amplitude=rms_amplitude(-23.0), **tone),
            AudioTrack(channels=6, language="fra", amplitude=rms_amplitude(-33.0), **tone),
            AudioTrack(channels=1, language="deu", amplitude=rms_amplitude(-23.0), **tone),
        ),
    )


def test_every_audio_track_is_measured_and_named_by_its_checks(three_audio_tracks: Path) -> None:
    """BS.1770 adds the channels' energies (1 kHz: K-weighting cancels the -0.691 offset):
    stereo +3.01 dB; 5.1 weighs L, R, C 1.0 and the surrounds 1.41, LFE 0: +7.65 dB."""
    surround = 10 * math.log10(3 + 2 * 1.41)
    expected = [
        (1, "eng", "stereo", -23.0 + 10 * math.log10(2), ["FL", "FR"]),
        (2, "fra", "5.1", -33.0 + surround, ["FL", "FR", "FC", "LFE", "BL", "BR"]),
        (3, "deu", "mono", -23.0, ["FC"]),
    ]
    results = result_json(three_audio_tracks)["results"]
    assert isinstance(results, dict)
    tracks = results["audio_tracks"]
    assert isinstance(tracks, list) and results["audio_analysis"] == tracks[0]
    for audio, (index, language, layout, loudness, names) in zip(tracks, expected, strict=True):
        assert (audio["index"], audio["language"], audio["channel_layout"]) == (
            index,
            language,
            layout,
        )
        assert audio["loudness_integrated"] == pytest.approx(loudness, abs=0.3)
        assert [c["name"] for c in audio["per_channel"]] == names
        # Each channel alone, weight 1: the tone's level; LFE has no BS.1770 loudness.
        level = -33.0 if layout == "5.1" else -23.0
        assert [c["loudness"] for c in audio["per_channel"]] == [
            None if name == "LFE" else pytest.approx(level, abs=0.3) for name in names
        ]
    loudness_checks = [
        (c["track"], c["message"].split(":")[0])
        for c in results["checks"]
        if c["code"] == "LOUDNESS_OUT_OF_RANGE"
    ]
    assert loudness_checks == [(1, "Audio track 1 (eng, stereo)"), (2, "Audio track 2 (fra, 5.1)")]
