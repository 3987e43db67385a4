"""The REST APIs' common shape: regional, one stage, JSON access logs, tracing, throttling."""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from mp4_small_analyser.service.signing import SIGNATURE_HEADER
from mp4_small_analyser_cdk.config import DeploymentConfig
from mp4_small_analyser_cdk.nag import suppress
from mp4_small_analyser_cdk.retention import log_group

_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "apiKeyId": "$context.identity.apiKeyId",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integration.latency",
    "integrationError": "$context.integration.error",
    "xrayTraceId": "$context.xrayTraceId",
}


def api_host(api: apigw.RestApi) -> str:
    """The API's default host name, `<id>.execute-api.<region>.<suffix>`: what its URL
    holds, without depending on its deployment and stage (a function the API integrates
    can then be told it)."""
    stack = Stack.of(api)
    return f"{api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}"


def access_log_group_name(config: DeploymentConfig, name: str) -> str:
    """The CloudWatch log group of an API's access log (printed in the stacks' outputs)."""
    return f"/aws/apigateway/{config.resource_prefix}-{name}"


def service_rest_api(
    scope: Construct,
    construct_id: str,
    *,
    config: DeploymentConfig,
    name: str,
    description: str,
    rate_limit: float,
    burst_limit: int,
    cors: bool,
    account_logging_role: bool,
) -> apigw.RestApi:
    """A REST API whose stage logs, traces and throttles; routes are added by the caller."""
    access_logs = log_group(
        scope, f"{construct_id}AccessLogs", config, access_log_group_name(config, name)
    )
    api = apigw.RestApi(
        scope,
        construct_id,
        rest_api_name=f"{config.resource_prefix}-{name}",
        description=description,
        endpoint_types=[apigw.EndpointType.REGIONAL],
        cloud_watch_role=account_logging_role,
        deploy_options=apigw.StageOptions(
            stage_name=config.api_gateway_stage,
            tracing_enabled=True,
            metrics_enabled=True,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            throttling_rate_limit=rate_limit,
            throttling_burst_limit=burst_limit,
            access_log_destination=apigw.LogGroupLogDestination(access_logs),
            access_log_format=apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS)),
        ),
        default_cors_preflight_options=_CORS if cors else None,
    )
    # The stacks declare their outputs under stable names; drop CDK's hash-suffixed duplicate.
    api.node.try_remove_child("Endpoint")
    suppress(
        api,
        ["AwsSolutions-APIG2"],
        "Requests are validated by the FastAPI app's pydantic models, so a bad request gets "
        "the same status code and error body on AWS as when the service runs locally.",
    )
    suppress(
        api,
        ["AwsSolutions-APIG3"],
        "No WAF by default: a web ACL costs a monthly fee per API plus per request, and the "
        "stage already throttles; attach one to the stage when exposed to hostile traffic.",
    )
    if account_logging_role:
        suppress(
            api,
            ["AwsSolutions-IAM4"],
            "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for API "
            "Gateway's account-level logging role; it allows writing API logs only.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs"
            ],
        )
    return api


_CORS = apigw.CorsOptions(
    allow_origins=apigw.Cors.ALL_ORIGINS,
    allow_methods=apigw.Cors.ALL_METHODS,
    allow_headers=[*apigw.Cors.DEFAULT_HEADERS, SIGNATURE_HEADER],
)
