"""Bodies that break parsers or slip through them, on a real server (issue 9, findings 1, 7, 11).

Non-finite numbers are refused where they enter (422, naming the field); bodies nested
50,000 levels deep or holding a 5,000-digit integer are 400 INVALID_JSON on every route
that takes a body, never 500; types are strict; a body sent as a form is refused naming
its content type; errors name the request's own fields.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures_service import ServiceProcess

API_KEY = "bodies-key"
PUBLIC = "https://media.example.com/a.mp4"
JSON = {"content-type": "application/json", "x-api-key": API_KEY}
BODY_ROUTES = [
    ("POST", "/mp4_small_analyser"),
    ("POST", "/callback/body-task"),
    ("PUT", "/callback/body-task"),
    ("POST", "/test/simulate"),
    ("POST", "/callback/body-task/redeliver"),
    ("POST", "/callback/batch/body-batch/redeliver"),
    ("POST", "/callback/body-task/judge"),
    ("POST", "/callback/batch/body-batch/judge"),
]
JUDGE_ROUTES = ["/callback/body-task/judge", "/callback/batch/body-batch/judge"]


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"API_KEY": API_KEY, "ALLOW_PRIVATE_URLS": "false"}


def send(service: ServiceProcess, method: str, path: str, body: bytes, **headers: str) -> Any:
    with service.client() as client:
        return client.request(method, path, content=body, headers={**JSON, **headers})


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code, body
    return body


@pytest.mark.parametrize(
    ("number", "field"),
    [
        (b"Infinity", "options.max_media_duration"),
        (b"-Infinity", "options.max_media_duration"),
        (b"NaN", "options.max_media_duration"),
        (b"1e999", "options.max_media_duration"),
    ],
)
def test_non_finite_numbers_are_refused_at_submission(
    service: ServiceProcess, number: bytes, field: str
) -> None:
    body = (
        b'{"files_url": ["' + PUBLIC.encode() + b'"], "callback_url": "' + PUBLIC.encode()
        + b'", "options": {"max_media_duration": ' + number + b"}}"
    )  # fmt: skip
    error = error_of(send(service, "POST", "/mp4_small_analyser", body), 422, "INVALID_REQUEST")
    assert field in error["error"]
    assert service.store().newest(1000) == [], "nothing was stored or queued"


def test_non_finite_numbers_are_refused_in_received_callbacks(service: ServiceProcess) -> None:
    body = b'{"status": "completed", "processing_time": 1e999, "results": {"x": [NaN]}}'
    error = error_of(send(service, "POST", "/callback/nan-task", body), 422, "INVALID_REQUEST")
    assert "processing_time" in error["error"] or "results.x[0]" in error["error"]


@pytest.mark.parametrize("number", [b"Infinity", b"NaN", b"1e999"])
def test_non_finite_numbers_are_refused_in_inline_profiles(
    service: ServiceProcess, number: bytes
) -> None:
    profile = (
        b'{"name": "x", "description": "x", "rules": [{"code": "X", "field": '
        b'"file_info.file_size", "max": ' + number + b"}]}"
    )
    submission = b'{"mp4_small_analyser": [{"file_url": "' + PUBLIC.encode() + b'", "profile": '
    for path, body, field in [
        ("/mp4_small_analyser", submission + profile + b"}]}", "mp4_small_analyser[0].profile"),
        *((path, b'{"profile": ' + profile + b"}", "profile") for path in JUDGE_ROUTES),
    ]:
        error = error_of(send(service, "POST", path, body), 422, "INVALID_REQUEST")
        assert f"{field}.rules[0].max" in error["error"], error


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 50_000 + b"]" * 50_000, id="nested-50000"),
        pytest.param(b'{"status": "completed", "n": ' + b"9" * 5000 + b"}", id="int-5000-digits"),
        pytest.param(b'{"status": "completed", "error": "\\ud800"}', id="lone-surrogate"),
        pytest.param(b'{"a": ' * 30 + b"1" + b"}" * 30, id="nested-30"),
        pytest.param(b'{"files_url": [', id="truncated"),
    ],
)
def test_bodies_that_break_parsers_are_invalid_json_on_every_route(
    service: ServiceProcess, method: str, path: str, body: bytes
) -> None:
    error_of(send(service, method, path, body), 400, "INVALID_JSON")


def test_strict_types_refuse_yes_as_a_boolean(service: ServiceProcess) -> None:
    for options in ({"probe_only": "yes"}, {"video_sample_rate": "2"}, {"probe_only": 1}):
        body = {"files_url": [PUBLIC], "callback_url": PUBLIC, "options": options}
        with service.client() as client:
            response = client.post("/mp4_small_analyser", json=body, headers=JSON)
        error = error_of(response, 422, "INVALID_REQUEST")
        assert f"options.{next(iter(options))}" in error["error"]


@pytest.mark.parametrize("path", JUDGE_ROUTES)
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": 5}, "profile"),
        ({"profile": True}, "profile"),
        ({"profile": "Not a name!"}, "profile"),
        ({"profile": "ebu-r128", "limit": 3}, "limit"),
        ({}, "profile"),
    ],
)
def test_judging_again_is_strict_and_names_the_requests_own_fields(
    service: ServiceProcess, path: str, body: dict[str, Any], field: str
) -> None:
    with service.client() as client:
        response = client.post(path, json=body, headers=JSON)
    error = error_of(response, 422, "INVALID_REQUEST")
    assert error["details"][0]["field"] == field, error
    assert error["error"].startswith(f"Invalid request: {field}: "), error["error"]


def test_a_form_body_is_refused_naming_its_content_type(service: ServiceProcess) -> None:
    # What `curl -d '{"files_url": [...]}'` sends.
    body = b'{"files_url": ["' + PUBLIC.encode() + b'"]}'
    form = "application/x-www-form-urlencoded"
    for path in ("/mp4_small_analyser", "/callback/form-task", *JUDGE_ROUTES):
        response = send(service, "POST", path, body, **{"content-type": form})
        error = error_of(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert form in error["error"] and "application/json" in error["error"]


def test_a_body_without_content_type_is_refused(service: ServiceProcess) -> None:
    """A browser sends a typeless Blob to another site without a preflight (finding #9)."""
    body = (
        b'{"files_url": ["' + PUBLIC.encode() + b'"], "callback_url": "' + PUBLIC.encode() + b'"}'
    )
    with service.client() as client:
        response = client.post("/mp4_small_analyser", content=body, headers={"x-api-key": API_KEY})
        assert response.status_code == 415, response.text
        assert response.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
        typed = client.post(
            "/mp4_small_analyser",
            content=body,
            headers={"x-api-key": API_KEY, "content-type": "application/json"},
        )
    assert typed.status_code == 202, typed.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mp4_small_analyser": [{"file_url": 5}]}, "mp4_small_analyser[0].file_url"),
        ({"mp4_small_analyser": [{"file_url": PUBLIC}, {}]}, "mp4_small_analyser[1].file_url"),
        ({"files_url": [PUBLIC, 7]}, "files_url[1]"),
        ({"files_url": [PUBLIC], "options": {"fast": True}}, "options.fast"),
        ({"files_url": [PUBLIC], "profile": "Not a name!"}, "profile"),
        (
            {"mp4_small_analyser": [{"file_url": PUBLIC, "profile": 5}]},
            "mp4_small_analyser[0].profile",
        ),
    ],
)
def test_validation_errors_name_the_requests_own_fields(
    service: ServiceProcess, body: dict[str, Any], field: str
) -> None:
    with service.client() as client:
        response = client.post("/mp4_small_analyser", json=body, headers=JSON)
    error = error_of(response, 422, "INVALID_REQUEST")
    assert error["error"].startswith(f"Invalid request: {field}: "), error["error"]
    assert error["details"][0]["field"] == field
    assert "commands" not in response.text and "request" not in str(error["details"][0]["loc"])


def test_a_refused_loopback_url_names_the_setting_that_allows_it(service: ServiceProcess) -> None:
    body = {"files_url": ["http://127.0.0.1:9/a.mp4"], "callback_url": PUBLIC}
    with service.client() as client:
        response = client.post("/mp4_small_analyser", json=body, headers=JSON)
    error = error_of(response, 422, "URL_NOT_ALLOWED")
    assert "ALLOW_PRIVATE_URLS" in error["error"] and "--allow-private-urls" in error["error"]
