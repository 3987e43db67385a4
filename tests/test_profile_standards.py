"""Every built-in profile judged on EBU Tech 3341-style signals carried through real MP4 files.

Tech 3341's convention: a 1 kHz sine whose peak is X dBFS on both channels of a
stereo pair reads X LUFS. Each signal is written losslessly (ALAC in MP4),
analysed once by the full pipeline, then judged against every profile (analyse
once, judge many). Levels sit at each profile's target, just inside its
tolerance and just outside it; the assertions are the standards' own figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mp4_small_analyser.analysis.judging import builtin_library, judge_task
from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.models import CompletedResult
from tests.mediagen import write_audio

RATE = 48000
LIBRARY = builtin_library()
LOUDNESS_PROFILES = [
    name for name in LIBRARY.names() if LIBRARY.get(name).rule("LOUDNESS_OUT_OF_RANGE")
]
JUDGED = ("LOUDNESS_OUT_OF_RANGE", "TRUE_PEAK_OVER_LIMIT", "MAX_SHORT_TERM_OVER_LIMIT")


def sine(level_dbfs: float, seconds: float, freq: float = 1000.0, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return 10.0 ** (level_dbfs / 20.0) * np.sin(2 * np.pi * freq * t + math.radians(phase))


def short_ad(integrated: float, burst: float, seconds: float = 30.0) -> np.ndarray:
    """An ad at `integrated` LUFS whose loudest 3 s read `burst` LUFS (short-term).

    The bed level follows from energy averaging (every block is above both gates):
    seconds * 10^(I/10) = (seconds - 3) * 10^(bed/10) + 3 * 10^(burst/10)."""
    loud = 3.0
    bed = 10 * math.log10(
        (seconds * 10 ** (integrated / 10) - loud * 10 ** (burst / 10)) / (seconds - loud)
    )
    edge = (seconds - loud) / 2
    t = np.arange(round(seconds * RATE)) / RATE
    levels = np.where((t >= edge) & (t < edge + loud), burst, bed)
    return 10.0 ** (levels / 20.0) * np.sin(2 * np.pi * 1000.0 * t)


class Analysed:
    """Each signal written to an MP4 and analysed once, the first time it is asked for."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._results: dict[str, CompletedResult] = {}

    def __call__(self, name: str, mono: np.ndarray) -> CompletedResult:
        if name not in self._results:
            path = write_audio(self._folder / f"{name}.mp4", np.vstack([mono, mono]), RATE)
            result = run_task(str(path))
            assert isinstance(result, CompletedResult), result
            self._results[name] = result
        return self._results[name]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    return Analysed(tmp_path_factory.mktemp("standards"))


def codes(result: CompletedResult, profile: str) -> list[str]:
    judged = judge_task(result, LIBRARY.get(profile))
    assert isinstance(judged, CompletedResult)
    return [check.code for check in judged.results.checks if check.code in JUDGED]


def test_a_minus_24_lkfs_programme_passes_atsc_a85_and_fails_ebu_r128(analysed: Analysed) -> None:
    programme = analysed("minus24", sine(-24.0, 20.0))
    audio = programme.results.audio_analysis
    assert audio is not None and audio.loudness_integrated == pytest.approx(-24.0, abs=0.05)
    assert codes(programme, "atsc-a85") == []
    assert codes(programme, "ebu-r128") == ["LOUDNESS_OUT_OF_RANGE"]
    assert codes(programme, "ebu-r128-live") == []  # 1.0 LU off: inside the live ±1 LU
    assert codes(programme, "op-59") == []
    assert codes(programme, "arib-tr-b32") == []


def test_an_ad_at_minus_23_whose_loudest_3_s_reach_minus_16_fails_r128_s1_only(
    analysed: Analysed,
) -> None:
    ad = analysed("ad_burst16", short_ad(-23.0, -16.0))
    audio = ad.results.audio_analysis
    assert audio is not None and audio.loudness_integrated is not None
    assert audio.loudness_integrated == pytest.approx(-23.0, abs=0.1)
    assert audio.max_short_term == pytest.approx(-16.0, abs=0.1)
    assert codes(ad, "ebu-r128") == []
    judged = judge_task(ad, LIBRARY.get("ebu-r128-s1"))
    assert isinstance(judged, CompletedResult) and judged.results.verdict is not None
    assert judged.results.verdict.status == "fail"
    assert judged.results.verdict.decided_by == ["MAX_SHORT_TERM_OVER_LIMIT"]
    assert judged.results.checks[0].message == (
        "The loudest 3 s reach -16.0 LUFS short-term, above the -18.0 LUFS limit of "
        "ebu-r128-s1 for short-form content."
    )


def test_the_same_ad_with_its_loudest_3_s_at_minus_18_5_passes_r128_s1(
    analysed: Analysed,
) -> None:
    ad = analysed("ad_burst18", short_ad(-23.0, -18.5))
    assert codes(ad, "ebu-r128-s1") == []


@pytest.mark.parametrize("name", LOUDNESS_PROFILES)
def test_every_loudness_profile_at_its_target_and_either_side_of_its_tolerance(
    analysed: Analysed, name: str
) -> None:
    compiled = LIBRARY.get(name).rule("LOUDNESS_OUT_OF_RANGE")
    assert compiled is not None
    target, tolerance = compiled.rule.target, compiled.rule.tolerance
    assert target is not None and tolerance is not None
    inside = [target, target - tolerance + 0.15, target + tolerance - 0.15]
    outside = [target - tolerance - 0.3, target + tolerance + 0.3]
    for level in inside:
        found = codes(analysed(f"level{level:+.2f}", sine(level, 6.0)), name)
        assert found == [], (level, found)
    for level in outside:
        found = codes(analysed(f"level{level:+.2f}", sine(level, 6.0)), name)
        assert found == ["LOUDNESS_OUT_OF_RANGE"], (level, found)


def test_a_profile_without_a_loudness_target_passes_the_reference_tone(
    analysed: Analysed,
) -> None:
    tone = analysed("level-23.00", sine(-23.0, 6.0))
    judged = judge_task(tone, LIBRARY.get("technical"))
    assert isinstance(judged, CompletedResult) and judged.results.verdict is not None
    assert judged.results.verdict.status == "pass"


def test_true_peak_between_samples_decides_a85_but_not_r128(analysed: Analysed) -> None:
    # Tech 3341 case 16's shape: a sine at fs/4 sampled 45 degrees off its peaks, so the sample
    # peak reads 3 dB under the true peak. True peak -1.5 dBTP: under R 128's -1, over A/85's -2.
    tone = analysed("intersample", sine(-1.5, 6.0, freq=12000.0, phase=45.0))
    audio = tone.results.audio_analysis
    assert audio is not None and audio.true_peak is not None and audio.sample_peak is not None
    assert audio.true_peak == pytest.approx(-1.5, abs=0.2)
    assert audio.sample_peak == pytest.approx(-4.5, abs=0.1)
    assert "TRUE_PEAK_OVER_LIMIT" not in codes(tone, "ebu-r128")
    assert "TRUE_PEAK_OVER_LIMIT" in codes(tone, "atsc-a85")
