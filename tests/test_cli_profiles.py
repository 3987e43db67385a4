"""QC profiles from the shell: `profiles`, `analyse --profile`, `judge`, `--fail-on`, exit codes.

Real processes, as a user or a CI pipeline runs them. Re-judging is shown to
decode nothing: the judging process never imports PyAV.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.mediagen import write_audio

RATE = 48000
BAD_PROFILE = """\
name: acme-hd-ad
description: An HD spot.
extends: ebu-r128s1
rules:
  - code: VIDEO_BIT_RATE
    field: video_analysis.bitrate
    min: 15000000
  - code: AUDIO_LAYOUT
    field: audio_analysis.channel_layout
    one_off: ["5.1"]
"""


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of a 1 kHz stereo tone at -24 LUFS (ALAC in MP4): ATSC A/85 passes, R 128 fails."""
    t = np.arange(6 * RATE) / RATE
    tone = 10 ** (-24 / 20) * np.sin(2 * np.pi * 1000.0 * t)
    return write_audio(tmp_path_factory.mktemp("cli") / "programme.mp4", np.vstack([tone, tone]))


@pytest.fixture(scope="module")
def saved(programme: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `analyse --json` writes for the programme, against the default profile."""
    run = cli("analyse", "--json", str(programme))
    assert run.returncode == 0, run.stderr
    path = tmp_path_factory.mktemp("saved") / "result.json"
    path.write_text(run.stdout, encoding="utf-8")
    return path


def test_the_readable_report_shows_the_verdict_first(programme: Path) -> None:
    run = cli("analyse", "--profile", "ebu-r128", str(programme))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    # Information: no video track, and a 6 s loudness range resting on too few values.
    expected = "verdict FAIL by ebu-r128: LOUDNESS_OUT_OF_RANGE (1 error, 0 warning, 2 info)"
    assert " ".join(lines[1].split()) == expected
    assert lines[-1].endswith("verdicts: 0 pass, 0 warn, 1 fail")


def test_fail_on_gates_the_exit_status_on_the_verdicts(programme: Path) -> None:
    assert (
        cli("analyse", "--profile", "ebu-r128", "--fail-on", "error", str(programme)).returncode
        == 3
    )
    assert (
        cli("analyse", "--profile", "atsc-a85", "--fail-on", "error", str(programme)).returncode
        == 0
    )
    # A file that cannot be analysed stays exit 1: it is not a verdict.
    missing = str(programme.with_name("missing.mp4"))
    assert cli("analyse", "--fail-on", "error", missing).returncode == 1


def test_judge_gives_a_saved_result_another_verdict_without_decoding(saved: Path) -> None:
    script = (
        "import sys\n"
        "from mp4_small_analyser.cli import main\n"
        f"status = main(['judge', {str(saved)!r}, '--profile', 'atsc-a85', '--json', "
        "'--fail-on', 'warning'])\n"
        "assert 'av' not in sys.modules, 'judging imported the decoder'\n"
        "sys.exit(status)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)
    assert result["results"]["verdict"]["status"] == "pass"
    assert result["results"]["verdict"]["profile"] == "atsc-a85"
    assert result["results"]["profile"] == "atsc-a85"
    stored = json.loads(saved.read_text())[0]
    assert stored["results"]["verdict"]["status"] == "fail"
    # The measures are the stored ones, the quality score too (it ignores the profile).
    assert result["results"]["audio_analysis"] == stored["results"]["audio_analysis"]


JUDGE_STDIN = ("judge", "-", "--profile", "ebu-r128", "--fail-on", "error")


def test_judge_reads_stdin_and_gates_on_the_new_verdict(saved: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", *JUDGE_STDIN],
        input=saved.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 3, run.stderr
    assert "FAIL by ebu-r128: LOUDNESS_OUT_OF_RANGE" in run.stdout


def test_judge_refuses_what_is_not_a_saved_result(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"status": "completed"}')
    run = cli("judge", str(junk), "--profile", "ebu-r128")
    assert run.returncode == 2
    assert "not task results" in run.stderr


def test_profiles_list_and_show_merge_the_parents() -> None:
    listing = cli("profiles", "list")
    assert listing.returncode == 0, listing.stderr
    names = [line.split()[0] for line in listing.stdout.splitlines()]
    for name in ("ebu-r128", "ebu-r128-live", "ebu-r128-s1", "atsc-a85", "op-59", "arib-tr-b32"):
        assert name in names
    shown = cli("profiles", "show", "ebu-r128-s1", "--json")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["extends_chain"] == ["ebu-r128", "technical"]
    origins = {rule["code"]: rule["from"] for rule in document["rules"]}
    assert origins["MAX_SHORT_TERM_OVER_LIMIT"] == "ebu-r128-s1"
    assert origins["LOUDNESS_OUT_OF_RANGE"] == "ebu-r128"
    assert origins["CLIPPING"] == "technical"


def test_a_folder_of_profiles_joins_the_built_ins(tmp_path: Path) -> None:
    (tmp_path / "house.yaml").write_text(
        "name: house\ndescription: Our spec.\nextends: atsc-a85\n", encoding="utf-8"
    )
    (tmp_path / "ebu-r128.yaml").write_text("name: ebu-r128\ndescription: shadow\n")
    env = {"PROFILES_DIR": str(tmp_path)}
    listing = cli("profiles", "list", env=env)
    assert "house" in listing.stdout.split()
    assert "the name 'ebu-r128' is taken by a built-in profile" in listing.stderr
    assert listing.returncode == 2


def test_a_bad_profile_exits_2_naming_every_problem(tmp_path: Path, programme: Path) -> None:
    path = tmp_path / "acme-hd-ad.yaml"
    path.write_text(BAD_PROFILE, encoding="utf-8")
    for run in (
        cli("profiles", "validate", str(path)),
        cli("analyse", "--profile", str(path), str(programme)),
    ):
        assert run.returncode == 2
        assert run.stdout == ""
        assert (
            "rules[1] (AUDIO_LAYOUT): unknown key 'one_off'; did you mean 'one_of'?" in run.stderr
        )
        assert (
            "extends: unknown parent profile 'ebu-r128s1'; did you mean 'ebu-r128-s1'?"
            in run.stderr
        )
        assert (
            "rules[0] (VIDEO_BIT_RATE).field: unknown field 'video_analysis.bitrate'" in run.stderr
        )


def test_an_unknown_profile_name_suggests_the_closest(programme: Path) -> None:
    run = cli("analyse", "--profile", "ebu-r182", str(programme))
    assert run.returncode == 2
    assert "no such profile; did you mean 'ebu-r128'?" in run.stderr


def test_a_profile_file_judges_the_analysis(tmp_path: Path, programme: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "name: spec\ndescription: x\nextends: ebu-r128-live\n"
        "rules:\n  - code: STEREO_ONLY\n    field: audio_analysis.channels\n    equals: 1\n",
        encoding="utf-8",
    )
    run = cli("analyse", "--json", "--profile", str(path), str(programme))
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)
    verdict = result["results"]["verdict"]
    assert (verdict["status"], verdict["profile"], verdict["decided_by"]) == (
        "fail",
        "spec",
        ["STEREO_ONLY"],
    )
    assert result["metadata"]["options"]["profile"] == "spec"
