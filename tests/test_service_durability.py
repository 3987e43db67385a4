"""Crashes, shutdowns and hangs: no task is lost, every callback goes out at least once.

Files are served slowly (the file server trickles bytes) so that the service
is caught mid-batch; each test checks from the SQLite file that it really was.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mp4_small_analyser.stores.adapters.sqlite_db import SqliteDatabase
from mp4_small_analyser.stores.records import TERMINAL_STATUSES
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

StartService = Callable[..., ServiceProcess]


@pytest.fixture(autouse=True)
def normal_files(served_files: FileServer) -> Iterator[None]:
    yield
    served_files.reset_behaviours()


def submit(service: ServiceProcess, body: dict[str, Any]) -> dict[str, Any]:
    with service.client() as client:
        response = client.post("/mp4_small_analyser", json=body)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def publish(served_files: FileServer, clip: Path, prefix: str, count: int) -> list[str]:
    return [served_files.publish(clip, f"{prefix}-{i}.mp4") for i in range(count)]


def wait_until(predicate: Callable[[], Any], what: str, service: ServiceProcess) -> Any:
    deadline = time.monotonic() + 60
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"{what} did not happen\n{service.log_tail()}"
        time.sleep(0.05)
    return value


def running_task(service: ServiceProcess, batch_id: str) -> str | None:
    records = service.store().batch_page(batch_id, 100).records
    return next((r.task_id for r in records if r.status == "running"), None)


def queue_rows(db: Path) -> list[tuple[str, int, str | None]]:
    """(queue, receive_count, receipt) of every message left in the queue table."""
    connection = SqliteDatabase(db).connection()
    rows = connection.execute("SELECT queue, receive_count, receipt FROM queue_messages")
    return [tuple(row) for row in rows.fetchall()]


def test_kill_9_mid_batch_then_restart_completes_and_delivers_everything(
    service_factory: StartService,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    served_files.trickle(None, chunk=1024, interval=0.05)  # ~1.7 s per file
    service = service_factory({"WORKERS": "2"})
    answer = submit(
        service,
        {
            "files_url": publish(served_files, service_clip, "k9", 6),
            "callback_url": callback_receiver.url("/cb"),
        },
    )
    batch_id, task_ids = answer["batch_id"], {t["task_id"] for t in answer["tasks"]}
    callback_receiver.wait_for(1, timeout=60)
    service.kill9()

    records = service.store().batch_page(batch_id, 100).records
    unfinished = [r.task_id for r in records if r.status not in TERMINAL_STATUSES]
    assert unfinished, "every task finished before the kill: nothing was recovered"
    assert len(queue_rows(service.db)) >= len(unfinished)

    served_files.reset_behaviours()
    restarted = service_factory({"WORKERS": "2"}, db=service.db)
    records = restarted.wait_for_batch(batch_id, 6)
    assert {r.status for r in records} == {"completed"}
    records = restarted.wait_for_deliveries(batch_id)
    assert {r.callback.status for r in records if r.callback} == {"delivered"}
    delivered = {
        request.json["task_id"] for request in callback_receiver.requests if request.status == 200
    }
    assert delivered == task_ids
    assert queue_rows(service.db) == []


def test_a_callback_retry_survives_a_kill(
    service_factory: StartService,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    callback_receiver.always_fail(503)
    env = {"WORKERS": "1", "CALLBACK_RETRY_BASE_DELAY": "4", "CALLBACK_MAX_ATTEMPTS": "5"}
    service = service_factory(env)
    (url,) = publish(served_files, service_clip, "retry-kill", 1)
    answer = submit(service, {"files_url": [url], "callback_url": callback_receiver.url("/cb")})
    task_id = answer["tasks"][0]["task_id"]

    def retrying() -> bool:
        record = service.own_record(task_id)
        return record.callback is not None and record.callback.status == "retrying"

    wait_until(retrying, "a scheduled retry", service)
    service.kill9()
    assert [row[0] for row in queue_rows(service.db)] == ["deliveries"]

    callback_receiver.succeed()
    restarted = service_factory(env, db=service.db)
    record = restarted.wait_for_own_delivery(task_id)
    assert record.callback is not None
    assert (record.callback.status, record.callback.attempts) == ("delivered", 2)
    assert [r.status for r in callback_receiver.requests] == [503, 200]


def test_sigterm_lets_the_running_analysis_finish(
    service_factory: StartService,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    served_files.trickle(None, chunk=1024, interval=0.05)
    service = service_factory({"WORKERS": "1", "SHUTDOWN_GRACE": "30"})
    answer = submit(
        service,
        {
            "files_url": publish(served_files, service_clip, "term", 3),
            "callback_url": callback_receiver.url("/cb"),
        },
    )
    batch_id = answer["batch_id"]
    running = wait_until(lambda: running_task(service, batch_id), "a running task", service)
    code = service.terminate()
    assert code in (0, -signal.SIGTERM), service.log_tail()
    assert "workers stopped" in service.log.read_text()

    store = service.store()
    statuses = {r.task_id: r.status for r in store.batch_page(batch_id, 100).records}
    assert statuses[running] == "completed"
    assert "running" not in statuses.values()
    assert running in {request.json["task_id"] for request in callback_receiver.requests}
    waiting = [task for task, status in statuses.items() if status == "queued"]
    assert waiting, "the batch finished before SIGTERM: nothing to resume"
    assert sorted(queue_rows(service.db)) == [("tasks", 0, None)] * len(waiting)

    served_files.reset_behaviours()
    restarted = service_factory({"WORKERS": "1"}, db=service.db)
    assert {r.status for r in restarted.wait_for_batch(batch_id, 3)} == {"completed"}
    restarted.wait_for_deliveries(batch_id)


def test_sigterm_past_the_grace_period_requeues_the_running_task(
    service_factory: StartService,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    served_files.trickle(None, chunk=512, interval=0.1)  # ~7 s per file
    service = service_factory({"WORKERS": "1", "SHUTDOWN_GRACE": "0.5"})
    answer = submit(
        service,
        {
            "files_url": publish(served_files, service_clip, "grace", 2),
            "callback_url": callback_receiver.url("/cb"),
        },
    )
    batch_id = answer["batch_id"]
    running = wait_until(lambda: running_task(service, batch_id), "a running task", service)
    code = service.terminate()
    assert code in (0, -signal.SIGTERM), service.log_tail()
    assert "re-queued" in service.log.read_text()

    records = service.store().batch_page(batch_id, 100).records
    assert {r.task_id: r.status for r in records} == {
        t["task_id"]: "queued" for t in answer["tasks"]
    }
    assert callback_receiver.requests == []
    assert sorted(queue_rows(service.db)) == [("tasks", 0, None), ("tasks", 0, None)]

    served_files.reset_behaviours()
    restarted = service_factory({"WORKERS": "1"}, db=service.db)
    assert {r.status for r in restarted.wait_for_batch(batch_id, 2)} == {"completed"}
    restarted.wait_for_deliveries(batch_id)
    assert running in {request.json["task_id"] for request in callback_receiver.requests}


def test_a_hanging_file_times_out_and_its_worker_is_replaced(
    service_factory: StartService,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    service = service_factory({"WORKERS": "1", "ANALYSIS_TIMEOUT": "2", "LOG_FORMAT": "json"})
    hanging, normal = publish(served_files, service_clip, "hang", 2)
    served_files.hang("/hang-0.mp4", after_headers=True)
    body = {
        "mp4_small_analyser": [
            {
                "file_url": hanging,
                "callback_url": callback_receiver.url("/cb/stuck"),
                "task_id": "stuck",
            },
            {
                "file_url": normal,
                "callback_url": callback_receiver.url("/cb/fine"),
                "task_id": "fine",
            },
        ]
    }
    batch_id = submit(service, body)["batch_id"]
    results = {r.json["task_id"]: r.json for r in callback_receiver.wait_for(2, timeout=60)}
    assert results["stuck"]["status"] == "failed"
    assert results["stuck"]["error_code"] == "ANALYSIS_TIMEOUT"
    assert results["fine"]["status"] == "completed"
    with service.client() as client:
        health = client.get("/health").json()
    assert (health["workers"], health["worker_restarts"]) == (1, 1)

    logs = [
        json.loads(line) for line in service.log.read_text().splitlines() if line.startswith("{")
    ]
    stuck = [entry for entry in logs if entry.get("task_id") == "stuck"]
    assert stuck and {entry.get("batch_id") for entry in stuck} == {batch_id}
    assert any("ANALYSIS_TIMEOUT" in entry["message"] for entry in stuck)


def test_a_crashed_analysis_process_fails_its_task_and_is_replaced(
    service_factory: StartService,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    service = service_factory({"WORKERS": "1"})
    doomed, normal = publish(served_files, service_clip, "crash", 2)
    served_files.trickle("/crash-0.mp4", chunk=1024, interval=0.1)
    body = {
        "mp4_small_analyser": [
            {"file_url": doomed, "callback_url": callback_receiver.url("/cb"), "task_id": "doomed"},
            {"file_url": normal, "callback_url": callback_receiver.url("/cb"), "task_id": "after"},
        ]
    }
    batch_id = submit(service, body)["batch_id"]
    wait_until(lambda: running_task(service, batch_id) == "doomed", "doomed running", service)
    assert service.proc is not None
    (worker,) = child_pids(service.proc.pid)
    # What a decoder crashing on a damaged file does to its process.
    os.kill(worker, signal.SIGSEGV)
    results = {r.json["task_id"]: r.json for r in callback_receiver.wait_for(2, timeout=60)}
    assert results["doomed"]["error_code"] == "DECODER_CRASHED"
    assert "SIGSEGV" in results["doomed"]["error"]
    assert results["after"]["status"] == "completed"
    with service.client() as client:
        assert client.get("/health").json()["worker_restarts"] == 1


def child_pids(parent: int) -> list[int]:
    """Analysis processes of the server (multiprocessing's resource tracker left out)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            # Fields after the command name (which may hold spaces) start with state, ppid.
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and b"resource_tracker" not in command:
                children.append(int(entry.name))
    return children


def test_a_sync_batch_past_its_time_limit_is_told_to_go_async(
    service_factory: StartService, served_files: FileServer, service_clip: Path
) -> None:
    service = service_factory({"WORKERS": "1", "SYNC_TIMEOUT": "1"})
    (url,) = publish(served_files, service_clip, "sync-slow", 1)
    served_files.trickle("/sync-slow-0.mp4", chunk=2048, interval=0.1)  # ~1.7 s
    with service.client() as client:
        response = client.post("/mp4_small_analyser", json={"files_url": [url]})
    assert response.status_code == 504
    error = response.json()
    assert error["error_code"] == "SYNC_TIMEOUT" and "callback_url" in error["error"]
    (record,) = service.wait_for_batch(error["batch_id"], 1)
    assert record.status == "completed"
