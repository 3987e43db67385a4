"""Silence detection against FFmpeg's silencedetect, run on the same generated MP4 files."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser.analysis.audio.silence import MAX_SEGMENTS, SilenceDetector, SilenceResult
from tests.audiopath import (
    RATE,
    Piece,
    assemble,
    db,
    decode_audio,
    expected_silences,
    gaussian_noise,
    quiet,
    random_blocks,
    silencedetect_by_hand,
    tone,
    uniform_noise,
)
from tests.mediagen import write_audio

SAMPLE = 1.0 / RATE


def loud(seconds: float) -> Piece:
    return Piece(tone(seconds), silent=False)


def hush(seconds: float) -> Piece:
    return Piece(quiet(seconds), silent=True)


@dataclass(frozen=True)
class Case:
    channels: list[list[Piece]]
    codec: str = "alac"
    layout: str | None = None
    expected: list[tuple[float, float]] | None = None
    """Silences implied by the generation, when they differ from `expected_silences`."""
    boundary_tolerance: float = 0.001


def _stereo(pieces: list[Piece]) -> list[list[Piece]]:
    return [pieces, pieces]


GAPS = [loud(1.0), hush(1.2), loud(0.7), hush(0.3), loud(0.5), hush(0.8), loud(0.5)]

CASES: dict[str, Callable[[], Case]] = {
    "gaps_stereo": lambda: Case(_stereo(GAPS)),
    "edges_stereo": lambda: Case(_stereo([hush(1.5), loud(2.0), hush(1.0)])),
    "all_silent_stereo": lambda: Case(_stereo([hush(3.0)])),
    "quiet_tail_too_short": lambda: Case(_stereo([loud(2.0), hush(0.4)])),
    "mono_gaps": lambda: Case(
        [[loud(0.5), hush(0.6), loud(0.5), hush(0.49), loud(0.3), hush(0.7)]]
    ),
    "noise_peak_-51dB": lambda: Case(
        _stereo([loud(1.0), Piece(uniform_noise(1.5, db(-51), seed=1), True), loud(1.0)])
    ),
    "noise_peak_-49dB": lambda: Case(
        _stereo([loud(1.0), Piece(uniform_noise(1.5, db(-49), seed=2), False), loud(1.0)])
    ),
    # Peaks cross -50 dBFS every few ms: not silence sample by sample, though the RMS is.
    "noise_rms_-60dB": lambda: Case(
        _stereo([loud(1.0), Piece(gaussian_noise(1.5, db(-60), seed=3), False), loud(1.0)])
    ),
    "sine_peak_-51dB": lambda: Case(
        _stereo([loud(1.0), Piece(tone(1.5, amplitude=db(-51)), True), loud(1.0)])
    ),
    "sine_peak_-49dB": lambda: Case(
        _stereo([loud(1.0), Piece(tone(1.5, amplitude=db(-49)), False), loud(1.0)])
    ),
    "one_channel_loud": lambda: Case([[loud(1.0), hush(1.5), loud(1.0)], [loud(3.5)]]),
    # Silence only where all six channels are quiet; both silences last exactly d.
    "surround_5.1_lfe_only": lambda: Case(
        [
            [loud(1.0), hush(1.5), loud(1.5)],
            [loud(1.0), hush(1.5), loud(1.5)],
            [hush(4.0)],
            [hush(1.5), loud(0.5), hush(2.0)],
            [hush(4.0)],
            [hush(4.0)],
        ],
        layout="5.1",
    ),
    # L is quiet from frame 48001, R from 48000 to 71999: the interleaved run counts
    # 2 x 24000 samples, so silencedetect reports 23999 frames of silence with d=0.5.
    "interleaved_edge": lambda: Case(
        [
            [loud(1.0 + SAMPLE), hush(0.5), loud(1.0)],
            [loud(1.0), hush(0.5), loud(1.0 + SAMPLE)],
        ],
        expected=[(1.0 + SAMPLE, 1.5)],
    ),
    "gaps_stereo_aac": lambda: Case(_stereo(GAPS), codec="aac", boundary_tolerance=0.005),
}


@dataclass(frozen=True)
class Reference:
    segments: list[tuple[float, float]]
    duration: float

    @property
    def percentage(self) -> float:
        return 100.0 * sum(end - start for start, end in self.segments) / self.duration


def ffmpeg_silencedetect(path: Path, noise_db: float, duration: float) -> Reference:
    """Run the reference filter; pair its silence_start / silence_end lines and count the
    samples it saw (astats), which for AAC include the encoder's padding, as ours do."""
    filters = (
        f"silencedetect=n={noise_db}dB:d={duration},"
        "astats=measure_perchannel=none:measure_overall=Number_of_samples"
    )
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", filters, "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    starts = [float(v) for v in re.findall(r"silence_start: (\S+)", log)]
    ends = [float(v) for v in re.findall(r"silence_end: (\S+) \|", log)]
    assert len(starts) == len(ends), log
    frames = re.search(r"Number of samples: (\d+)", log)
    assert frames, log
    return Reference(list(zip(starts, ends, strict=True)), int(frames.group(1)) / RATE)


@dataclass(frozen=True)
class Generated:
    case: Case
    path: Path
    samples: np.ndarray
    sample_rate: int

    def detect(
        self,
        threshold_db: float = -50.0,
        min_duration: float = 0.5,
        max_segments: int = MAX_SEGMENTS,
    ) -> SilenceResult:
        detector = SilenceDetector(
            self.sample_rate, self.samples.shape[0], threshold_db, min_duration, max_segments
        )
        detector.add(self.samples)
        return detector.result()


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    folder = tmp_path_factory.mktemp("silence")
    files = {}
    for name, make in CASES.items():
        case = make()
        signal = np.stack([assemble(pieces) for pieces in case.channels])
        bit_rate = 128_000 if case.codec == "aac" else None
        path = write_audio(
            folder / f"{name}.m4a", signal, RATE, case.codec, case.layout, bit_rate=bit_rate
        )
        fmt, samples = decode_audio(path)
        files[name] = Generated(case, path, samples, fmt.sample_rate)
    return files


def _assert_segments_close(
    ours: Sequence[tuple[float, float]], theirs: Sequence[tuple[float, float]], tolerance: float
) -> None:
    assert len(ours) == len(theirs), (ours, theirs)
    for (start, end), (ref_start, ref_end) in zip(ours, theirs, strict=True):
        assert start == pytest.approx(ref_start, abs=tolerance), (ours, theirs)
        assert end == pytest.approx(ref_end, abs=tolerance), (ours, theirs)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_ffmpeg_silencedetect(generated: dict[str, Generated], name: str) -> None:
    file = generated[name]
    ours = file.detect()
    reference = ffmpeg_silencedetect(file.path, -50.0, 0.5)
    assert ours.duration == pytest.approx(reference.duration, abs=0.001)
    assert ours.percentage == pytest.approx(reference.percentage, abs=1.0)
    assert ours.segment_count == len(reference.segments)
    _assert_segments_close(ours.segments, reference.segments, file.case.boundary_tolerance)


@pytest.mark.parametrize("name", list(CASES))
def test_finds_the_generated_silences(generated: dict[str, Generated], name: str) -> None:
    file = generated[name]
    expected = file.case.expected
    if expected is None:
        expected = expected_silences(file.case.channels, 0.5)
    # AAC may smear a tone edge over one 1024-sample frame (21 ms) of pre-echo.
    tolerance = 0.03 if file.case.codec == "aac" else SAMPLE / 2
    ours = file.detect()
    _assert_segments_close(ours.segments, expected, tolerance)
    silent = sum(end - start for start, end in expected)
    assert ours.percentage == pytest.approx(100.0 * silent / ours.duration, abs=1.0)


@pytest.mark.parametrize(
    ("name", "noise_db", "min_duration"),
    [
        ("noise_peak_-49dB", -40.0, 1.0),
        ("noise_peak_-49dB", -40.0, 2.0),
        ("sine_peak_-49dB", -45.5, 0.25),
        ("gaps_stereo", -30.0, 0.3),
        ("gaps_stereo_aac", -70.0, 0.2),
    ],
)
def test_settings_match_ffmpeg(
    generated: dict[str, Generated], name: str, noise_db: float, min_duration: float
) -> None:
    file = generated[name]
    ours = file.detect(threshold_db=noise_db, min_duration=min_duration)
    reference = ffmpeg_silencedetect(file.path, noise_db, min_duration)
    assert ours.segment_count == len(reference.segments)
    assert ours.percentage == pytest.approx(reference.percentage, abs=1.0)
    _assert_segments_close(ours.segments, reference.segments, file.case.boundary_tolerance)


@pytest.mark.parametrize("name", list(CASES))
def test_block_sizes_do_not_change_the_result(generated: dict[str, Generated], name: str) -> None:
    file = generated[name]
    whole = file.detect()
    edges = [round(t * RATE) + shift for seg in whole.segments for t in seg for shift in (-1, 0, 1)]
    for seed in range(3):
        detector = SilenceDetector(file.sample_rate, file.samples.shape[0])
        for block in random_blocks(file.samples, seed, cuts=edges):
            detector.add(block)
        assert detector.result() == whole


def test_segment_list_is_capped_but_everything_counts(generated: dict[str, Generated]) -> None:
    file = generated["gaps_stereo"]
    full = file.detect()
    assert full.segment_count == 2
    capped = file.detect(max_segments=1)
    assert capped.segments == full.segments[:1]
    assert capped.segment_count == full.segment_count
    assert capped.percentage == full.percentage


@pytest.mark.parametrize("seed", range(40))
def test_matches_the_per_sample_loop_on_random_patterns(seed: int) -> None:
    """Short random quiet/loud patterns per channel, tiny minimum durations, random cuts:
    every way a run can start or end mid-frame, at a block edge, or last exactly d."""
    rng = np.random.default_rng(seed)
    channels = int(rng.integers(1, 4))
    min_frames = int(rng.integers(1, 12))
    rate = 1000
    threshold = 0.01
    lengths = rng.integers(1, 3 * min_frames + 2, size=(channels, 60))
    levels = rng.choice([0.0, 0.004, -0.009, 0.0099, 0.01, -0.01, 0.3], size=(channels, 60))
    frames = int(lengths.sum(axis=1).min())
    samples = np.stack([np.repeat(levels[c], lengths[c])[:frames] for c in range(channels)]).astype(
        np.float32
    )
    detector = SilenceDetector(
        rate,
        channels,
        threshold_db=20 * np.log10(threshold),
        min_duration=min_frames / rate,
        max_segments=10_000,
    )
    for block in random_blocks(samples, seed):
        detector.add(block)
    result = detector.result()
    expected = silencedetect_by_hand(samples, 10 ** (20 * np.log10(threshold) / 20), min_frames)
    assert [(round(a * rate), round(b * rate)) for a, b in result.segments] == expected
    assert result.segment_count == len(expected)
    silent = sum(b - a for a, b in expected)
    assert result.percentage == pytest.approx(100.0 * silent / frames)
