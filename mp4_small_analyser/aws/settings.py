"""Settings of the Lambda functions: the service's, plus what only Lambda needs.

The CDK stacks set the environment (STORE_BACKEND=dynamodb, TABLE_NAME,
QUEUE_BACKEND=sqs or none, QUEUE_URL, CALLBACK_SIGNING_SECRET_ARN, ...) from
these fields' names (mp4_small_analyser_cdk/environment.py); the signing
secret's value is read from Secrets Manager once per cold start, never passed
in the environment.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from mp4_small_analyser.setting_types import ApiGatewaySyncTimeout
from mp4_small_analyser.settings import Settings

WORKER_TIME_MARGIN = 5.0
"""Seconds the SQS worker keeps per message for the store writes around an analysis and its
callback; the deployment's default ANALYSIS_TIMEOUT leaves it too."""


class LambdaSettings(Settings):
    callback_signing_secret_arn: str | None = Field(
        None,
        description="Secrets Manager secret whose value signs and checks callbacks; "
        "CALLBACK_SIGNING_SECRET, when set, wins.",
    )
    api_key_secret_arn: str | None = Field(
        None,
        description="Secrets Manager secret whose value is the API_KEY (the web console's "
        "login on the callback function); API_KEY, when set, wins.",
    )
    sync_timeout: ApiGatewaySyncTimeout = Field(
        25.0, description="Seconds a sync submission may take; below API Gateway's 29 s."
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
    """The settings from the environment, with the secrets fetched when named."""
    settings = LambdaSettings()
    fetched = {
        field: _secret_value(arn)
        for field, arn in (
            ("callback_signing_secret", settings.callback_signing_secret_arn),
            ("api_key", settings.api_key_secret_arn),
        )
        if arn and getattr(settings, field) is None
    }
    return settings.model_copy(update=fetched) if fetched else settings


def _secret_value(arn: str) -> SecretStr:
    # Imported here: the CDK app reads these settings' names without needing boto3.
    from mp4_small_analyser.stores.adapters.aws_clients import aws_client

    return SecretStr(aws_client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
