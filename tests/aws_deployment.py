"""What the CDK app deploys, read from its synthesized templates and recreated in moto.

The AWS tests build the results table, the task queue and its dead-letter queue,
and each Lambda function's environment from the templates `cdk synth` makes of
`.env.example`, so the adapters and handlers meet the resources the stacks
define, not a copy that could drift from them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from mp4_small_analyser_cdk.functions import CALLBACK_HANDLER, SUBMISSION_HANDLER, WORKER_HANDLER
from tests.cdk_synth import (
    Synthesis,
    as_list,
    only_resource,
    policy_statements,
    resources_of_type,
)

# Logical-id prefixes of the resources a function's environment may reference.
_REFERENCES = {
    "ResultsTable": "table_name",
    "TaskQueue": "queue_url",
    "CallbackSigningSecret": "secret_arn",
    "CallbackApi": "callback_api_url",
    "ThumbnailBucket": "thumbnail_bucket",
    "ConsoleApiKey": "api_key_secret_arn",
}


@dataclass(frozen=True)
class Deployment:
    table: dict[str, Any]
    task_queue: dict[str, Any]
    dead_letter_queue: dict[str, Any]
    environments: dict[str, dict[str, Any]]
    """Handler → its function's environment variables, references unresolved."""
    granted: dict[str, set[str]]
    """Handler → the IAM actions its function's role is allowed."""


@dataclass(frozen=True)
class Queues:
    url: str
    dead_letter_url: str


def read_deployment(synthesis: Synthesis) -> Deployment:
    callback = synthesis.template("Mp4AnalyserCallbackStack")
    analyser = synthesis.template("Mp4SmallAnalyserCdkStack")
    queues = resources_of_type(analyser, "AWS::SQS::Queue").values()
    (task_queue,) = [q["Properties"] for q in queues if "RedrivePolicy" in q["Properties"]]
    (dead_letter,) = [q["Properties"] for q in queues if "RedrivePolicy" not in q["Properties"]]
    functions = [
        *resources_of_type(callback, "AWS::Lambda::Function").values(),
        *resources_of_type(analyser, "AWS::Lambda::Function").values(),
    ]
    environments = {
        f["Properties"]["Handler"]: f["Properties"]["Environment"]["Variables"] for f in functions
    }
    assert set(environments) == {SUBMISSION_HANDLER, CALLBACK_HANDLER, WORKER_HANDLER}
    roles = {
        f["Properties"]["Role"]["Fn::GetAtt"][0]: f["Properties"]["Handler"] for f in functions
    }
    granted: dict[str, set[str]] = {handler: set() for handler in environments}
    for template in (callback, analyser):
        for role, statement in policy_statements(template):
            if role in roles:
                granted[roles[role]] |= set(as_list(statement["Action"]))
    return Deployment(
        table=only_resource(callback, "AWS::DynamoDB::Table")["Properties"],
        task_queue=task_queue,
        dead_letter_queue=dead_letter,
        environments=environments,
        granted=granted,
    )


def create_table(client: Any, deployment: Deployment) -> str:
    """A table defined as the stack's (keys, index, billing, stream, TTL); its name."""
    spec = deployment.table
    name = f"results-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        KeySchema=spec["KeySchema"],
        AttributeDefinitions=spec["AttributeDefinitions"],
        GlobalSecondaryIndexes=spec["GlobalSecondaryIndexes"],
        BillingMode=spec["BillingMode"],
        StreamSpecification={
            "StreamEnabled": True,
            "StreamViewType": spec["StreamSpecification"]["StreamViewType"],
        },
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification=spec["TimeToLiveSpecification"]
    )
    return name


def create_queues(client: Any, deployment: Deployment) -> Queues:
    """The task queue and its dead-letter queue, with the stack's redrive and timeouts."""
    name = f"tasks-{uuid.uuid4().hex[:12]}"
    dead_letter_url = client.create_queue(
        QueueName=f"{name}-dlq",
        Attributes={
            "MessageRetentionPeriod": str(deployment.dead_letter_queue["MessageRetentionPeriod"])
        },
    )["QueueUrl"]
    dead_letter_arn = client.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    spec = deployment.task_queue
    redrive = {
        "deadLetterTargetArn": dead_letter_arn,
        "maxReceiveCount": spec["RedrivePolicy"]["maxReceiveCount"],
    }
    url = client.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(spec["VisibilityTimeout"]),
            "MessageRetentionPeriod": str(spec["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return Queues(url=url, dead_letter_url=dead_letter_url)


def function_environment(
    deployment: Deployment, handler: str, resources: dict[str, str]
) -> dict[str, str]:
    """A function's environment with its references to deployed resources replaced by
    `resources` (`table_name`, `queue_url`, `secret_arn`, `callback_api_url`,
    `callback_api_host`, `thumbnail_bucket`, `api_key_secret_arn`)."""
    environment = {}
    for name, value in deployment.environments[handler].items():
        if isinstance(value, str):
            environment[name] = value
            continue
        reference = json.dumps(value)
        if name == "SERVICE_HOSTS":  # the callback API's host name, built from its id
            environment[name] = resources["callback_api_host"]
            continue
        kinds = [kind for prefix, kind in _REFERENCES.items() if prefix in reference]
        assert len(kinds) == 1, f"{name}={reference}: which resource?"
        environment[name] = resources[kinds[0]]
    return environment
