"""Alarms (to an SNS topic when ALARM_EMAIL is set) and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from mp4_small_analyser_cdk.config import DeploymentConfig
from mp4_small_analyser_cdk.nag import suppress

ALARM_PERIOD = Duration.minutes(5)


def alarm_topic(scope: Construct, config: DeploymentConfig) -> sns.Topic | None:
    """The topic alarms notify, subscribed by ALARM_EMAIL; none when no address is set."""
    if config.alarm_email is None:
        return None
    topic = sns.Topic(
        scope,
        "AlarmTopic",
        display_name=f"{config.resource_prefix} alarms",
        enforce_ssl=True,
    )
    topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
    suppress(
        topic,
        ["Serverless-SNSRedrivePolicy"],
        "The only subscription is an e-mail address; SNS retries e-mail delivery itself and a "
        "dead-letter queue of undelivered alarm e-mails would have no reader.",
    )
    return topic


class Alarms:
    """Creates alarms that fire on any occurrence in a period and notify one topic."""

    def __init__(self, scope: Construct, config: DeploymentConfig, topic: sns.ITopic | None):
        self._scope = scope
        self._prefix = config.resource_prefix
        self._action = cloudwatch_actions.SnsAction(topic) if topic is not None else None

    def any_occurrence(
        self, construct_id: str, name: str, metric: cloudwatch.IMetric, description: str
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self._scope,
            construct_id,
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if self._action is not None:
            alarm.add_alarm_action(self._action)
        return alarm

    def function_throttles(self, construct_id: str, function: lambda_.IFunction, name: str) -> None:
        self.any_occurrence(
            construct_id,
            f"{name}-throttles",
            function.metric_throttles(period=ALARM_PERIOD, statistic="Sum"),
            f"The {name} function was throttled: raise its concurrency or the account limit.",
        )

    def api_server_errors(self, construct_id: str, api: apigw.RestApi, name: str) -> None:
        self.any_occurrence(
            construct_id,
            f"{name}-5xx",
            api.metric_server_error(period=ALARM_PERIOD, statistic="Sum"),
            f"The {name} returned 5xx responses: see the function's logs.",
        )


def service_dashboard(
    scope: Construct,
    config: DeploymentConfig,
    *,
    apis: Sequence[tuple[str, apigw.RestApi]],
    functions: Sequence[tuple[str, lambda_.IFunction]],
    queue: sqs.IQueue,
    dead_letter_queue: sqs.IQueue,
) -> cloudwatch.Dashboard:
    """One screen: API traffic and errors, function errors and duration, queue backlog."""
    dashboard = cloudwatch.Dashboard(
        scope,
        "Dashboard",
        dashboard_name=config.resource_prefix,
        default_interval=Duration.hours(3),
    )
    dashboard.add_widgets(
        *(
            cloudwatch.GraphWidget(
                title=f"{title}: requests and errors",
                left=[api.metric_count(), api.metric_client_error(), api.metric_server_error()],
                right=[api.metric_latency(statistic="p95")],
                width=12,
            )
            for title, api in apis
        )
    )
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="Function errors and throttles",
            left=[
                metric
                for name, function in functions
                for metric in (
                    function.metric_errors(label=f"{name} errors"),
                    function.metric_throttles(label=f"{name} throttles"),
                )
            ],
            width=12,
        ),
        cloudwatch.GraphWidget(
            title="Function duration p95",
            left=[
                function.metric_duration(statistic="p95", label=name)
                for name, function in functions
            ],
            width=12,
        ),
    )
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="Task queue",
            left=[
                queue.metric_approximate_number_of_messages_visible(label="waiting"),
                queue.metric_approximate_number_of_messages_not_visible(label="in progress"),
            ],
            right=[queue.metric_approximate_age_of_oldest_message(label="oldest (s)")],
            width=12,
        ),
        cloudwatch.SingleValueWidget(
            title="Dead-letter queue",
            metrics=[dead_letter_queue.metric_approximate_number_of_messages_visible()],
            width=12,
        ),
    )
    return dashboard
