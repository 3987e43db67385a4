"""Examples, request planning and the app under Mangum: pure code, no server process."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mangum import Mangum
from pydantic import TypeAdapter, ValidationError

from mp4_small_analyser.composition import open_backends
from mp4_small_analyser.service.app import create_app
from mp4_small_analyser.service.planning import plan_batch
from mp4_small_analyser.service.schemas import (
    CommandsRequest,
    FilesUrlRequest,
    ReceivedCallback,
    SubmissionRequest,
)
from mp4_small_analyser.settings import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
submission = TypeAdapter[CommandsRequest | FilesUrlRequest](SubmissionRequest)


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


@pytest.mark.parametrize("name", ["callback_payload_exemple.json", "callback_error_exemple.json"])
def test_original_callback_examples_are_accepted_exactly(name: str) -> None:
    payload = example(name)
    callback = ReceivedCallback.model_validate(payload)
    assert callback.model_dump(exclude_unset=True) == payload


def test_error_example_has_only_the_original_fields() -> None:
    assert set(example("callback_error_exemple.json")) == {
        "status",
        "task_id",
        "error",
        "error_code",
    }


def test_batch_request_examples_match_their_shapes() -> None:
    commands = submission.validate_python(example("batch_request_exemple.json"))
    files = submission.validate_python(example("batch_request_files_url_exemple.json"))
    assert isinstance(commands, CommandsRequest) and isinstance(files, FilesUrlRequest)
    plan = plan_batch(commands)
    assert plan.batch_id == "batch-2025-08-04-001" and plan.is_async
    assert [m.callback_url for m in plan.messages] == [
        c.callback_url for c in commands.mp4_small_analyser
    ]
    plan = plan_batch(files)
    assert [m.callback_url for m in plan.messages] == [
        f"http://127.0.0.1:8000/callback/{m.task_id}" for m in plan.messages
    ]
    assert {m.options.profile for m in plan.messages} == {"web"}


def test_a_body_with_neither_list_names_both_shapes() -> None:
    with pytest.raises(ValidationError, match="files_url"):
        submission.validate_python({"urls": []})


def test_planning_forwards_the_query_and_orders_tasks() -> None:
    request = submission.validate_python(
        {"files_url": ["https://a/1.mp4", "https://a/2.mp4"], "callback_url": "https://cb/x/?k=v"}
    )
    plan = plan_batch(request, [("client", "acme"), ("k", "w")])
    first, second = plan.messages
    assert first.callback_url == f"https://cb/x/{first.task_id}?k=v&client=acme&k=w"
    assert first.timestamp < second.timestamp
    assert first.task_id != second.task_id
    assert plan_batch(submission.validate_python({"files_url": ["https://a"]})).is_async is False


def test_the_app_runs_under_mangum_without_workers(tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "lambda.db", enable_test_endpoints=False)
    handler = Mangum(create_app(settings, open_backends(settings)), lifespan="auto")
    event = {
        "resource": "/health",
        "path": "/health",
        "httpMethod": "GET",
        "headers": {"Host": "api.example.com"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "stage": "prod"},
        "body": None,
        "isBase64Encoded": False,
    }

    context: Any = SimpleNamespace(function_name="test")
    response = handler(event, context)
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["status"] == "ok" and "workers" not in body


def test_settings_read_the_documented_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "STORE_BACKEND": "dynamodb",
        "DATABASE_PATH": "/data/x.db",
        "TABLE_NAME": "results-dev",
        "QUEUE_BACKEND": "sqs",
        "QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/q",
        "API_KEY": "key",
        "CALLBACK_SIGNING_SECRET": "secret",
        "ALLOW_PRIVATE_URLS": "true",
        "ENABLE_TEST_ENDPOINTS": "true",
        "WORKERS": "3",
        "MAX_BATCH_FILES": "7",
        "MAX_SYNC_FILES": "2",
        "SYNC_TIMEOUT": "5",
        "MAX_REQUEST_BYTES": "2048",
        "MAX_FILE_SIZE": "1000",
        "ANALYSIS_TIMEOUT": "9",
        "CALLBACK_TIMEOUT": "4",
        "CALLBACK_MAX_ATTEMPTS": "2",
        "RESULT_TTL_DAYS": "1",
        "ALLOWED_S3_BUCKETS": "media-in, archive",
        "LOG_FORMAT": "json",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "key"
    secret = settings.callback_signing_secret
    assert secret is not None and secret.get_secret_value() == "secret"
    dumped = settings.model_dump(mode="json")
    expected = {
        "store_backend": "dynamodb",
        "database_path": "/data/x.db",
        "table_name": "results-dev",
        "queue_backend": "sqs",
        "queue_url": environment["QUEUE_URL"],
        "allow_private_urls": True,
        "enable_test_endpoints": True,
        "workers": 3,
        "max_batch_files": 7,
        "max_sync_files": 2,
        "sync_timeout": 5.0,
        "max_request_bytes": 2048,
        "max_file_size": 1000,
        "analysis_timeout": 9.0,
        "callback_timeout": 4.0,
        "callback_max_attempts": 2,
        "result_ttl_days": 1.0,
        "allowed_s3_buckets": ["media-in", "archive"],
        "log_format": "json",
    }
    assert {name: dumped[name] for name in expected} == expected
    limits = settings.source_limits()
    assert (limits.max_file_size, limits.allow_private_urls) == (1000, True)
