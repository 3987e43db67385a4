"""Loudness meter against EBU Tech 3341 / 3342, a direct filter reference and FFmpeg's ebur128.

Every spec signal is synthesised from the spec's description, written to an ALAC
MP4 at 48 kHz (24-bit, so quantisation stays ~140 dB down) and measured through
the product's decode path, block by block as the analysis feeds it.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser.analysis.audio.k_weighting import KWeightingFilter, k_weighting_biquads
from mp4_small_analyser.analysis.audio.loudness import (
    LoudnessMeter,
    LoudnessResult,
    channel_weights,
    lufs,
)
from mp4_small_analyser.analysis.audio.true_peak import (
    ANNEX2_PHASES,
    PeakMeter,
    oversampling_factor,
)
from tests.audiopath import decoded_blocks, random_blocks
from tests.mediagen import write_audio

RATE = 48000
SILENT = -math.inf
BURST_OFFSETS = (0.0, 0.0171, 0.05, 0.0999)
"""Seconds past a whole second at which the Tech 3341 case 10 / 13 style bursts start."""


def level(dbfs: float) -> float:
    return float(10.0 ** (dbfs / 20.0))


def tone_sequence(
    segments: Sequence[tuple[float, float]], rate: int = RATE, freq: float = 1000.0
) -> np.ndarray:
    """A phase-continuous sine whose peak level steps through (dBFS, seconds) segments."""
    counts = [round(seconds * rate) for _, seconds in segments]
    envelope = np.concatenate(
        [np.full(count, level(dbfs)) for (dbfs, _), count in zip(segments, counts, strict=True)]
    )
    return envelope * np.sin(2 * np.pi * freq * np.arange(envelope.size) / rate)


def stereo(signal: np.ndarray) -> np.ndarray:
    return np.vstack([signal, signal])


def sine_at(
    freq: float, amplitude: float, phase_deg: float, seconds: float = 1.0, rate: int = RATE
) -> np.ndarray:
    """A sine faded in and out over 20 ms: a sine switched on at full level is not band-
    limited, and its reconstruction overshoots the crest at the onset (FFmpeg's 192 kHz
    resampler reads +0.6 dB there), which would test the onset rather than the phase."""
    t = np.arange(round(seconds * rate)) / rate
    fade = np.clip(np.minimum(t, t[-1] - t) / 0.02, 0.0, 1.0)
    envelope = amplitude * 0.5 * (1.0 - np.cos(np.pi * fade))
    return envelope * np.sin(2 * np.pi * freq * t + math.radians(phase_deg))


def pulse_train(
    offset: float, count: int = 10, seconds: float = 1.0, cutoff: float = 15000.0
) -> np.ndarray:
    """Band-limited pulses (Hann-windowed sinc, < 16 kHz) of continuous peak exactly 1.0
    (0 dBTP), each centred `offset` of a sample after a sampling instant."""
    n = np.arange(round(seconds * RATE))
    half_width = 0.002 * RATE
    signal = np.zeros(n.size)
    for i in range(count):
        distance = n - (round((i + 0.5) * n.size / count) + offset)
        window = np.where(
            np.abs(distance) < half_width, 0.5 * (1 + np.cos(np.pi * distance / half_width)), 0.0
        )
        signal += np.sinc(2 * cutoff / RATE * distance) * window
    return signal


def repeat(segments: list[tuple[float, float]], times: int) -> list[tuple[float, float]]:
    return segments * times


def programme(seconds: float, channels: int, seed: int) -> np.ndarray:
    """Pink noise whose level wanders over ~25 dB, with pauses: every frequency band, the
    gates and the loudness range get work, unlike the spec's 1 kHz tones."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    spectrum = np.fft.rfft(rng.standard_normal((channels, n)), axis=1)
    frequencies = np.fft.rfftfreq(n, 1.0 / RATE)
    frequencies[0] = frequencies[1]
    pink = np.fft.irfft(spectrum / np.sqrt(frequencies), n=n, axis=1)
    t = np.arange(n) / RATE
    level_db = -12.0 * (np.sin(2 * np.pi * t / 7.3) > 0.2) - 6.0 * np.sin(2 * np.pi * t / 2.1) - 8.0
    pauses = np.sin(2 * np.pi * t / 3.7) > -0.8
    return pink / np.abs(pink).max() * 10.0 ** (level_db / 20.0) * pauses


@dataclass(frozen=True)
class Signal:
    samples: np.ndarray
    layout: str | None = None
    rate: int = RATE
    codec: str = "alac"


def _case6(lfe: np.ndarray | None) -> Signal:
    """Tech 3341 case 6: L, R at -28, C at -24, Ls, Rs at -30 dBFS (1 kHz, 20 s)."""
    front = tone_sequence([(-28.0, 20.0)])
    centre = tone_sequence([(-24.0, 20.0)])
    surround = tone_sequence([(-30.0, 20.0)])
    if lfe is None:
        return Signal(np.vstack([front, front, centre, surround, surround]), "5.0")
    return Signal(np.vstack([front, front, centre, lfe, surround, surround]), "5.1")


SIGNALS: dict[str, Callable[[], Signal]] = {
    # EBU Tech 3341, Table 1 (1 kHz sines, stereo unless said).
    "3341-1": lambda: Signal(stereo(tone_sequence([(-23.0, 20.0)]))),
    "3341-2": lambda: Signal(stereo(tone_sequence([(-33.0, 20.0)]))),
    "3341-3": lambda: Signal(stereo(tone_sequence([(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]))),
    "3341-4": lambda: Signal(
        stereo(
            tone_sequence(
                [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)]
            )
        )
    ),
    "3341-5": lambda: Signal(stereo(tone_sequence([(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]))),
    "3341-6": lambda: _case6(None),
    "3341-9": lambda: Signal(stereo(tone_sequence(repeat([(-20.0, 1.34), (-30.0, 1.66)], 5)))),
    "3341-12": lambda: Signal(stereo(tone_sequence(repeat([(-20.0, 0.18), (-30.0, 0.22)], 25)))),
    # Cases 10 / 13 (file-based meters): a -23 dBFS burst lasting exactly the window,
    # placed off the 100 ms grid, must still read -23 at its maximum. Four 5 s / 2 s
    # slots, the burst starting 1 s + offset into each.
    "3341-10": lambda: Signal(
        stereo(
            np.concatenate(
                [
                    tone_sequence([(SILENT, 1.0 + offset), (-23.0, 3.0), (SILENT, 1.0 - offset)])
                    for offset in BURST_OFFSETS
                ]
            )
        )
    ),
    "3341-13": lambda: Signal(
        stereo(
            np.concatenate(
                [
                    tone_sequence([(SILENT, 1.0 + offset), (-23.0, 0.4), (SILENT, 0.6 - offset)])
                    for offset in BURST_OFFSETS
                ]
            )
        )
    ),
    # True peak, Table 1 cases 15-23 (48 kHz, stereo). 15-19 are sines (frequency,
    # amplitude, phase of the first sample) as the spec gives them. For 20-23 the spec
    # has 0 dBTP peaks at sample offsets 0 to 3 (quarters); lacking its waveforms, they
    # are band-limited pulses whose continuous peak is 1.0 at offsets 0, 1/4, 1/2, 3/4.
    "3341-15": lambda: Signal(stereo(sine_at(RATE / 4, 0.5, 0.0))),
    "3341-16": lambda: Signal(stereo(sine_at(RATE / 4, 0.5, 45.0))),
    "3341-17": lambda: Signal(stereo(sine_at(RATE / 6, 0.5, 60.0))),
    "3341-18": lambda: Signal(stereo(sine_at(RATE / 8, 0.5, 67.5))),
    "3341-19": lambda: Signal(stereo(sine_at(RATE / 4, 1.41, 45.0))),
    "3341-20": lambda: Signal(stereo(pulse_train(0.0))),
    "3341-21": lambda: Signal(stereo(pulse_train(0.25))),
    "3341-22": lambda: Signal(stereo(pulse_train(0.5))),
    "3341-23": lambda: Signal(stereo(pulse_train(0.75))),
    # EBU Tech 3342, Table 1 (1 kHz sines, stereo, 20 s segments).
    "3342-1": lambda: Signal(stereo(tone_sequence([(-20.0, 20.0), (-30.0, 20.0)]))),
    "3342-2": lambda: Signal(stereo(tone_sequence([(-20.0, 20.0), (-15.0, 20.0)]))),
    "3342-3": lambda: Signal(stereo(tone_sequence([(-40.0, 20.0), (-20.0, 20.0)]))),
    "3342-4": lambda: Signal(
        stereo(
            tone_sequence(
                [(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)]
            )
        )
    ),
    # Layouts and rates beyond the spec tables.
    "5.1-loud-lfe": lambda: _case6(tone_sequence([(-3.0, 20.0)], freq=60.0)),
    "5.1-silent-lfe": lambda: _case6(np.zeros(20 * RATE)),
    "mono": lambda: Signal(tone_sequence([(-23.0, 10.0)])[None, :]),
    "programme-stereo-aac": lambda: Signal(programme(20.0, 2, seed=1), codec="aac"),
    "programme-5.1": lambda: Signal(programme(20.0, 6, seed=2), "5.1"),
    "stereo-44k": lambda: Signal(stereo(tone_sequence([(-23.0, 10.0)], rate=44100)), rate=44100),
    "stereo-96k": lambda: Signal(stereo(tone_sequence([(-23.0, 5.0)], rate=96000)), rate=96000),
    "96k-fs4-45deg": lambda: Signal(stereo(sine_at(24000, 0.5, 45.0, 1.0, 96000)), rate=96000),
    "stereo-192k": lambda: Signal(stereo(tone_sequence([(-23.0, 5.0)], rate=192000)), rate=192000),
}


class Files:
    """Each signal written once per session into an MP4 (ALAC unless said), on first use."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._paths: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        if name not in self._paths:
            signal = SIGNALS[name]()
            path = self._directory / f"{name}.m4a"
            write_audio(
                path,
                signal.samples,
                signal.rate,
                codec=signal.codec,
                layout=signal.layout,
                bit_rate=192000 if signal.codec == "aac" else None,
            )
            self._paths[name] = path
        return self._paths[name]


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("loudness"))


def measure(path: Path) -> LoudnessResult:
    fmt, blocks = decoded_blocks(path)
    rate, names = fmt.sample_rate, fmt.channel_names
    meter = LoudnessMeter(rate, names)
    for block in blocks:
        meter.add(block)
    return meter.result()


@dataclass(frozen=True)
class FfmpegReading:
    integrated: float
    loudness_range: float
    true_peak: float


def ffmpeg_ebur128(path: Path, tmp_path: Path) -> FfmpegReading:
    """FFmpeg's ebur128=peak=true, read from its last frame's metadata (3 decimals)."""
    metadata = tmp_path / f"{path.stem}.meta"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-nostats",
            "-hide_banner",
            "-i",
            str(path),
            "-af",
            f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={metadata}",
            "-f",
            "null",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    values: dict[str, float] = {}
    for key, value in re.findall(r"^lavfi\.r128\.([\w.]+)=(\S+)$", metadata.read_text(), re.M):
        values[key] = float(value)
    return FfmpegReading(values["I"], values["LRA"], 20 * math.log10(values["true_peak"]))


# --- K-weighting: coefficients and exactness -------------------------------------------


def test_k_weighting_coefficients_reproduce_the_bs1770_tables_at_48k() -> None:
    shelf, high_pass = k_weighting_biquads(48000)
    # ITU-R BS.1770-4 Annex 1, Tables 1 and 2.
    np.testing.assert_allclose(
        shelf.b, (1.53512485958697, -2.69169618940638, 1.19839281085285), atol=1e-13
    )
    np.testing.assert_allclose(shelf.a, (1.0, -1.69065929318241, 0.73248077421585), atol=1e-13)
    np.testing.assert_allclose(high_pass.b, (1.0, -2.0, 1.0))
    np.testing.assert_allclose(high_pass.a, (1.0, -1.99004745483398, 0.99007225036621), atol=1e-13)


def direct_k_weighting(signal: np.ndarray, rate: int) -> np.ndarray:
    """The two biquads as plain difference equations, one sample at a time."""
    out = [float(v) for v in signal]
    for biquad in k_weighting_biquads(rate):
        (b0, b1, b2), (_, a1, a2) = biquad.b, biquad.a
        x1 = x2 = y1 = y2 = 0.0
        for n, x in enumerate(out):
            y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x2, x1, y2, y1 = x1, x, y1, y
            out[n] = y
    return np.array(out)


@pytest.mark.parametrize("rate", [44100, 48000, 192000])
def test_block_recursive_k_weighting_equals_the_difference_equation(rate: int) -> None:
    rng = np.random.default_rng(rate)
    seconds = 0.25
    # Noise plus a DC step and a 30 Hz tone: they excite the slow RLB high-pass tail.
    noise = 0.3 * rng.standard_normal(round(seconds * rate))
    signal = (noise + 0.2 + 0.3 * np.sin(2 * np.pi * 30 * np.arange(noise.size) / rate)).astype(
        np.float32
    )
    reference = direct_k_weighting(signal.astype(np.float64), rate)
    filtering = KWeightingFilter(rate, 1)
    pieces = [
        filtering.process(block).copy()  # the result is the filter's work array
        for block in random_blocks(signal[None, :], seed=rate, cuts=[noise.size // 2])
    ]
    ours = np.concatenate(pieces, axis=1)[0]
    assert np.max(np.abs(ours - reference)) < 1e-5 * np.max(np.abs(reference))
    error_lu = abs(lufs(float(np.mean(ours**2))) - lufs(float(np.mean(reference**2))))
    assert error_lu < 0.001


def designed_gain_db(rate: int, freq: float) -> float:
    z = np.exp(-2j * np.pi * freq / rate)
    response = 1.0 + 0j
    for biquad in k_weighting_biquads(rate):
        (b0, b1, b2), (_, a1, a2) = biquad.b, biquad.a
        response *= (b0 + b1 * z + b2 * z * z) / (1.0 + a1 * z + a2 * z * z)
    return 20 * math.log10(abs(response))


@pytest.mark.parametrize("rate", [44100, 48000, 96000, 192000])
def test_k_weighting_response_at_every_rate(rate: int) -> None:
    """The designs agree across rates (997 Hz: +0.691 dB, the offset BS.1770 cancels, to
    0.03 dB of bilinear-transform warping); the streaming filter delivers the design."""
    assert designed_gain_db(rate, 997.0) == pytest.approx(0.691, abs=0.03)
    assert designed_gain_db(rate, 20.0) == pytest.approx(-13.3, abs=0.1)
    for freq in (997.0, 20.0, 10000.0):
        signal = np.sin(2 * np.pi * freq * np.arange(2 * rate) / rate).astype(np.float32)
        settled = KWeightingFilter(rate, 1).process(signal[None, :])[0, rate:]
        measured = 10 * math.log10(np.mean(settled**2) / 0.5)
        assert measured == pytest.approx(designed_gain_db(rate, freq), abs=0.002)


# --- EBU Tech 3341: integrated, momentary, short-term ---------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("3341-1", -23.0),
        ("3341-2", -33.0),
        ("3341-3", -23.0),
        ("3341-4", -23.0),
        ("3341-5", -23.0),
        ("3341-6", -23.0),
    ],
)
def test_tech3341_integrated_loudness(files: Files, name: str, expected: float) -> None:
    result = measure(files.path(name))
    assert result.integrated == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize(("name", "expected"), [("3341-1", -23.0), ("3341-2", -33.0)])
def test_tech3341_steady_tones_read_the_same_momentary_and_short_term(
    files: Files, name: str, expected: float
) -> None:
    result = measure(files.path(name))
    assert result.max_momentary == pytest.approx(expected, abs=0.1)
    assert result.max_short_term == pytest.approx(expected, abs=0.1)
    assert len(result.short_term_series) == 20
    assert result.short_term_series[:2] == [None, None]
    assert all(value == pytest.approx(expected, abs=0.1) for value in result.short_term_series[2:])


def test_tech3341_case9_short_term_is_constant_after_3s(files: Files) -> None:
    result = measure(files.path("3341-9"))
    assert result.max_short_term == pytest.approx(-23.0, abs=0.1)
    settled = result.short_term_series[2:]
    assert len(settled) == 13
    assert all(value == pytest.approx(-23.0, abs=0.1) for value in settled)
    # The -20 dBFS stretches are 1.34 s long: a 400 ms window sees them whole.
    assert result.max_momentary == pytest.approx(-20.0, abs=0.1)


def test_tech3341_case12_momentary_is_constant_after_1s(files: Files) -> None:
    result = measure(files.path("3341-12"))
    assert result.max_momentary == pytest.approx(-23.0, abs=0.1)
    assert result.integrated == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize(("name", "slot", "attribute"), [
    ("3341-10", 5.0, "max_short_term"),
    ("3341-13", 2.0, "max_momentary"),
])  # fmt: skip
def test_tech3341_cases_10_and_13_maxima_wherever_the_burst_falls(
    files: Files, name: str, slot: float, attribute: str
) -> None:
    fmt, blocks = decoded_blocks(files.path(name))
    rate, names = fmt.sample_rate, fmt.channel_names
    samples = np.concatenate(blocks, axis=1)
    size = round(slot * rate)
    assert samples.shape[1] == size * len(BURST_OFFSETS)
    for index in range(len(BURST_OFFSETS)):
        meter = LoudnessMeter(rate, names)
        meter.add(samples[:, index * size : (index + 1) * size])
        assert getattr(meter.result(), attribute) == pytest.approx(-23.0, abs=0.1)


# --- EBU Tech 3341: true peak ----------------------------------------------------------


TRUE_PEAK_CASES = [
    ("3341-15", -6.0),
    ("3341-16", -6.0),
    ("3341-17", -6.0),
    ("3341-18", -6.0),
    ("3341-19", 3.0),
    ("3341-20", 0.0),
    ("3341-21", 0.0),
    ("3341-22", 0.0),
    ("3341-23", 0.0),
]


@pytest.mark.parametrize(("name", "expected"), TRUE_PEAK_CASES)
def test_tech3341_true_peak(files: Files, name: str, expected: float) -> None:
    result = measure(files.path(name))
    assert result.true_peak is not None
    assert expected - 0.4 <= result.true_peak <= expected + 0.2


def test_true_peak_sees_between_samples_and_never_reads_below_sample_peak(files: Files) -> None:
    offsets = {name: measure(files.path(name)) for name in ("3341-16", "3341-22")}
    for result in offsets.values():
        assert result.true_peak is not None and result.sample_peak is not None
        assert result.true_peak >= result.sample_peak
    # 12 kHz at 45°: the samples sit 3 dB below the crest.
    assert offsets["3341-16"].sample_peak == pytest.approx(-6.02 - 3.01, abs=0.01)
    # A pulse half-way between two samples (expected from its own formula).
    assert offsets["3341-22"].sample_peak == pytest.approx(
        20 * math.log10(np.sinc(2 * 15000 / RATE * 0.5)), abs=0.05
    )


def test_true_peak_search_skips_nothing_that_matters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quiet sections are skipped; the result must equal interpolating every sample
    (np.convolve with each Annex 2 phase, from a zero history)."""
    interpolated: list[int] = []
    original = PeakMeter._interpolate

    def counting(self: PeakMeter, channel: int, stretch: np.ndarray) -> None:
        interpolated.append(stretch.size)
        original(self, channel, stretch)

    monkeypatch.setattr(PeakMeter, "_interpolate", counting)
    rng = np.random.default_rng(7)
    n = 5 * RATE
    envelope = 10.0 ** (rng.uniform(-50.0, -3.0, n // 4800).repeat(4800) / 20.0)
    signal = (rng.standard_normal((2, n)) * 0.3 * envelope).astype(np.float32)
    # A late, quieter burst than the first loud one must not hide a later higher peak.
    signal[1, 4 * RATE : 4 * RATE + 960] = 0.9 * np.sin(np.arange(960) * 2.9)
    per_channel = [
        max(
            max(
                float(np.abs(np.convolve(channel.astype(np.float64), phase)[:n]).max())
                for phase in ANNEX2_PHASES
            ),
            float(np.abs(channel).max()),
        )
        for channel in signal
    ]
    meter = PeakMeter(RATE, 2)
    for block in random_blocks(signal, seed=7):
        meter.add(block)
    assert meter.true_peak == pytest.approx(max(per_channel), rel=1e-6)
    assert meter.channel_true_peaks.tolist() == pytest.approx(per_channel, rel=1e-6)
    assert 0 < sum(interpolated) < signal.size / 2


def test_annex2_filter_is_the_symmetric_48_tap_prototype() -> None:
    prototype = ANNEX2_PHASES.T.reshape(-1)
    np.testing.assert_array_equal(prototype, prototype[::-1])
    assert ANNEX2_PHASES.sum(axis=1) == pytest.approx(np.ones(4), abs=0.03)
    assert [oversampling_factor(rate) for rate in (44100, 48000, 96000, 192000)] == [4, 4, 2, 1]


# --- EBU Tech 3342: loudness range -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"), [("3342-1", 10.0), ("3342-2", 5.0), ("3342-3", 20.0), ("3342-4", 15.0)]
)
def test_tech3342_loudness_range(files: Files, name: str, expected: float) -> None:
    result = measure(files.path(name))
    assert result.loudness_range == pytest.approx(expected, abs=1.0)


# --- Channels, rates, streaming --------------------------------------------------------


def test_lfe_is_excluded_from_loudness_but_not_from_peaks(files: Files) -> None:
    loud = measure(files.path("5.1-loud-lfe"))
    silent = measure(files.path("5.1-silent-lfe"))
    assert loud.integrated == pytest.approx(-23.0, abs=0.1)
    assert loud.integrated == pytest.approx(silent.integrated, abs=0.001)
    assert loud.max_momentary == pytest.approx(silent.max_momentary, abs=0.001)
    assert loud.sample_peak == pytest.approx(-3.0, abs=0.01)
    assert silent.sample_peak == pytest.approx(-24.0, abs=0.01)


def test_mono_counts_once(files: Files) -> None:
    result = measure(files.path("mono"))
    assert result.integrated == pytest.approx(-23.0 - 10 * math.log10(2), abs=0.1)


def test_channel_weights_follow_bs1770_positions() -> None:
    assert channel_weights(["FC"]) == (1.0,)
    assert channel_weights(["FL", "FR"]) == (1.0, 1.0)
    assert channel_weights(["FL", "FR", "FC", "LFE", "BL", "BR"]) == (1, 1, 1, 0, 1.41, 1.41)
    assert channel_weights(["FL", "FR", "FC", "LFE", "SL", "SR"]) == (1, 1, 1, 0, 1.41, 1.41)
    # 7.1: sides at ±90° are surrounds, the back pair at ±135° is not.
    assert channel_weights(["FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"]) == (
        1, 1, 1, 0, 1.0, 1.0, 1.41, 1.41,
    )  # fmt: skip
    assert channel_weights(["WL", "TFL", "LFE2", "USR7"]) == (1.41, 1.0, 0.0, 1.0)


@pytest.mark.parametrize("name", ["stereo-44k", "stereo-96k", "stereo-192k"])
def test_other_sample_rates(files: Files, name: str) -> None:
    result = measure(files.path(name))
    assert result.integrated == pytest.approx(-23.0, abs=0.1)
    assert result.true_peak == pytest.approx(-23.0, abs=0.1)


def test_true_peak_at_96k_oversamples_twice(files: Files) -> None:
    """fs/4 at 45°, as Tech 3341 case 16 but at 96 kHz: the 2x interpolator finds the crest."""
    result = measure(files.path("96k-fs4-45deg"))
    assert result.sample_peak == pytest.approx(-6.02 - 3.01, abs=0.01)
    assert result.true_peak is not None
    assert -6.0 - 0.4 <= result.true_peak <= -6.0 + 0.2


def test_block_sizes_do_not_change_the_result(files: Files) -> None:
    fmt, blocks = decoded_blocks(files.path("3341-9"))
    rate, names = fmt.sample_rate, fmt.channel_names
    samples = np.concatenate(blocks, axis=1)
    whole = LoudnessMeter(rate, names)
    whole.add(samples)
    pieces = LoudnessMeter(rate, names)
    for block in random_blocks(samples, seed=9):
        pieces.add(block)
    a, b = whole.result(), pieces.result()
    for field in ("integrated", "loudness_range", "max_momentary", "max_short_term"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), abs=1e-6)
    assert a.true_peak == b.true_peak and a.sample_peak == b.sample_peak
    assert len(a.short_term_series) == len(b.short_term_series) == 15


def test_short_and_silent_inputs() -> None:
    meter = LoudnessMeter(RATE, ["FL", "FR"])
    meter.add(stereo(tone_sequence([(-23.0, 0.3)])).astype(np.float32))
    short = meter.result()
    assert short.integrated is None and short.max_momentary is None
    assert short.sample_peak == pytest.approx(-23.0, abs=0.01)
    assert short.short_term_series == []

    meter.add(stereo(tone_sequence([(-23.0, 1.0)])).astype(np.float32))
    longer = meter.result()
    assert longer.integrated == pytest.approx(-23.0, abs=0.1)
    assert longer.max_short_term is None and longer.loudness_range is None
    assert longer.short_term_series == [None]

    silence = LoudnessMeter(RATE, ["FL", "FR"])
    silence.add(np.zeros((2, 5 * RATE), dtype=np.float32))
    result = silence.result()
    assert (result.integrated, result.loudness_range, result.true_peak, result.max_momentary) == (
        None, None, None, None,
    )  # fmt: skip
    assert result.short_term_series == [None] * 5


def test_series_is_capped_and_bad_blocks_are_refused() -> None:
    meter = LoudnessMeter(RATE, ["FC"], max_series_points=4)
    meter.add(tone_sequence([(-23.0, 6.5)])[None, :].astype(np.float32))
    assert len(meter.result().short_term_series) == 4
    with pytest.raises(ValueError, match="block"):
        meter.add(np.zeros((2, 10), dtype=np.float32))


def test_non_finite_samples_do_not_poison_the_result() -> None:
    signal = stereo(tone_sequence([(-23.0, 5.0)])).astype(np.float32)
    signal[0, 1000] = np.nan
    meter = LoudnessMeter(RATE, ["FL", "FR"])
    meter.add(signal)
    assert meter.result().integrated == pytest.approx(-23.0, abs=0.1)


def test_peak_meter_without_oversampling_at_192k() -> None:
    meter = PeakMeter(192000, 1)
    meter.add(np.array([[0.0, 0.5, -0.25]], dtype=np.float32))
    assert meter.true_peak == meter.sample_peak == 0.5


# --- Cross-check with FFmpeg's ebur128 -------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "3341-1",
        "3341-5",
        "3341-6",
        "5.1-loud-lfe",
        "mono",
        "3342-4",
        "stereo-44k",
        "programme-stereo-aac",
        "programme-5.1",
    ],
)
def test_matches_ffmpeg_ebur128_loudness(files: Files, tmp_path: Path, name: str) -> None:
    path = files.path(name)
    ours = measure(path)
    theirs = ffmpeg_ebur128(path, tmp_path)
    assert ours.integrated == pytest.approx(theirs.integrated, abs=0.1)
    assert ours.loudness_range == pytest.approx(theirs.loudness_range, abs=0.5)
    assert ours.true_peak == pytest.approx(theirs.true_peak, abs=0.3)


@pytest.mark.parametrize("name", ["3341-16", "3341-19", "3341-22"])
def test_matches_ffmpeg_ebur128_true_peak(files: Files, tmp_path: Path, name: str) -> None:
    path = files.path(name)
    assert measure(path).true_peak == pytest.approx(
        ffmpeg_ebur128(path, tmp_path).true_peak, abs=0.3
    )
