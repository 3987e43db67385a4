"""The first minutes of a new user: what `make run` prints works as printed.

`make run` serves the sample media at /samples/ and prints where to go next: the
console, and one curl command that analyses the samples. The test runs that
command exactly as the banner prints it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures_service import ServiceProcess

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    script = ROOT / "examples" / "make_sample_media.py"
    subprocess.run([sys.executable, str(script), str(folder)], check=True, timeout=300)
    return folder


@pytest.fixture(scope="module")
def service_with_samples(
    tmp_path_factory: pytest.TempPathFactory, samples: Path
) -> Iterator[ServiceProcess]:
    folder = tmp_path_factory.mktemp("first_minutes")
    service = ServiceProcess(
        folder / "db.sqlite", folder / "service.log", {"SAMPLE_MEDIA_DIR": str(samples)}
    )
    service.start()
    yield service
    service.stop()


def printed_curl(service: ServiceProcess) -> list[str]:
    """The curl command of the banner, its two lines joined as a shell joins them."""
    banner = service.log.with_suffix(".out").read_text()
    start = banner.index("  curl -s ")
    lines = banner[start:].splitlines()
    command = lines[0].removesuffix("\\").strip() + " " + lines[1].strip()
    return shlex.split(command)


def test_the_banner_says_where_to_go_next(service_with_samples: ServiceProcess) -> None:
    banner = service_with_samples.log.with_suffix(".out").read_text()
    assert f"Next: open {service_with_samples.url}/console/ in a browser." in banner
    assert httpx.get(f"{service_with_samples.url}/console/").status_code == 200


def test_the_printed_curl_analyses_the_sample_media(service_with_samples: ServiceProcess) -> None:
    command = printed_curl(service_with_samples)
    assert command[:2] == ["curl", "-s"]
    answer = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    results = json.loads(answer.stdout)["results"]
    assert [r["status"] for r in results] == ["completed", "completed"]
    codes = [{check["code"] for check in r["results"]["checks"]} for r in results]
    # The samples were made to show something: a black opening, a loud frozen clip.
    assert "BLACK_SEGMENTS" in codes[0]
    assert {"FROZEN_SEGMENTS", "LOUDNESS_OUT_OF_RANGE"} <= codes[1]


def test_sample_media_are_served_with_ranges_and_nothing_else(
    service_with_samples: ServiceProcess,
) -> None:
    url = service_with_samples.url
    ranged = httpx.get(f"{url}/samples/video1.mp4", headers={"Range": "bytes=0-99"})
    assert (ranged.status_code, len(ranged.content)) == (206, 100)
    assert httpx.get(f"{url}/samples/../db.sqlite").status_code == 404
    assert httpx.get(f"{url}/samples/%2e%2e/db.sqlite").status_code == 404


def test_without_samples_there_is_no_samples_route(tmp_path: Path) -> None:
    service = ServiceProcess(tmp_path / "db.sqlite", tmp_path / "service.log").start()
    try:
        assert httpx.get(f"{service.url}/samples/video1.mp4").status_code == 404
        banner = service.log.with_suffix(".out").read_text()
        assert "Next: open" in banner and "curl" not in banner
    finally:
        service.stop()


def test_the_readme_walk_through_runs_as_written(
    service_with_samples: ServiceProcess, tmp_path: Path
) -> None:
    """`submit examples/batch_request_exemple.json --wait`, then the task and batch reads,
    on this test's port instead of 8000."""
    url = service_with_samples.url
    example = (ROOT / "examples" / "batch_request_exemple.json").read_text()
    batch = tmp_path / "batch.json"
    batch.write_text(example.replace("http://127.0.0.1:8000", url))
    submitted = subprocess.run(
        [
            *(sys.executable, "-m", "mp4_small_analyser.cli", "submit", str(batch)),
            *("--server", url, "--wait", "--timeout", "120"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert submitted.returncode == 0, submitted.stderr
    statuses = [result["status"] for result in json.loads(submitted.stdout)["results"]]
    assert statuses == ["completed", "completed"]
    task = httpx.get(f"{url}/callback/task-001").json()
    assert (task["status"], task["source"]) == ("completed", "service")
    summary = httpx.get(f"{url}/callback/batch/batch-2025-08-04-001").json()["summary"]
    assert (summary["total"], summary["completed"]) == (2, 2)
