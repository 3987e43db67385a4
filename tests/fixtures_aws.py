"""A real moto server process on 127.0.0.1, with boto3 pointed at it by endpoint URL,
and the deployment's table and queues recreated in it (tests/aws_deployment.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import httpx
import pytest

if TYPE_CHECKING:
    from tests.aws_deployment import Deployment, Queues

REGION = "eu-west-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto server (S3, SQS, DynamoDB, ...) running for the whole session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    moto = Path(sys.executable).with_name("moto_server")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto server did not start: {log.read_text()}") from None
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment for boto3 clients created in this process: moto, fake credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return moto_endpoint


@pytest.fixture(scope="session")
def aws_deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The two stacks as `cdk synth` makes them of .env.example (assets not bundled)."""
    # Imported here: loading the CDK (a Node.js process) is for the tests that need it.
    from tests.aws_deployment import read_deployment
    from tests.cdk_synth import example_config, synthesize

    outdir = tmp_path_factory.mktemp("cdk-for-aws-tests")
    return read_deployment(synthesize(example_config(), outdir))


@pytest.fixture(scope="session")
def aws_deployment_unsigned(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The stacks with CREATE_CALLBACK_SIGNING_SECRET=false: no signing secret anywhere."""
    from tests.aws_deployment import read_deployment
    from tests.cdk_synth import example_config, synthesize

    outdir = tmp_path_factory.mktemp("cdk-unsigned-for-aws-tests")
    config = example_config(CREATE_CALLBACK_SIGNING_SECRET="false")
    return read_deployment(synthesize(config, outdir))


@pytest.fixture
def results_table(aws_env: str, aws_deployment: Deployment) -> Iterator[str]:
    """The name of a fresh table defined as the callback stack's."""
    from tests.aws_deployment import create_table

    client = boto3.client("dynamodb")
    name = create_table(client, aws_deployment)
    yield name
    client.delete_table(TableName=name)


@pytest.fixture
def sqs_queues(aws_env: str, aws_deployment: Deployment) -> Iterator[Callable[[str], Queues]]:
    """Task queues with their dead-letter queues, defined as the analyser stack's, by name."""
    from tests.aws_deployment import create_queues

    client = boto3.client("sqs")
    made: dict[str, Queues] = {}

    def queues(name: str) -> Queues:
        if name not in made:
            made[name] = create_queues(client, aws_deployment)
        return made[name]

    yield queues
    for created in made.values():
        client.delete_queue(QueueUrl=created.url)
        client.delete_queue(QueueUrl=created.dead_letter_url)
