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


def test_readable_report_prints_hostile_names_and_contents_as_they_are(
    media: GeneratedMedia, tmp_path: Path
) -> None:
    """Names and quoted first bytes are text, never rich markup or emoji codes: `[/]` used to
    raise MarkupError (a traceback, later results and the summary lost) and `:x:` became ❌."""
    closing = tmp_path / "[b]closing:x:.txt"
    closing.write_text("[/]hello :x: [red]world\n")
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    video = tmp_path / "[link=https:x][i]ad :smile:.mp4"
    video.write_bytes(media.path("h264_aac").read_bytes())
    escape = tmp_path / "title\x1b]0;pwned\x07.txt"
    escape.write_text("[/]\n")
    run = cli("analyse", "--probe", str(closing), str(passwd), str(video), str(escape))
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    out = run.stdout
    assert f"{closing}  failed: NOT_MP4" in out
    assert "(it starts with '[/]hello :x: [re')" in out
    assert "(it starts with 'root:x:0:0:root:')" in out
    assert f"{video}  completed in" in out
    assert "\x1b" not in out and "\x07" not in out, "control characters reach the terminal"
    assert str(escape).replace("\x1b", "\\x1b").replace("\x07", "\\x07") in out
    assert not {"❌", "😄"} & set(out)
    assert "4 file(s): 1 completed, 3 failed" in out.splitlines()[-1]


def test_judge_report_prints_stored_text_as_it_is(tmp_path: Path) -> None:
    """A saved result's URL and error are shown as written, whatever markup they hold."""
    stored = {
        "status": "failed",
        "task_id": "t1",
        "file_url": "https://example.com/[/]:x:.mp4",
        "processing_time": 0.1,
        "error": "HTTP 404 for [bold]https://example.com/[/] :warning:",
        "error_code": "FILE_NOT_FOUND",
        "metadata": {
            "processor": "mp4_small_analyser",
            "version": "0.1.0",
            "processed_at": "2025-01-01T00:00:00Z",
        },
    }
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps([stored]))
    run = cli("judge", str(saved), "--profile", "web")
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        "https://example.com/[/]:x:.mp4  failed: FILE_NOT_FOUND",
        "  HTTP 404 for [bold]https://example.com/[/] :warning:",
        "1 file(s): 0 completed, 1 failed",
    ]
