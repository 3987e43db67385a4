"""Examples, request planning and the app under Mangum: pure code, no server process."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mangum import Mangum
from pydantic import TypeAdapter, ValidationError

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
    handler = Mangum(create_app(settings), lifespan="auto")
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
