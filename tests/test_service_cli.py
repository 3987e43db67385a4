"""`mp4-analyser serve` and `mp4-analyser submit` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def write_batch(tmp_path: Path, body: Any) -> Path:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(body))
    return path


def test_serve_prints_the_urls_to_use(service: ServiceProcess) -> None:
    banner = service.log.with_suffix(".out").read_text()
    for path in ("/docs", "/mp4_small_analyser", "/callback/{task_id}", "/test/results"):
        assert f"{service.url}{path}" in banner


def test_serve_refuses_an_unknown_log_level_in_one_line(tmp_path: Path) -> None:
    done = run_cli(
        "serve", "--port", "0", "--db", str(tmp_path / "x.db"), env={"LOG_LEVEL": "verbose"}
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("mp4-analyser serve: error: LOG_LEVEL: Input should be 'DEBUG'"), line
    assert not (tmp_path / "x.db").exists()


def test_submit_wait_prints_the_results_of_an_async_batch(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
    tmp_path: Path,
) -> None:
    urls = [served_files.publish(service_clip, f"cli-{i}.mp4") for i in range(3)]
    batch = write_batch(tmp_path, {"files_url": urls, "callback_url": callback_receiver.url("/cb")})
    done = run_cli("submit", str(batch), "--server", service.url, "--wait")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["mode"], answer["total_files"], answer["successful"]) == ("async", 3, 3)
    assert sorted(r["file_url"] for r in answer["results"]) == sorted(urls)
    assert {r["results"]["file_info"]["file_size"] for r in answer["results"]} == {
        service_clip.stat().st_size
    }


def test_submit_without_wait_prints_the_acceptance(
    service: ServiceProcess, served_files: FileServer, service_clip: Path, tmp_path: Path
) -> None:
    url = served_files.publish(service_clip, "cli-sync.mp4")
    batch = write_batch(tmp_path, {"files_url": [url, served_files.url("/absent.mp4")]})
    done = run_cli("submit", str(batch), "--server", service.url)
    assert done.returncode == 1, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["mode"], answer["successful"], answer["failed"]) == ("sync", 1, 1)


def test_submit_reports_refusals_and_unreachable_servers(
    service: ServiceProcess, tmp_path: Path
) -> None:
    refused = run_cli(
        "submit", str(write_batch(tmp_path, {"files_url": []})), "--server", service.url
    )
    assert refused.returncode == 1 and "INVALID_REQUEST" in refused.stderr
    batch = write_batch(tmp_path, {"files_url": ["https://example.com/a.mp4"]})
    unreachable = run_cli("submit", str(batch), "--server", "http://127.0.0.1:9")
    assert unreachable.returncode == 1 and "cannot reach" in unreachable.stderr
    missing = run_cli("submit", str(tmp_path / "nope.json"), "--server", service.url)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
