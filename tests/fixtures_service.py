"""Service test fixtures: backend factories for the contract suites, and a real server.

Contract suites run once per entry of `STORE_FACTORIES` / `QUEUE_FACTORIES`:
SQLite, and DynamoDB / SQS on the moto server (tables and queues as the CDK
stacks define them, see tests/aws_deployment.py).

`ServiceProcess` runs `mp4-analyser serve --port 0` in its own process group
(so `kill -9` takes its workers too), reads the bound port from its banner and
waits for `/health`. Its stderr goes to a file whose tail failing tests print.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.adapters.dynamodb_store import DynamoDbResultStore
from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.adapters.sqlite_queue import SqliteTaskQueue
from mp4_small_analyser.stores.adapters.sqlite_store import SqliteResultStore
from mp4_small_analyser.stores.adapters.sqs_queue import SqsTaskQueue
from mp4_small_analyser.stores.records import TERMINAL_STATUSES, TaskRecord
from mp4_small_analyser.stores.result_store import ResultStore
from mp4_small_analyser.stores.task_queue import TaskQueue
from tests.fixtures_http import FileServer
from tests.mediagen import moving_pattern, sine, write_video

StoreFactory = Callable[[pytest.FixtureRequest, Path], ResultStore]
QueueFactory = Callable[[pytest.FixtureRequest, Path], Callable[[str], TaskQueue]]
"""Given the fixture's request (for the fixtures a backend needs) and a directory,
a store / a maker of queues by name on one backend instance."""


def _sqlite_store(request: pytest.FixtureRequest, directory: Path) -> ResultStore:
    return SqliteResultStore(SqliteDatabase(directory / "store.db"))


def _dynamodb_store(request: pytest.FixtureRequest, directory: Path) -> ResultStore:
    return DynamoDbResultStore(request.getfixturevalue("results_table"))


def _sqlite_queues(request: pytest.FixtureRequest, directory: Path) -> Callable[[str], TaskQueue]:
    return lambda name: SqliteTaskQueue(SqliteDatabase(directory / "q.db"), name)


def _sqs_queues(request: pytest.FixtureRequest, directory: Path) -> Callable[[str], TaskQueue]:
    queues = request.getfixturevalue("sqs_queues")
    return lambda name: SqsTaskQueue(queues(name).url)


STORE_FACTORIES: dict[str, StoreFactory] = {"sqlite": _sqlite_store, "dynamodb": _dynamodb_store}
QUEUE_FACTORIES: dict[str, QueueFactory] = {"sqlite": _sqlite_queues, "sqs": _sqs_queues}
QUEUES_IGNORING_STALE_RECEIPTS = ["sqlite"]
"""Backends where `ack` with the receipt of an earlier receive deletes nothing; SQS may
delete the message with it (handlers are idempotent, so the service does not rely on it)."""


@pytest.fixture(params=list(STORE_FACTORIES))
def result_store(request: pytest.FixtureRequest, tmp_path: Path) -> ResultStore:
    factory: StoreFactory = STORE_FACTORIES[request.param]
    return factory(request, tmp_path)


@pytest.fixture(params=list(QUEUE_FACTORIES))
def queue_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], TaskQueue]:
    """Makes queues by name on one backend instance (names isolate queues)."""
    factory: QueueFactory = QUEUE_FACTORIES[request.param]
    return factory(request, tmp_path)


@pytest.fixture(params=QUEUES_IGNORING_STALE_RECEIPTS)
def receipt_checking_queue_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[str], TaskQueue]:
    """`queue_factory` for the backends that ignore stale receipts."""
    factory: QueueFactory = QUEUE_FACTORIES[request.param]
    return factory(request, tmp_path)


# ------------------------------------------------------------------ media

CLIP_SECONDS = 1.0
CLIP_SIZE = (64, 48)


@pytest.fixture(scope="session")
def service_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 s 64x48 H.264 + stereo AAC clip (~35 kB): cheap to analyse many times."""
    path = tmp_path_factory.mktemp("service_media") / "clip.mp4"
    audio = np.vstack([sine(440, CLIP_SECONDS), sine(660, CLIP_SECONDS)])
    frames = moving_pattern(*CLIP_SIZE, count=int(25 * CLIP_SECONDS))
    return write_video(path, frames, fps=25, audio=audio, options={"preset": "ultrafast"})


@pytest.fixture(scope="module")
def served_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileServer]:
    """A file server shared by a module's tests (reset its behaviours after changing them)."""
    with FileServer(tmp_path_factory.mktemp("service_files")) as server:
        yield server


# ------------------------------------------------------------------ server

_SETTING_NAMES = {name.upper() for name in Settings.model_fields}
_BANNER = re.compile(r"listening on (http://\S+)")


class ServiceProcess:
    """`mp4-analyser serve` in a subprocess, with the environment the test gives."""

    def __init__(self, db: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.log = log
        self._stdout = log.with_suffix(".out")
        self.env = {"WORKERS": "1", "ALLOW_PRIVATE_URLS": "true", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        env = {k: v for k, v in os.environ.items() if k.upper() not in _SETTING_NAMES}
        env.update(self.env, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "mp4_small_analyser.cli", "serve", "--port", "0"]
        command += ["--db", str(self.db)]
        with self.log.open("ab") as stderr, self._stdout.open("wb") as stdout:
            self.proc = subprocess.Popen(
                command, stdout=stdout, stderr=stderr, env=env, start_new_session=True
            )
        self.url = self._wait_for_banner(timeout)
        self._wait_healthy(timeout)
        return self

    def _wait_for_banner(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _BANNER.search(self._stdout.read_text())
            if match:
                return match.group(1)
            self._check_alive()
            time.sleep(0.05)
        raise AssertionError(f"service printed no URL within {timeout} s\n{self.log_tail()}")

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"service not healthy within {timeout} s\n{self.log_tail()}")

    def _check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"service exited ({self.proc.returncode})\n{self.log_tail()}")

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def kill9(self) -> None:
        """SIGKILL the whole process group (server and workers) and reap it."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM the server process only, as a process manager would; its exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"no exit {timeout} s after SIGTERM\n{self.log_tail()}") from None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "--- service log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    # The store, read directly from the SQLite file (WAL lets readers in alongside).

    def store(self) -> SqliteResultStore:
        return SqliteResultStore(SqliteDatabase(self.db))

    def own_record(self, task_id: str) -> TaskRecord:
        """The service's record of a task, even when a received callback is the latest."""
        row = (
            SqliteDatabase(self.db)
            .connection()
            .execute(
                "SELECT body FROM records WHERE task_id = ? AND body ->> '$.source' = 'service'",
                (task_id,),
            )
            .fetchone()
        )
        assert row is not None, f"no service record for {task_id}"
        return TaskRecord.model_validate_json(row[0])

    def wait_for_own_delivery(self, task_id: str, timeout: float = 60.0) -> TaskRecord:
        """Poll the service's record of a task until its callback is delivered or failed."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.own_record(task_id)
            if record.callback is None or record.callback.status in ("delivered", "failed"):
                return record
            if time.monotonic() > deadline:
                raise AssertionError(f"callback of {task_id} still pending\n{self.log_tail()}")
            time.sleep(0.1)

    def wait_for_batch(self, batch_id: str, total: int, timeout: float = 60.0) -> list[TaskRecord]:
        """Poll until the batch's `total` tasks are completed or failed."""
        store = self.store()
        deadline = time.monotonic() + timeout
        while True:
            records = store.batch_page(batch_id, 1000).records
            if len(records) == total and all(r.status in TERMINAL_STATUSES for r in records):
                return records
            if time.monotonic() > deadline:
                statuses = sorted(r.status for r in records)
                raise AssertionError(
                    f"batch {batch_id}: {statuses} after {timeout} s\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def wait_for_deliveries(self, batch_id: str, timeout: float = 60.0) -> list[TaskRecord]:
        """Poll until no task of the batch has a callback still pending or retrying."""
        store = self.store()
        deadline = time.monotonic() + timeout
        while True:
            records = store.batch_page(batch_id, 1000).records
            if all(
                r.callback is None or r.callback.status in ("delivered", "failed") for r in records
            ):
                return records
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"deliveries still pending after {timeout} s\n{self.log_tail()}"
                )
            time.sleep(0.1)


@pytest.fixture
def service_factory(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start services (stopped at the end); `db` lets a restart reuse a store."""
    started: list[ServiceProcess] = []

    def start(env: dict[str, str] | None = None, db: Path | None = None) -> ServiceProcess:
        log = tmp_path / f"service-{len(started)}.log"
        service = ServiceProcess(db or tmp_path / "service.db", log, env).start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    """Settings of the module's `service`; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, service_env: dict[str, str]
) -> Iterator[ServiceProcess]:
    """One service for a module's tests: private URLs allowed, 2 workers, fast retries."""
    directory = tmp_path_factory.mktemp("service")
    env = {
        "WORKERS": "2",
        # As `make run` has them; test_service_limits runs a service without them.
        "ENABLE_TEST_ENDPOINTS": "true",
        "CALLBACK_MAX_ATTEMPTS": "3",
        "CALLBACK_RETRY_BASE_DELAY": "0.2",
        "CALLBACK_TIMEOUT": "5",
        **service_env,
    }
    process = ServiceProcess(directory / "service.db", directory / "service.log", env).start()
    yield process
    process.stop()
