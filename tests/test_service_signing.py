"""Signed callbacks: the service signs what it sends and checks what it receives.

Signatures are checked with the snippet published in docs/service.md (run from
the docs themselves), not only with the service's own code. They cover the method,
the URL path and the body (`v2`); what the service's own receiver accepts is `in1`
(keyed by a derivation of API_KEY, over host, path and body); issue 9's replays are in
test_trust_callbacks.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from mp4_small_analyser.service.signing import SignatureError, inbound_key, sign, verify
from mp4_small_analyser.settings import Settings
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

SECRET = "correct horse battery staple"
API_KEY = "signing-tests-key"
INBOUND = inbound_key(Settings(api_key=SecretStr(API_KEY)))
DOCS = Path(__file__).resolve().parent.parent / "docs" / "service.md"


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"CALLBACK_SIGNING_SECRET": SECRET, "API_KEY": API_KEY}


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
    with service.client(headers={"x-api-key": API_KEY}) as client:
        answer = client.post(
            "/mp4_small_analyser",
            json={"files_url": urls, "callback_url": callback_receiver.url("/cb")},
        )
    assert answer.status_code == 202
    for request in callback_receiver.wait_for(2, timeout=60):
        header = request.headers["x-mp4-analyser-signature"]
        # No `in1`: that goes to the service's own hosts only, never to a receiver.
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
    with service.client(headers={"x-api-key": API_KEY}) as client:
        answer = client.post(
            "/mp4_small_analyser",
            json={"files_url": [url], "callback_url": f"{service.url}/callback"},
        ).json()
    task_id = answer["tasks"][0]["task_id"]
    own = service.wait_for_own_delivery(task_id)
    assert own.callback is not None and own.callback.status == "delivered"
    with service.client(headers={"x-api-key": API_KEY}) as client:
        latest = client.get(f"/callback/{task_id}").json()
    assert latest["source"] == "service" and latest["received"][0]["source"] == "callback"


def inbound_header(
    service: ServiceProcess, path: str, body: bytes, timestamp: int | None = None
) -> str:
    """What the service's own callback to `path` on itself carries."""
    assert INBOUND is not None
    host = service.url.split("://", 1)[1]
    return sign(SECRET, "POST", path, body, timestamp=timestamp, inbound=(INBOUND, host))


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "UNAUTHORIZED"),
        ("t=1,v1=00", "INVALID_SIGNATURE"),
        ("garbage", "INVALID_SIGNATURE"),
        ("wrong-key", "INVALID_SIGNATURE"),
        ("stale", "INVALID_SIGNATURE"),
        ("outgoing-only", "INVALID_SIGNATURE"),
    ],
)
def test_received_callbacks_with_bad_signatures_are_refused(
    service: ServiceProcess, header: str | None, code: str
) -> None:
    body = b'{"status": "completed", "task_id": "signed-in"}'
    path = "/callback/signed-in"
    host = service.url.split("://", 1)[1]
    if header == "wrong-key":
        header = sign(SECRET, "POST", path, body, inbound=("not the inbound key", host))
    elif header == "stale":
        header = inbound_header(service, path, body, timestamp=int(time.time()) - 301)
    elif header == "outgoing-only":
        # What any receiver of our callbacks can make: refused.
        header = sign(SECRET, "POST", path, body)
    headers = {"content-type": "application/json"}
    if header is not None:
        headers["x-mp4-analyser-signature"] = header
    with service.client() as client:
        response = client.post(path, content=body, headers=headers)
    assert (response.status_code, response.json()["error_code"]) == (401, code), header


def test_received_callbacks_with_good_signatures_are_stored(service: ServiceProcess) -> None:
    body = b'{"status": "failed", "task_id": "x", "error": "boom", "error_code": "NOT_MP4"}'
    header = inbound_header(service, "/callback/signed-ok", body)
    with service.client() as client:
        response = client.post(
            "/callback/signed-ok",
            content=body,
            headers={"x-mp4-analyser-signature": header, "content-type": "application/json"},
        )
        assert response.status_code == 200, response.text
        stored = client.get("/callback/signed-ok", headers={"x-api-key": API_KEY}).json()
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
