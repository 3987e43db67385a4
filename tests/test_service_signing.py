"""Signed callbacks: the service signs what it sends and checks what it receives.

Signatures are checked with the snippet published in docs/service.md (run from
the docs themselves), not only with the service's own code. They cover the method,
the URL path and the body (`v2`); issue 9's replays are in test_trust_callbacks.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mp4_small_analyser.service.signing import SignatureError, sign, verify
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

SECRET = "correct horse battery staple"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "service.md"


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"CALLBACK_SIGNING_SECRET": SECRET}


Verify = Callable[[str, str, str, bytes, str], bool]


@pytest.fixture(scope="module")
def documented_verify() -> Verify:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.DOTALL)
    (snippet,) = [block for block in blocks if "def verify_signature" in block]
    assert len(snippet.strip().splitlines()) <= 12
    namespace: dict[str, object] = {}
    exec(snippet, namespace)
    function: Verify = namespace["verify_signature"]  # type: ignore[assignment]
    return function


def test_callbacks_are_signed(
    service: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
    documented_verify: Verify,
) -> None:
    urls = [served_files.publish(service_clip, f"signed-{i}.mp4") for i in range(2)]
    with service.client() as client:
        answer = client.post(
            "/mp4_small_analyser",
            json={"files_url": urls, "callback_url": callback_receiver.url("/cb")},
        )
    assert answer.status_code == 202
    for request in callback_receiver.wait_for(2, timeout=60):
        header = request.headers["x-mp4-analyser-signature"]
        assert re.fullmatch(r"t=\d+,id=[0-9a-f]{24},v1=[0-9a-f]{64},v2=[0-9a-f]{64}", header)
        path = request.path
        assert documented_verify(SECRET, "POST", path, request.body, header)
        verify(SECRET, "POST", path, request.body, header)
        assert not documented_verify("another secret", "POST", path, request.body, header)
        assert not documented_verify(SECRET, "POST", path, request.body + b" ", header)
        assert not documented_verify(SECRET, "PUT", path, request.body, header)
        assert not documented_verify(SECRET, "POST", path + "x", request.body, header)


def test_signed_callbacks_to_the_service_itself_are_accepted(
    service: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    url = served_files.publish(service_clip, "signed-self.mp4")
    with service.client() as client:
        answer = client.post(
            "/mp4_small_analyser",
            json={"files_url": [url], "callback_url": f"{service.url}/callback"},
        ).json()
    task_id = answer["tasks"][0]["task_id"]
    own = service.wait_for_own_delivery(task_id)
    assert own.callback is not None and own.callback.status == "delivered"
    with service.client() as client:
        latest = client.get(f"/callback/{task_id}").json()
    assert latest["source"] == "service" and latest["received"][0]["source"] == "callback"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("t=1,v1=00", "stale"),
        ("garbage", "malformed"),
        ("wrong-secret", "wrong secret"),
        ("stale", "older than 5 minutes"),
    ],
)
def test_received_callbacks_with_bad_signatures_are_refused(
    service: ServiceProcess, header: str | None, reason: str
) -> None:
    body = b'{"status": "completed", "task_id": "signed-in"}'
    if header == "wrong-secret":
        header = sign("not the secret", "POST", "/callback/signed-in", body)
    elif header == "stale":
        header = sign(SECRET, "POST", "/callback/signed-in", body, timestamp=int(time.time()) - 301)
    headers = {"content-type": "application/json"}
    if header is not None:
        headers["x-mp4-analyser-signature"] = header
    with service.client() as client:
        response = client.post("/callback/signed-in", content=body, headers=headers)
    assert response.status_code == 401, reason
    assert response.json()["error_code"] == "INVALID_SIGNATURE"


def test_received_callbacks_with_good_signatures_are_stored(service: ServiceProcess) -> None:
    body = b'{"status": "failed", "task_id": "x", "error": "boom", "error_code": "NOT_MP4"}'
    with service.client() as client:
        response = client.post(
            "/callback/signed-ok",
            content=body,
            headers={"x-mp4-analyser-signature": sign(SECRET, "POST", "/callback/signed-ok", body)},
        )
        assert response.status_code == 200, response.text
        stored = client.get("/callback/signed-ok").json()
    assert stored["payload"]["error_code"] == "NOT_MP4"
    assert stored["payload"]["task_id"] == "signed-ok"


def test_verify_accepts_any_listed_v2_and_rejects_skew() -> None:
    body = b"{}"
    header = sign(SECRET, "POST", "/cb", body, timestamp=1_000_000)
    verify(SECRET, "POST", "/cb", body, header, now=1_000_299)
    rotated = f"{header},v2={'0' * 64}"
    verify(SECRET, "POST", "/cb", body, rotated, now=1_000_000)
    with pytest.raises(SignatureError):
        verify(SECRET, "POST", "/cb", body, header, now=1_000_301)
    with pytest.raises(SignatureError):
        verify(SECRET, "POST", "/cb", body, header, now=999_699)
    with pytest.raises(SignatureError):
        verify(SECRET, "POST", "/cb", body, "t=1000000,v2=abc", now=1_000_000)
