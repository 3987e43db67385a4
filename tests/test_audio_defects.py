"""Audio defects measured on generated MP4 files, decoded through the product's path."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser.analysis.audio.defects import (
    CLIP_LEVEL,
    MIN_CLIP_RUN,
    AudioDefectMeter,
    AudioDefects,
)
from tests.audiopath import RATE, db, decode_audio, random_blocks, tone
from tests.mediagen import write_audio

LSB_16 = 1.0 / 32768


def clipped_sine(seconds: float, freq: float, gain: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return np.clip(gain * np.sin(2 * np.pi * freq * t), -1.0, 1.0)


def with_bursts(signal: np.ndarray, lengths: list[int], value: float) -> np.ndarray:
    """`signal` with runs of `value` of the given lengths, spread evenly."""
    out = signal.copy()
    spacing = signal.size // (len(lengths) + 1)
    for i, length in enumerate(lengths, start=1):
        out[i * spacing : i * spacing + length] = value
    return out


def noise(seconds: float, seed: int, amplitude: float = 0.25) -> np.ndarray:
    return amplitude * np.random.default_rng(seed).standard_normal(round(seconds * RATE))


@dataclass(frozen=True)
class Spec:
    make: Callable[[], np.ndarray]
    codec: str = "alac"
    layout: str | None = None


SPECS: dict[str, Spec] = {
    "clip_mix": Spec(
        lambda: np.stack(
            [
                np.concatenate(
                    [
                        clipped_sine(1.0, 100.0, 1.25),
                        with_bursts(tone(1.0), [1, 2, 3, 1, 2, 5, 4], -1.0),
                    ]
                ),
                np.concatenate([tone(1.0), clipped_sine(1.0, 997.0, 1.0)]),
            ]
        )
    ),
    "peaks_not_clips": Spec(lambda: np.stack([with_bursts(tone(0.5), [1, 2, 1, 2, 2], 1.0)] * 2)),
    "clip_aac": Spec(lambda: np.stack([clipped_sine(1.0, 1000.0, 2.0)] * 2), codec="aac"),
    "clean_aac": Spec(lambda: np.stack([tone(1.0, amplitude=db(-1.0))] * 2), codec="aac"),
    "dc_offset": Spec(lambda: np.stack([tone(1.0, 0.3) + 0.05, tone(1.0, 0.3) - 0.02])),
    "right_dead": Spec(lambda: np.stack([tone(1.0), np.zeros(RATE)])),
    "right_dither_1lsb": Spec(
        lambda: np.stack([tone(1.0), LSB_16 * np.random.default_rng(4).integers(-1, 2, RATE)])
    ),
    "right_dither_4lsb": Spec(
        lambda: np.stack([tone(1.0), LSB_16 * np.random.default_rng(5).integers(-4, 5, RATE)])
    ),
    "all_silent": Spec(lambda: np.zeros((2, RATE))),
    "mono_silent": Spec(lambda: np.zeros((1, RATE))),
    "lfe_dead_5.1": Spec(
        lambda: np.stack([tone(1.0, 0.2)] * 3 + [np.zeros(RATE)] + [tone(1.0, 0.2)] * 2),
        layout="5.1",
    ),
    "in_phase": Spec(lambda: np.stack([noise(1.0, 6)] * 2)),
    "anti_phase": Spec(lambda: np.stack([noise(1.0, 7), -noise(1.0, 7)])),
    "anti_phase_aac": Spec(lambda: np.stack([noise(1.0, 8), -noise(1.0, 8)]), codec="aac"),
    "uncorrelated": Spec(lambda: np.stack([noise(1.0, 9), noise(1.0, 10)])),
    "loud_in_phase_quiet_anti_phase": Spec(
        lambda: np.stack(
            [
                np.concatenate([noise(1.0, 11), noise(3.0, 12, 0.03)]),
                np.concatenate([noise(1.0, 11), -noise(3.0, 12, 0.03)]),
            ]
        )
    ),
}


@dataclass(frozen=True)
class Generated:
    source: np.ndarray
    """The generated signal, before encoding."""
    samples: np.ndarray
    """What decode.py returns for the encoded file."""

    def measure(self) -> AudioDefects:
        meter = AudioDefectMeter(self.samples.shape[0])
        meter.add(self.samples)
        return meter.result()


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    folder = tmp_path_factory.mktemp("defects")
    files = {}
    for name, spec in SPECS.items():
        source = spec.make()
        bit_rate = 128_000 if spec.codec == "aac" else None
        path = write_audio(
            Path(folder / f"{name}.m4a"), source, RATE, spec.codec, spec.layout, bit_rate=bit_rate
        )
        files[name] = Generated(source, decode_audio(path)[1])
    return files


def clipping_by_hand(signal: np.ndarray) -> tuple[int, int]:
    """(samples, runs) of clipping, one sample at a time: the reference for the meter."""
    count = runs = 0
    for channel in signal:
        for clipped, group in itertools.groupby(np.abs(channel) >= CLIP_LEVEL):
            length = sum(1 for _ in group)
            if clipped and length >= MIN_CLIP_RUN:
                count, runs = count + length, runs + 1
    return count, runs


@pytest.mark.parametrize("name", ["clip_mix", "peaks_not_clips", "in_phase", "dc_offset"])
def test_clipping_counts_runs_of_full_scale_samples(
    generated: dict[str, Generated], name: str
) -> None:
    file = generated[name]
    count, runs = clipping_by_hand(file.source)
    clipping = file.measure().clipping
    assert (clipping.count, clipping.runs) == (count, runs)
    assert clipping.ratio == pytest.approx(count / file.source.size)


def test_clip_mix_has_the_clips_it_was_built_with(generated: dict[str, Generated]) -> None:
    clipping = generated["clip_mix"].measure().clipping
    flat_tops = 2 * 100  # a 100 Hz sine clipped at 1.25x has two flat tops a cycle
    bursts_of_three_or_more = 3  # the runs of 3, 5 and 4 samples at -1.0
    assert clipping.runs == flat_tops + bursts_of_three_or_more


def test_single_and_paired_full_scale_samples_are_not_clipping(
    generated: dict[str, Generated],
) -> None:
    assert float(np.abs(generated["peaks_not_clips"].samples).max()) >= CLIP_LEVEL
    clipping = generated["peaks_not_clips"].measure().clipping
    assert (clipping.count, clipping.runs, clipping.ratio) == (0, 0, 0.0)


def test_clipping_survives_aac_as_a_lower_bound(generated: dict[str, Generated]) -> None:
    clipped = generated["clip_aac"]
    source_count, _ = clipping_by_hand(clipped.source)
    measured = clipped.measure().clipping
    assert 0 < measured.count < source_count
    assert measured.runs > 0
    assert generated["clean_aac"].measure().clipping.count == 0


@pytest.mark.parametrize("name", ["dc_offset", "anti_phase", "clip_mix"])
def test_dc_offset_is_the_mean_per_channel(generated: dict[str, Generated], name: str) -> None:
    file = generated[name]
    encoded = np.clip(file.source, -1.0, 1.0)
    assert file.measure().dc_offset == pytest.approx(encoded.mean(axis=1).tolist(), abs=1e-6)


@pytest.mark.parametrize(
    ("name", "silent"),
    [
        ("right_dead", [1]),
        ("right_dither_1lsb", [1]),
        ("right_dither_4lsb", []),
        ("lfe_dead_5.1", [3]),
        ("all_silent", []),
        ("mono_silent", []),
        ("anti_phase", []),
    ],
)
def test_channels_silent_while_another_is_not(
    generated: dict[str, Generated], name: str, silent: list[int]
) -> None:
    assert generated[name].measure().channels_silent == silent


@pytest.mark.parametrize(
    ("name", "issue", "tolerance"),
    [
        ("in_phase", False, 0.01),
        ("anti_phase", True, 0.01),
        ("uncorrelated", False, 0.01),
        ("loud_in_phase_quiet_anti_phase", False, 0.01),
        # AAC adds coding noise independent per channel: white noise at 128 kbit/s comes
        # back at about -0.8, still far past the limit.
        ("anti_phase_aac", True, 0.3),
    ],
)
def test_phase_correlation_of_stereo(
    generated: dict[str, Generated], name: str, issue: bool, tolerance: float
) -> None:
    file = generated[name]
    defects = file.measure()
    expected = float(np.corrcoef(file.source[0], file.source[1])[0, 1])
    assert defects.phase_correlation == pytest.approx(expected, abs=tolerance)
    assert defects.phase_issue is issue


@pytest.mark.parametrize("name", ["right_dead", "all_silent", "lfe_dead_5.1", "mono_silent"])
def test_phase_is_not_measured_without_two_live_channels(
    generated: dict[str, Generated], name: str
) -> None:
    defects = generated[name].measure()
    assert defects.phase_correlation is None
    assert defects.phase_issue is None


@pytest.mark.parametrize("name", list(SPECS))
def test_block_sizes_do_not_change_the_result(generated: dict[str, Generated], name: str) -> None:
    file = generated[name]
    whole = file.measure()
    clipped = (np.abs(file.samples) >= CLIP_LEVEL).any(axis=0)
    edges = np.flatnonzero(np.diff(clipped.astype(np.int8))) + 1
    cuts = [int(e) + shift for e in edges for shift in (-1, 0, 1)]
    for seed in range(3):
        meter = AudioDefectMeter(file.samples.shape[0])
        for block in random_blocks(file.samples, seed, cuts=cuts):
            meter.add(block)
        result = meter.result()
        assert result.clipping == whole.clipping
        assert result.channels_silent == whole.channels_silent
        assert result.dc_offset == pytest.approx(whole.dc_offset, abs=1e-9)
        if whole.phase_correlation is None:
            assert result.phase_correlation is None
        else:
            assert result.phase_correlation == pytest.approx(whole.phase_correlation, abs=1e-9)
        assert result.phase_issue == whole.phase_issue
