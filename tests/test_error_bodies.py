"""Every error answer is one `ErrorResponse` and gives nothing of the server away.

Bad requests of every kind the handlers map (broken and hostile JSON, wrong types, refused
URLs, duplicate ids, bad profiles, credentials, unknown routes and methods, wrong content
types, oversized bodies, bad tokens) go to a real service under uvicorn; each answer must
validate against the model exactly (no key it does not declare) and hold no traceback, no
Python exception class name and no file path.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from mp4_small_analyser.service.errors import ErrorResponse
from tests.fixtures_service import ServiceProcess

API_KEY = "error-bodies-key"
MAX_REQUEST_BYTES = 16_384
PUBLIC = "https://media.example.com/a.mp4"
JSON = {"content-type": "application/json", "x-api-key": API_KEY}

EXCEPTION_NAMES = re.compile(
    r"\b(Traceback|ValueError|KeyError|TypeError|JSONDecodeError|ValidationError|"
    r"AttributeError|IndexError|RuntimeError|AssertionError|UnicodeDecodeError|RecursionError|"
    r"OverflowError|HTTPException|ServiceError|[A-Za-z]+Error\(|[A-Za-z]+Exception)\b"
)
FILE_PATH = re.compile(r"(/[\w.-]+){2,}\.py|site-packages|/(home|work|tmp|usr|opt)/|\.py\b")


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {
        "API_KEY": API_KEY,
        "ALLOW_PRIVATE_URLS": "false",
        "MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES),
    }


def submit(files: object, **extra: object) -> bytes:
    return json.dumps({"mp4_small_analyser": files, **extra}).encode()


BAD_REQUESTS: dict[str, tuple[str, str, bytes, dict[str, str], int, str]] = {
    "broken JSON": ("POST", "/mp4_small_analyser", b'{"files_url": [', JSON, 400, "INVALID_JSON"),
    "JSON nested too deep": (
        "POST", "/mp4_small_analyser", b"[" * 5000 + b"]" * 5000, JSON, 400, "INVALID_JSON"
    ),
    "a 5,000-digit integer": (
        "POST", "/test/simulate", b'{"status": "completed", "x": ' + b"9" * 5000 + b"}",
        JSON, 400, "INVALID_JSON",
    ),
    "not UTF-8": ("POST", "/mp4_small_analyser", b'{"files_url": ["\xff"]}', JSON, 400,
                  "INVALID_JSON"),
    "a wrong type": (
        "POST", "/mp4_small_analyser", submit([{"file_url": 5}]), JSON, 422, "INVALID_REQUEST"
    ),
    "a non-finite number": (
        "POST", "/mp4_small_analyser",
        b'{"files_url": ["' + PUBLIC.encode() + b'"], "options": {"max_media_duration": NaN}}',
        JSON, 422, "INVALID_REQUEST",
    ),
    "a private file URL": (
        "POST", "/mp4_small_analyser", submit([{"file_url": "http://127.0.0.1/a.mp4"}]),
        JSON, 422, "URL_NOT_ALLOWED",
    ),
    "a malformed URL": (
        "POST", "/mp4_small_analyser", submit([{"file_url": "ht!tp://a b"}]), JSON, 422,
        "INVALID_URL",
    ),
    "a repeated task_id": (
        "POST", "/mp4_small_analyser",
        submit([{"file_url": PUBLIC, "task_id": "twice"}] * 2),
        JSON, 400, "DUPLICATE_TASK_ID",
    ),
    "an unknown profile": (
        "POST", "/mp4_small_analyser", submit([{"file_url": PUBLIC, "profile": "no-such"}]),
        JSON, 422, "INVALID_PROFILE",
    ),
    "an inline profile with a bad rule": (
        "POST", "/mp4_small_analyser",
        submit([{"file_url": PUBLIC, "profile": {"name": "x", "rules": [{"field": 3}]}}]),
        JSON, 422, "INVALID_PROFILE",
    ),
    "no API key": (
        "POST", "/mp4_small_analyser", submit([{"file_url": PUBLIC}]),
        {"content-type": "application/json"}, 401, "UNAUTHORIZED",
    ),
    "a wrong API key": (
        "GET", "/callback/some-task", b"", {"x-api-key": "wrong"}, 401, "UNAUTHORIZED"
    ),
    "an unknown route": ("GET", "/no/such/route", b"", JSON, 404, "NOT_FOUND"),
    "an unknown task": ("GET", "/callback/no-such-task", b"", JSON, 404, "NOT_FOUND"),
    "a bad task id in the path": (
        "GET", "/callback/%7Ebad%20id", b"", JSON, 422, "INVALID_REQUEST"
    ),
    "a method the route lacks": (
        "DELETE", "/mp4_small_analyser", b"", JSON, 405, "METHOD_NOT_ALLOWED"
    ),
    "a form body": (
        "POST", "/mp4_small_analyser", b"files_url=x",
        {"content-type": "application/x-www-form-urlencoded", "x-api-key": API_KEY},
        415, "UNSUPPORTED_MEDIA_TYPE",
    ),
    "a body over the cap": (
        "POST", "/mp4_small_analyser", submit([{"file_url": PUBLIC + "?" + "a" * 20_000}]),
        JSON, 413, "REQUEST_TOO_LARGE",
    ),
    "an unknown batch": ("GET", "/callback/batch/no-such-batch", b"", JSON, 404, "NOT_FOUND"),
    "a callback body that is not an object": (
        "POST", "/callback/cb-task", b"[1, 2]", JSON, 422, "INVALID_REQUEST"
    ),
    "a callback with an unknown status": (
        "POST", "/callback/cb-task", b'{"status": "exploded"}', JSON, 422, "INVALID_REQUEST"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_every_error_body_is_an_error_response_and_gives_nothing_away(
    service: ServiceProcess, case: str
) -> None:
    method, path, body, headers, status, code = BAD_REQUESTS[case]
    with service.client() as client:
        response = client.request(method, path, content=body, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (
        status,
        "application/json",
    ), response.text
    error = ErrorResponse.model_validate_json(response.text)
    assert error.error_code == code and error.error
    assert error.model_dump(mode="json", exclude_none=True) == response.json()
    assert not EXCEPTION_NAMES.search(response.text), response.text
    assert not FILE_PATH.search(response.text), response.text


def test_the_error_cases_reach_every_kind_of_detail(service: ServiceProcess) -> None:
    """The cases above exercise each shape of `details` the handlers build."""
    kinds: set[frozenset[str]] = set()
    with service.client() as client:
        for method, path, body, headers, _, _ in BAD_REQUESTS.values():
            answer: httpx.Response = client.request(method, path, content=body, headers=headers)
            for detail in answer.json().get("details") or []:
                kinds.add(frozenset(detail))
    assert {
        frozenset({"loc", "field", "msg", "type"}),
        frozenset({"loc", "field", "msg", "error_code"}),
        frozenset({"loc", "msg"}),
        frozenset({"task_id"}),
    } <= kinds
