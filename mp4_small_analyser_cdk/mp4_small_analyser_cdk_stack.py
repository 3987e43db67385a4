"""`Mp4SmallAnalyserCdkStack`: the submission API, the task queue and the workers."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from mp4_small_analyser.setting_types import API_GATEWAY_TIMEOUT
from mp4_small_analyser.stores.task_queue import MAX_RECEIVES
from mp4_small_analyser_cdk.bundling import LambdaPackage
from mp4_small_analyser_cdk.callback_stack import (
    SUBMISSION_TABLE_ACTIONS,
    WORKER_TABLE_ACTIONS,
    SharedResources,
    table_resources,
)
from mp4_small_analyser_cdk.config import DeploymentConfig
from mp4_small_analyser_cdk.console import THUMBNAIL_WRITE_ACTIONS, allow_thumbnail_objects
from mp4_small_analyser_cdk.functions import (
    SUBMISSION_HANDLER,
    WORKER_HANDLER,
    ServiceFunction,
    function_environment,
)
from mp4_small_analyser_cdk.monitoring import Alarms, service_dashboard
from mp4_small_analyser_cdk.nag import suppress
from mp4_small_analyser_cdk.rest_api import access_log_group_name, api_host, service_rest_api

SUBMISSION_PATH = "mp4_small_analyser"
REDELIVER_PATH = "redeliver"
QUEUE_RETENTION = Duration.days(4)
DEAD_LETTER_RETENTION = Duration.days(14)

ANALYSER_API_NAME = "analyser-api"


class Mp4SmallAnalyserCdkStack(Stack):
    """POST /mp4_small_analyser and the callback re-deliveries behind an API key, an SQS queue
    with a DLQ, and the workers."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        package: LambdaPackage,
        shared: SharedResources,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.dead_letter_queue = sqs.Queue(
            self,
            "TaskDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        suppress(
            self.dead_letter_queue,
            ["Serverless-SQSRedrivePolicy"],
            "This is the dead-letter queue: its messages are inspected (and redriven with "
            "SQS's redrive to source) by an operator, not consumed by a function.",
        )
        self.queue = sqs.Queue(
            self,
            "TaskQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(config.queue_visibility_timeout),
            retention_period=QUEUE_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                # The service's own count: the worker gives up on a file at the last receive.
                queue=self.dead_letter_queue,
                max_receive_count=MAX_RECEIVES,
            ),
        )

        fetching: dict[str, object] = {
            "allow_private_urls": False,
            "allowed_s3_buckets": config.allowed_s3_buckets,
        }
        self.submission = ServiceFunction(
            self,
            "SubmissionHandler",
            config=config,
            package=package,
            handler=SUBMISSION_HANDLER,
            name="submission",
            description="Accepts batches and queues their tasks; answers sync ones with the "
            "results the workers store.",
            timeout_seconds=config.submission_timeout,
            memory_size=config.submission_memory_size,
            environment=function_environment(
                config,
                table_name=shared.table.table_name,
                queue_url=self.queue.queue_url,
                **fetching,
                signing_secret=None,
                max_sync_files=config.max_sync_files,
                sync_timeout=config.sync_timeout,
                # Batches are read back from the callback stack's API.
                results_base_url=shared.callback_api.url,
            ),
        )
        self.worker = ServiceFunction(
            self,
            "WorkerHandler",
            config=config,
            package=package,
            handler=WORKER_HANDLER,
            name="worker",
            description="Analyses queued tasks, stores results and delivers callbacks.",
            timeout_seconds=config.worker_timeout,
            memory_size=config.worker_memory_size,
            environment=function_environment(
                config,
                table_name=shared.table.table_name,
                queue_url=self.queue.queue_url,
                **fetching,
                signing_secret=shared.signing_secret,
                # Callbacks to the deployment's own callback API carry `in1` (signing.py).
                service_hosts=(api_host(shared.callback_api),),
                analysis_timeout=config.worker_analysis_timeout,
                thumbnail_bucket=shared.thumbnails.bucket_name,
                api_key_secret_arn=shared.service_key.secret_arn,
            ),
            reserved_concurrency=config.worker_reserved_concurrency,
            ephemeral_storage_mb=config.analysis_ephemeral_storage_mb,
        )
        self.worker.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=config.worker_batch_size,
                report_batch_item_failures=True,
                max_concurrency=config.worker_max_concurrency,
            )
        )
        suppress(
            self.worker.function,
            ["Serverless-LambdaEventSourceMappingDestination"],
            "SQS event sources cannot have an on-failure destination; the queue's redrive "
            "policy moves a message to the dead-letter queue after three failed receives.",
        )
        self._grant_access(config, shared)

        self.api = self._submission_api(config)
        alarms = Alarms(self, config, shared.alarm_topic)
        alarms.any_occurrence(
            "DeadLetterQueueAlarm",
            "dlq-not-empty",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            "Tasks failed three times and wait in the dead-letter queue.",
        )
        alarms.any_occurrence(
            "WorkerErrorsAlarm",
            "worker-errors",
            self.worker.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            "Worker invocations failed (crash or timeout): see the worker's logs.",
        )
        alarms.function_throttles("WorkerThrottlesAlarm", self.worker.function, "worker")
        alarms.function_throttles(
            "SubmissionThrottlesAlarm", self.submission.function, "submission"
        )
        alarms.api_server_errors("AnalyserApi5xxAlarm", self.api, "analyser-api")
        dashboard = service_dashboard(
            self,
            config,
            apis=[("Analyser API", self.api), ("Callback API", shared.callback_api)],
            functions=[
                ("submission", self.submission.function),
                ("worker", self.worker.function),
            ],
            queue=self.queue,
            dead_letter_queue=self.dead_letter_queue,
        )

        CfnOutput(self, "AnalyserApiEndpoint", value=self.api.url, description="Analyser API")
        CfnOutput(
            self,
            "SubmitUrl",
            value=f"{self.api.url}{SUBMISSION_PATH}",
            description="POST batches here with the x-api-key header",
        )
        CfnOutput(
            self,
            "ApiKeyId",
            value=self.api_key.key_id,
            description="aws apigateway get-api-key --include-value --api-key <id>",
        )
        CfnOutput(self, "TaskQueueUrl", value=self.queue.queue_url)
        for output, log_group_name in (
            ("SubmissionFunctionLogGroup", self.submission.log_group.log_group_name),
            ("WorkerFunctionLogGroup", self.worker.log_group.log_group_name),
            ("AnalyserApiAccessLogGroup", access_log_group_name(config, ANALYSER_API_NAME)),
        ):
            CfnOutput(self, output, value=log_group_name, description="aws logs tail <this>")
        CfnOutput(self, "DeadLetterQueueUrl", value=self.dead_letter_queue.queue_url)
        CfnOutput(
            self,
            "DashboardUrl",
            value=f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region="
            f"{self.region}#dashboards:name={dashboard.dashboard_name}",
        )

    def _grant_access(self, config: DeploymentConfig, shared: SharedResources) -> None:
        table = shared.table
        self.submission.grant(SUBMISSION_TABLE_ACTIONS, table_resources(table))
        self.worker.grant(WORKER_TABLE_ACTIONS, [table.table_arn])
        self.worker.grant(THUMBNAIL_WRITE_ACTIONS, [shared.thumbnails.arn_for_objects("*")])
        allow_thumbnail_objects(self.worker.role, shared.thumbnails, "s3:PutObject")
        self.queue.grant_send_messages(self.submission.role)
        # Callback retries are queued again with a delay (the event source grants the rest).
        self.queue.grant_send_messages(self.worker.role)
        # An unreadable message is moved to the dead-letter queue at once, not retried.
        self.dead_letter_queue.grant_send_messages(self.worker.role)
        if shared.signing_secret is not None:
            shared.signing_secret.grant_read(self.worker.role)
        # The worker signs `in1` with a key derived from API_KEY, which is all the callback
        # API (same API_KEY) accepts of the deployment's own callbacks (signing.py).
        shared.service_key.grant_read(self.worker.role)
        if not config.allowed_s3_buckets:
            return
        bucket_arns = [f"arn:{self.partition}:s3:::{name}" for name in config.allowed_s3_buckets]
        object_arns = [f"{arn}/*" for arn in bucket_arns]
        # Only the worker reads files: sync batches are analysed by the workers too.
        self.worker.grant(["s3:GetObject"], object_arns)
        # ListBucket turns a missing key into 404 instead of 403, so it maps to FILE_NOT_FOUND.
        self.worker.grant(["s3:ListBucket"], bucket_arns)
        suppress(
            self.worker.role,
            ["AwsSolutions-IAM5"],
            "s3:GetObject on the objects of the buckets listed in ALLOWED_S3_BUCKETS only; "
            "object keys are the callers' and cannot be known at deploy time.",
            applies_to=[f"Resource::{arn}" for arn in object_arns],
        )

    def _submission_api(self, config: DeploymentConfig) -> apigw.RestApi:
        api = service_rest_api(
            self,
            "AnalyserApi",
            config=config,
            name=ANALYSER_API_NAME,
            description="Submission of MP4 analysis batches and callback re-deliveries "
            "(API key required).",
            rate_limit=config.api_throttle_rate_limit,
            burst_limit=config.api_throttle_burst_limit,
            cors=False,
            # The callback stack configures the regional account setting once.
            account_logging_role=False,
        )
        integration = apigw.LambdaIntegration(
            self.submission.function,
            allow_test_invoke=False,
            timeout=Duration.seconds(API_GATEWAY_TIMEOUT),
        )
        api.root.add_resource(SUBMISSION_PATH).add_method(
            "POST", integration, api_key_required=True
        )
        # Re-deliveries queue callbacks again: they go to the function that has the queue,
        # behind the same key as submissions (the callback API has no queue).
        callback = api.root.add_resource("callback")
        for resource in (
            callback.add_resource("{task_id}"),
            callback.add_resource("batch").add_resource("{batch_id}"),
        ):
            resource.add_resource(REDELIVER_PATH).add_method(
                "POST", integration, api_key_required=True
            )
        self.api_key = api.add_api_key("ApiKey", api_key_name=f"{config.resource_prefix}-key")
        plan = api.add_usage_plan(
            "UsagePlan",
            name=f"{config.resource_prefix}-usage-plan",
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_throttle_rate_limit,
                burst_limit=config.api_throttle_burst_limit,
            ),
            quota=(
                apigw.QuotaSettings(limit=config.api_quota_per_day, period=apigw.Period.DAY)
                if config.api_quota_per_day is not None
                else None
            ),
        )
        plan.add_api_key(self.api_key)
        plan.add_api_stage(stage=api.deployment_stage)
        suppress(
            api,
            ["AwsSolutions-APIG4", "AwsSolutions-COG4"],
            "Callers authenticate with the API key and are throttled by its usage plan, as the "
            "service's clients are servers holding a key, not Cognito users or IAM principals.",
        )
        return api
