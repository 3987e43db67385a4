"""CDK assertions on both stacks: every resource and property the deployment promises."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match
from fastapi.routing import APIRoute

from mp4_small_analyser.composition import open_backends
from mp4_small_analyser.service.app import create_app
from mp4_small_analyser.service.routes import redelivery
from mp4_small_analyser.settings import Settings
from mp4_small_analyser_cdk.functions import CALLBACK_HANDLER, SUBMISSION_HANDLER, WORKER_HANDLER
from tests.cdk_synth import (
    PROJECT_ROOT,
    Synthesis,
    api_routes,
    as_list,
    example_config,
    function_by_handler,
    only_resource,
    policy_statements,
    resources_of_type,
    synthesize,
)

FULL = {
    "ENVIRONMENT": "prod",
    "LAMBDA_ARCHITECTURE": "x86_64",
    "ENABLE_TEST_ENDPOINTS": "true",
    "ALARM_EMAIL": "ops@example.com",
    "ALLOWED_S3_BUCKETS": "media-in,archive.example",
    "API_GATEWAY_STAGE": "v1",
    "WORKER_TIMEOUT": "200",
    "WORKER_MEMORY_SIZE": "3008",
    "ANALYSIS_EPHEMERAL_STORAGE_MB": "4096",
    "WORKER_BATCH_SIZE": "2",
    "WORKER_MAX_CONCURRENCY": "40",
    "WORKER_RESERVED_CONCURRENCY": "50",
    "LAMBDA_TIMEOUT": "20",
    "LAMBDA_MEMORY_SIZE": "512",
    "API_THROTTLE_RATE_LIMIT": "5",
    "API_THROTTLE_BURST_LIMIT": "7",
    "API_QUOTA_PER_DAY": "1000",
    "RESULT_TTL_DAYS": "90",
    "LOG_RETENTION_DAYS": "90",
    "DYNAMODB_TABLE_NAME": "qc-results",
    "BUNDLED_PROFILES_DIR": str(PROJECT_ROOT / "examples" / "profiles"),
}
PARTIAL_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mp4/signing"


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesize(example_config(), tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesize(example_config(**FULL), tmp_path_factory.mktemp("cdk-full"))


@pytest.fixture(scope="module")
def imported_secret(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    config = example_config(
        CALLBACK_SIGNING_SECRET_ARN=PARTIAL_SECRET_ARN, API_GATEWAY_CLOUDWATCH_ROLE="false"
    )
    return synthesize(config, tmp_path_factory.mktemp("cdk-imported-secret"))


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    config = example_config(CREATE_CALLBACK_SIGNING_SECRET="false")
    return synthesize(config, tmp_path_factory.mktemp("cdk-unsigned"))


def _env(template: dict[str, Any], handler: str) -> dict[str, Any]:
    _, function = function_by_handler(template, handler)
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


def _log_group_of(template: dict[str, Any], handler: str) -> dict[str, Any]:
    _, function = function_by_handler(template, handler)
    group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    group: dict[str, Any] = template["Resources"][group_id]
    return group


# --- Callback stack: the results table -------------------------------------------------------


def test_results_table_keys_index_and_protection(default: Synthesis) -> None:
    default.callback.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "TableName": "mp4-analyser-callback-results-dev",
                "KeySchema": [
                    {"AttributeName": "task_id", "KeyType": "HASH"},
                    {"AttributeName": "timestamp", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": Match.array_with(
                    [
                        {"AttributeName": "task_id", "AttributeType": "S"},
                        {"AttributeName": "timestamp", "AttributeType": "S"},
                        {"AttributeName": "batch_id", "AttributeType": "S"},
                    ]
                ),
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "BatchIdIndex",
                        "KeySchema": [
                            {"AttributeName": "batch_id", "KeyType": "HASH"},
                            {"AttributeName": "timestamp", "KeyType": "RANGE"},
                        ],
                        "Projection": {
                            "ProjectionType": "INCLUDE",
                            "NonKeyAttributes": ["status", "expires_at", "verdict"],
                        },
                    }
                ],
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": {"SSEEnabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                "DeletionProtectionEnabled": False,
            },
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
        },
    )


def test_production_stacks_are_protected(default: Synthesis, full: Synthesis) -> None:
    for synthesis, protected in ((default, False), (full, True)):
        artifacts = json.loads((synthesis.outdir / "manifest.json").read_text())["artifacts"]
        for stack_id in ("Mp4AnalyserCallbackStack", "Mp4SmallAnalyserCdkStack"):
            properties = artifacts[stack_id]["properties"]
            assert properties.get("terminationProtection", False) is protected


def test_production_table_is_retained_and_protected(full: Synthesis) -> None:
    full.callback.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {"TableName": "qc-results-prod", "DeletionProtectionEnabled": True}
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


# --- Callback stack: the API and its function --------------------------------------------------


def _app_routes(prefix: str, *, test_endpoints: bool = False) -> set[tuple[str, str]]:
    """What the FastAPI app serves under `prefix`, as `mp4-analyser serve` runs it locally:
    the deployed API must route exactly these to the function, no fewer methods."""
    settings = Settings(enable_test_endpoints=test_endpoints, queue_backend="none")
    app = create_app(settings, open_backends(settings))
    paths: dict[str, dict[str, object]] = app.openapi()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(prefix)
        for method in operations
    }


# Re-deliveries queue callbacks again: the submission API serves them (its function has the
# queue). The callback API serves the rest of /callback/, the QC profiles and re-judging.
REDELIVERY_ROUTES = {
    (method, route.path)
    for route in redelivery.router.routes
    if isinstance(route, APIRoute)
    for method in route.methods
}
CALLBACK_ROUTES = (_app_routes("/callback/") - REDELIVERY_ROUTES) | _app_routes("/profiles")
SUBMISSION_ROUTES = _app_routes("/mp4_small_analyser") | REDELIVERY_ROUTES
TEST_ROUTES = _app_routes("/test/", test_endpoints=True)


def test_the_app_serves_the_redelivery_routes_the_submission_api_deploys() -> None:
    assert {
        ("POST", "/callback/{task_id}/redeliver"),
        ("POST", "/callback/batch/{batch_id}/redeliver"),
    } == REDELIVERY_ROUTES
    assert _app_routes("/callback/") >= REDELIVERY_ROUTES


def test_the_deployed_callback_api_takes_put_as_the_local_service_does() -> None:
    assert {("POST", "/callback/{task_id}"), ("PUT", "/callback/{task_id}")} <= CALLBACK_ROUTES


# The console's pages, its JSON and exports sit under /console/ (one proxy resource), with
# /docs, its assets and the schema beside: the callback API routes these to the same app.
CONSOLE_ROUTES = {
    ("GET", "/"),
    ("GET", "/console"),
    ("GET", "/console/{proxy+}"),
    ("POST", "/console/{proxy+}"),
    ("GET", "/docs"),
    ("GET", "/docs/{proxy+}"),
    ("GET", "/openapi.json"),
}


def _every_app_route() -> set[tuple[str, str]]:
    """Every method and path the app answers, pages and static mounts included (the schema
    lists only the API)."""
    settings = Settings(enable_test_endpoints=True, queue_backend="none")
    app = create_app(settings, open_backends(settings))
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        path = getattr(route, "path", "")
        methods = getattr(route, "methods", None) or {"GET"}
        found |= {(method, path) for method in methods if method != "HEAD"}
    return found


def _deployed(method: str, path: str, routes: set[tuple[str, str]]) -> bool:
    # API Gateway takes /console/ for /console, and {proxy+} for one or more segments.
    path = path.rstrip("/") or "/"
    if (method, path) in routes:
        return True
    return any(
        deployed == method and route.endswith("/{proxy+}") and path.startswith(route[:-8])
        for deployed, route in routes
    )


def test_the_deployed_apis_route_every_page_and_route_the_app_serves(full: Synthesis) -> None:
    deployed = api_routes(full.template("Mp4AnalyserCallbackStack")) | api_routes(
        full.template("Mp4SmallAnalyserCdkStack")
    )
    missing = {route for route in _every_app_route() if not _deployed(*route, deployed)}
    assert not missing


def _non_preflight(routes: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {route for route in routes if route[0] != "OPTIONS"}


def test_callback_routes_without_test_endpoints(default: Synthesis) -> None:
    routes = api_routes(default.template("Mp4AnalyserCallbackStack"))
    assert _non_preflight(routes) == CALLBACK_ROUTES | CONSOLE_ROUTES


def test_test_endpoints_only_when_enabled(full: Synthesis) -> None:
    routes = api_routes(full.template("Mp4AnalyserCallbackStack"))
    assert _non_preflight(routes) == CALLBACK_ROUTES | CONSOLE_ROUTES | TEST_ROUTES


def test_callback_api_answers_cors_preflight_everywhere(full: Synthesis) -> None:
    routes = api_routes(full.template("Mp4AnalyserCallbackStack"))
    paths = {path for _, path in routes}
    assert {path for method, path in routes if method == "OPTIONS"} == paths
    preflights = [
        method
        for method in resources_of_type(
            full.template("Mp4AnalyserCallbackStack"), "AWS::ApiGateway::Method"
        ).values()
        if method["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    for preflight in preflights:
        headers = preflight["Properties"]["Integration"]["IntegrationResponses"][0][
            "ResponseParameters"
        ]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"
        allowed = headers["method.response.header.Access-Control-Allow-Methods"]
        assert set(allowed.strip("'").split(",")) >= {"GET", "POST", "PUT", "DELETE", "OPTIONS"}
        assert (
            "X-Mp4-Analyser-Signature"
            in headers["method.response.header.Access-Control-Allow-Headers"]
        )


def test_callback_methods_proxy_to_the_callback_function(default: Synthesis) -> None:
    template = default.template("Mp4AnalyserCallbackStack")
    function_id, _ = function_by_handler(template, CALLBACK_HANDLER)
    methods = [
        method["Properties"]
        for method in resources_of_type(template, "AWS::ApiGateway::Method").values()
        if method["Properties"]["HttpMethod"] != "OPTIONS"
    ]
    assert len(methods) == len(CALLBACK_ROUTES | CONSOLE_ROUTES)
    for method in methods:
        assert method["AuthorizationType"] == "NONE"
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert function_id in str(method["Integration"]["Uri"])


def test_stage_name_comes_from_config(default: Synthesis, full: Synthesis) -> None:
    for template in default.templates().values():
        assert only_resource(template, "AWS::ApiGateway::Stage")["Properties"]["StageName"] == (
            "prod"
        )
    for template in full.templates().values():
        assert only_resource(template, "AWS::ApiGateway::Stage")["Properties"]["StageName"] == "v1"


def test_stages_trace_log_json_and_throttle(full: Synthesis) -> None:
    expected_throttling = {
        "Mp4AnalyserCallbackStack": (50, 100),
        "Mp4SmallAnalyserCdkStack": (5, 7),
    }
    for stack_id, template in full.templates().items():
        stage = only_resource(template, "AWS::ApiGateway::Stage")["Properties"]
        assert stage["TracingEnabled"] is True
        assert stage["AccessLogSetting"]["Format"].startswith("{")
        (settings,) = stage["MethodSettings"]
        assert (settings["HttpMethod"], settings["ResourcePath"]) == ("*", "/*")
        assert settings["LoggingLevel"] == "ERROR"
        assert settings["DataTraceEnabled"] is False
        rate, burst = expected_throttling[stack_id]
        assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (rate, burst)
        api = only_resource(template, "AWS::ApiGateway::RestApi")["Properties"]
        assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]


def test_callback_function_settings(default: Synthesis) -> None:
    template = default.template("Mp4AnalyserCallbackStack")
    _, function = function_by_handler(template, CALLBACK_HANDLER)
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.12"
    assert properties["Architectures"] == ["arm64"]
    assert (properties["Timeout"], properties["MemorySize"]) == (30, 256)
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    assert properties["LoggingConfig"]["ApplicationLogLevel"] == "INFO"
    assert _log_group_of(template, CALLBACK_HANDLER)["Properties"]["RetentionInDays"] == 30
    assert "ReservedConcurrentExecutions" not in properties


def test_callback_function_environment(default: Synthesis) -> None:
    template = default.template("Mp4AnalyserCallbackStack")
    table_id = next(iter(resources_of_type(template, "AWS::DynamoDB::Table")))
    secret_id = _resource_id(template, "AWS::SecretsManager::Secret", "CallbackSigningSecret")
    console_key_id = _resource_id(template, "AWS::SecretsManager::Secret", "ConsoleApiKey")
    bucket_id = _resource_id(template, "AWS::S3::Bucket", "ThumbnailBucket")
    api_id = _resource_id(template, "AWS::ApiGateway::RestApi", "CallbackApi")
    assert _env(template, CALLBACK_HANDLER) == {
        "STORE_BACKEND": "dynamodb",
        "TABLE_NAME": {"Ref": table_id},
        "RESULT_TTL_DAYS": "30",
        "ENABLE_TEST_ENDPOINTS": "false",
        "LOG_FORMAT": "json",
        "QUEUE_BACKEND": "none",
        "CALLBACK_SIGNING_SECRET_ARN": {"Ref": secret_id},
        "THUMBNAIL_BUCKET": {"Ref": bucket_id},
        "API_KEY_SECRET_ARN": {"Ref": console_key_id},
        # Its own host, for `in1` (signing.py): from the API's id, not its deployment.
        "SERVICE_HOSTS": {
            "Fn::Join": [
                "",
                [{"Ref": api_id}, ".execute-api.eu-west-1.", {"Ref": "AWS::URLSuffix"}],
            ]
        },
    }


def test_bundled_profiles_are_every_function_s_profile_folder(
    default: Synthesis, full: Synthesis
) -> None:
    for synthesis, expected in ((default, None), (full, "/var/task/qc_profiles")):
        for template in synthesis.templates().values():
            for function in resources_of_type(template, "AWS::Lambda::Function").values():
                variables = function["Properties"]["Environment"]["Variables"]
                assert variables.get("PROFILES_DIR") == expected


def _resource_id(template: dict[str, Any], resource_type: str, prefix: str) -> str:
    (found,) = [rid for rid in resources_of_type(template, resource_type) if rid.startswith(prefix)]
    return found


def test_x86_64_and_sizes_follow_config(full: Synthesis) -> None:
    callback = full.template("Mp4AnalyserCallbackStack")
    analyser = full.template("Mp4SmallAnalyserCdkStack")
    functions = [
        *resources_of_type(callback, "AWS::Lambda::Function").values(),
        *resources_of_type(analyser, "AWS::Lambda::Function").values(),
    ]
    assert len(functions) == 3
    assert all(f["Properties"]["Architectures"] == ["x86_64"] for f in functions)
    _, callback_function = function_by_handler(callback, CALLBACK_HANDLER)
    assert (
        callback_function["Properties"]["Timeout"],
        callback_function["Properties"]["MemorySize"],
    ) == (
        20,
        512,
    )
    _, worker = function_by_handler(analyser, WORKER_HANDLER)
    assert (worker["Properties"]["Timeout"], worker["Properties"]["MemorySize"]) == (200, 3008)
    assert worker["Properties"]["ReservedConcurrentExecutions"] == 50
    assert worker["Properties"]["EphemeralStorage"] == {"Size": 4096}
    assert _log_group_of(analyser, WORKER_HANDLER)["Properties"]["RetentionInDays"] == 90
    assert _env(callback, CALLBACK_HANDLER)["ENABLE_TEST_ENDPOINTS"] == "true"
    assert _env(callback, CALLBACK_HANDLER)["RESULT_TTL_DAYS"] == "90"


# --- Callback signing secret -----------------------------------------------------------------


def test_created_secret_is_generated_never_templated(default: Synthesis) -> None:
    template = default.template("Mp4AnalyserCallbackStack")
    secret_id = _resource_id(template, "AWS::SecretsManager::Secret", "CallbackSigningSecret")
    secret = template["Resources"][secret_id]["Properties"]
    assert secret["GenerateSecretString"]["PasswordLength"] == 64
    assert "SecretString" not in secret
    analyser = default.template("Mp4SmallAnalyserCdkStack")
    worker_secret = _env(analyser, WORKER_HANDLER)["CALLBACK_SIGNING_SECRET_ARN"]
    assert secret_id in str(worker_secret)
    assert "CALLBACK_SIGNING_SECRET_ARN" not in _env(analyser, SUBMISSION_HANDLER)


def test_existing_secret_is_referenced_and_readable(imported_secret: Synthesis) -> None:
    callback = imported_secret.template("Mp4AnalyserCallbackStack")
    analyser = imported_secret.template("Mp4SmallAnalyserCdkStack")
    secrets = resources_of_type(callback, "AWS::SecretsManager::Secret")
    assert not [rid for rid in secrets if rid.startswith("CallbackSigningSecret")]
    assert _env(callback, CALLBACK_HANDLER)["CALLBACK_SIGNING_SECRET_ARN"] == PARTIAL_SECRET_ARN
    assert _env(analyser, WORKER_HANDLER)["CALLBACK_SIGNING_SECRET_ARN"] == PARTIAL_SECRET_ARN
    for template in (callback, analyser):
        # The console key (callback stack) is read too; the signing secret by its ARN.
        read = [
            resource
            for _, statement in policy_statements(template)
            if "secretsmanager:GetSecretValue" in statement["Action"]
            for resource in as_list(statement["Resource"])
            if "ConsoleApiKey" not in json.dumps(resource)
        ]
        assert read == [f"{PARTIAL_SECRET_ARN}-??????"]


def test_no_secret_when_signing_is_off(unsigned: Synthesis) -> None:
    for template in unsigned.templates().values():
        secrets = resources_of_type(template, "AWS::SecretsManager::Secret")
        assert not [rid for rid in secrets if rid.startswith("CallbackSigningSecret")]
        for function in resources_of_type(template, "AWS::Lambda::Function").values():
            assert (
                "CALLBACK_SIGNING_SECRET_ARN"
                not in function["Properties"]["Environment"]["Variables"]
            )


def test_api_gateway_account_role_is_optional(
    default: Synthesis, imported_secret: Synthesis
) -> None:
    assert resources_of_type(
        default.template("Mp4AnalyserCallbackStack"), "AWS::ApiGateway::Account"
    )
    assert not resources_of_type(
        default.template("Mp4SmallAnalyserCdkStack"), "AWS::ApiGateway::Account"
    )
    for template in imported_secret.templates().values():
        assert not resources_of_type(template, "AWS::ApiGateway::Account")


# --- Analyser stack: queue, functions, API -------------------------------------------------------


def test_task_queue_and_dead_letter_queue(default: Synthesis) -> None:
    template = default.template("Mp4SmallAnalyserCdkStack")
    queues = resources_of_type(template, "AWS::SQS::Queue")
    (queue_id,) = [qid for qid, q in queues.items() if "RedrivePolicy" in q["Properties"]]
    (dlq_id,) = set(queues) - {queue_id}
    queue = queues[queue_id]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * 120
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queues[dlq_id]["Properties"]["SqsManagedSseEnabled"] is True
    assert queues[dlq_id]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    policies = resources_of_type(template, "AWS::SQS::QueuePolicy")
    enforced = {
        queue_ref["Ref"]
        for policy in policies.values()
        for queue_ref in policy["Properties"]["Queues"]
        if any(
            statement["Effect"] == "Deny"
            and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        )
    }
    assert enforced == {queue_id, dlq_id}


def test_visibility_is_six_times_the_worker_timeout(full: Synthesis) -> None:
    queues = resources_of_type(full.template("Mp4SmallAnalyserCdkStack"), "AWS::SQS::Queue")
    timeouts = [q["Properties"].get("VisibilityTimeout") for q in queues.values()]
    assert 6 * 200 in timeouts


def test_worker_consumes_the_queue_with_partial_batch_failures(
    default: Synthesis, full: Synthesis
) -> None:
    for synthesis, batch_size, concurrency in ((default, 1, 10), (full, 2, 40)):
        template = synthesis.template("Mp4SmallAnalyserCdkStack")
        worker_id, worker = function_by_handler(template, WORKER_HANDLER)
        mapping = only_resource(template, "AWS::Lambda::EventSourceMapping")["Properties"]
        queue_id = next(
            qid
            for qid, q in resources_of_type(template, "AWS::SQS::Queue").items()
            if "RedrivePolicy" in q["Properties"]
        )
        assert mapping["FunctionName"] == {"Ref": worker_id}
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == batch_size
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": concurrency}
    _, worker = function_by_handler(default.template("Mp4SmallAnalyserCdkStack"), WORKER_HANDLER)
    assert "ReservedConcurrentExecutions" not in worker["Properties"]


def test_worker_and_submission_function_settings(default: Synthesis) -> None:
    template = default.template("Mp4SmallAnalyserCdkStack")
    for handler, timeout, memory, storage in (
        (WORKER_HANDLER, 120, 2048, {"Size": 2048}),
        (SUBMISSION_HANDLER, 29, 1024, None),
    ):
        _, function = function_by_handler(template, handler)
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.12"
        assert properties["Architectures"] == ["arm64"]
        assert (properties["Timeout"], properties["MemorySize"]) == (timeout, memory)
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"
        assert properties.get("EphemeralStorage") == storage
        assert _log_group_of(template, handler)["Properties"]["RetentionInDays"] == 30


def test_analysis_environment(default: Synthesis, full: Synthesis) -> None:
    template = default.template("Mp4SmallAnalyserCdkStack")
    queue_id = next(
        qid
        for qid, q in resources_of_type(template, "AWS::SQS::Queue").items()
        if "RedrivePolicy" in q["Properties"]
    )
    submission = _env(template, SUBMISSION_HANDLER)
    table_name = submission.pop("TABLE_NAME")
    results_url = submission.pop("RESULTS_BASE_URL")
    queue = {
        "STORE_BACKEND": "dynamodb",
        "RESULT_TTL_DAYS": "30",
        "ENABLE_TEST_ENDPOINTS": "false",
        "LOG_FORMAT": "json",
        "QUEUE_BACKEND": "sqs",
        "QUEUE_URL": {"Ref": queue_id},
        "ALLOW_PRIVATE_URLS": "false",
        "ALLOWED_S3_BUCKETS": "",
    }
    assert submission == {**queue, "MAX_SYNC_FILES": "10", "SYNC_TIMEOUT": "25"}
    # The table and the results API come from the callback stack.
    assert "Mp4AnalyserCallbackStack" in str(table_name)
    assert "Mp4AnalyserCallbackStack" in str(results_url) and "CallbackApi" in str(results_url)
    worker = _env(template, WORKER_HANDLER)
    assert worker.pop("TABLE_NAME") == table_name
    assert "CallbackSigningSecret" in str(worker.pop("CALLBACK_SIGNING_SECRET_ARN"))
    assert "ThumbnailBucket" in str(worker.pop("THUMBNAIL_BUCKET"))
    assert "ConsoleApiKey" in str(worker.pop("API_KEY_SECRET_ARN"))
    # Callbacks to the callback API carry `in1`: the worker knows that API's host.
    hosts = str(worker.pop("SERVICE_HOSTS"))
    assert "CallbackApi" in hosts and ".execute-api." in hosts
    assert worker == {**queue, "ANALYSIS_TIMEOUT": "105"}
    full_worker = _env(full.template("Mp4SmallAnalyserCdkStack"), WORKER_HANDLER)
    assert full_worker["ALLOWED_S3_BUCKETS"] == "media-in,archive.example"
    # WORKER_BATCH_SIZE=2: each message keeps its full time within WORKER_TIMEOUT=200.
    assert full_worker["ANALYSIS_TIMEOUT"] == str((200 - 15) // 2)


def test_submission_and_redelivery_routes_require_an_api_key(default: Synthesis) -> None:
    template = default.template("Mp4SmallAnalyserCdkStack")
    assert api_routes(template) == SUBMISSION_ROUTES
    submission_id, _ = function_by_handler(template, SUBMISSION_HANDLER)
    methods = resources_of_type(template, "AWS::ApiGateway::Method").values()
    assert len(methods) == len(SUBMISSION_ROUTES)
    for method in (resource["Properties"] for resource in methods):
        assert method["ApiKeyRequired"] is True
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert method["Integration"]["TimeoutInMillis"] == 29_000
        assert submission_id in str(method["Integration"]["Uri"])


def test_usage_plan_throttles_and_binds_the_key(default: Synthesis, full: Synthesis) -> None:
    template = default.template("Mp4SmallAnalyserCdkStack")
    key_id = next(iter(resources_of_type(template, "AWS::ApiGateway::ApiKey")))
    plan_id, plan = next(iter(resources_of_type(template, "AWS::ApiGateway::UsagePlan").items()))
    stage_id = next(iter(resources_of_type(template, "AWS::ApiGateway::Stage")))
    assert plan["Properties"]["Throttle"] == {"RateLimit": 10, "BurstLimit": 20}
    assert "Quota" not in plan["Properties"]
    assert plan["Properties"]["ApiStages"][0]["Stage"] == {"Ref": stage_id}
    link = only_resource(template, "AWS::ApiGateway::UsagePlanKey")["Properties"]
    assert link == {"KeyId": {"Ref": key_id}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": plan_id}}
    full_plan = only_resource(
        full.template("Mp4SmallAnalyserCdkStack"), "AWS::ApiGateway::UsagePlan"
    )
    assert full_plan["Properties"]["Throttle"] == {"RateLimit": 5, "BurstLimit": 7}
    assert full_plan["Properties"]["Quota"] == {"Limit": 1000, "Period": "DAY"}


# --- Alarms, dashboard, outputs ------------------------------------------------------------------


def _alarms_by_metric(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    alarms: dict[str, list[dict[str, Any]]] = {}
    for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values():
        alarms.setdefault(alarm["Properties"]["MetricName"], []).append(alarm["Properties"])
    return alarms


def test_alarms_cover_dlq_errors_throttles_and_5xx(default: Synthesis) -> None:
    analyser = _alarms_by_metric(default.template("Mp4SmallAnalyserCdkStack"))
    callback = _alarms_by_metric(default.template("Mp4AnalyserCallbackStack"))
    assert {name: len(alarms) for name, alarms in analyser.items()} == {
        "ApproximateNumberOfMessagesVisible": 1,
        "Errors": 1,
        "Throttles": 2,
        "5XXError": 1,
    }
    assert {name: len(alarms) for name, alarms in callback.items()} == {
        "Throttles": 1,
        "5XXError": 1,
    }
    template = default.template("Mp4SmallAnalyserCdkStack")
    dlq_id = next(
        qid
        for qid, q in resources_of_type(template, "AWS::SQS::Queue").items()
        if "RedrivePolicy" not in q["Properties"]
    )
    (dlq_alarm,) = analyser["ApproximateNumberOfMessagesVisible"]
    assert dlq_alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}
    ]
    worker_id, _ = function_by_handler(template, WORKER_HANDLER)
    assert analyser["Errors"][0]["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": worker_id}}
    ]
    for alarms in (*analyser.values(), *callback.values()):
        for alarm in alarms:
            assert alarm["Threshold"] == 0
            assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
            assert alarm["TreatMissingData"] == "notBreaching"
            assert "AlarmActions" not in alarm


def test_alarms_notify_the_email_topic_when_set(default: Synthesis, full: Synthesis) -> None:
    for template in default.templates().values():
        assert not resources_of_type(template, "AWS::SNS::Topic")
    callback = full.template("Mp4AnalyserCallbackStack")
    topic_id = next(iter(resources_of_type(callback, "AWS::SNS::Topic")))
    subscription = only_resource(callback, "AWS::SNS::Subscription")["Properties"]
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == "ops@example.com"
    assert subscription["TopicArn"] == {"Ref": topic_id}
    for stack_id, template in full.templates().items():
        alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
        assert alarms
        for alarm in alarms.values():
            (action,) = alarm["Properties"]["AlarmActions"]
            if stack_id == "Mp4AnalyserCallbackStack":
                assert action == {"Ref": topic_id}
            else:
                assert "Mp4AnalyserCallbackStack" in str(action)


def test_dashboard(default: Synthesis) -> None:
    dashboard = only_resource(
        default.template("Mp4SmallAnalyserCdkStack"), "AWS::CloudWatch::Dashboard"
    )
    assert dashboard["Properties"]["DashboardName"] == "mp4-small-analyser-dev"
    body = str(dashboard["Properties"]["DashboardBody"])
    for metric in ("5XXError", "Errors", "Throttles", "ApproximateNumberOfMessagesVisible"):
        assert metric in body


def test_outputs(default: Synthesis) -> None:
    callback = default.template("Mp4AnalyserCallbackStack")["Outputs"]
    analyser = default.template("Mp4SmallAnalyserCdkStack")["Outputs"]
    assert {
        "CallbackApiEndpoint",
        "CallbackUrlTemplate",
        "BatchResultsUrlTemplate",
        "ResultsTableName",
        "CallbackSigningSecretArn",
        "ConsoleUrl",
        "ConsoleKeySecretArn",
        "ThumbnailBucketName",
    } <= set(callback)
    assert {
        "AnalyserApiEndpoint",
        "SubmitUrl",
        "ApiKeyId",
        "TaskQueueUrl",
        "DeadLetterQueueUrl",
        "DashboardUrl",
    } <= set(analyser)
    key_id = next(
        iter(
            resources_of_type(
                default.template("Mp4SmallAnalyserCdkStack"), "AWS::ApiGateway::ApiKey"
            )
        )
    )
    assert analyser["ApiKeyId"]["Value"] == {"Ref": key_id}
    table_id = next(
        iter(
            resources_of_type(default.template("Mp4AnalyserCallbackStack"), "AWS::DynamoDB::Table")
        )
    )
    assert callback["ResultsTableName"]["Value"] == {"Ref": table_id}
    assert analyser["SubmitUrl"]["Value"]["Fn::Join"][1][-1] == "/mp4_small_analyser"


def _log_group_names(template: dict[str, Any]) -> dict[str, str]:
    return {
        logical_id: resource["Properties"]["LogGroupName"]
        for logical_id, resource in resources_of_type(template, "AWS::Logs::LogGroup").items()
    }


def test_outputs_name_every_log_group(default: Synthesis) -> None:
    """The original design's `aws logs tail` commands guessed names; the outputs (and so
    urls.txt) give the real ones: each function's log and each API's access log."""
    for stack_id, expected in (
        ("Mp4AnalyserCallbackStack", {"CallbackFunctionLogGroup", "CallbackApiAccessLogGroup"}),
        (
            "Mp4SmallAnalyserCdkStack",
            {"SubmissionFunctionLogGroup", "WorkerFunctionLogGroup", "AnalyserApiAccessLogGroup"},
        ),
    ):
        template = default.template(stack_id)
        names = _log_group_names(template)
        outputs = {
            name: output["Value"]
            for name, output in template["Outputs"].items()
            if name.endswith("LogGroup")
        }
        assert set(outputs) == expected
        printed = {
            names[value["Ref"]] if isinstance(value, dict) else value for value in outputs.values()
        }
        assert printed == set(names.values()), stack_id
    callback_names = _log_group_names(default.template("Mp4AnalyserCallbackStack")).values()
    assert set(callback_names) == {
        "/aws/lambda/mp4-small-analyser-dev-callback",
        "/aws/apigateway/mp4-small-analyser-dev-callback-api",
    }


def test_stacks_target_the_configured_account_and_region(default: Synthesis) -> None:
    manifest = (default.outdir / "manifest.json").read_text()
    assert manifest.count('"environment": "aws://123456789012/eu-west-1"') == 2


# --- The web console: thumbnail bucket and console key ---------------------------------------


def test_thumbnail_bucket_is_private_encrypted_and_expires_with_results(
    default: Synthesis, full: Synthesis
) -> None:
    for synthesis, days in ((default, 30), (full, 90)):
        template = synthesis.template("Mp4AnalyserCallbackStack")
        bucket_id = _resource_id(template, "AWS::S3::Bucket", "ThumbnailBucket")
        bucket = template["Resources"][bucket_id]
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        (rule,) = properties["LifecycleConfiguration"]["Rules"]
        assert rule["ExpirationInDays"] == days and rule["Status"] == "Enabled"
        assert bucket["DeletionPolicy"] == "Retain"
        policies = [
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        ]
        (statements,) = policies
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_thumbnails_are_written_by_the_worker_and_read_by_the_callback_function(
    default: Synthesis,
) -> None:
    grants = {}
    for stack, handler in (
        ("Mp4AnalyserCallbackStack", CALLBACK_HANDLER),
        ("Mp4SmallAnalyserCdkStack", WORKER_HANDLER),
    ):
        template = default.template(stack)
        _, function = function_by_handler(template, handler)
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        grants[handler] = [
            statement["Action"]
            for statement_role, statement in policy_statements(template)
            if statement_role == role and "ThumbnailBucket" in json.dumps(statement["Resource"])
        ]
    assert grants == {CALLBACK_HANDLER: ["s3:GetObject"], WORKER_HANDLER: ["s3:PutObject"]}
    submission = _env(default.template("Mp4SmallAnalyserCdkStack"), SUBMISSION_HANDLER)
    assert "THUMBNAIL_BUCKET" not in submission


def test_the_console_key_is_generated_and_read_by_the_callback_function_and_the_worker(
    default: Synthesis,
) -> None:
    template = default.template("Mp4AnalyserCallbackStack")
    key_id = _resource_id(template, "AWS::SecretsManager::Secret", "ConsoleApiKey")
    secret = template["Resources"][key_id]["Properties"]
    assert secret["GenerateSecretString"]["PasswordLength"] == 40
    assert "SecretString" not in secret
    readers = {
        role
        for synthesis_template in default.templates().values()
        for role, statement in policy_statements(synthesis_template)
        if key_id in json.dumps(statement["Resource"])
    }
    roles = {
        function_by_handler(default.template(stack), handler)[1]["Properties"]["Role"][
            "Fn::GetAtt"
        ][0]
        for stack, handler in (
            ("Mp4AnalyserCallbackStack", CALLBACK_HANDLER),
            ("Mp4SmallAnalyserCdkStack", WORKER_HANDLER),
        )
    }
    assert readers == roles
    submission = _env(default.template("Mp4SmallAnalyserCdkStack"), SUBMISSION_HANDLER)
    assert "API_KEY_SECRET_ARN" not in submission, "API Gateway's key guards submissions"


def test_without_a_signing_secret_worker_and_callback_function_share_the_api_key(
    unsigned: Synthesis,
) -> None:
    """The worker signs with a key derived from API_KEY, which the callback function checks:
    the deployment's own callbacks stay accepted with CREATE_CALLBACK_SIGNING_SECRET=false."""
    callback = unsigned.template("Mp4AnalyserCallbackStack")
    key_id = _resource_id(callback, "AWS::SecretsManager::Secret", "ConsoleApiKey")
    worker = _env(unsigned.template("Mp4SmallAnalyserCdkStack"), WORKER_HANDLER)
    for environment in (_env(callback, CALLBACK_HANDLER), worker):
        assert "CALLBACK_SIGNING_SECRET_ARN" not in environment
        assert key_id in json.dumps(environment["API_KEY_SECRET_ARN"])
