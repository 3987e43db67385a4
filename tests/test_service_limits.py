"""Bad input and limits: every refusal has its status code and stable error_code.

The server here is configured as a deployment would be: private URLs refused,
an API key, a small body cap and no test endpoints.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures_service import ServiceProcess

API_KEY = "k-123"
MAX_REQUEST_BYTES = 100_000
PUBLIC = "https://media.example.com/a.mp4"
"""A public-looking URL: not resolvable offline, which the submission check lets through."""


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {
        "ALLOW_PRIVATE_URLS": "false",
        "API_KEY": API_KEY,
        "MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES),
        "ENABLE_TEST_ENDPOINTS": "false",
        "WORKERS": "1",
    }


def submit(service: ServiceProcess, **kwargs: Any) -> httpx.Response:
    headers = {"x-api-key": API_KEY, **kwargs.pop("headers", {})}
    with service.client() as client:
        return client.post("/mp4_small_analyser", headers=headers, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code, body
    assert body["error"]
    return body


@pytest.mark.parametrize("key", [None, "wrong"])
def test_api_key_is_required(service: ServiceProcess, key: str | None) -> None:
    headers = {"x-api-key": key} if key else {}
    with service.client() as client:
        response = client.post("/mp4_small_analyser", json={"files_url": [PUBLIC]}, headers=headers)
    assert_error(response, 401, "UNAUTHORIZED")


def test_invalid_json(service: ServiceProcess) -> None:
    response = submit(
        service, content=b'{"files_url": [', headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "INVALID_JSON")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"files_url": PUBLIC}, "files_url"),
        ({"files_url": [PUBLIC, 5]}, "files_url"),
        ({"mp4_small_analyser": [{"file_url": 5}]}, "file_url"),
        ({"mp4_small_analyser": {"file_url": PUBLIC}}, "mp4_small_analyser"),
        ({"files_url": []}, "files_url"),
        ({"mp4_small_analyser": []}, "mp4_small_analyser"),
        ({"files_url": [PUBLIC], "colour": "blue"}, "colour"),
        ({"mp4_small_analyser": [{"file_url": PUBLIC, "priority": 1}]}, "priority"),
        ({"urls": [PUBLIC]}, "files_url"),
        ([PUBLIC], "files_url"),
        ({"files_url": [PUBLIC], "method": "GET"}, "method"),
        ({"files_url": [PUBLIC], "profile": "Cinema 4K"}, "profile"),
        ({"files_url": [PUBLIC], "options": {"video_sample_rate": -1}}, "video_sample_rate"),
        ({"mp4_small_analyser": [{"file_url": PUBLIC, "task_id": "../etc"}]}, "task_id"),
        ({"files_url": [PUBLIC], "batch_id": ""}, "batch_id"),
    ],
)
def test_malformed_requests(service: ServiceProcess, body: Any, where: str) -> None:
    error = assert_error(submit(service, json=body), 422, "INVALID_REQUEST")
    assert where in error["error"] + str(error["details"])


def test_more_files_than_the_batch_limit(service: ServiceProcess) -> None:
    body = {"files_url": [f"{PUBLIC}?n={i}" for i in range(1001)], "callback_url": PUBLIC}
    error = assert_error(submit(service, json=body), 413, "TOO_MANY_FILES")
    assert "1000" in error["error"]


def test_body_over_the_cap(service: ServiceProcess) -> None:
    body = {"files_url": [PUBLIC + "?" + "x" * 4000] * 30}
    assert_error(submit(service, json=body), 413, "REQUEST_TOO_LARGE")


def test_streamed_body_over_the_cap_without_length(service: ServiceProcess) -> None:
    def chunks() -> Any:
        yield b'{"files_url": ["'
        for _ in range(30):
            yield b"x" * 4096
        yield b'"]}'

    response = submit(service, content=chunks(), headers={"content-type": "application/json"})
    assert_error(response, 413, "REQUEST_TOO_LARGE")


def test_sync_batch_over_the_sync_limit_points_to_async(service: ServiceProcess) -> None:
    body = {"files_url": [f"{PUBLIC}?n={i}" for i in range(11)]}
    error = assert_error(submit(service, json=body), 413, "SYNC_LIMIT_EXCEEDED")
    assert "callback_url" in error["error"]


def test_duplicate_task_ids(service: ServiceProcess) -> None:
    body = {
        "mp4_small_analyser": [
            {"file_url": PUBLIC, "task_id": "same", "callback_url": PUBLIC},
            {"file_url": PUBLIC, "task_id": "same", "callback_url": PUBLIC},
        ]
    }
    error = assert_error(submit(service, json=body), 400, "DUPLICATE_TASK_ID")
    assert "same" in error["error"]


def test_conflicting_batch_ids(service: ServiceProcess) -> None:
    body = {
        "batch_id": "one",
        "mp4_small_analyser": [{"file_url": PUBLIC, "batch_id": "two", "callback_url": PUBLIC}],
    }
    assert_error(submit(service, json=body), 400, "CONFLICTING_BATCH_ID")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/a.mp4", "file:///etc/passwd", "not a url", "http:///no-host", "s3://b/k"],
)
def test_bad_file_url_schemes(service: ServiceProcess, url: str) -> None:
    body = {"mp4_small_analyser": [{"file_url": url, "callback_url": PUBLIC}]}
    response = submit(service, json=body)
    code = "URL_NOT_ALLOWED" if url.startswith("s3:") else "INVALID_URL"
    error = assert_error(response, 422, code)
    assert error["details"][0]["loc"] == ["mp4_small_analyser", 0, "file_url"]


def test_bad_callback_url_scheme(service: ServiceProcess) -> None:
    body = {"files_url": [PUBLIC], "callback_url": "mailto:ops@example.com"}
    error = assert_error(submit(service, json=body), 422, "INVALID_URL")
    assert error["details"] == [
        {
            "loc": ["callback_url"],
            "field": "callback_url",
            "error_code": "INVALID_URL",
            "msg": error["details"][0]["msg"],
        }
    ]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/a.mp4",
        "http://localhost/a.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/a.mp4",
        "http://192.168.0.10/a.mp4",
        "http://[::1]/a.mp4",
        "http://[::ffff:127.0.0.1]/a.mp4",
        "http://224.0.0.1/a.mp4",
        "http://0.0.0.0/a.mp4",
    ],
)
def test_private_file_urls_are_refused(service: ServiceProcess, url: str) -> None:
    body = {"files_url": [PUBLIC, url], "callback_url": PUBLIC}
    error = assert_error(submit(service, json=body), 422, "URL_NOT_ALLOWED")
    assert [d["loc"] for d in error["details"]] == [["files_url", 1]]


def test_private_callback_urls_are_refused(service: ServiceProcess) -> None:
    body = {"mp4_small_analyser": [{"file_url": PUBLIC, "callback_url": "http://127.0.0.1:9/cb"}]}
    error = assert_error(submit(service, json=body), 422, "URL_NOT_ALLOWED")
    assert error["details"][0]["loc"] == ["mp4_small_analyser", 0, "callback_url"]


def test_refused_batches_leave_nothing_behind(service: ServiceProcess) -> None:
    body = {
        "batch_id": "refused",
        "files_url": [PUBLIC, "http://127.0.0.1/x"],
        "callback_url": PUBLIC,
    }
    assert_error(submit(service, json=body), 422, "URL_NOT_ALLOWED")
    with service.client() as client:
        refused = client.get("/callback/batch/refused", headers={"x-api-key": API_KEY})
        assert_error(refused, 404, "NOT_FOUND")


def test_a_public_batch_is_accepted(service: ServiceProcess) -> None:
    response = submit(service, json={"files_url": [PUBLIC], "callback_url": PUBLIC})
    assert response.status_code == 202, response.text


def test_test_endpoints_are_off(service: ServiceProcess) -> None:
    with service.client() as client:
        assert_error(client.get("/test/results"), 404, "NOT_FOUND")
        assert_error(client.post("/test/simulate", json={"status": "completed"}), 404, "NOT_FOUND")


def test_unknown_paths_and_methods(service: ServiceProcess) -> None:
    with service.client() as client:
        assert_error(client.get("/nowhere"), 404, "NOT_FOUND")
        assert_error(client.get("/mp4_small_analyser"), 405, "METHOD_NOT_ALLOWED")
