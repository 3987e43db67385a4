"""Property-based testing of the running API from its OpenAPI schema, with schemathesis.

The app is served by uvicorn on 127.0.0.1 with a real SQLite store, and no local
workers: submissions are stored and queued but nothing is fetched, so generated URLs
never reach the network (private URLs are allowed, so none is resolved either).
Schemathesis's fuzzing phase (valid and invalid inputs) runs against every operation,
bounded in examples and time; the check is that no answer is a 5xx. (The coverage phase is left out:
on Python 3.11 its generator fails inside the tool now and then, a SystemError about
AST recursion depth, which would make this test flaky without telling about the API.)
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from mp4_small_analyser.composition import open_backends
from mp4_small_analyser.service.app import create_app
from mp4_small_analyser.settings import Settings

API_KEY = "schema-key"
MAX_EXAMPLES = 20
MAX_SECONDS = 45


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        database_path=tmp_path_factory.mktemp("schema") / "api.db",
        api_key=API_KEY,
        allow_private_urls=True,
        enable_test_endpoints=True,
        # Without workers a sync batch could only end 504 SYNC_TIMEOUT: none is taken.
        max_sync_files=0,
    )
    app = create_app(settings, open_backends(settings))
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


def test_no_operation_answers_a_server_error(api_url: str, tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    done = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{api_url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--phases",
            "fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--max-time",
            str(MAX_SECONDS),
            "--seed",
            "9",
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--header",
            f"x-api-key: {API_KEY}",
            "--exclude-checks",
            "unsupported_method",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS + 120,
        cwd=tmp_path,
    )
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    counts = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert counts is not None and counts[1] == counts[2], report
    assert int(counts[1]) >= 100, "too few cases to mean anything"
    # Every operation, the QC profile and re-judging routes among them, had its cases.
    operations = _operations(api_url)
    assert {
        ("GET", "/profiles"),
        ("GET", "/profiles/{name}"),
        ("POST", "/callback/{task_id}/judge"),
        ("POST", "/callback/batch/{batch_id}/judge"),
        ("POST", "/callback/{task_id}/redeliver"),
    } <= operations
    tested = re.search(r"Tested: (\d+)", done.stdout)
    assert tested is not None and int(tested[1]) == len(operations), report


def _operations(api_url: str) -> set[tuple[str, str]]:
    paths = httpx.get(f"{api_url}/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}
