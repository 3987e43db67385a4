"""The three Lambda functions end to end on the moto server, as the stacks deploy them.

API Gateway REST proxy events → `submission_handler` → messages in SQS → the
SQS events Lambda's event source would build from them → `worker_handler` →
records in DynamoDB and callbacks to a real receiver on 127.0.0.1 → results
through `callback_handler`. The table, the queue and its dead-letter queue and
each function's environment come from the synthesized CDK templates
(tests/aws_deployment.py); files come from a loopback file server and from
moto's S3. Every AWS call a handler makes is recorded and checked against the
IAM actions its function's role is granted in the template.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from pydantic import SecretStr

from mp4_small_analyser.aws import handlers
from mp4_small_analyser.models import FailedResult
from mp4_small_analyser.options import AnalysisOptions
from mp4_small_analyser.service.logs import JsonFormatter
from mp4_small_analyser.service.signing import SIGNATURE_HEADER, inbound_key, sign, verify
from mp4_small_analyser.service.tasks import queued_record
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.adapters.dynamodb_store import DynamoDbResultStore
from mp4_small_analyser.stores.messages import AnalyseMessage, DeliverMessage, encode_message
from mp4_small_analyser.stores.records import TERMINAL_STATUSES, utc_timestamp
from mp4_small_analyser_cdk.functions import CALLBACK_HANDLER, SUBMISSION_HANDLER, WORKER_HANDLER
from tests.aws_deployment import Deployment, Queues, function_environment
from tests.fixtures_aws import REGION
from tests.fixtures_http import CallbackReceiver, FileServer

SIGNING_SECRET = "e2e-signing-secret-" + "k" * 45
API_KEY = "e2e-api-key-0123456789"
CALLBACK_API_URL = "https://callback-api.example.test/prod/"
CONSOLE_KEY = "console-key-for-the-lambda-tests"
API_HOST = "abc123.execute-api.eu-west-1.amazonaws.com"
CONSOLE = {"x-api-key": CONSOLE_KEY}
"""What reads on the callback API need: the console key is its API_KEY."""
ESM_BATCH_SIZE = 1
"""Records per worker event: the stacks' default WORKER_BATCH_SIZE."""
# What the test changes in the functions' environments: loopback servers and
# moto's bucket are allowed, retries are quick, and logs take Lambda's JSON path.
TEST_SETTINGS = {
    "ALLOW_PRIVATE_URLS": "true",
    "CALLBACK_RETRY_BASE_DELAY": "0.5",
    "CALLBACK_TIMEOUT": "5",
    "WORKER_RETRY_DELAY": "0",
    "AWS_LAMBDA_LOG_FORMAT": "JSON",
}
# Batched SQS calls are authorised by the single-message action.
_IAM_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
_role: contextvars.ContextVar[str | None] = contextvars.ContextVar("role", default=None)


class FakeContext:
    """The part of Lambda's context object the handlers use."""

    def __init__(self, remaining_seconds: float = 120.0) -> None:
        self._deadline = time.monotonic() + remaining_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def rest_event(
    method: str,
    path: str,
    resource: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event, as the stage `prod` sends it to Lambda."""
    all_headers = {
        "Host": API_HOST,
        "Content-Type": "application/json",
        "User-Agent": "pytest",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    names = [part[1:-1] for part in resource.split("/") if part.startswith("{")]
    values = [p for p, r in zip(path.split("/"), resource.split("/"), strict=True) if r != p]
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": dict(zip(names, values, strict=True)) or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "accountId": "123456789012",
            "apiId": API_HOST.split(".")[0],
            "domainName": API_HOST,
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
        },
        "body": None if body is None else body if isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source makes of received messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def hand_made_record(body: str, receive_count: int = 1) -> dict[str, Any]:
    """An SQS event record for a message that never went through the queue."""
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": f"handle-{uuid.uuid4()}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
    }


class Lambdas:
    """Invokes the handlers as Lambda would, each with its own function's environment.

    Settings are read at a function's cold start; submission and callback
    functions share the module's app cache, so switching between them is a new
    cold start, as two Lambda functions would each have theirs.
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        deployment: Deployment,
        environments: dict[str, dict[str, str]],
        queues: Queues,
    ) -> None:
        self._monkeypatch = monkeypatch
        self._deployment = deployment
        self._environments = environments
        self.queues = queues
        self.sqs = boto3.client("sqs")
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queues.url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self._api_role: str | None = None
        self.calls: dict[str, set[str]] = {handler: set() for handler in environments}
        # Clients copy the session's event hooks when created: the handlers' clients
        # are all created after this, at their cold starts.
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", self._record)
        handlers.api_adapter.cache_clear()
        handlers.sqs_worker.cache_clear()

    def _record(self, model: Any, **_: Any) -> None:
        role = _role.get()
        if role is not None:
            # The signing name is the IAM action prefix (secretsmanager, not secrets-manager).
            self.calls[role].add(f"{model.service_model.signing_name}:{model.name}")

    def invoke(self, handler: str, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        self._enter(handler)
        token = _role.set(handler)
        try:
            function = {
                SUBMISSION_HANDLER: handlers.submission_handler,
                CALLBACK_HANDLER: handlers.callback_handler,
                WORKER_HANDLER: handlers.worker_handler,
            }[handler]
            return function(event, context or FakeContext())
        finally:
            _role.reset(token)

    def api(
        self, handler: str, method: str, path: str, resource: str, **request: Any
    ) -> tuple[int, Any]:
        response = self.invoke(handler, rest_event(method, path, resource, **request))
        body = response["body"]
        return response["statusCode"], json.loads(body) if body else None

    def _enter(self, handler: str) -> None:
        names = {name for env in self._environments.values() for name in env}
        for name in names:
            self._monkeypatch.delenv(name, raising=False)
        for name, value in self._environments[handler].items():
            self._monkeypatch.setenv(name, value)
        if handler != WORKER_HANDLER and self._api_role != handler:
            handlers.api_adapter.cache_clear()
            self._api_role = handler

    def run_worker(self, until: Callable[[], bool], timeout: float = 60.0) -> list[dict[str, Any]]:
        """Receive, invoke the worker and delete what it handled, as the event source
        does, until `until()` holds. Returns the worker's answers."""
        answers = []
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline, "the queue's work did not finish in time"
            messages = self.receive(ESM_BATCH_SIZE)
            if not messages:
                continue
            answer = self.invoke(WORKER_HANDLER, sqs_event(messages, self.queue_arn))
            failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
            for message in messages:
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(
                        QueueUrl=self.queues.url, ReceiptHandle=message["ReceiptHandle"]
                    )
            answers.append(answer)
        return answers

    def receive(self, count: int, queue_url: str | None = None) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=queue_url or self.queues.url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        return messages

    def waiting(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queues.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def unauthorised_calls(self) -> dict[str, set[str]]:
        """Calls each handler made that its role's IAM policies do not allow."""
        missing = {}
        for handler, calls in self.calls.items():
            needed = {_IAM_ACTIONS.get(call, call) for call in calls}
            if needed - self._deployment.granted[handler]:
                missing[handler] = needed - self._deployment.granted[handler]
        return missing

    def close(self) -> None:
        if handlers.sqs_worker.cache_info().currsize:
            handlers.sqs_worker().close()
        handlers.sqs_worker.cache_clear()
        handlers.api_adapter.cache_clear()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.unregister("before-call", self._record)


@pytest.fixture
def media_bucket(aws_env: str, service_clip: Path) -> str:
    s3 = boto3.client("s3")
    name = f"media-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.upload_file(str(service_clip), name, "in/clip.mp4")
    return name


@pytest.fixture
def signing_secret_arn(aws_env: str) -> str:
    secrets = boto3.client("secretsmanager")
    arn: str = secrets.create_secret(
        Name=f"signing-{uuid.uuid4().hex[:8]}", SecretString=SIGNING_SECRET
    )["ARN"]
    return arn


@pytest.fixture
def thumbnail_bucket(aws_env: str) -> str:
    name = f"thumbs-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


@pytest.fixture
def console_key_arn(aws_env: str) -> str:
    secrets = boto3.client("secretsmanager")
    arn: str = secrets.create_secret(
        Name=f"console-{uuid.uuid4().hex[:8]}", SecretString=CONSOLE_KEY
    )["ARN"]
    return arn


def _lambdas(
    request: pytest.FixtureRequest, deployment: Deployment, api_hosts: str = API_HOST
) -> Iterator[Lambdas]:
    """The three functions as `deployment` defines them, over this test's resources;
    `api_hosts` stands for the callback API's host name (SERVICE_HOSTS)."""
    queues = request.getfixturevalue("sqs_queues")("tasks")
    media_bucket = request.getfixturevalue("media_bucket")
    resources = {
        "table_name": request.getfixturevalue("results_table"),
        "queue_url": queues.url,
        "secret_arn": request.getfixturevalue("signing_secret_arn"),
        "callback_api_url": CALLBACK_API_URL,
        "callback_api_host": api_hosts,
        "thumbnail_bucket": request.getfixturevalue("thumbnail_bucket"),
        "api_key_secret_arn": request.getfixturevalue("console_key_arn"),
    }
    environments = {
        handler: {
            **function_environment(deployment, handler, resources),
            **TEST_SETTINGS,
            "ALLOWED_S3_BUCKETS": media_bucket,
        }
        for handler in (SUBMISSION_HANDLER, CALLBACK_HANDLER, WORKER_HANDLER)
    }
    request.getfixturevalue("caplog").set_level(logging.INFO)
    invoker = Lambdas(request.getfixturevalue("monkeypatch"), deployment, environments, queues)
    yield invoker
    invoker.close()
    assert invoker.unauthorised_calls() == {}


@pytest.fixture
def lambdas(request: pytest.FixtureRequest, aws_deployment: Deployment) -> Iterator[Lambdas]:
    yield from _lambdas(request, aws_deployment)


@pytest.fixture
def unsigned_lambdas(
    request: pytest.FixtureRequest, aws_deployment_unsigned: Deployment
) -> Iterator[Lambdas]:
    """As deployed with CREATE_CALLBACK_SIGNING_SECRET=false; the tests' callback receiver
    stands in for the deployment's own callback API too."""
    receiver = request.getfixturevalue("callback_receiver")
    receiver_host = httpx.URL(receiver.url("/")).netloc.decode()
    yield from _lambdas(request, aws_deployment_unsigned, f"{API_HOST},{receiver_host}")


def batch_delivered(store: DynamoDbResultStore, *batch_ids: str) -> Callable[[], bool]:
    def done() -> bool:
        records = [r for b in batch_ids for r in store.batch_page(b, 100).records]
        return bool(records) and all(
            r.status in TERMINAL_STATUSES
            and (r.callback is None or r.callback.status in ("delivered", "failed"))
            for r in records
        )

    return done


# ------------------------------------------------------------------------ tests


def test_async_batches_from_submission_to_callbacks_and_results(
    lambdas: Lambdas,
    results_table: str,
    media_bucket: str,
    file_server: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clip_url = file_server.publish(service_clip, "clip.mp4")
    commands = {
        "batch_id": "batch-commands",
        "mp4_small_analyser": [
            {"file_url": clip_url, "callback_url": callback_receiver.url("/hook/http")},
            {
                "file_url": f"s3://{media_bucket}/in/clip.mp4",
                "callback_url": callback_receiver.url("/hook/s3"),
                "method": "PUT",
            },
            {
                "file_url": file_server.url("/missing.mp4"),
                "callback_url": callback_receiver.url("/hook/missing"),
            },
        ],
    }
    files = {
        "batch_id": "batch-files",
        "files_url": [clip_url],
        "callback_url": callback_receiver.url("/files"),
    }
    submitted = {}
    for request in (commands, files):
        status, body = lambdas.api(
            SUBMISSION_HANDLER,
            "POST",
            "/mp4_small_analyser",
            "/mp4_small_analyser",
            body=request,
            query={"client": "acme"},
            headers={"x-api-key": API_KEY},
        )
        assert status == 202, body
        assert body["mode"] == "async" and body["total_files"] == len(body["tasks"])
        assert body["batch_url"] == f"{CALLBACK_API_URL}callback/batch/{body['batch_id']}"
        submitted[body["batch_id"]] = body["tasks"]
    http_task, s3_task, missing_task = (t["task_id"] for t in submitted["batch-commands"])
    (files_task,) = (t["task_id"] for t in submitted["batch-files"])

    # Queued before any work: four records in the table, four messages in SQS.
    store = DynamoDbResultStore(results_table)
    queued = [store.latest(t) for t in (http_task, s3_task, missing_task, files_task)]
    assert all(record is not None and record.status == "queued" for record in queued)
    assert lambdas.waiting() == 4

    # The first callback attempt fails: the retry goes through SQS with a delay.
    callback_receiver.fail_next(1, status=503)
    answers = lambdas.run_worker(batch_delivered(store, "batch-commands", "batch-files"))
    assert all(answer == {"batchItemFailures": []} for answer in answers)
    assert len(answers) == 5  # four analyses and one callback retry
    assert lambdas.waiting() == 0

    received = callback_receiver.wait_for(5)
    delivered = {r.path: r for r in received if r.status == 200}
    assert set(delivered) == {"/hook/http", "/hook/s3", "/hook/missing", f"/files/{files_task}"}
    assert delivered["/hook/s3"].method == "PUT"
    assert all(r.method == "POST" for p, r in delivered.items() if p != "/hook/s3")
    for request in received:
        assert request.query == {"client": ["acme"]}
        signature = request.headers[SIGNATURE_HEADER.lower()]
        verify(SIGNING_SECRET, request.method, request.path, request.body, signature)
    results = {r.path: r.json for r in delivered.values()}
    for path, task_id in (("/hook/http", http_task), ("/hook/s3", s3_task)):
        result = results[path]
        assert (result["task_id"], result["batch_id"], result["status"]) == (
            task_id,
            "batch-commands",
            "completed",
        )
        video = result["results"]["video_analysis"]
        assert (video["width"], video["height"]) == (64, 48)
    assert results["/hook/s3"]["file_url"] == f"s3://{media_bucket}/in/clip.mp4"
    # A file that cannot be read is a task that failed, not a message that failed.
    assert (results["/hook/missing"]["status"], results["/hook/missing"]["error_code"]) == (
        "failed",
        "FILE_NOT_FOUND",
    )
    assert results[f"/files/{files_task}"]["status"] == "completed"

    # Results through the callback function.
    resource = "/callback/{task_id}"
    status, record = lambdas.api(
        CALLBACK_HANDLER, "GET", f"/callback/{s3_task}", resource, headers=CONSOLE
    )
    assert status == 200
    assert (record["status"], record["callback"]["status"]) == ("completed", "delivered")
    assert record["payload"]["results"]["file_info"]["file_size"] == service_clip.stat().st_size
    attempts = []
    for task_id in (http_task, missing_task, files_task):
        status, body = lambdas.api(
            CALLBACK_HANDLER, "GET", f"/callback/{task_id}", resource, headers=CONSOLE
        )
        assert status == 200
        attempts.append(body["callback"]["attempts"])
    assert sorted([record["callback"]["attempts"], *attempts]) == [1, 1, 1, 2]

    status, first = lambdas.api(
        CALLBACK_HANDLER,
        "GET",
        "/callback/batch/batch-commands",
        "/callback/batch/{batch_id}",
        query={"limit": "2"},
        headers=CONSOLE,
    )
    assert status == 200
    assert first["summary"] == {
        "total": 3,
        "queued": 0,
        "running": 0,
        "completed": 2,
        "failed": 1,
        # Counted from the index's projected `verdict`: the clip's tones are far above -23 LUFS.
        "verdicts": {"pass": 0, "warn": 0, "fail": 2},
    }
    assert [t["task_id"] for t in first["tasks"]] == [http_task, s3_task]
    status, second = lambdas.api(
        CALLBACK_HANDLER,
        "GET",
        "/callback/batch/batch-commands",
        "/callback/batch/{batch_id}",
        query={"limit": "2", "next_token": first["next_token"]},
        headers=CONSOLE,
    )
    assert status == 200
    assert [t["task_id"] for t in second["tasks"]] == [missing_task]
    assert second["next_token"] is None
    status, _ = lambdas.api(CALLBACK_HANDLER, "GET", "/callback/nobody", resource, headers=CONSOLE)
    assert status == 404

    # Lambda's JSON log handler gets the ids as record attributes; nothing formats the
    # record as JSON before it (that would nest JSON in the message).
    worker_logs = [r for r in caplog.records if r.name == "mp4_small_analyser.service.tasks"]
    assert {(getattr(r, "task_id", None), getattr(r, "batch_id", None)) for r in worker_logs} >= {
        (http_task, "batch-commands"),
        (files_task, "batch-files"),
    }
    root_handlers = logging.getLogger().handlers
    assert not any(isinstance(h.formatter, JsonFormatter) for h in root_handlers)


def test_a_sync_batch_is_answered_with_the_results_the_workers_store(
    lambdas: Lambdas,
    media_bucket: str,
    file_server: FileServer,
    service_clip: Path,
) -> None:
    clip_url = file_server.publish(service_clip, "clip.mp4")
    request = {"files_url": [clip_url, f"s3://{media_bucket}/in/clip.mp4"]}
    # A warm submission function, so the worker's cold start below runs alongside it.
    assert lambdas.api(SUBMISSION_HANDLER, "GET", "/health", "/health")[0] == 200

    def submit() -> tuple[int, Any]:
        # Lambda runs a function on one thread; this one needs an event loop of its own.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return lambdas.api(
                SUBMISSION_HANDLER,
                "POST",
                "/mp4_small_analyser",
                "/mp4_small_analyser",
                body=request,
                headers={"x-api-key": API_KEY},
            )
        finally:
            loop.close()

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(submit)
        answers = lambdas.run_worker(future.done)
        status, body = future.result()
    assert status == 200, body
    assert (body["mode"], body["total_files"], body["successful"], body["failed"]) == (
        "sync",
        2,
        2,
        0,
    )
    assert [r["file_url"] for r in body["results"]] == request["files_url"]
    assert len(answers) == 2 and all(a == {"batchItemFailures": []} for a in answers)
    # Judged again through the callback API's own routes, from the stored result only.
    task_id = body["results"][0]["task_id"]
    inline = {"name": "codec-only", "description": "x", "rules": []}
    status, judged = lambdas.api(
        CALLBACK_HANDLER,
        "POST",
        f"/callback/{task_id}/judge",
        "/callback/{task_id}/judge",
        body={"profile": inline},
        headers=CONSOLE,
    )
    assert status == 200, judged
    assert judged["results"]["verdict"]["profile"] == "codec-only"
    assert body["results"][0]["results"]["verdict"]["profile"] == "ebu-r128"
    status, listed = lambdas.api(CALLBACK_HANDLER, "GET", "/profiles", "/profiles", headers=CONSOLE)
    assert status == 200
    assert "ebu-r128-s1" in {profile["name"] for profile in listed["profiles"]}


def test_failed_callbacks_are_redelivered_through_the_submission_function(
    lambdas: Lambdas,
    results_table: str,
    file_server: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    """The analyser API routes the re-deliveries to the submission function, which has the
    queue; the same task_id submitted again is idempotent there too (both read the table)."""
    clip_url = file_server.publish(service_clip, "clip.mp4")
    request = {
        "batch_id": "batch-redeliver",
        "mp4_small_analyser": [
            {
                "file_url": clip_url,
                "callback_url": callback_receiver.url(f"/hook/{n}"),
                "task_id": n,
            }
            for n in ("again-1", "again-2")
        ],
    }

    def submit() -> tuple[int, Any]:
        return lambdas.api(
            SUBMISSION_HANDLER,
            "POST",
            "/mp4_small_analyser",
            "/mp4_small_analyser",
            body=request,
            headers={"x-api-key": API_KEY},
        )

    assert submit()[0] == 202
    store = DynamoDbResultStore(results_table)
    # A 4xx is not retried: both callbacks end failed.
    callback_receiver.always_fail(status=410)
    lambdas.run_worker(batch_delivered(store, "batch-redeliver"))
    records = [store.latest(n) for n in ("again-1", "again-2")]
    assert [r.callback.status if r and r.callback else None for r in records] == ["failed"] * 2
    status, again = submit()
    assert status == 202 and [t["status"] for t in again["tasks"]] == ["completed"] * 2
    assert lambdas.waiting() == 0

    callback_receiver.reset()
    status, one = lambdas.api(
        SUBMISSION_HANDLER,
        "POST",
        "/callback/again-1/redeliver",
        "/callback/{task_id}/redeliver",
        headers={"x-api-key": API_KEY},
    )
    assert (status, one) == (202, {"task_ids": ["again-1"], "count": 1})
    status, many = lambdas.api(
        SUBMISSION_HANDLER,
        "POST",
        "/callback/batch/batch-redeliver/redeliver",
        "/callback/batch/{batch_id}/redeliver",
        headers={"x-api-key": API_KEY},
    )
    assert (status, many) == (202, {"task_ids": ["again-2"], "count": 1})
    lambdas.run_worker(batch_delivered(store, "batch-redeliver"))
    received = callback_receiver.wait_for(2)
    assert sorted(r.path for r in received if r.status == 200) == ["/hook/again-1", "/hook/again-2"]


def test_an_unreadable_message_is_dead_lettered_at_its_first_receive(
    lambdas: Lambdas, results_table: str, callback_receiver: CallbackReceiver
) -> None:
    # A body this version cannot read: a kind it does not know, and a task whose options
    # hold the `null` an infinite number became (issue 9, finding 1).
    message = AnalyseMessage(
        task_id="poisoned",
        timestamp=utc_timestamp(),
        batch_id="b-poison",
        file_url="https://media.example.com/never-read.mp4",
        callback_url=callback_receiver.url("/hook/poisoned"),
    )
    DynamoDbResultStore(results_table).put(queued_record(message, 1))
    poisoned = json.loads(encode_message(message))
    poisoned["options"]["max_media_duration"] = None
    bodies = [json.dumps({"kind": "transcode", "task_id": "t1"}), json.dumps(poisoned)]
    for body in bodies:
        lambdas.sqs.send_message(QueueUrl=lambdas.queues.url, MessageBody=body)
    received = lambdas.receive(2)
    while len(received) < 2:
        received += lambdas.receive(2 - len(received))
    answer = lambdas.invoke(WORKER_HANDLER, sqs_event(received, lambdas.queue_arn))
    assert answer == {"batchItemFailures": []}
    assert lambdas.receive(1) == []
    dead = lambdas.receive(2, lambdas.queues.dead_letter_url)
    while len(dead) < 2:
        dead += lambdas.receive(2 - len(dead), lambdas.queues.dead_letter_url)
    assert sorted(m["Body"] for m in dead) == sorted(bodies)
    stored = DynamoDbResultStore(results_table).get("poisoned", message.timestamp)
    assert stored is not None and stored.status == "failed"
    assert isinstance(stored.payload, FailedResult)
    assert stored.payload.error_code == "UNREADABLE_TASK"
    (callback,) = callback_receiver.wait_for(1)
    assert callback.json["error_code"] == "UNREADABLE_TASK"


def test_the_third_receive_gives_up_on_the_file_and_delivers_the_failure(
    lambdas: Lambdas, results_table: str, callback_receiver: CallbackReceiver
) -> None:
    message = AnalyseMessage(
        task_id="stuck",
        timestamp=utc_timestamp(),
        batch_id="b-stuck",
        file_url="https://media.example.com/hangs.mp4",
        callback_url=callback_receiver.url("/hook/stuck"),
    )
    store = DynamoDbResultStore(results_table)
    store.put(queued_record(message, 1))
    record = hand_made_record(encode_message(message), receive_count=3)
    answer = lambdas.invoke(WORKER_HANDLER, {"Records": [record]})
    assert answer == {"batchItemFailures": []}
    stored = store.get("stuck", message.timestamp)
    assert stored is not None and stored.status == "failed"
    assert isinstance(stored.payload, FailedResult)
    assert stored.payload.error_code == "INTERNAL_ERROR"
    assert stored.callback is not None and stored.callback.status == "delivered"
    (callback,) = callback_receiver.wait_for(1)
    assert callback.json["task_id"] == "stuck" and "abandoned" in callback.json["error"]


def test_a_message_with_no_record_recreates_it(
    lambdas: Lambdas, results_table: str, service_clip: Path, file_server: FileServer
) -> None:
    message = AnalyseMessage(
        task_id="orphan",
        timestamp=utc_timestamp(),
        batch_id="b-orphan",
        file_url=file_server.publish(service_clip, "clip.mp4"),
        options=AnalysisOptions(probe_only=True),
    )
    answer = lambdas.invoke(
        WORKER_HANDLER, {"Records": [hand_made_record(message.model_dump_json())]}
    )
    assert answer == {"batchItemFailures": []}
    stored = DynamoDbResultStore(results_table).get("orphan", message.timestamp)
    assert stored is not None and stored.status == "completed"


def test_messages_without_time_left_are_queued_again_as_new_ones(lambdas: Lambdas) -> None:
    # Callback retries of unknown tasks: handled (dropped) at once.
    retries = [
        DeliverMessage(task_id=f"gone-{i}", timestamp=utc_timestamp(), attempt=2) for i in range(3)
    ]
    records = [hand_made_record(encode_message(m), receive_count=2) for m in retries]
    answer = lambdas.invoke(WORKER_HANDLER, {"Records": records}, FakeContext(remaining_seconds=30))
    assert answer == {"batchItemFailures": []}
    requeued = lambdas.receive(10)
    assert sorted(m["Body"] for m in requeued) == sorted(encode_message(m) for m in retries[1:])
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in requeued} == {"1"}


def test_the_callback_function_runs_without_a_queue_and_checks_signatures(
    lambdas: Lambdas,
) -> None:
    status, health = lambdas.api(CALLBACK_HANDLER, "GET", "/health", "/health")
    assert status == 200 and (health["store"], health["queue"]) == ("dynamodb", "none")
    payload = json.dumps({"status": "failed", "error": "boom", "error_code": "X"})
    resource = "/callback/{task_id}"
    status, body = lambdas.api(CALLBACK_HANDLER, "POST", "/callback/ext-1", resource, body=payload)
    assert (status, body["error_code"]) == (401, "UNAUTHORIZED")
    # What every receiver of our callbacks can sign (v2) is refused ...
    forged = sign(SIGNING_SECRET, "POST", "/prod/callback/ext-1", payload.encode())
    status, body = lambdas.api(
        CALLBACK_HANDLER,
        "POST",
        "/callback/ext-1",
        resource,
        body=payload,
        headers={SIGNATURE_HEADER: forged},
    )
    assert (status, body["error_code"]) == (401, "INVALID_SIGNATURE")
    # ... what the service signs for itself (in1) is accepted, for the URL the sender used:
    # the stage is part of its path.
    inbound = inbound_key(Settings(api_key=SecretStr(CONSOLE_KEY)))
    assert inbound is not None
    header = sign(
        SIGNING_SECRET,
        "POST",
        "/prod/callback/ext-1",
        payload.encode(),
        inbound=(inbound, API_HOST),
    )
    status, body = lambdas.api(
        CALLBACK_HANDLER,
        "POST",
        "/callback/ext-1",
        resource,
        body=payload,
        headers={SIGNATURE_HEADER: header},
    )
    assert status == 200 and body["source"] == "callback", body
    status, body = lambdas.api(
        CALLBACK_HANDLER,
        "POST",
        "/callback/ext-1",
        resource,
        body=payload,
        headers={SIGNATURE_HEADER: header},
    )
    assert (status, body["error_code"]) == (401, "INVALID_SIGNATURE"), "a replay is refused"
    status, body = lambdas.api(
        CALLBACK_HANDLER, "GET", "/callback/ext-1", resource, headers=CONSOLE
    )
    assert (status, body["status"], body["payload"]["error"]) == (200, "failed", "boom")


def test_the_console_and_thumbnails_are_served_by_the_callback_function(
    lambdas: Lambdas,
    results_table: str,
    thumbnail_bucket: str,
    file_server: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    clip_url = file_server.publish(service_clip, "clip.mp4")
    status, body = lambdas.api(
        SUBMISSION_HANDLER,
        "POST",
        "/mp4_small_analyser",
        "/mp4_small_analyser",
        body={
            "batch_id": "console-1",
            "files_url": [clip_url],
            "callback_url": callback_receiver.url("/c"),
        },
        headers={"x-api-key": API_KEY},
    )
    assert status == 202, body
    (task_id,) = [task["task_id"] for task in body["tasks"]]
    store = DynamoDbResultStore(results_table)
    lambdas.run_worker(batch_delivered(store, "console-1"))

    # The worker put the thumbnails in the bucket the stack gives it.
    keys = boto3.client("s3").list_objects_v2(Bucket=thumbnail_bucket)["Contents"]
    assert f"{task_id}/contact-sheet.jpg" in {key["Key"] for key in keys}

    # The pages ask for the console key (the callback function's API_KEY, from its secret).
    def console(headers: dict[str, str] | None = None) -> dict[str, Any]:
        event = rest_event("GET", "/console", "/console", headers=headers)
        event["path"] = "/console/"  # API Gateway keeps the trailing slash of the URL
        return lambdas.invoke(CALLBACK_HANDLER, event)

    login = console()
    assert login["statusCode"] == 303
    page = console({"x-api-key": CONSOLE_KEY})
    assert page["statusCode"] == 200 and "console-1" in page["body"]
    assert CONSOLE_KEY not in page["body"]
    # Relative links: the stage prefix (/prod) stays in the browser's URLs.
    assert 'href="./batches/console-1"' in page["body"]
    policy = _header(page, "content-security-policy")
    assert "img-src 'self' data: " + os.environ["AWS_ENDPOINT_URL"] in policy

    resource = "/callback/{task_id}/thumbnails/{name}"
    path = f"/callback/{task_id}/thumbnails/contact-sheet.jpg"
    refused = lambdas.invoke(CALLBACK_HANDLER, rest_event("GET", path, resource))
    assert refused["statusCode"] == 401
    redirect = lambdas.invoke(
        CALLBACK_HANDLER, rest_event("GET", path, resource, headers={"x-api-key": CONSOLE_KEY})
    )
    assert redirect["statusCode"] == 307
    location = _header(redirect, "location")
    picture = httpx.get(location)
    assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"


def _header(response: dict[str, Any], name: str) -> str:
    """A header of a proxy response (Mangum puts it in `headers` or `multiValueHeaders`)."""
    multi = {key: values[0] for key, values in response.get("multiValueHeaders", {}).items()}
    value: str = {**response.get("headers", {}), **multi}[name]
    return value


def test_without_a_signing_secret_the_deployments_own_callbacks_are_still_accepted(
    unsigned_lambdas: Lambdas,
    results_table: str,
    file_server: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    """CREATE_CALLBACK_SIGNING_SECRET=false: the callback function still has API_KEY (the
    console key), so received callbacks need credentials; the worker has the same key and
    signs with one derived from it, never sending the key itself. A delivery to the
    deployment's own callback API (here relayed from the receiver) is accepted; the same
    body without the signature is not."""
    status, body = unsigned_lambdas.api(
        SUBMISSION_HANDLER,
        "POST",
        "/mp4_small_analyser",
        "/mp4_small_analyser",
        body={
            "batch_id": "own-callbacks",
            "files_url": [file_server.publish(service_clip, "clip.mp4")],
            "callback_url": callback_receiver.url("/prod/callback"),
            "options": {"probe_only": True},
        },
        headers={"x-api-key": API_KEY},
    )
    assert status == 202, body
    (task_id,) = [task["task_id"] for task in body["tasks"]]
    store = DynamoDbResultStore(results_table)
    unsigned_lambdas.run_worker(batch_delivered(store, "own-callbacks"))
    (delivery,) = callback_receiver.wait_for(1)
    assert delivery.path == f"/prod/callback/{task_id}"
    assert "x-api-key" not in delivery.headers
    signature = delivery.headers[SIGNATURE_HEADER.lower()]

    def relay(headers: dict[str, str]) -> tuple[int, Any]:
        return unsigned_lambdas.api(
            CALLBACK_HANDLER,
            "POST",
            f"/callback/{task_id}",
            "/callback/{task_id}",
            body=delivery.body.decode(),
            headers=headers,
        )

    status, refused = relay({})
    assert (status, refused["error_code"]) == (401, "UNAUTHORIZED")
    # `in1` covers the host the worker sent to: the receiver stands in for the API's.
    host = httpx.URL(callback_receiver.url("/")).netloc.decode()
    status, stored = relay({SIGNATURE_HEADER: signature, "Host": host})
    assert status == 200 and stored["source"] == "callback", stored
    status, replayed = relay({SIGNATURE_HEADER: signature, "Host": host})
    assert (status, replayed["error_code"]) == (401, "INVALID_SIGNATURE")
    # The console key itself is a credential too (what a script of the operator's sends).
    status, _ = relay({"x-api-key": CONSOLE_KEY})
    assert status == 200
