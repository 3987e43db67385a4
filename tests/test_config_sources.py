"""One source of configuration: the deployment's values are the runtime's settings.

The runtime settings (`Settings`, `LambdaSettings`) are the source; the CDK's
`DeploymentConfig` takes their types, bounds and defaults, and may only narrow them. What
cannot import them (the shell scripts, `.env.example`, the docs) is compared with them here.
tests/test_cdk_checks.py reads each synthesized function's environment back with
`LambdaSettings`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any, Literal

import boto3
import pytest

from mp4_small_analyser.aws.settings import LambdaSettings
from mp4_small_analyser.settings import Settings
from mp4_small_analyser_cdk.config import (
    ENV_NAMES,
    LOG_RETENTION_DAYS_ALLOWED,
    DeploymentConfig,
    load_config,
)
from mp4_small_analyser_cdk.environment import lambda_environment
from tests.cdk_synth import EXAMPLE_ENV, PROJECT_ROOT

SETTING_VARIABLES = {name.upper(): name for name in LambdaSettings.model_fields}
# Deployment values that are also settings of the functions (passed to them, or, for LOG_LEVEL,
# set as Lambda's application log level, which the functions' logging follows).
SHARED = {
    "ALLOWED_S3_BUCKETS",
    "ANALYSIS_TIMEOUT",
    "CALLBACK_SIGNING_SECRET_ARN",
    "ENABLE_TEST_ENDPOINTS",
    "LOG_LEVEL",
    "MAX_SYNC_FILES",
    "RESULT_TTL_DAYS",
    "SYNC_TIMEOUT",
}
# Computed by the deployment when unset: (WORKER_TIMEOUT - reserve) / WORKER_BATCH_SIZE.
DEPLOYMENT_DEFAULTS = {"ANALYSIS_TIMEOUT"}
# .env.example values that are examples, not defaults; setup-config.sh special-cases them.
EXAMPLE_ONLY = {"AWS_ACCOUNT_ID", "CLIENT"}
# Shell variables of the scripts that are not settings.
SHELL_NAMES = {
    *("BASH_SOURCE", "KNOWN_REGIONS", "MIN_NODE_MAJOR", "PROFILE_ARGS", "PROJECT_ROOT"),
    "SETTING_RULES",
    "SUPPORTED_NODE_MAJORS",
    # jsii's own switches, exported by cdk-with-config.sh to replace its banner with one line.
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION",
}

Side = Literal["min", "max"]


def _deployment_schema() -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = DeploymentConfig.model_json_schema(by_alias=True)[
        "properties"
    ]
    return properties


def _runtime_schema() -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = LambdaSettings.model_json_schema()["properties"]
    return {name.upper(): schema for name, schema in properties.items()}


# --- Types and bounds ------------------------------------------------------------------------


def test_the_shared_values_are_declared_from_the_runtime_settings() -> None:
    assert ENV_NAMES & SETTING_VARIABLES.keys() == SHARED
    fields = DeploymentConfig.model_fields
    for variable in SHARED:
        name = SETTING_VARIABLES[variable]
        assert fields[name].alias == variable
        if variable not in DEPLOYMENT_DEFAULTS:
            assert fields[name].default == LambdaSettings.model_fields[name].default, variable


def test_the_deployment_only_narrows_the_runtime_bounds() -> None:
    deployment, runtime = _deployment_schema(), _runtime_schema()
    problems = [
        problem
        for variable in sorted(SHARED)
        for problem in _widenings(deployment[variable], runtime[variable], variable)
    ]
    assert not problems


@pytest.mark.parametrize(
    ("deployment", "runtime", "widened"),
    [
        ({"type": "number", "minimum": 1}, {"type": "number", "minimum": 0}, False),
        ({"type": "number", "exclusiveMinimum": 0}, {"type": "number", "minimum": 0}, False),
        ({"type": "number", "minimum": 0}, {"type": "number", "exclusiveMinimum": 0}, True),
        ({"type": "number", "maximum": 30}, {"type": "number", "exclusiveMaximum": 29}, True),
        ({"type": "integer"}, {"type": "number", "maximum": 5}, True),
        ({"type": "string", "enum": ["A"]}, {"type": "string"}, False),
        ({"type": "string"}, {"type": "string", "pattern": "^a$"}, True),
        (
            {"type": "array", "items": {"type": "string"}},
            {"type": "array", "items": {"type": "string", "pattern": "^a$"}},
            True,
        ),
    ],
)
def test_the_narrowing_check_sees_a_widening(
    deployment: dict[str, Any], runtime: dict[str, Any], widened: bool
) -> None:
    assert bool(_widenings(deployment, runtime, "X")) is widened


def _widenings(deployment: dict[str, Any], runtime: dict[str, Any], where: str) -> list[str]:
    """What `deployment` accepts and `runtime` refuses, for the JSON-schema keywords in use."""
    deployment, runtime = _not_null(deployment), _not_null(runtime)
    problems = []
    for keyword in sorted(runtime.keys() - {"default", "description", "title"}):
        if keyword == "type":
            # An integer is a number; nothing else narrows a type.
            accepted = {runtime["type"], "integer"} if runtime["type"] == "number" else set()
            if deployment.get("type") not in accepted | {runtime["type"]}:
                problems.append(f"{where}: type {deployment.get('type')} for {runtime['type']}")
        elif keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            side: Side = "min" if keyword.lower().endswith("minimum") else "max"
            if not _as_strict(_bound(deployment, side), _bound(runtime, side), side):
                problems.append(f"{where}: {side} bound wider than the runtime's")
        elif keyword == "enum":
            if not set(deployment.get("enum", [None])) <= set(runtime["enum"]):
                problems.append(f"{where}: values the runtime refuses")
        elif keyword == "pattern":
            if deployment.get("pattern") != runtime["pattern"]:
                problems.append(f"{where}: pattern differs from the runtime's")
        elif keyword == "items":
            problems += _widenings(deployment.get("items", {}), runtime["items"], f"{where}[]")
        else:
            problems.append(f"{where}: no comparison for {keyword!r}: extend this check")
    return problems


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of an optional value's non-null branch (None means unset, not a value)."""
    branches = [branch for branch in schema.get("anyOf", []) if branch != {"type": "null"}]
    if len(branches) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **branches[0]}
    return schema


def _bound(schema: dict[str, Any], side: Side) -> tuple[float, bool] | None:
    """(value, exclusive) of the stricter of the schema's bounds on `side`, oriented so that
    larger is stricter."""
    keys = ("minimum", "exclusiveMinimum") if side == "min" else ("maximum", "exclusiveMaximum")
    sign = 1 if side == "min" else -1
    bounds = [(sign * schema[key], key.startswith("exclusive")) for key in keys if key in schema]
    return max(bounds) if bounds else None


def _as_strict(
    deployment: tuple[float, bool] | None, runtime: tuple[float, bool] | None, side: Side
) -> bool:
    if runtime is None:
        return True
    # At equal values an exclusive bound is the stricter: tuples compare just so.
    return deployment is not None and deployment >= runtime


# --- What cannot import the settings ---------------------------------------------------------


def test_example_values_are_the_defaults() -> None:
    """.env.example (setup-config.sh's defaults) says what the app does when a value is unset."""
    example = load_config(EXAMPLE_ENV, {})
    defaults = DeploymentConfig.model_validate(
        {name: str(getattr(example, name.lower())) for name in EXAMPLE_ONLY}
    )
    assert example.model_dump() == defaults.model_dump()
    setup = (PROJECT_ROOT / "setup-config.sh").read_text()
    body = setup.split("default_value() {", 1)[1].split("\n}\n", 1)[0]
    assert set(re.findall(r"^\s+([A-Z][A-Z0-9_]*)\) printf", body, re.MULTILINE)) == EXAMPLE_ONLY


def test_scripts_name_only_settings() -> None:
    for script in ("setup-config.sh", "cdk-with-config.sh"):
        text = (PROJECT_ROOT / script).read_text()
        called = re.findall(r"\b(?:set_flag|ask|check)\s+([A-Z][A-Z0-9_]*)\b", text)
        named = re.findall(r"\b(?:VALUE_|FLAG_)?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b", text)
        unknown = (set(called) | set(named)) - SHELL_NAMES - ENV_NAMES
        assert not unknown, (script, unknown)


def test_setup_script_checks_with_the_configs_patterns() -> None:
    """setup-config.sh refuses what app.py would refuse, with the same regular expressions."""
    text = (PROJECT_ROOT / "setup-config.sh").read_text()
    body = text.split("problem_with() {", 1)[1].split("\n}\n", 1)[0]
    checks = re.findall(
        r"^\s+([A-Z][A-Z0-9_]*)\)\n.*?check \"\$value\" '([^']+)'", body, re.M | re.S
    )
    assert {name for name, _ in checks} == {
        *("AWS_ACCOUNT_ID", "AWS_REGION", "ENVIRONMENT", "PROJECT_NAME"),
        *("DYNAMODB_TABLE_NAME", "API_GATEWAY_STAGE", "ALARM_EMAIL"),
    }
    schema = _deployment_schema()
    for name, pattern in checks:
        # bash's regular expressions spell \s as [:space:] inside brackets.
        assert _not_null(schema[name])["pattern"] == pattern.replace("[:space:]", "\\s"), name


def _shell_rules() -> dict[str, list[str]]:
    text = (PROJECT_ROOT / "setup-config.sh").read_text()
    table = text.split('SETTING_RULES="', 1)[1].split('"', 1)[0]
    return {line.split()[0]: line.split()[1:] for line in table.strip().splitlines()}


def _expected_rule(schema: dict[str, Any]) -> list[str]:
    """A setting's JSON schema as setup-config.sh's SETTING_RULES writes it."""
    variants = schema.get("anyOf", [schema])
    typed = next(v for v in variants if v.get("type") != "null")
    optional = "?" if len(variants) > 1 else ""
    if "enum" in typed:
        return ["enum", *map(str, typed["enum"])]
    if typed["type"] == "boolean":
        return ["boolean"]

    def bound(inclusive: str, exclusive: str, mark: str) -> str:
        if inclusive in typed:
            return f"{typed[inclusive]:g}"
        return f"{mark}{typed[exclusive]:g}" if exclusive in typed else "-"

    low = bound("minimum", "exclusiveMinimum", ">")
    high = bound("maximum", "exclusiveMaximum", "<")
    return [typed["type"] + optional, low, high]


def test_setup_script_checks_every_value_with_the_configs_bounds() -> None:
    """Every number, switch and choice of the deployment is checked when it is given, with
    the bounds DeploymentConfig enforces at synth (issue 14: no bad value reported as written)."""
    schema = _deployment_schema()
    rules = _shell_rules()
    log_retention = rules.pop("LOG_RETENTION_DAYS")
    assert log_retention == ["enum", *map(str, LOG_RETENTION_DAYS_ALLOWED)]
    for name, rule in rules.items():
        assert rule == _expected_rule(schema[name]), name
    checked_by_pattern = {"AWS_ACCOUNT_ID", "AWS_REGION", "ENVIRONMENT", "PROJECT_NAME"}
    checked_by_pattern |= {"DYNAMODB_TABLE_NAME", "API_GATEWAY_STAGE", "ALARM_EMAIL"}
    free_text = {"AWS_PROFILE", "CLIENT", "PROJECT", "ALLOWED_S3_BUCKETS"}
    free_text |= {"CALLBACK_SIGNING_SECRET_ARN", "LAMBDA_BUNDLE_CACHE_DIR", "BUNDLED_PROFILES_DIR"}
    example = {line.split("=")[0] for line in EXAMPLE_ENV.read_text().splitlines() if "=" in line}
    example = {name for name in example if name[:1].isupper()}
    assert example == set(rules) | {"LOG_RETENTION_DAYS"} | checked_by_pattern | free_text


def test_setup_script_knows_the_regions_botocore_knows() -> None:
    """Where Lambda, DynamoDB, SQS and API Gateway run, in every partition: a region missing
    here would be refused by setup-config.sh; one AWS retired would be accepted."""
    text = (PROJECT_ROOT / "setup-config.sh").read_text()
    listed = set(text.split('KNOWN_REGIONS="', 1)[1].split('"', 1)[0].split())
    session = boto3.session.Session()
    regions = {
        region
        for partition in session.get_available_partitions()
        for service in ("lambda", "dynamodb", "sqs", "apigateway")
        for region in session.get_available_regions(service, partition_name=partition)
    }
    assert listed == regions
    pattern = _not_null(_deployment_schema()["AWS_REGION"])["pattern"]
    assert all(re.fullmatch(pattern, region) for region in regions)


def test_docs_list_every_setting() -> None:
    service = (PROJECT_ROOT / "docs" / "service.md").read_text()
    aws = (PROJECT_ROOT / "docs" / "aws.md").read_text()
    missing = [f"service.md: {n}" for n in Settings.model_fields if f"`{n.upper()}`" not in service]
    lambda_only = LambdaSettings.model_fields.keys() - Settings.model_fields.keys()
    missing += [
        f"aws.md: {name}"
        for name in sorted(ENV_NAMES | {n.upper() for n in lambda_only})
        if f"`{name}`" not in aws
    ]
    assert not missing


def test_lambda_environment_takes_only_settings() -> None:
    assert lambda_environment(result_ttl_days=30.0, allowed_s3_buckets=("a", "b")) == {
        "RESULT_TTL_DAYS": "30",
        "ALLOWED_S3_BUCKETS": "a,b",
    }
    with pytest.raises(ValueError, match="not settings of LambdaSettings: queue_uri"):
        lambda_environment(queue_uri="https://sqs.example/q")


# --- No side effect on import ----------------------------------------------------------------

_IMPORT_EVERYTHING = """
import importlib, json, os, pkgutil
before = dict(os.environ)
import mp4_small_analyser
names = [
    module.name
    for module in pkgutil.walk_packages(mp4_small_analyser.__path__, "mp4_small_analyser.")
    if not module.name.endswith(".__main__")
]
for name in names:
    importlib.import_module(name)
after = dict(os.environ)
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(json.dumps({"modules": names, "changed": changed}))
"""


def test_importing_the_package_leaves_the_environment_alone() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERYTHING],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=PROJECT_ROOT,
    )
    report = json.loads(result.stdout)
    assert "mp4_small_analyser.aws.handlers" in report["modules"]
    assert len(report["modules"]) > 50
    assert report["changed"] == []
