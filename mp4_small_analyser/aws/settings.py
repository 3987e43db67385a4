"""Settings of the Lambda functions: the service's, plus what only Lambda needs.

The CDK stacks set the environment (STORE_BACKEND=dynamodb, TABLE_NAME,
QUEUE_BACKEND=sqs or none, QUEUE_URL, CALLBACK_SIGNING_SECRET_ARN, ...); the
signing secret's value is read from Secrets Manager once per cold start, never
passed in the environment.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.aws_clients import aws_client

API_GATEWAY_TIMEOUT = 29.0
"""Seconds API Gateway waits for a Lambda integration."""


class LambdaSettings(Settings):
    callback_signing_secret_arn: str | None = Field(
        None,
        description="Secrets Manager secret whose value signs and checks callbacks; "
        "CALLBACK_SIGNING_SECRET, when set, wins.",
    )
    sync_timeout: float = Field(
        25.0,
        gt=0,
        lt=API_GATEWAY_TIMEOUT,
        description="Seconds a sync submission may take; below API Gateway's 29 s.",
    )
    worker_retry_delay: float = Field(
        10.0,
        ge=0,
        le=12 * 3600,
        description="Seconds before SQS hands out again a message the worker failed to "
        "handle (store unreachable, unreadable body), instead of the queue's visibility "
        "timeout.",
    )


def lambda_settings() -> LambdaSettings:
    """The settings from the environment, with the signing secret fetched when named."""
    settings = LambdaSettings()
    arn = settings.callback_signing_secret_arn
    if arn and settings.callback_signing_secret is None:
        secret = aws_client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        settings = settings.model_copy(update={"callback_signing_secret": SecretStr(secret)})
    return settings
