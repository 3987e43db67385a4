"""The CLI loses no result to a crash or a hang, and never waits forever (issue 9, finding 5).

`analyse` runs each file in a child process: a child killed by SIGSEGV (what a decoder
crashing on a damaged file does) fails that file with DECODER_CRASHED and is replaced;
a file past ANALYSIS_TIMEOUT fails with ANALYSIS_TIMEOUT; every other file is printed.
`submit` gives up on a server that never answers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_http import FileServer

CLI = [sys.executable, "-m", "mp4_small_analyser.cli"]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def analysing_children(cli_pid: int) -> list[int]:
    """The processes analysing files: forked by the CLI's fork server."""
    return [slot for child in children(cli_pid) for slot in children(child)]


def results_of(process: subprocess.Popen[str], timeout: float = 120) -> tuple[list[Any], str]:
    stdout, stderr = process.communicate(timeout=timeout)
    assert stdout, f"no output; stderr:\n{stderr}"
    return json.loads(stdout), stderr


@pytest.fixture
def analyse_sources(file_server: FileServer, service_clip: Path) -> Iterator[list[str]]:
    """A file that never finishes downloading, then two good ones."""
    stuck = file_server.publish(service_clip, "stuck.mp4")
    file_server.trickle("/stuck.mp4", chunk=16, interval=0.5)
    yield [stuck, str(service_clip), file_server.publish(service_clip, "good.mp4")]
    file_server.reset_behaviours()


def test_a_segfault_in_the_analysis_fails_that_file_only(
    file_server: FileServer, analyse_sources: list[str]
) -> None:
    process = subprocess.Popen(
        [*CLI, "analyse", "--json", "--jobs", "1", *analyse_sources],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    crash_the_stuck_analysis(process, file_server)
    results, stderr = results_of(process)
    assert process.returncode == 1
    assert [r["status"] for r in results] == ["failed", "completed", "completed"]
    assert results[0]["error_code"] == "DECODER_CRASHED" and "SIGSEGV" in results[0]["error"]
    assert "Traceback" not in stderr


def crash_the_stuck_analysis(process: subprocess.Popen[str], file_server: FileServer) -> None:
    """SIGSEGV to the one child analysing, once it is reading the stuck file."""
    deadline = time.monotonic() + 60
    while not (file_server.requests_for("/stuck.mp4") and analysing_children(process.pid)):
        assert time.monotonic() < deadline and process.poll() is None, "no analysis started"
        time.sleep(0.1)
    (worker,) = analysing_children(process.pid)
    os.kill(worker, signal.SIGSEGV)


GATE_PROFILE = """\
name: gate
description: ebu-r128, and no file may be larger than 1 byte
extends: ebu-r128
rules:
  - code: TOO_BIG
    field: file_info.file_size
    max: 1
"""


def test_the_children_judge_with_a_profile_file_and_fail_on_gates_their_verdicts(
    file_server: FileServer, analyse_sources: list[str], tmp_path: Path
) -> None:
    profile = tmp_path / "gate.yaml"
    profile.write_text(GATE_PROFILE, encoding="utf-8")
    gate = ["--profile", str(profile), "--fail-on", "error"]
    process = subprocess.Popen(
        [*CLI, "analyse", "--json", "--jobs", "1", *gate, *analyse_sources],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    crash_the_stuck_analysis(process, file_server)
    results, stderr = results_of(process)
    # A file that could not be analysed is exit 1, whatever the others' verdicts.
    assert process.returncode == 1, stderr
    assert results[0]["error_code"] == "DECODER_CRASHED"
    for result in results[1:]:
        verdict = result["results"]["verdict"]
        assert (verdict["profile"], verdict["status"]) == ("gate", "fail")
        assert "TOO_BIG" in verdict["decided_by"]
    # The good files alone: the verdicts trip --fail-on, exit 3.
    run = subprocess.run(
        [*CLI, "analyse", "--json", "--jobs", "2", *gate, *analyse_sources[1:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stderr
    assert [r["results"]["verdict"]["profile"] for r in json.loads(run.stdout)] == ["gate"] * 2


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_file_past_the_timeout_fails_and_the_others_complete(
    analyse_sources: list[str], how: str
) -> None:
    # 5 s: far more than a good file takes, far less than the stuck one would.
    flag = ["--timeout", "5"] if how == "flag" else []
    env = {**os.environ, "ANALYSIS_TIMEOUT": "5" if how == "environment" else "600"}
    process = subprocess.Popen(
        [*CLI, "analyse", "--json", "--jobs", "2", *flag, *analyse_sources],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    results, stderr = results_of(process)
    assert [r.get("error_code") for r in results] == ["ANALYSIS_TIMEOUT", None, None]
    assert "ANALYSIS_TIMEOUT" in results[0]["error"]
    assert "Traceback" not in stderr


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and reads requests, never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_submit_gives_up_on_a_server_that_never_answers(silent_server: str, tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"files_url": ["https://media.example.com/a.mp4"]}))
    # The subprocess timeout is the hang guard: without --timeout, submit would wait forever.
    done = subprocess.run(
        [*CLI, "submit", str(batch), "--server", silent_server, "--timeout", "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "no answer" in done.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--max-duration", "inf"], {}),
        (["--max-duration", "nan"], {}),
        (["--timeout", "inf"], {}),
        ([], {"ANALYSIS_TIMEOUT": "1e999"}),
    ],
)
def test_non_finite_numbers_are_usage_errors(
    service_clip: Path, args: list[str], env: dict[str, str]
) -> None:
    done = subprocess.run(
        [*CLI, "analyse", *args, str(service_clip)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert done.returncode == 2, done.stderr
    assert "finite" in done.stderr and "Traceback" not in done.stderr
