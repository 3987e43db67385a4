"""No URL secret in any answer, log line or stored record (issue 9, finding 8).

File URLs carry a password and signed-URL tokens, callback URLs a token; the tests
search every answer, the service log and the SQLite file for them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mp4_small_analyser.models import task_result_adapter
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

SECRETS = ["pa55w0rd-file", "sig-amz-0123", "tok-file-4567", "cb-token-89ab"]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceProcess]:
    env = {"WORKERS": "1", "ENABLE_TEST_ENDPOINTS": "true", "LOG_LEVEL": "debug"}
    process = ServiceProcess(tmp_path / "secret.db", tmp_path / "secret.log", env).start()
    yield process
    process.stop()


def with_secrets(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://reader:{SECRETS[0]}@{rest}?X-Amz-Signature={SECRETS[1]}&token={SECRETS[2]}"


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} in {where}"


def test_url_secrets_never_leave_the_worker(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    good = with_secrets(served_files.publish(service_clip, "secret.mp4"))
    missing = with_secrets(served_files.url("/missing-secret.mp4"))
    callback = callback_receiver.url(f"/hook?token={SECRETS[3]}")
    answers: list[str] = []
    with service.client() as client:
        queued = client.post(
            "/mp4_small_analyser",
            json={"files_url": [good, missing], "callback_url": callback.replace("/hook", "/h")},
        )
        assert queued.status_code == 202, queued.text
        answers.append(queued.text)
        sync = client.post("/mp4_small_analyser", json={"files_url": [good, missing]})
        assert sync.status_code == 200, sync.text
        answers.append(sync.text)
        results = sync.json()["results"]
        assert [r.get("error_code") for r in results] == [None, "FILE_NOT_FOUND"]
        assert "REDACTED" in results[0]["file_url"] and "REDACTED" in results[1]["error"]
        batch_id = queued.json()["batch_id"]
        service.wait_for_deliveries(batch_id)
        # The callback went to the URL with its token, and carried no file URL secret.
        received = callback_receiver.wait_for(2)
        assert all(r.query["token"] == [SECRETS[3]] for r in received)
        for request in received:
            assert_no_secret(request.body.decode(), "a callback body")
        for path in (
            f"/callback/batch/{batch_id}",
            f"/callback/batch/{sync.json()['batch_id']}",
            "/test/results?limit=100",
            *(f"/callback/{t['task_id']}" for t in queued.json()["tasks"]),
        ):
            response = client.get(path)
            assert response.status_code == 200, response.text
            answers.append(response.text)
        # Judged again: the stored results, redacted as every answer is.
        judging = [f"/callback/{r['task_id']}/judge" for r in results]
        for path in (*judging, f"/callback/batch/{sync.json()['batch_id']}/judge"):
            judged = client.post(path, json={"profile": "web"})
            assert judged.status_code == 200, judged.text
            assert "REDACTED" in judged.text
            answers.append(judged.text)
        simulated = client.post("/test/simulate", json={"status": "completed", "file_url": good})
        answers.append(simulated.text)
        refused = client.post(
            "/mp4_small_analyser", json={"files_url": ["ftp://u:" + SECRETS[0] + "@h/x"]}
        )
        answers.append(refused.text)
    for index, text in enumerate(answers):
        assert_no_secret(text, f"answer {index}")
    assert "REDACTED" in json.dumps(answers)
    service.stop()
    assert_no_secret(service.log.read_text(), "the service log")
    assert "REDACTED" in service.log.read_text()
    # At rest: the records, and the queue's acknowledged messages (overwritten on delete).
    # The files as they are (no checkpoint first): the -wal holds old page images too.
    files = [Path(f"{service.db}{suffix}") for suffix in ("", "-wal", "-shm")]
    on_disk = {path.name: path.read_bytes() for path in files if path.exists()}
    with sqlite3.connect(service.db) as connection:
        rows = connection.execute("SELECT body FROM records").fetchall()
    stored = "\n".join(row[0] for row in rows)
    for secret in SECRETS[:3]:
        for name, data in on_disk.items():
            assert secret.encode() not in data, f"{secret} in {name}"
    assert_no_secret(stored.replace(SECRETS[3], ""), "the records")


def test_records_stored_with_secrets_are_shown_and_judged_redacted(
    service: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    """A record another writer stored whole (an older version, a store shared by hand): the
    answers redact it all the same."""
    good = with_secrets(served_files.publish(service_clip, "kept.mp4"))
    with service.client() as client:
        sync = client.post("/mp4_small_analyser", json={"files_url": [good]})
        assert sync.status_code == 200, sync.text
        (result,) = sync.json()["results"]
        record = service.store().latest(result["task_id"])
        assert record is not None
        whole = {**result, "task_id": "kept-whole", "file_url": good}
        service.store().put(
            record.model_copy(
                update={
                    "task_id": "kept-whole",
                    "file_url": good,
                    "payload": task_result_adapter.validate_python(whole),
                }
            )
        )
        answers = [client.get("/callback/kept-whole").text]
        judged = client.post("/callback/kept-whole/judge", json={"profile": "web"})
        assert judged.status_code == 200, judged.text
        answers.append(judged.text)
    for index, text in enumerate(answers):
        assert "REDACTED" in text
        assert_no_secret(text, f"answer {index}")
