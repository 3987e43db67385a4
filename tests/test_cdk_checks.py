"""Checks on the synthesized stacks: cdk-nag, cfn-lint, tags, least-privilege IAM, and each
function's environment read back by the runtime's own settings."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore[import-untyped]

from mp4_small_analyser.aws.settings import LambdaSettings, lambda_settings
from mp4_small_analyser.stores.adapters import aws_clients
from mp4_small_analyser_cdk.callback_stack import (
    CALLBACK_INDEX_ACTIONS,
    CALLBACK_TABLE_ACTIONS,
    SUBMISSION_TABLE_ACTIONS,
    TABLE_SCAN_ACTIONS,
    WORKER_TABLE_ACTIONS,
)
from mp4_small_analyser_cdk.functions import CALLBACK_HANDLER, SUBMISSION_HANDLER, WORKER_HANDLER
from tests.cdk_synth import (
    STACK_IDS,
    Synthesis,
    as_list,
    example_config,
    function_by_handler,
    policy_statements,
    resources_of_type,
    synthesize,
)

VARIANTS = {
    "example": {},
    "everything-on": {
        "ENVIRONMENT": "prod",
        "ENABLE_TEST_ENDPOINTS": "true",
        "ALARM_EMAIL": "ops@example.com",
        "ALLOWED_S3_BUCKETS": "media-in,archive.example",
        "WORKER_RESERVED_CONCURRENCY": "20",
        "API_QUOTA_PER_DAY": "1000",
        "LAMBDA_ARCHITECTURE": "x86_64",
    },
    "existing-secret": {
        "CALLBACK_SIGNING_SECRET_ARN": (
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mp4-signing-AbC123"
        ),
        "API_GATEWAY_CLOUDWATCH_ROLE": "false",
    },
}
NAG_PACKS = ("AwsSolutions", "Serverless")
# CDK makes each function depend explicitly on its role (and the role's policy) so permissions
# exist before the first invocation; cfn-lint notes that the role part is implied by GetAtt.
ACCEPTED_LINT_WARNINGS = {"W3005"}
TAGS_EXPECTED = {
    "Environment": None,  # the configured environment, checked per variant
    "Project": "mp4-small-analyser",
    "Client": "nom-client",
    "ManagedBy": "AWS-CDK",
    "Owner": "MP4-Small-Analyser",
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def synthesis(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Synthesis:
    name: str = request.param
    return synthesize(example_config(**VARIANTS[name]), tmp_path_factory.mktemp(f"cdk-{name}"))


def test_cdk_nag_reports_no_unsuppressed_finding(synthesis: Synthesis) -> None:
    # Errors already fail the synth (see tests/cdk_synth.py); warnings must not exist either.
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text())
    findings = [
        f"{path}: {entry['data']}"
        for artifact in manifest["artifacts"].values()
        for path, entries in artifact.get("metadata", {}).items()
        for entry in entries
        if entry["type"] in {"aws:cdk:warning", "aws:cdk:error"}
        and str(entry["data"]).startswith(tuple(f"{pack}-" for pack in NAG_PACKS))
    ]
    assert findings == []


def test_cdk_nag_ran_both_packs_on_both_stacks(synthesis: Synthesis) -> None:
    for pack in NAG_PACKS:
        for stack_id in STACK_IDS:
            report = synthesis.outdir / f"{pack}--{stack_id}-NagReport.csv"
            with report.open() as file:
                rows = list(csv.DictReader(file))
            compliance = {row["Compliance"] for row in rows}
            assert "Compliant" in compliance, f"{report.name} checked nothing"
            assert "Non-Compliant" not in compliance, [
                row for row in rows if row["Compliance"] == "Non-Compliant"
            ]


def test_every_suppression_has_a_reason(synthesis: Synthesis) -> None:
    suppressions = [
        rule
        for template in synthesis.templates().values()
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert suppressions
    for rule in suppressions:
        assert rule["id"].startswith(tuple(f"{pack}-" for pack in NAG_PACKS))
        assert len(rule["reason"].split()) >= 10, rule


def test_cfn_lint_finds_no_error(synthesis: Synthesis) -> None:
    for stack_id in STACK_IDS:
        template = synthesis.outdir / f"{stack_id}.template.json"
        matches = lint_file(Path(template), config=ManualArgs(regions=["eu-west-1"]))
        problems = [
            f"{match.rule.id} {match.message} (line {match.linenumber})"
            for match in matches
            if match.rule.id not in ACCEPTED_LINT_WARNINGS
        ]
        assert problems == [], stack_id


def test_every_taggable_resource_carries_the_tags(synthesis: Synthesis) -> None:
    expected = {**TAGS_EXPECTED, "Environment": synthesis.config.environment}
    checked = 0
    for stack_id, template in synthesis.templates().items():
        for logical_id, resource in template["Resources"].items():
            if not _taggable(resource["Type"]):
                continue
            tags = _tags(resource["Properties"])
            assert tags.items() >= expected.items(), f"{stack_id}/{logical_id}: {tags}"
            checked += 1
    assert checked >= 20


def _taggable(resource_type: str) -> bool:
    if not resource_type.startswith("AWS::"):
        return False
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("eu-west-1", resource_type).schema
    tagging = schema.get("tagging", {})
    return bool(tagging.get("taggable")) and tagging.get("tagProperty") == "/properties/Tags"


def _tags(properties: dict[str, Any]) -> dict[str, str]:
    tags = properties.get("Tags", [])
    if isinstance(tags, dict):
        return dict(tags)
    return {tag["Key"]: tag["Value"] for tag in tags}


# --- IAM: least privilege ------------------------------------------------------------------------

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
TABLE_ACTIONS = {
    CALLBACK_HANDLER: set(CALLBACK_TABLE_ACTIONS),
    SUBMISSION_HANDLER: set(SUBMISSION_TABLE_ACTIONS),
    WORKER_HANDLER: set(WORKER_TABLE_ACTIONS),
}


def test_no_wildcard_actions_and_star_resources_only_for_xray(synthesis: Synthesis) -> None:
    for template in synthesis.templates().values():
        for role, statement in policy_statements(template):
            actions = as_list(statement["Action"])
            assert statement["Effect"] == "Allow"
            for action in actions:
                assert "*" not in action, (role, statement)
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= XRAY_ACTIONS, (role, statement)


def test_table_access_is_named_and_without_delete(synthesis: Synthesis) -> None:
    roles = {}
    for template in synthesis.templates().values():
        for handler in TABLE_ACTIONS:
            if handler in json.dumps(template):
                _, function = function_by_handler(template, handler)
                roles[function["Properties"]["Role"]["Fn::GetAtt"][0]] = handler
    granted: dict[str, set[str]] = {handler: set() for handler in TABLE_ACTIONS}
    for template in synthesis.templates().values():
        for role, statement in policy_statements(template):
            actions = set(as_list(statement["Action"]))
            dynamodb = {action for action in actions if action.startswith("dynamodb:")}
            if not dynamodb:
                continue
            handler = roles[role]
            resources = as_list(statement["Resource"])
            index_only = len(resources) == 1 and json.dumps(resources[0]).endswith(
                '"/index/BatchIdIndex"]]}'
            )
            if handler == CALLBACK_HANDLER and index_only:
                # The console's recent batches: a scan of the batch index, not of the table.
                assert dynamodb == set(CALLBACK_INDEX_ACTIONS), dynamodb
                continue
            scan_allowed = handler == CALLBACK_HANDLER and synthesis.config.enable_test_endpoints
            allowed = TABLE_ACTIONS[handler] | (set(TABLE_SCAN_ACTIONS) if scan_allowed else set())
            assert dynamodb <= allowed, (handler, dynamodb - allowed)
            granted[handler] |= dynamodb
            resources = as_list(statement["Resource"])
            # The callback function reads the batch index, and the submission function
            # (re-deliveries by batch); each resource is named.
            if handler in (CALLBACK_HANDLER, SUBMISSION_HANDLER):
                assert len(resources) == 2
                assert json.dumps(resources[1]).endswith('"/index/BatchIdIndex"]]}')
            else:
                assert len(resources) == 1 and "index" not in json.dumps(resources)
    for handler, actions in granted.items():
        assert actions >= TABLE_ACTIONS[handler], (handler, TABLE_ACTIONS[handler] - actions)


def test_s3_reads_only_the_allowed_buckets(synthesis: Synthesis) -> None:
    buckets = synthesis.config.allowed_s3_buckets
    s3_statements = [
        statement
        for template in synthesis.templates().values()
        for _, statement in policy_statements(template)
        if any(str(action).startswith("s3:") for action in as_list(statement["Action"]))
        # The thumbnail bucket's own grants: tests/test_cdk_stacks.py.
        and "ThumbnailBucket" not in json.dumps(statement["Resource"])
    ]
    expected_objects = sorted(f"arn:aws:s3:::{name}/*" for name in buckets)
    expected_buckets = sorted(f"arn:aws:s3:::{name}" for name in buckets)
    seen = []
    for statement in s3_statements:
        actions = as_list(statement["Action"])
        if actions == ["s3:GetObject"]:
            assert sorted(as_list(statement["Resource"])) == expected_objects
        else:
            assert actions == ["s3:ListBucket"]
            assert sorted(as_list(statement["Resource"])) == expected_buckets
        seen.append(actions[0])
    # Only the worker reads files (sync batches are analysed by the workers too).
    assert sorted(seen) == (["s3:GetObject", "s3:ListBucket"] if buckets else [])


def test_function_roles_have_no_managed_policies(synthesis: Synthesis) -> None:
    for template in synthesis.templates().values():
        function_roles = {
            function["Properties"]["Role"]["Fn::GetAtt"][0]
            for function in resources_of_type(template, "AWS::Lambda::Function").values()
        }
        for role_id in function_roles:
            assert "ManagedPolicyArns" not in template["Resources"][role_id]["Properties"]


# --- The functions' environments are the runtime's settings ----------------------------------

SETTING_VARIABLES = frozenset(name.upper() for name in LambdaSettings.model_fields)
# Variables a function may have that are not settings: none. Lambda adds its own at run time
# (AWS_REGION, AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL, ...), not the template.
NON_SETTING_VARIABLES: frozenset[str] = frozenset()
SECRET_ARNS = ("CALLBACK_SIGNING_SECRET_ARN", "API_KEY_SECRET_ARN")


class _SecretsManager:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        self.asked.append(SecretId)
        return {"SecretString": "signing-key"}


def test_function_environments_are_valid_lambda_settings(
    synthesis: Synthesis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each function's environment, read as the function reads it (`lambda_settings`, with
    Secrets Manager stubbed): every variable is a setting, every value validates, each backend
    has what it needs (TABLE_NAME, QUEUE_URL: `Settings`' own rule) and the functions get the
    configuration's values back. References resolved at deploy time become placeholders."""
    secrets = _SecretsManager()
    monkeypatch.setattr(aws_clients, "aws_client", lambda service: secrets)
    config = synthesis.config
    shared = {
        name: field.alias
        for name, field in type(config).model_fields.items()
        if field.alias in SETTING_VARIABLES
    }
    checked = 0
    for template in synthesis.templates().values():
        for function in resources_of_type(template, "AWS::Lambda::Function").values():
            handler = function["Properties"]["Handler"]
            variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
            unknown = set(variables) - SETTING_VARIABLES - NON_SETTING_VARIABLES
            assert not unknown, (handler, unknown)
            environment = {
                # A placeholder valid as any value: a bucket name too (no underscore).
                name: value
                if isinstance(value, str)
                else f"deploy-time-{name.lower()}".replace("_", "-")
                for name, value in variables.items()
            }
            secrets.asked.clear()
            with monkeypatch.context() as env:
                for name in os.environ:
                    if name.upper() in SETTING_VARIABLES:
                        env.delenv(name)
                for name, value in environment.items():
                    env.setenv(name, value)
                settings = lambda_settings()
            arns = [environment[name] for name in SECRET_ARNS if name in environment]
            assert secrets.asked == arns, handler
            for field, variable in shared.items():
                if not isinstance(variables.get(variable), str):
                    continue
                expected = (
                    config.worker_analysis_timeout
                    if field == "analysis_timeout"
                    else getattr(config, field)
                )
                assert getattr(settings, field) == expected, (handler, variable)
                checked += 1
    # RESULT_TTL_DAYS and ENABLE_TEST_ENDPOINTS at least, in all three functions.
    assert checked >= 6
