"""The service end to end: a real server process, file server and callback receiver.

Both request shapes, sync and async, POST and PUT callbacks, forwarded query
parameters, retries, failed deliveries, the results API and the test endpoints.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from mp4_small_analyser.models import CompletedResult, FailedResult, task_result_adapter
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import CLIP_SECONDS, CLIP_SIZE, ServiceProcess

MAX_FILE_SIZE = 1_000_000

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"MAX_FILE_SIZE": str(MAX_FILE_SIZE)}


def clip_urls(served_files: FileServer, clip: Path, prefix: str, count: int) -> list[str]:
    return [served_files.publish(clip, f"{prefix}-{i}.mp4") for i in range(count)]


def post(service: ServiceProcess, body: Any, query: str = "") -> tuple[int, dict[str, Any]]:
    with service.client() as client:
        response = client.post(f"/mp4_small_analyser{query}", json=body)
    return response.status_code, response.json()


def get(service: ServiceProcess, path: str, **params: Any) -> tuple[int, dict[str, Any]]:
    with service.client() as client:
        response = client.get(path, params=params)
    return response.status_code, response.json()


def assert_clip_result(result: CompletedResult | FailedResult, clip: Path) -> None:
    """The facts of the generated clip: size, duration, frame size, audio layout."""
    assert isinstance(result, CompletedResult), result
    info, video, audio = (
        result.results.file_info,
        result.results.video_analysis,
        result.results.audio_analysis,
    )
    assert info.file_size == clip.stat().st_size
    assert info.duration is not None and abs(info.duration - CLIP_SECONDS) < 0.1
    assert video is not None and (video.width, video.height) == CLIP_SIZE
    assert audio is not None and (audio.channels, audio.sample_rate) == (2, 48000)


def test_health_docs_and_openapi(service: ServiceProcess) -> None:
    status, health = get(service, "/health")
    assert status == 200
    assert health["status"] == "ok" and health["workers"] == 2
    with service.client() as client:
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/mp4_small_analyser",
        "/callback/{task_id}",
        "/callback/batch/{batch_id}",
        "/test/results",
        "/test/simulate",
        "/health",
    } <= set(paths)


def test_sync_files_url_batch(
    service: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    urls = [*clip_urls(served_files, service_clip, "sync", 2), served_files.url("/missing.mp4")]
    status, body = post(service, {"files_url": urls})
    assert status == 200, body
    assert (body["mode"], body["total_files"], body["successful"], body["failed"]) == (
        "sync",
        3,
        2,
        1,
    )
    results = [task_result_adapter.validate_python(r) for r in body["results"]]
    assert [r.file_url for r in results] == urls
    assert_clip_result(results[0], service_clip)
    assert_clip_result(results[1], service_clip)
    assert isinstance(results[2], FailedResult) and results[2].error_code == "FILE_NOT_FOUND"
    assert {r.batch_id for r in results} == {body["batch_id"]}
    for result in results:
        status, record = get(service, f"/callback/{result.task_id}")
        assert status == 200
        assert record["status"] == result.status and record["callback"] is None
        assert record["payload"] == json.loads(result.model_dump_json())


def test_sync_commands_batch_keeps_given_ids(
    service: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    (url,) = clip_urls(served_files, service_clip, "ids", 1)
    body = {
        "mp4_small_analyser": [
            {"file_url": url, "task_id": "given-task-1"},
            {"file_url": url, "task_id": "given-task-2"},
        ],
        "batch_id": "given-batch",
        "profile": "web",
        "options": {"probe_only": True},
    }
    status, answer = post(service, body)
    assert status == 200, answer
    assert answer["batch_id"] == "given-batch"
    assert [r["task_id"] for r in answer["results"]] == ["given-task-1", "given-task-2"]
    for result in answer["results"]:
        assert result["metadata"]["mode"] == "probe"
        assert result["results"]["profile"] == "web"
    status, batch = get(service, "/callback/batch/given-batch")
    assert status == 200
    assert batch["summary"] == {
        "total": 2,
        "queued": 0,
        "running": 0,
        "completed": 2,
        "failed": 0,
        # The clip's moov comes after its media data: the web profile fails it (NOT_FASTSTART).
        "verdicts": {"pass": 0, "warn": 0, "fail": 2},
    }
    assert {tuple(r["results"]["verdict"]["decided_by"]) for r in answer["results"]} == {
        ("NOT_FASTSTART",)
    }


def test_file_errors_have_stable_codes(service: ServiceProcess, served_files: FileServer) -> None:
    not_mp4 = served_files.add_file("notes.mp4", b"this is a text file, not a movie\n" * 200)
    too_large = served_files.add_file("big.mp4", bytes(MAX_FILE_SIZE + 1))
    missing = served_files.url("/nowhere.mp4")
    status, body = post(service, {"files_url": [missing, not_mp4, too_large]})
    assert status == 200, body
    codes = [r["error_code"] for r in body["results"]]
    assert codes == ["FILE_NOT_FOUND", "NOT_MP4", "FILE_TOO_LARGE"]


def test_async_commands_batch_delivers_each_callback(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    urls = clip_urls(served_files, service_clip, "async", 3)
    body = {
        "mp4_small_analyser": [
            {
                "file_url": urls[0],
                "callback_url": callback_receiver.url("/hooks/a"),
                "task_id": "a",
            },
            {
                "file_url": urls[1],
                "callback_url": callback_receiver.url("/hooks/b?existing=yes"),
                "task_id": "b",
                "method": "put",
            },
            {
                "file_url": urls[2],
                "callback_url": callback_receiver.url("/hooks/c"),
                "task_id": "c",
            },
        ]
    }
    status, answer = post(service, body, "?client=acme&trace=42")
    assert status == 202, answer
    assert answer["mode"] == "async" and answer["total_files"] == 3
    assert [t["status"] for t in answer["tasks"]] == ["queued"] * 3
    assert answer["tasks"][1]["callback_url"].endswith("/hooks/b?existing=yes&client=acme&trace=42")
    received = {r.path: r for r in callback_receiver.wait_for(3, timeout=60)}
    assert set(received) == {"/hooks/a", "/hooks/b", "/hooks/c"}
    assert received["/hooks/b"].method == "PUT"
    assert received["/hooks/a"].method == received["/hooks/c"].method == "POST"
    assert received["/hooks/b"].query == {"existing": ["yes"], "client": ["acme"], "trace": ["42"]}
    assert received["/hooks/a"].query == {"client": ["acme"], "trace": ["42"]}
    for path, task_id in (("/hooks/a", "a"), ("/hooks/b", "b"), ("/hooks/c", "c")):
        request = received[path]
        assert request.headers["content-type"] == "application/json"
        result = task_result_adapter.validate_json(request.body)
        assert (result.task_id, result.batch_id) == (task_id, answer["batch_id"])
        assert_clip_result(result, service_clip)
    records = service.wait_for_deliveries(answer["batch_id"])
    assert {r.task_id: (r.callback.status, r.callback.attempts) for r in records if r.callback} == {
        "a": ("delivered", 1),
        "b": ("delivered", 1),
        "c": ("delivered", 1),
    }


def test_async_files_url_batch_calls_back_base_url_slash_task_id(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    urls = clip_urls(served_files, service_clip, "served_files-async", 2)
    body = {"files_url": urls, "callback_url": callback_receiver.url("/results/"), "method": "PUT"}
    status, answer = post(service, body)
    assert status == 202, answer
    task_ids = [t["task_id"] for t in answer["tasks"]]
    received = callback_receiver.wait_for(2, timeout=60)
    assert sorted(r.path for r in received) == sorted(f"/results/{t}" for t in task_ids)
    assert {r.method for r in received} == {"PUT"}
    assert {r.json["task_id"] for r in received} == set(task_ids)


def test_202_comes_before_the_analysis_and_tasks_are_visible_queued(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    (url,) = clip_urls(served_files, service_clip, "slow", 1)
    # ~35 kB at 2 kB every 0.1 s: the analysis cannot be over when the answer comes.
    served_files.trickle("/slow-0.mp4", chunk=2048, interval=0.1)
    try:
        status, answer = post(
            service, {"files_url": [url], "callback_url": callback_receiver.url("/cb")}
        )
        assert status == 202, answer
        task_id = answer["tasks"][0]["task_id"]
        status, record = get(service, f"/callback/{task_id}")
        assert status == 200 and record["status"] in ("queued", "running")
        assert record["callback"]["status"] == "pending"
        (request,) = callback_receiver.wait_for(1, timeout=60)
        assert request.json["status"] == "completed"
    finally:
        served_files.reset_behaviours()
    status, record = get(service, f"/callback/{task_id}")
    assert record["status"] == "completed"


def test_receiver_failing_twice_then_succeeding_gets_three_attempts(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    callback_receiver.fail_next(2, status=503)
    (url,) = clip_urls(served_files, service_clip, "retry", 1)
    status, answer = post(
        service, {"files_url": [url], "callback_url": callback_receiver.url("/cb")}
    )
    assert status == 202
    received = callback_receiver.wait_for(3, timeout=60)
    assert [r.status for r in received] == [503, 503, 200]
    assert [r.headers["x-mp4-analyser-attempt"] for r in received] == ["1", "2", "3"]
    assert len({r.body for r in received}) == 1
    (record,) = service.wait_for_deliveries(answer["batch_id"])
    assert record.callback is not None
    assert (record.callback.status, record.callback.attempts) == ("delivered", 3)
    assert record.callback.last_http_status == 200


def test_receiver_always_failing_is_recorded_and_result_stays_readable(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    callback_receiver.always_fail(500)
    (url,) = clip_urls(served_files, service_clip, "never", 1)
    status, answer = post(
        service, {"files_url": [url], "callback_url": callback_receiver.url("/cb")}
    )
    assert status == 202
    (record,) = service.wait_for_deliveries(answer["batch_id"])
    assert record.callback is not None
    assert (record.callback.status, record.callback.attempts) == ("failed", 3)
    assert record.callback.last_http_status == 500
    assert len(callback_receiver.requests) == 3
    status, stored = get(service, f"/callback/{record.task_id}")
    assert status == 200 and stored["status"] == "completed"
    assert_clip_result(task_result_adapter.validate_python(stored["payload"]), service_clip)


def test_client_errors_are_not_retried(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    callback_receiver.always_fail(404)
    (url,) = clip_urls(served_files, service_clip, "gone", 1)
    status, answer = post(
        service, {"files_url": [url], "callback_url": callback_receiver.url("/cb")}
    )
    assert status == 202
    (record,) = service.wait_for_deliveries(answer["batch_id"])
    assert record.callback is not None
    assert (record.callback.status, record.callback.attempts) == ("failed", 1)
    assert record.callback.last_http_status == 404
    assert len(callback_receiver.requests) == 1


def test_callback_to_the_service_itself_is_stored_beside_its_own_record(
    service: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    (url,) = clip_urls(served_files, service_clip, "self", 1)
    body = {"files_url": [url], "callback_url": f"{service.url}/callback", "method": "PUT"}
    status, answer = post(service, body)
    assert status == 202
    task_id = answer["tasks"][0]["task_id"]
    own = service.wait_for_own_delivery(task_id)
    assert own.callback is not None
    assert (own.callback.status, own.callback.method) == ("delivered", "PUT")
    status, shown = get(service, f"/callback/{task_id}")
    assert status == 200
    # The service's own record stays the answer; the received copy is listed beside it.
    assert (shown["source"], shown["status"], shown["batch_id"]) == (
        "service",
        "completed",
        answer["batch_id"],
    )
    (received,) = shown["received"]
    assert (received["source"], received["status"]) == ("callback", "completed")
    assert received["payload"]["task_id"] == task_id
    assert received["payload"]["results"] == shown["payload"]["results"]
    status, batch = get(service, f"/callback/batch/{answer['batch_id']}")
    assert batch["summary"]["total"] == 1 and batch["tasks"][0]["source"] == "service"


def test_batch_results_are_paginated_in_submission_order(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    urls = clip_urls(served_files, service_clip, "page", 7)
    body = {
        "files_url": urls,
        "callback_url": callback_receiver.url("/cb"),
        "options": {"probe_only": True},
    }
    status, answer = post(service, body)
    assert status == 202
    submitted = [t["task_id"] for t in answer["tasks"]]
    service.wait_for_batch(answer["batch_id"], 7)
    seen: list[str] = []
    sizes: list[int] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        status, page = get(service, f"/callback/batch/{answer['batch_id']}", **params)
        assert status == 200
        assert page["summary"]["total"] == 7 and page["summary"]["completed"] == 7
        seen += [task["task_id"] for task in page["tasks"]]
        sizes.append(len(page["tasks"]))
        if not page["next_token"]:
            break
        params["next_token"] = page["next_token"]
    assert seen == submitted and sizes == [3, 3, 1]
    status, error = get(service, f"/callback/batch/{answer['batch_id']}", next_token="garbage")
    assert (status, error["error_code"]) == (400, "INVALID_TOKEN")
    status, error = get(service, "/callback/batch/no-such-batch")
    assert (status, error["error_code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize("name", ["callback_payload_exemple.json", "callback_error_exemple.json"])
def test_original_callback_examples_are_stored_as_they_are(
    service: ServiceProcess, name: str
) -> None:
    example = json.loads((EXAMPLES / name).read_text())
    with service.client() as client:
        response = client.post("/callback/path-wins", json=example)
        assert response.status_code == 200, response.text
        stored = client.get("/callback/path-wins").json()
    assert stored["source"] == "callback" and stored["status"] == example["status"]
    assert stored["payload"] == {**example, "task_id": "path-wins"}


def test_received_callback_validation(service: ServiceProcess) -> None:
    with service.client() as client:
        bad_json = client.post(
            "/callback/t1", content=b"{not json", headers={"content-type": "application/json"}
        )
        wrong_type = client.post("/callback/t1", json={"status": "completed", "results": [1]})
        bad_status = client.post("/callback/t1", json={"status": "exploded"})
        not_object = client.post("/callback/t1", json=["status"])
        unknown = client.get("/callback/never-seen")
    assert (bad_json.status_code, bad_json.json()["error_code"]) == (400, "INVALID_JSON")
    assert (wrong_type.status_code, wrong_type.json()["error_code"]) == (422, "INVALID_REQUEST")
    assert (bad_status.status_code, bad_status.json()["error_code"]) == (422, "INVALID_REQUEST")
    assert not_object.status_code == 422
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, "NOT_FOUND")


def test_test_endpoints_simulate_and_list_newest_first(service: ServiceProcess) -> None:
    with service.client() as client:
        ok = client.post(
            "/test/simulate",
            json={"task_id": "sim-ok", "status": "completed", "file_url": "https://x/y.mp4"},
        )
        time.sleep(0.01)
        failed = client.post("/test/simulate", json={"task_id": "sim-ko", "status": "failed"})
        newest = client.get("/test/results", params={"limit": 2}).json()
    assert ok.status_code == failed.status_code == 201
    assert ok.json()["payload"]["results"]["video_analysis"]["resolution"] == "1920x1080"
    assert ok.json()["payload"]["file_url"] == "https://x/y.mp4"
    assert failed.json()["payload"]["error_code"] == "FILE_NOT_FOUND"
    assert newest["count"] == 2
    assert [item["task_id"] for item in newest["items"]] == ["sim-ko", "sim-ok"]
    assert {item["source"] for item in newest["items"]} == {"simulated"}
