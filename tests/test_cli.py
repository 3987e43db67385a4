"""`mp4-analyser` as a user runs it: a real process, stdout JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mp4_small_analyser.models import task_result_adapter, task_result_json_schema
from tests.fixtures_media import GeneratedMedia

DOCS = Path(__file__).resolve().parent.parent / "docs"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_json_is_one_result_per_source_in_input_order(
    media: GeneratedMedia, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.mp4"
    text = tmp_path / "notes.txt"
    text.write_text("not a video\n")
    sources = [str(media.path("h264_aac")), str(missing), str(text), str(media.path("opus"))]
    run = cli("analyse", "--json", "--jobs", "2", *sources)
    assert run.returncode == 1, run.stderr
    results = [task_result_adapter.validate_python(r) for r in json.loads(run.stdout)]
    assert [r.file_url for r in results] == sources
    assert [r.status for r in results] == ["completed", "failed", "failed", "completed"]
    assert [getattr(r, "error_code", None) for r in results] == [
        None,
        "FILE_NOT_FOUND",
        "NOT_MP4",
        None,
    ]
    first = results[0]
    assert first.status == "completed"
    assert first.metadata.mode == "full"
    audio = first.results.audio_analysis
    assert audio is not None and audio.loudness_integrated is not None
    assert first.results.checks, "full analysis judges against the default profile"


def test_probe_mode_measures_nothing(media: GeneratedMedia) -> None:
    run = cli("analyse", "--probe", "--json", str(media.path("h264_aac")))
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)
    assert result["metadata"]["mode"] == "probe"
    assert result["results"]["video_analysis"]["codec"] == "h264"
    assert result["results"]["audio_analysis"]["loudness_integrated"] is None
    assert result["results"]["video_analysis"]["black_percentage"] is None


def test_profile_changes_the_judgement(media: GeneratedMedia) -> None:
    path = str(media.path("h264_aac"))
    web = json.loads(cli("analyse", "--json", "--profile", "web", path).stdout)[0]
    assert web["results"]["profile"] == "web"
    assert (
        "NOT_FASTSTART" in {c["code"] for c in web["results"]["checks"]}
        or web["results"]["file_info"]["faststart"]
    )


def test_table_output_names_every_source(media: GeneratedMedia, tmp_path: Path) -> None:
    missing = tmp_path / "gone.mp4"
    run = cli("analyse", "--probe", str(media.path("h264_aac")), str(missing))
    assert run.returncode == 1
    assert "completed" in run.stdout and "FILE_NOT_FOUND" in run.stdout


def test_usage_errors_exit_2(media: GeneratedMedia) -> None:
    assert cli("analyse").returncode == 2
    assert cli("analyse", "--profile", "nope", str(media.path("h264_aac"))).returncode == 2
    assert cli("analyse", "--jobs", "0", str(media.path("h264_aac"))).returncode == 2
    assert cli("analyse", "--max-duration", "-1", str(media.path("h264_aac"))).returncode == 2


def test_schema_command_matches_the_documented_schema() -> None:
    run = cli("schema")
    assert run.returncode == 0
    assert json.loads(run.stdout) == task_result_json_schema()
    documented = json.loads((DOCS / "task-result.schema.json").read_text())
    assert documented == task_result_json_schema(), "run: mp4-analyser schema > docs/..."
