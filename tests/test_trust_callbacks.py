"""Received callbacks cannot forge, move or replay results (issue 9, findings 2, 3, 4, 10).

Real `mp4-analyser serve` processes: one with an API key and no signing secret, one with
both; callbacks posted by hand as an attacker would (a receiver of our callbacks holds
the signing secret), and by the service to itself as the original design's examples do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from mp4_small_analyser.service.signing import SIGNATURE_HEADER, inbound_key, sign
from mp4_small_analyser.settings import Settings
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

API_KEY = "callbacks-key"
SECRET = "callbacks-secret"
INBOUND = inbound_key(Settings(api_key=SecretStr(API_KEY)))
ROOT = Path(__file__).resolve().parent.parent
FORGED = {"status": "failed", "error": "forged", "error_code": "NOT_MP4", "batch_id": "elsewhere"}


def start(directory: Path, env: dict[str, str]) -> ServiceProcess:
    settings = {"WORKERS": "1", "ENABLE_TEST_ENDPOINTS": "true", **env}
    return ServiceProcess(directory / "service.db", directory / "service.log", settings).start()


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """API_KEY set, no signing secret."""
    service = start(tmp_path_factory.mktemp("keyed"), {"API_KEY": API_KEY})
    yield service
    service.stop()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """CALLBACK_SIGNING_SECRET and API_KEY set."""
    env = {"CALLBACK_SIGNING_SECRET": SECRET, "API_KEY": API_KEY}
    service = start(tmp_path_factory.mktemp("signed"), env)
    yield service
    service.stop()


def call(
    service: ServiceProcess, method: str, path: str, body: Any = None, **headers: str
) -> httpx.Response:
    content = None if body is None else body if isinstance(body, bytes) else json.dumps(body)
    with service.client() as client:
        return client.request(
            method, path, content=content, headers={"content-type": "application/json", **headers}
        )


def run_sync(service: ServiceProcess, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = call(service, "POST", "/mp4_small_analyser", body, **headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_with_an_api_key_receiving_a_callback_needs_it(
    keyed: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    url = served_files.publish(service_clip, "victim.mp4")
    body = {"mp4_small_analyser": [{"file_url": url, "task_id": "victim"}], "batch_id": "mine"}
    run_sync(keyed, body, **{"x-api-key": API_KEY})
    for method in ("POST", "PUT"):
        response = call(keyed, method, "/callback/victim", FORGED)
        assert (response.status_code, response.json()["error_code"]) == (401, "UNAUTHORIZED")
    for method, path, payload in (
        ("POST", "/test/simulate", {"task_id": "victim", "status": "failed"}),
        ("GET", "/test/results", None),
    ):
        response = call(keyed, method, path, payload)
        assert response.status_code == 401, f"{method} {path}: {response.text}"
    assert call(keyed, "POST", "/callback/victim", FORGED, **{"x-api-key": API_KEY}).is_success


def test_a_received_callback_never_replaces_the_services_own_record(
    keyed: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    url = served_files.publish(service_clip, "own.mp4")
    body = {"mp4_small_analyser": [{"file_url": url, "task_id": "own-1"}], "batch_id": "own-b"}
    run_sync(keyed, body, **{"x-api-key": API_KEY})
    key = {"x-api-key": API_KEY}
    assert call(keyed, "POST", "/callback/own-1", FORGED, **key).status_code == 200
    simulated = {"task_id": "own-1", "status": "failed", "batch_id": "elsewhere"}
    assert call(keyed, "POST", "/test/simulate", simulated, **key).status_code == 201
    shown = call(keyed, "GET", "/callback/own-1", **key).json()
    assert (shown["source"], shown["status"], shown["batch_id"]) == (
        "service",
        "completed",
        "own-b",
    )
    assert shown["payload"]["results"]["file_info"]["file_size"] == service_clip.stat().st_size
    assert [r["source"] for r in shown["received"]] == ["simulated", "callback"]
    assert shown["received"][1]["payload"]["error"] == "forged"
    batch = call(keyed, "GET", "/callback/batch/own-b", **key).json()
    verdict = shown["payload"]["results"]["verdict"]
    assert verdict["profile"] == "ebu-r128"
    # Counted once, with the verdict of the service's own record.
    verdicts = {"pass": 0, "warn": 0, "fail": 0, verdict["status"]: 1}
    assert batch["summary"] == {
        "total": 1,
        "queued": 0,
        "running": 0,
        "completed": 1,
        "failed": 0,
        "verdicts": verdicts,
    }
    assert call(keyed, "GET", "/callback/batch/elsewhere", **key).status_code == 404
    # Reads need the key too (finding #12), judging again included.
    for path in ("/callback/own-1", "/callback/batch/own-b", "/profiles", "/profiles/web"):
        assert call(keyed, "GET", path).status_code == 401, path
    assert call(keyed, "POST", "/callback/own-1/judge", {"profile": "web"}).status_code == 401
    assert call(keyed, "GET", "/health").status_code == 200
    # Judged again, as a read: the service's own result, not the newer received ones.
    task = call(keyed, "POST", "/callback/own-1/judge", {"profile": "web"}, **key)
    in_batch = call(keyed, "POST", "/callback/batch/own-b/judge", {"profile": "web"}, **key)
    assert (task.status_code, in_batch.status_code) == (200, 200), task.text + in_batch.text
    for result in (task.json(), *in_batch.json()["results"]):
        assert (result["status"], result["results"]["verdict"]["profile"]) == ("completed", "web")
        assert result["results"]["file_info"]["file_size"] == service_clip.stat().st_size
    # Sending its callback again writes: that needs the key.
    assert call(keyed, "POST", "/callback/own-1/redeliver").status_code == 401


def test_with_only_an_api_key_the_services_callbacks_to_itself_are_accepted(
    keyed: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    url = served_files.publish(service_clip, "self-keyed.mp4")
    body = {"files_url": [url], "callback_url": f"{keyed.url}/callback"}
    response = call(keyed, "POST", "/mp4_small_analyser", body, **{"x-api-key": API_KEY})
    assert response.status_code == 202, response.text
    task_id = response.json()["tasks"][0]["task_id"]
    own = keyed.wait_for_own_delivery(task_id)
    assert own.callback is not None and own.callback.status == "delivered", own.callback
    shown = call(keyed, "GET", f"/callback/{task_id}", **{"x-api-key": API_KEY}).json()
    assert shown["source"] == "service" and shown["received"][0]["source"] == "callback"


def test_the_designs_example_counts_each_file_once(
    keyed: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    first, second = (served_files.publish(service_clip, f"design-{i}.mp4") for i in range(2))
    body = {
        "mp4_small_analyser": [
            # No task_id: the callback URL names it.
            {"file_url": first, "callback_url": f"{keyed.url}/callback/task-777"},
            # A task_id other than the callback's: the received copy is still not a 2nd task.
            {"file_url": second, "callback_url": f"{keyed.url}/callback/alias-9", "task_id": "t-9"},
        ],
        "batch_id": "design-batch",
    }
    response = call(keyed, "POST", "/mp4_small_analyser", body, **{"x-api-key": API_KEY})
    assert response.status_code == 202, response.text
    assert [t["task_id"] for t in response.json()["tasks"]] == ["task-777", "t-9"]
    for task_id in ("task-777", "t-9"):
        own = keyed.wait_for_own_delivery(task_id)
        assert own.callback is not None and own.callback.status == "delivered"
    key = {"x-api-key": API_KEY}
    batch = call(keyed, "GET", "/callback/batch/design-batch", **key).json()
    assert batch["summary"]["total"] == 2 and batch["summary"]["completed"] == 2
    assert [t["task_id"] for t in batch["tasks"]] == ["task-777", "t-9"]
    assert [
        r["source"] for r in call(keyed, "GET", "/callback/task-777", **key).json()["received"]
    ] == ["callback"]


def inbound_header(
    service: ServiceProcess, method: str, path: str, body: bytes, host: str | None = None
) -> str:
    """The signature the service puts on its own callback to `path` on itself (or, with
    `host`, the one the inbound key would make for that host)."""
    assert INBOUND is not None
    target = host or service.url.split("://", 1)[1]
    return sign(SECRET, method, path, body, inbound=(INBOUND, target))


def signed_call(
    service: ServiceProcess, method: str, path: str, body: bytes, signed_as: tuple[str, str]
) -> httpx.Response:
    header = inbound_header(service, *signed_as, body)
    return call(service, method, path, body, **{SIGNATURE_HEADER: header})


BODY = json.dumps({"status": "failed", "error": "boom", "error_code": "NOT_MP4"}).encode()


def test_a_receiver_holding_the_signing_secret_cannot_forge_a_callback(
    signed: ServiceProcess,
) -> None:
    forged = json.dumps(FORGED).encode()
    header = sign(SECRET, "POST", "/callback/victim-2", forged)
    response = call(signed, "POST", "/callback/victim-2", forged, **{SIGNATURE_HEADER: header})
    assert (response.status_code, response.json()["error_code"]) == (401, "INVALID_SIGNATURE")
    assert "in1" in response.json()["error"]
    shown = call(signed, "GET", "/callback/victim-2", **{"x-api-key": API_KEY})
    assert shown.status_code == 404


def test_a_callback_signed_for_another_receiver_does_not_fit_the_services_url(
    signed: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    url = served_files.publish(service_clip, "elsewhere.mp4")
    # The receiver's path is the service's own route: only the host differs.
    callback = callback_receiver.url("/callback/relayed")
    body = {"mp4_small_analyser": [{"file_url": url, "callback_url": callback}]}
    response = call(signed, "POST", "/mp4_small_analyser", body, **{"x-api-key": API_KEY})
    assert response.status_code == 202, response.text
    (received,) = callback_receiver.wait_for(1, timeout=60)
    header = received.headers[SIGNATURE_HEADER.lower()]
    assert ",in1=" not in header  # `in1` goes to the service's own hosts only
    receiver_host = callback.split("://", 1)[1].split("/", 1)[0]
    for claimed_host in (None, receiver_host):
        relayed = call(
            signed,
            "POST",
            "/callback/relayed",
            received.body,
            **{SIGNATURE_HEADER: header},
            **({"host": claimed_host} if claimed_host else {}),
        )
        assert (relayed.status_code, relayed.json()["error_code"]) == (401, "INVALID_SIGNATURE")
    shown = call(signed, "GET", "/callback/relayed", **{"x-api-key": API_KEY})
    assert (shown.json()["source"], shown.json()["received"]) == ("service", [])


def test_an_in1_made_for_a_host_that_is_not_the_services_is_refused(
    signed: ServiceProcess, callback_receiver: CallbackReceiver
) -> None:
    """Whoever could make an `in1` for another host (it carries the key's power only for
    the service's own names) cannot present it under that host's `Host` header."""
    other_host = callback_receiver.url("/").split("://", 1)[1].split("/", 1)[0]
    header = inbound_header(signed, "POST", "/callback/elsewhere", BODY, host=other_host)
    response = call(
        signed, "POST", "/callback/elsewhere", BODY, host=other_host, **{SIGNATURE_HEADER: header}
    )
    assert (response.status_code, response.json()["error_code"]) == (401, "INVALID_SIGNATURE")


def test_with_a_signing_secret_the_services_callbacks_to_itself_are_accepted(
    signed: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    url = served_files.publish(service_clip, "self-signed.mp4")
    body = {"files_url": [url], "callback_url": f"{signed.url}/callback"}
    response = call(signed, "POST", "/mp4_small_analyser", body, **{"x-api-key": API_KEY})
    assert response.status_code == 202, response.text
    task_id = response.json()["tasks"][0]["task_id"]
    own = signed.wait_for_own_delivery(task_id)
    assert own.callback is not None and own.callback.status == "delivered", own.callback


def test_a_signature_is_accepted_once(signed: ServiceProcess) -> None:
    header = inbound_header(signed, "POST", "/callback/once", BODY)
    first = call(signed, "POST", "/callback/once", BODY, **{SIGNATURE_HEADER: header})
    assert first.status_code == 200, first.text
    again = call(signed, "POST", "/callback/once", BODY, **{SIGNATURE_HEADER: header})
    assert (again.status_code, again.json()["error_code"]) == (401, "INVALID_SIGNATURE")
    assert "already used" in again.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "signed_as"),
    [
        ("POST", "/callback/other-task", ("POST", "/callback/its-task")),
        ("PUT", "/callback/its-task", ("POST", "/callback/its-task")),
    ],
)
def test_a_signature_cannot_be_moved_to_another_task_or_method(
    signed: ServiceProcess, method: str, path: str, signed_as: tuple[str, str]
) -> None:
    response = signed_call(signed, method, path, BODY, signed_as)
    assert (response.status_code, response.json()["error_code"]) == (401, "INVALID_SIGNATURE")


def test_simulate_takes_the_path_of_received_callbacks(
    signed: ServiceProcess, service_factory: Callable[..., ServiceProcess]
) -> None:
    body = json.dumps({"task_id": "sim-signed", "status": "completed"}).encode()
    unsigned = call(signed, "POST", "/test/simulate", body)
    assert (unsigned.status_code, unsigned.json()["error_code"]) == (401, "UNAUTHORIZED")
    response = call(signed, "POST", "/test/simulate", body, **{"x-api-key": API_KEY})
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "simulated"
    # With a signing secret and no API key, nothing can vouch for a received callback.
    secret_only = service_factory({"CALLBACK_SIGNING_SECRET": SECRET, "ENABLE_TEST_ENDPOINTS": "1"})
    for path in ("/test/simulate", "/callback/sim-signed"):
        header = sign(SECRET, "POST", path, body)
        refused = call(secret_only, "POST", path, body, **{SIGNATURE_HEADER: header})
        assert (refused.status_code, refused.json()["error_code"]) == (401, "UNAUTHORIZED"), path


def test_a_replay_is_refused_by_another_process_sharing_the_store(
    signed: ServiceProcess, service_factory: Callable[..., ServiceProcess]
) -> None:
    # Both serve one public name (as behind a load balancer): SERVICE_HOSTS names it.
    public = "media-qc.example.test"
    env = {"CALLBACK_SIGNING_SECRET": SECRET, "API_KEY": API_KEY, "SERVICE_HOSTS": public}
    first_process = service_factory(env, db=signed.db)
    other = service_factory(env, db=signed.db)
    header = inbound_header(other, "POST", "/callback/shared", BODY, host=public)
    to_public = {"host": public, SIGNATURE_HEADER: header}
    first = call(first_process, "POST", "/callback/shared", BODY, **to_public)
    assert first.is_success, first.text
    replay = call(other, "POST", "/callback/shared", BODY, **to_public)
    assert (replay.status_code, replay.json()["error_code"]) == (401, "INVALID_SIGNATURE")
    assert "already used" in replay.json()["error"]


def test_test_endpoints_are_off_unless_enabled(
    service_factory: Callable[..., ServiceProcess],
) -> None:
    service = service_factory({})
    assert call(service, "GET", "/test/results").status_code == 404
    assert call(service, "POST", "/test/simulate", {"status": "completed"}).status_code == 404
    banner = service.log.with_suffix(".out").read_text()
    assert "/test/results" not in banner
    run_target = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "--enable-test-endpoints" in run_target, "make run enables them for local use"
