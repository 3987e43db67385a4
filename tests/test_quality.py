"""Quality scores over constructed models: bounds, monotonic curves, missing measures."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from mp4_small_analyser.analysis.judging.quality import (
    VIDEO_WEIGHTS,
    audio_quality,
    video_quality,
)
from mp4_small_analyser.models import AudioAnalysis, Clipping, QualityScore, VideoAnalysis


def video(**fields: Any) -> VideoAnalysis:
    base: dict[str, Any] = {
        "codec": "h264",
        "width": 1280,
        "height": 720,
        "frame_rate": 30.0,
        "bit_rate": 3_000_000,
        "duration": 10.0,
    }
    return VideoAnalysis(**{**base, **fields})


def audio(**fields: Any) -> AudioAnalysis:
    base: dict[str, Any] = {
        "codec": "aac",
        "sample_rate": 48000,
        "channels": 2,
        "bit_rate": 192_000,
        "duration": 10.0,
    }
    return AudioAnalysis(**{**base, **fields})


def video_score(**fields: Any) -> QualityScore:
    score = video_quality(video(**fields))
    assert score is not None
    return score


def audio_score(**fields: Any) -> QualityScore:
    score = audio_quality(audio(**fields))
    assert score is not None
    return score


def bpp_bit_rate(bpp: float, width: int = 1280, height: int = 720, fps: float = 30.0) -> int:
    return round(bpp * width * height * fps)


def strictly_decreasing(values: list[float]) -> bool:
    return all(a > b for a, b in itertools.pairwise(values))


def non_increasing(values: list[float]) -> bool:
    return all(a >= b for a, b in itertools.pairwise(values))


# --- video -------------------------------------------------------------------------------


def test_compression_rises_strictly_with_bits_per_pixel() -> None:
    bpps = [0.001, 0.003, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8]
    scores = [video_score(bit_rate=bpp_bit_rate(b)).components["compression"] for b in bpps]
    assert strictly_decreasing(scores[::-1])


def test_compression_keeps_headroom_at_both_ends() -> None:
    """A generous encode (0.3 bpp at 720p, CRF 18-like) stays clear of 1 and of a typical one."""
    generous = video_score(bit_rate=bpp_bit_rate(0.3)).score
    typical = video_score(bit_rate=bpp_bit_rate(0.08)).score
    starved = video_score(bit_rate=bpp_bit_rate(0.004)).score
    assert generous < 0.99
    assert generous - typical > 0.03
    assert 0.0 < starved < 0.2


def test_codec_efficiency_changes_what_a_bit_rate_is_worth() -> None:
    rate = bpp_bit_rate(0.03)
    by_codec = {c: video_score(codec=c, bit_rate=rate).score for c in ("av1", "hevc", "h264")}
    assert by_codec["av1"] > by_codec["hevc"] > by_codec["h264"]
    assert video_score(codec="mpeg4", bit_rate=rate).score < by_codec["h264"]
    assert video_score(codec="somethingnew", bit_rate=rate).score == by_codec["h264"]


def test_larger_frames_and_higher_rates_need_fewer_bits_per_pixel() -> None:
    small = video_score(width=1280, height=720, bit_rate=bpp_bit_rate(0.05)).score
    large = video_score(width=1920, height=1080, bit_rate=bpp_bit_rate(0.05, 1920, 1080)).score
    assert large > small
    slow = video_score(frame_rate=30.0, bit_rate=bpp_bit_rate(0.05, fps=30.0)).score
    fast = video_score(frame_rate=60.0, bit_rate=bpp_bit_rate(0.05, fps=60.0)).score
    assert fast > slow


def test_blockiness_drags_the_score_down_and_none_is_left_out() -> None:
    ratios = [0.8, 1.0, 1.05, 1.2, 1.5, 2.0, 4.0]
    scores = [video_score(blockiness=r).score for r in ratios]
    assert non_increasing(scores)
    assert strictly_decreasing(scores[1:])
    assert video_score(blockiness=1.0).components["blocking"] == 1.0
    assert "blocking" not in video_score(blockiness=None).components


def test_sharpness_falls_as_the_blur_radius_grows() -> None:
    radii = [0.3, 0.5, 0.6, 1.0, 1.5, 2.0, 3.0, 8.0]
    sharpness = [video_score(blur=r).components["sharpness"] for r in radii]
    assert sharpness[:2] == [1.0, 1.0]
    assert strictly_decreasing(sharpness[1:])
    assert sharpness[-1] < 0.1


def test_missing_picture_measures_renormalise_the_weights() -> None:
    full = video_score(blur=1.5, blockiness=1.3)
    parts = full.components
    expected = math.prod(parts[name] ** VIDEO_WEIGHTS[name] for name in VIDEO_WEIGHTS)
    assert full.score == pytest.approx(expected, abs=2e-4)

    without_blur = video_score(blockiness=1.3)
    weight = VIDEO_WEIGHTS["compression"] + VIDEO_WEIGHTS["blocking"]
    expected = parts["compression"] ** (VIDEO_WEIGHTS["compression"] / weight) * parts[
        "blocking"
    ] ** (VIDEO_WEIGHTS["blocking"] / weight)
    assert without_blur.score == pytest.approx(expected, abs=2e-4)

    bitstream_only = video_score()
    assert set(bitstream_only.components) == {"compression", "resolution", "frame_rate"}
    assert bitstream_only.score == pytest.approx(parts["compression"], abs=1e-4)


def test_one_bad_measure_drags_the_score_below_the_arithmetic_mean() -> None:
    score = video_score(bit_rate=bpp_bit_rate(0.3), blur=0.6, blockiness=3.0)
    parts = score.components
    arithmetic = sum(parts[name] * VIDEO_WEIGHTS[name] for name in VIDEO_WEIGHTS)
    assert score.score < arithmetic - 0.05


def test_black_and_frozen_share_is_a_penalty_counted_once() -> None:
    shares = [0.0, 5.0, 20.0, 50.0, 80.0, 100.0]
    penalties = [video_score(black_percentage=s).components["black_frozen"] for s in shares]
    assert penalties[0] == 1.0
    assert penalties[-1] == 0.0
    assert strictly_decreasing(penalties)
    assert video_score(black_percentage=100.0).score == 0.0

    overlapping = video_score(
        black_percentage=40.0,
        black_segments=[(0.0, 4.0)],
        frozen_percentage=40.0,
        frozen_segments=[(0.0, 4.0)],
    )
    separate = video_score(
        black_percentage=40.0,
        black_segments=[(0.0, 4.0)],
        frozen_percentage=40.0,
        frozen_segments=[(5.0, 9.0)],
    )
    assert (
        overlapping.components["black_frozen"]
        == video_score(black_percentage=40.0).components["black_frozen"]
    )
    assert separate.components["black_frozen"] < overlapping.components["black_frozen"]


def test_low_resolution_and_low_frame_rate_are_penalised() -> None:
    rate = bpp_bit_rate(0.1)
    hd = video_score(bit_rate=rate)
    assert hd.components["resolution"] == 1.0
    assert hd.components["frame_rate"] == 1.0
    lines = [480, 360, 240, 144]
    resolution = [
        video_score(width=lines_ * 16 // 9, height=lines_).components["resolution"]
        for lines_ in lines
    ]
    assert resolution[0] == 1.0
    assert strictly_decreasing(resolution)
    portrait = video_score(width=1080, height=1920, bit_rate=bpp_bit_rate(0.1, 1080, 1920))
    assert portrait.components["resolution"] == 1.0
    rates = [23.976, 20.0, 15.0, 10.0, 5.0]
    frame_rate = [video_score(frame_rate=r).components["frame_rate"] for r in rates]
    assert frame_rate[0] == 1.0
    assert strictly_decreasing(frame_rate)


def test_video_without_any_measure_has_no_score() -> None:
    assert video_quality(video(bit_rate=None)) is None
    assert video_quality(VideoAnalysis(codec="h264")) is None
    only_pictures = video_quality(video(bit_rate=None, blockiness=1.1))
    assert only_pictures is not None
    assert "compression" not in only_pictures.components


def test_non_finite_picture_measures_are_ignored() -> None:
    score = video_score(blur=math.nan, blockiness=math.inf)
    assert set(score.components) == {"compression", "resolution", "frame_rate"}


def test_video_score_and_components_stay_in_bounds() -> None:
    grid = itertools.product(
        [1, 50_000, 3_000_000, 10**10],
        [None, 0.0, 0.5, 8.0, 1e6],
        [None, 0.0, 1.0, 50.0],
        [None, 0.0, 100.0],
        [1.0, 240.0],
        [16, 4320],
    )
    for bit_rate, blur, blockiness, black, fps, height in grid:
        score = video_score(
            bit_rate=bit_rate,
            blur=blur,
            blockiness=blockiness,
            black_percentage=black,
            frame_rate=fps,
            height=height,
        )
        assert 0.0 <= score.score <= 1.0
        assert all(0.0 <= value <= 1.0 for value in score.components.values())


# --- audio -------------------------------------------------------------------------------


def test_encoding_rises_with_bits_per_channel() -> None:
    rates = [16_000, 32_000, 64_000, 96_000, 128_000, 192_000, 256_000, 320_000]
    scores = [audio_score(bit_rate=r).components["encoding"] for r in rates]
    assert strictly_decreasing(scores[::-1])


def test_aac_at_64_kbps_per_channel_is_good_and_32_kbps_stereo_clearly_worse() -> None:
    good = audio_score(bit_rate=128_000).score
    poor = audio_score(bit_rate=32_000).score
    assert good > 0.85
    assert poor < 0.5
    assert audio_score(channels=1, bit_rate=64_000).score == pytest.approx(good, abs=1e-4)


def test_codec_and_profile_change_what_a_bit_rate_is_worth() -> None:
    aac = audio_score(bit_rate=64_000).score
    assert audio_score(codec="opus", bit_rate=64_000).score > aac
    assert audio_score(profile="HE-AAC", bit_rate=64_000).score > aac
    assert audio_score(profile="HE-AACv2", bit_rate=64_000).score > aac
    assert audio_score(codec="mp3", bit_rate=64_000).score < aac
    assert audio_score(codec="ac3", bit_rate=64_000).score < aac


@pytest.mark.parametrize("codec", ["alac", "flac", "pcm_s16le", "pcm_s24le"])
def test_lossless_codecs_need_no_bit_rate(codec: str) -> None:
    score = audio_score(codec=codec, bit_rate=None)
    assert score.components["encoding"] == 1.0
    assert score.score == 1.0


def test_sample_rate_below_32_khz_is_penalised() -> None:
    rates = [48000, 44100, 32000, 22050, 16000, 8000]
    penalties = [audio_score(sample_rate=r).components["sample_rate"] for r in rates]
    assert penalties[:3] == [1.0, 1.0, 1.0]
    assert strictly_decreasing(penalties[2:])


def test_clipping_penalty_falls_with_the_clipped_share() -> None:
    ratios = [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.3]
    penalties = [
        audio_score(clipping=Clipping(count=int(r * 1e6), ratio=r, runs=1)).components["clipping"]
        for r in ratios
    ]
    assert penalties[0] == 1.0
    assert strictly_decreasing(penalties)
    assert penalties[-1] < 0.1


def test_true_peak_over_minus_one_dbtp_is_penalised() -> None:
    peaks = [-6.0, -1.0, -0.5, 0.0, 1.0, 3.0, 6.0]
    penalties = [audio_score(true_peak=p).components["true_peak"] for p in peaks]
    assert penalties[:2] == [1.0, 1.0]
    assert strictly_decreasing(penalties[1:])


def test_loudness_far_outside_the_broadcast_to_streaming_band_is_penalised() -> None:
    offsets = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0]
    louder = [audio_score(loudness_integrated=-14.0 + o).components["loudness"] for o in offsets]
    quieter = [audio_score(loudness_integrated=-24.0 - o).components["loudness"] for o in offsets]
    assert louder[:2] == [1.0, 1.0]
    assert strictly_decreasing(louder[1:])
    assert louder == quieter


def test_every_built_in_target_scores_full_loudness_whatever_the_profile() -> None:
    # The score describes the file; meeting one spec's target is the verdict's business.
    for target in (-24.0, -23.0, -16.0, -14.0):
        assert audio_score(loudness_integrated=target).components["loudness"] == 1.0


def test_silence_share_is_a_penalty_and_full_silence_scores_zero() -> None:
    shares = [0.0, 10.0, 50.0, 90.0, 100.0]
    penalties = [audio_score(silence_percentage=s).components["silence"] for s in shares]
    assert penalties[0] == 1.0
    assert strictly_decreasing(penalties)
    assert audio_score(silence_percentage=100.0).score == 0.0


def test_non_finite_loudness_is_left_out() -> None:
    score = audio_score(loudness_integrated=-math.inf, true_peak=math.nan)
    assert "loudness" not in score.components
    assert "true_peak" not in score.components


def test_audio_without_any_measure_has_no_score() -> None:
    assert audio_quality(audio(bit_rate=None)) is None
    assert audio_quality(AudioAnalysis(codec="opus")) is None
    signal_only = audio_quality(audio(bit_rate=None, true_peak=-3.0))
    assert signal_only is not None
    assert "encoding" not in signal_only.components


def test_clean_tone_beats_clipped_and_low_bit_rate_versions() -> None:
    clean = {"loudness_integrated": -23.0, "true_peak": -20.0, "silence_percentage": 0.0}
    clean_score = audio_score(
        bit_rate=256_000, clipping=Clipping(count=0, ratio=0.0, runs=0), **clean
    )
    clipped = audio_score(
        bit_rate=256_000,
        loudness_integrated=-3.0,
        true_peak=0.5,
        silence_percentage=0.0,
        clipping=Clipping(count=30_000, ratio=0.1, runs=1_000),
    )
    thin = audio_score(bit_rate=32_000, clipping=Clipping(count=0, ratio=0.0, runs=0), **clean)
    assert clean_score.score > thin.score
    assert clean_score.score > clipped.score


def test_audio_score_and_components_stay_in_bounds() -> None:
    grid = itertools.product(
        [None, 1, 64_000, 10**9],
        [None, -100.0, -23.0, 10.0],
        [None, -60.0, 20.0],
        [None, 0.0, 100.0],
        [None, 0.0, 1.0],
        [1000, 192000],
    )
    for bit_rate, loudness, peak, silence, ratio, rate in grid:
        clipping = None if ratio is None else Clipping(count=int(ratio * 1000), ratio=ratio, runs=1)
        score = audio_quality(
            audio(
                bit_rate=bit_rate,
                loudness_integrated=loudness,
                true_peak=peak,
                silence_percentage=silence,
                clipping=clipping,
                sample_rate=rate,
            )
        )
        if score is None:
            assert bit_rate is None
            assert (loudness, peak, silence, ratio) == (None, None, None, None)
            continue
        assert 0.0 <= score.score <= 1.0
        assert all(0.0 <= value <= 1.0 for value in score.components.values())
