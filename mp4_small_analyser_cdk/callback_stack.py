"""`Mp4AnalyserCallbackStack`: the results table and the callback/results REST API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from mp4_small_analyser.stores.adapters.dynamodb_table import (
    BATCH_INDEX,
    BATCH_KEY,
    INDEX_ATTRIBUTES,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from mp4_small_analyser_cdk.bundling import LambdaPackage
from mp4_small_analyser_cdk.config import DeploymentConfig
from mp4_small_analyser_cdk.console import (
    THUMBNAIL_READ_ACTIONS,
    add_console_routes,
    allow_thumbnail_objects,
    console_key,
    thumbnail_bucket,
)
from mp4_small_analyser_cdk.environment import lambda_environment
from mp4_small_analyser_cdk.functions import (
    CALLBACK_HANDLER,
    ServiceFunction,
    function_environment,
)
from mp4_small_analyser_cdk.monitoring import Alarms, alarm_topic
from mp4_small_analyser_cdk.nag import suppress
from mp4_small_analyser_cdk.rest_api import access_log_group_name, api_host, service_rest_api
from mp4_small_analyser_cdk.retention import removal_policy

# The DynamoDB calls each function's store makes (stores/adapters/dynamodb_store.py), no more;
# tests/test_aws_lambda.py checks them against the calls the handlers make. No DeleteItem:
# records expire through the TTL.
CALLBACK_TABLE_ACTIONS = [
    "dynamodb:PutItem",  # received and simulated callbacks
    "dynamodb:Query",  # a task's latest record; a batch's tasks (BatchIdIndex)
    "dynamodb:BatchGetItem",  # the records of a batch page
]
SUBMISSION_TABLE_ACTIONS = [
    "dynamodb:BatchWriteItem",  # a batch's queued records
    "dynamodb:UpdateItem",  # tasks failed when the queue refuses them; callbacks re-delivered
    "dynamodb:GetItem",  # results of a sync batch
    "dynamodb:Query",  # a task_id submitted again, a task's or batch's re-delivery (BatchIdIndex)
    "dynamodb:BatchGetItem",  # the records of a batch whose callbacks are re-delivered
]
WORKER_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
# Only `GET /test/results` (newest records across the table) needs a scan.
TABLE_SCAN_ACTIONS = ["dynamodb:Scan"]
# The console's list of recent batches scans the batch index (keys, status, expiry), never
# the table.
CALLBACK_INDEX_ACTIONS = ["dynamodb:Scan"]

CALLBACK_API_NAME = "callback-api"


@dataclass(frozen=True)
class SharedResources:
    """What the analyser stack takes from the callback stack."""

    table: dynamodb.ITable
    signing_secret: secretsmanager.ISecret | None
    alarm_topic: sns.ITopic | None
    callback_api: apigw.RestApi
    thumbnails: s3.IBucket
    service_key: secretsmanager.ISecret
    """The service's API_KEY (the console key): the callback function checks it, the worker
    signs its callbacks with a key derived from it when there is no signing secret."""


def table_resources(table: dynamodb.ITable) -> list[str]:
    """The table and its batch index, named: no `index/*` wildcard."""
    return [table.table_arn, batch_index_arn(table)]


def batch_index_arn(table: dynamodb.ITable) -> str:
    return f"{table.table_arn}/index/{BATCH_INDEX}"


class Mp4AnalyserCallbackStack(Stack):
    """Results table, callback/results API and its function; shared with the analyser stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        package: LambdaPackage,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.table = self._results_table(config)
        self.signing_secret = self._signing_secret(config)
        self.alarm_topic = alarm_topic(self, config)
        self.thumbnails = thumbnail_bucket(self, config)
        self.console_key = console_key(self, config)

        self.handler = ServiceFunction(
            self,
            "CallbackHandler",
            config=config,
            package=package,
            handler=CALLBACK_HANDLER,
            name="callback",
            description="Receives callbacks and serves results by task and by batch.",
            timeout_seconds=config.lambda_timeout,
            memory_size=config.lambda_memory_size,
            environment=function_environment(
                config,
                table_name=self.table.table_name,
                # Results only: submissions go to the analyser stack's function.
                queue_url=None,
                signing_secret=self.signing_secret,
                thumbnail_bucket=self.thumbnails.bucket_name,
                api_key_secret_arn=self.console_key.secret_arn,
            ),
        )
        scan = TABLE_SCAN_ACTIONS if config.enable_test_endpoints else []
        self.handler.grant([*CALLBACK_TABLE_ACTIONS, *scan], table_resources(self.table))
        self.handler.grant(CALLBACK_INDEX_ACTIONS, [batch_index_arn(self.table)])
        self.handler.grant(THUMBNAIL_READ_ACTIONS, [self.thumbnails.arn_for_objects("*")])
        allow_thumbnail_objects(self.handler.role, self.thumbnails, "s3:GetObject (presigning)")
        if self.signing_secret is not None:
            self.signing_secret.grant_read(self.handler.role)
        self.console_key.grant_read(self.handler.role)

        self.api = self._callback_api(config)
        # After the API: the function learns its own host (for `in1`, signing.py) from the
        # API's id, which does not depend on the function as the API's deployment does.
        for name, value in lambda_environment(service_hosts=(api_host(self.api),)).items():
            self.handler.function.add_environment(name, value)
        alarms = Alarms(self, config, self.alarm_topic)
        alarms.api_server_errors("CallbackApi5xxAlarm", self.api, "callback-api")
        alarms.function_throttles("CallbackThrottlesAlarm", self.handler.function, "callback")

        CfnOutput(self, "CallbackApiEndpoint", value=self.api.url, description="Callback API")
        CfnOutput(
            self,
            "CallbackUrlTemplate",
            value=f"{self.api.url}callback/{{task_id}}",
            description="POST a task's result here; GET it back",
        )
        CfnOutput(
            self,
            "BatchResultsUrlTemplate",
            value=f"{self.api.url}callback/batch/{{batch_id}}",
            description="GET every task of a batch",
        )
        CfnOutput(self, "ResultsTableName", value=self.table.table_name)
        # The original design's `aws logs tail` commands name log groups by construct id;
        # the real names (prefixed with project and environment) are printed here.
        CfnOutput(
            self,
            "CallbackFunctionLogGroup",
            value=self.handler.log_group.log_group_name,
            description="aws logs tail <this> --follow",
        )
        CfnOutput(
            self,
            "CallbackApiAccessLogGroup",
            value=access_log_group_name(config, CALLBACK_API_NAME),
            description="aws logs tail <this> --follow",
        )
        CfnOutput(
            self, "ConsoleUrl", value=f"{self.api.url}console/", description="The web console"
        )
        CfnOutput(
            self,
            "ConsoleKeySecretArn",
            value=self.console_key.secret_arn,
            description="The console's key (aws secretsmanager get-secret-value)",
        )
        CfnOutput(self, "ThumbnailBucketName", value=self.thumbnails.bucket_name)
        if self.signing_secret is not None:
            CfnOutput(
                self,
                "CallbackSigningSecretArn",
                value=self.signing_secret.secret_arn,
                description="Secret signing callbacks (read it with secretsmanager "
                "get-secret-value)",
            )

    def shared(self) -> SharedResources:
        return SharedResources(
            self.table,
            self.signing_secret,
            self.alarm_topic,
            self.api,
            self.thumbnails,
            self.console_key,
        )

    def _results_table(self, config: DeploymentConfig) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "ResultsTable",
            table_name=config.table_name,
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            time_to_live_attribute=TTL_ATTRIBUTE,
            removal_policy=removal_policy(config),
            deletion_protection=config.is_production,
        )
        # Batch reads take keys, status and expiry from the index and the records from the
        # table: projecting only those keeps each index write to one unit.
        table.add_global_secondary_index(
            index_name=BATCH_INDEX,
            partition_key=dynamodb.Attribute(name=BATCH_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(INDEX_ATTRIBUTES),
        )
        return table

    def _signing_secret(self, config: DeploymentConfig) -> secretsmanager.ISecret | None:
        arn = config.callback_signing_secret_arn
        if arn is not None:
            # Secrets Manager appends "-" and six random characters to a secret's name in its
            # complete ARN; without them, IAM grants must match that suffix with a wildcard.
            if re.search(r"-[A-Za-z0-9]{6}$", arn):
                return secretsmanager.Secret.from_secret_complete_arn(
                    self, "CallbackSigningSecret", arn
                )
            return secretsmanager.Secret.from_secret_partial_arn(self, "CallbackSigningSecret", arn)
        if not config.create_callback_signing_secret:
            return None
        secret = secretsmanager.Secret(
            self,
            "CallbackSigningSecret",
            description=f"{config.resource_prefix}: HMAC key signing and verifying callbacks",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=removal_policy(config),
        )
        suppress(
            secret,
            ["AwsSolutions-SMG4"],
            "A shared HMAC key: rotating it automatically would make every receiver reject "
            "callbacks until it fetched the new value. docs/aws.md describes a planned rotation.",
        )
        return secret

    def _callback_api(self, config: DeploymentConfig) -> apigw.RestApi:
        api = service_rest_api(
            self,
            "CallbackApi",
            config=config,
            name=CALLBACK_API_NAME,
            description="Callbacks of MP4 analyses and their results, by task and by batch.",
            rate_limit=config.callback_api_throttle_rate_limit,
            burst_limit=config.callback_api_throttle_burst_limit,
            cors=True,
            account_logging_role=config.api_gateway_cloudwatch_role,
        )
        integration = apigw.LambdaIntegration(self.handler.function, allow_test_invoke=False)
        callback = api.root.add_resource("callback")
        task = callback.add_resource("{task_id}")
        # POST or PUT, as the service accepts them locally (a command's `method`).
        task.add_method("POST", integration)
        task.add_method("PUT", integration)
        task.add_method("GET", integration)
        batch = callback.add_resource("batch").add_resource("{batch_id}")
        batch.add_method("GET", integration)
        # QC profiles, and stored results judged again against another profile.
        task.add_resource("judge").add_method("POST", integration)
        batch.add_resource("judge").add_method("POST", integration)
        profiles = api.root.add_resource("profiles")
        profiles.add_method("GET", integration)
        profiles.add_resource("{name}").add_method("GET", integration)
        add_console_routes(api, integration, task)
        if config.enable_test_endpoints:
            test = api.root.add_resource("test")
            test.add_resource("results").add_method("GET", integration)
            test.add_resource("simulate").add_method("POST", integration)
        suppress(
            api,
            ["AwsSolutions-APIG4", "AwsSolutions-COG4"],
            "Public by design, as in the original: callbacks come from analysers that hold no "
            "AWS credentials and are authenticated by their HMAC signature when a signing "
            "secret is configured; results are read by unguessable UUID4 task and batch ids.",
        )
        return api
