"""Limits on what one file may make the decoder do: edit-list entries and media duration.

FFmpeg replays media for every edit, so an edit list of 200,000 one-tick entries
kept a 2-second clip decoding for hours; the reader now refuses it from the
`elst` box, before anything is decoded. `options.max_media_duration` had no upper
bound; MAX_MEDIA_DURATION is it, for the service and the CLI alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mp4_small_analyser.analysis.task import run_task
from mp4_small_analyser.options import DEFAULT_MAX_EDIT_LIST_ENTRIES, SourceLimits
from mp4_small_analyser.settings import Settings
from tests import boxpatch
from tests.fixtures_service import ServiceProcess
from tests.mediagen import AudioTrack, VideoTrack, write_media

API_KEY = "k-limits"
PUBLIC = "https://media.example.com/a.mp4"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("limits")
    return write_media(folder / "clip.mp4", VideoTrack(frames=50), [AudioTrack(seconds=2.0)])


def with_edits(clip: Path, count: int, out: Path) -> Path:
    """`clip` with every track's edit list replaced by `count` one-tick edits of its start."""

    def edit(moov: boxpatch.Node) -> None:
        for trak in moov.all("trak"):
            boxpatch.set_elst(trak, [(1, 0)] * count)

    out.write_bytes(boxpatch.rewrite_moov(clip.read_bytes(), edit))
    return out


# A hang guard, not a speed claim: before the limit this file decoded for hours.
@pytest.mark.timeout(120)
def test_an_edit_list_of_200000_entries_is_refused_before_decoding(
    clip: Path, tmp_path: Path
) -> None:
    hostile = with_edits(clip, 200_000, tmp_path / "edits.mp4")
    result = run_task(str(hostile))
    assert result.status == "failed"
    assert result.error_code == "CORRUPT_FILE"
    assert "200000 edits" in result.error
    assert f"limit of {DEFAULT_MAX_EDIT_LIST_ENTRIES}" in result.error
    assert "MAX_EDIT_LIST_ENTRIES" in result.error


def test_the_edit_list_limit_is_the_setting(clip: Path, tmp_path: Path) -> None:
    three = with_edits(clip, 3, tmp_path / "three.mp4")
    limits = Settings(max_edit_list_entries=2).source_limits()
    refused = run_task(str(three), limits=limits)
    assert refused.status == "failed" and refused.error_code == "CORRUPT_FILE"
    accepted = run_task(str(three), limits=SourceLimits(max_edit_list_entries=3))
    assert accepted.status == "completed", accepted


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", "analyse", "--json", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


def test_the_cli_refuses_a_max_duration_over_the_setting(clip: Path) -> None:
    run = cli("--max-duration", "7200", str(clip))
    assert run.returncode == 2
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert "7200 s is over the limit of 3600 s (MAX_MEDIA_DURATION)" in line


def test_the_cli_reads_max_media_duration_from_the_environment(clip: Path) -> None:
    refused = cli("--max-duration", "60", str(clip), env={"MAX_MEDIA_DURATION": "30"})
    assert refused.returncode == 2
    assert "over the limit of 30 s" in refused.stderr
    allowed = cli("--max-duration", "30", str(clip), env={"MAX_MEDIA_DURATION": "30"})
    assert allowed.returncode == 0, allowed.stderr


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"API_KEY": API_KEY, "MAX_MEDIA_DURATION": "1800", "WORKERS": "1"}


def submit(service: ServiceProcess, options: dict[str, object]) -> httpx.Response:
    body = {"files_url": [PUBLIC], "callback_url": PUBLIC, "options": options}
    with service.client() as client:
        return client.post("/mp4_small_analyser", json=body, headers={"x-api-key": API_KEY})


def test_the_service_refuses_a_max_media_duration_over_the_setting(
    service: ServiceProcess,
) -> None:
    response = submit(service, {"max_media_duration": 1800.5})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_REQUEST"
    assert "MAX_MEDIA_DURATION" in body["error"]
    assert [d["field"] for d in body["details"]] == ["options.max_media_duration"]
    assert submit(service, {"max_media_duration": 1800}).status_code == 202
