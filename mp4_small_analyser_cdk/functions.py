"""One Lambda function of the service, configured the same way for all three roles.

Each function gets its own role (no AWS managed policy: it may write only to its own log group),
a named log group with retention, X-Ray active tracing and Lambda's JSON log format, so every
`logging` record, with its `task_id`/`batch_id` extras, is one queryable JSON line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_cdk import Duration, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from mp4_small_analyser.aws import handlers
from mp4_small_analyser_cdk.bundling import LAMBDA_RUNTIME, LambdaPackage, bundled_profiles_dir
from mp4_small_analyser_cdk.config import DeploymentConfig
from mp4_small_analyser_cdk.environment import lambda_environment
from mp4_small_analyser_cdk.nag import suppress
from mp4_small_analyser_cdk.retention import log_group


def _handler_path(handler: Callable[..., Any]) -> str:
    """Lambda's `module.function` name of a handler, taken from the function itself."""
    return f"{handler.__module__}.{handler.__qualname__}"


SUBMISSION_HANDLER = _handler_path(handlers.submission_handler)
CALLBACK_HANDLER = _handler_path(handlers.callback_handler)
WORKER_HANDLER = _handler_path(handlers.worker_handler)

_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def function_environment(
    config: DeploymentConfig,
    *,
    table_name: str,
    queue_url: str | None,
    signing_secret: secretsmanager.ISecret | None,
    **settings: object,
) -> dict[str, str]:
    """The environment of one of the service's functions: what all three share (the store,
    logging, the bundled profiles, their queue or none, the signing secret when they are
    given one) and `settings`, the function's own."""
    return lambda_environment(
        store_backend="dynamodb",
        table_name=table_name,
        result_ttl_days=config.result_ttl_days,
        enable_test_endpoints=config.enable_test_endpoints,
        log_format="json",
        profiles_dir=bundled_profiles_dir(config.bundled_profiles_dir),
        queue_backend="none" if queue_url is None else "sqs",
        queue_url=queue_url,
        callback_signing_secret_arn=None if signing_secret is None else signing_secret.secret_arn,
        **settings,
    )


class ServiceFunction(Construct):
    """A Lambda function running one of the service's handlers from the bundled package."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        package: LambdaPackage,
        handler: str,
        name: str,
        description: str,
        timeout_seconds: int,
        memory_size: int,
        environment: Mapping[str, str],
        reserved_concurrency: int | None = None,
        ephemeral_storage_mb: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        function_name = f"{config.resource_prefix}-{name}"
        self.log_group = log_group(self, "Logs", config, f"/aws/lambda/{function_name}")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {function_name}",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=LAMBDA_RUNTIME,
            architecture=_ARCHITECTURES[config.lambda_architecture],
            code=package.code(self),
            handler=handler,
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            environment=dict(environment),
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel[config.log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrency,
            ephemeral_storage_size=(
                Size.mebibytes(ephemeral_storage_mb) if ephemeral_storage_mb is not None else None
            ),
        )
        suppress(
            self.role,
            ["AwsSolutions-IAM5"],
            "X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level "
            "permissions; CDK grants them on '*' for active tracing.",
            applies_to=["Resource::*"],
        )
        suppress(
            self.function,
            ["AwsSolutions-L1", "Serverless-LambdaLatestVersion"],
            "Python 3.12 is the runtime the deployment targets (the Lambda bundle's wheels are "
            "built for cp312); moving to a newer runtime is a deliberate, tested change.",
        )
        suppress(
            self.function,
            ["Serverless-LambdaDLQ"],
            "Never invoked asynchronously: API Gateway invokes synchronously and the SQS event "
            "source retries through the queue, whose redrive policy sends failures to the DLQ.",
        )

    def grant(self, actions: list[str], resources: list[str]) -> None:
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
