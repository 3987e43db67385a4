"""Deployment configuration: the `.env` written by setup-config.sh, overridden by the environment.

The names are the original design's `.env` names plus the settings this deployment adds. Every
setting has a default and is validated before any construct exists, so a typo fails `cdk synth`
with one line naming the variable instead of a CloudFormation error at deploy time.

Values the functions receive as their own settings (RESULT_TTL_DAYS, SYNC_TIMEOUT, ...) are
declared with `lambda_setting`: the variable name and default are `LambdaSettings`', the type
and bounds the shared ones of `mp4_small_analyser.setting_types`; a bound added here only
narrows them (tests/test_config_sources.py checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from mp4_small_analyser.aws.settings import WORKER_TIME_MARGIN, LambdaSettings
from mp4_small_analyser.setting_types import (
    API_GATEWAY_TIMEOUT,
    AnalysisTimeout,
    ApiGatewaySyncTimeout,
    MaxSyncFiles,
    ResultTtlDays,
    S3BucketNames,
)
from mp4_small_analyser_cdk.environment import setting_variable

Architecture = Literal["arm64", "x86_64"]
# Lambda's application log levels; the functions' logging takes them from Lambda.
LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]
SecretArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$"
    ),
]

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS_ALLOWED = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
# AWS's guidance for SQS event sources: visibility at least six times the function timeout, so a
# message is not redelivered while a slow or retried invocation still holds it.
VISIBILITY_TIMEOUT_FACTOR = 6
# What the SQS worker keeps per message besides the analysis (aws/worker.py): the callback's
# time (the functions keep CALLBACK_TIMEOUT's default) and the store writes.
ANALYSIS_TIME_RESERVE: float = (
    LambdaSettings.model_fields["callback_timeout"].default + WORKER_TIME_MARGIN
)
PRODUCTION_ENVIRONMENT = "prod"


_RUNTIME_DEFAULT: Any = object()


def lambda_setting(
    name: str, default: Any = _RUNTIME_DEFAULT, description: str | None = None
) -> Any:
    """A field the functions receive as their setting `name`: same variable, same default.

    A narrower bound goes in the field's annotation, `Annotated[SharedType, Field(le=...)]`,
    where pydantic applies it after the shared ones (a bound given here would come first and
    be overridden by the shared type's).
    """
    if default is _RUNTIME_DEFAULT:
        default = LambdaSettings.model_fields[name].default
    return Field(default, alias=setting_variable(name), description=description)


class ConfigError(ValueError):
    """The configuration cannot be used; the message names each offending variable."""


class DeploymentConfig(BaseModel):
    """Everything the stacks need, read once; field aliases are the `.env` variable names."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    # The patterns are setup-config.sh's too (tests/test_config_sources.py compares them).
    aws_account_id: str = Field(alias="AWS_ACCOUNT_ID", pattern=r"^[0-9]{12}$")
    aws_region: str = Field(
        "eu-west-1", alias="AWS_REGION", pattern=r"^[a-z]{2,4}(-[a-z]+)+-[0-9]$"
    )
    aws_profile: str = Field(
        "default", alias="AWS_PROFILE", description="Used by cdk-with-config.sh, not by the app."
    )
    project_name: str = Field(
        "mp4-small-analyser",
        alias="PROJECT_NAME",
        pattern=r"^[A-Za-z][A-Za-z0-9-]{0,29}$",
        description="Prefixes resource names: {PROJECT_NAME}-{ENVIRONMENT}-submission must fit "
        "Lambda's 64 characters.",
    )
    environment: str = Field("dev", alias="ENVIRONMENT", pattern=r"^[a-z0-9][a-z0-9-]{0,19}$")
    client: str = Field("internal", alias="CLIENT", min_length=1, max_length=256)
    project: str = Field("mp4-small-analyser", alias="PROJECT", min_length=1, max_length=256)

    dynamodb_table_name: str = Field(
        "mp4-analyser-callback-results",
        alias="DYNAMODB_TABLE_NAME",
        pattern=r"^[A-Za-z0-9_.-]{3,200}$",
    )
    result_ttl_days: ResultTtlDays = lambda_setting("result_ttl_days")

    lambda_architecture: Architecture = Field("arm64", alias="LAMBDA_ARCHITECTURE")
    lambda_timeout: int = Field(
        30, alias="LAMBDA_TIMEOUT", ge=3, le=900, description="Callback function, seconds."
    )
    lambda_memory_size: int = Field(
        256, alias="LAMBDA_MEMORY_SIZE", ge=128, le=10240, description="Callback function, MB."
    )
    submission_timeout: int = Field(API_GATEWAY_TIMEOUT, alias="SUBMISSION_TIMEOUT", ge=3, le=900)
    submission_memory_size: int = Field(
        1024,
        alias="SUBMISSION_MEMORY_SIZE",
        ge=128,
        le=10240,
        description="MB; the function validates and queues batches (the workers analyse sync "
        "ones too); Lambda's CPU, hence its cold start, grows with memory.",
    )
    worker_timeout: int = Field(120, alias="WORKER_TIMEOUT", ge=10, le=900)
    worker_memory_size: int = Field(2048, alias="WORKER_MEMORY_SIZE", ge=128, le=10240)
    analysis_ephemeral_storage_mb: int = Field(
        2048,
        alias="ANALYSIS_EPHEMERAL_STORAGE_MB",
        ge=512,
        le=10240,
        description="/tmp of the worker function, MB: a file from a server that "
        "ignores Range is downloaded whole and spills there beyond 64 MiB.",
    )
    worker_batch_size: int = Field(
        1, alias="WORKER_BATCH_SIZE", ge=1, le=10, description="SQS messages per invocation."
    )
    worker_max_concurrency: int = Field(
        10,
        alias="WORKER_MAX_CONCURRENCY",
        ge=2,
        le=1000,
        description="Concurrent worker invocations the SQS event source may start.",
    )
    worker_reserved_concurrency: int | None = Field(
        None,
        alias="WORKER_RESERVED_CONCURRENCY",
        ge=1,
        description="Unset by default: new accounts cannot reserve concurrency.",
    )

    api_gateway_stage: str = Field("prod", alias="API_GATEWAY_STAGE", pattern=r"^[A-Za-z0-9_]+$")
    api_throttle_rate_limit: float = Field(10.0, alias="API_THROTTLE_RATE_LIMIT", gt=0)
    api_throttle_burst_limit: int = Field(20, alias="API_THROTTLE_BURST_LIMIT", ge=1)
    api_quota_per_day: int | None = Field(None, alias="API_QUOTA_PER_DAY", ge=1)
    api_gateway_cloudwatch_role: bool = Field(
        True,
        alias="API_GATEWAY_CLOUDWATCH_ROLE",
        description="Set API Gateway's regional account setting to a role that may write "
        "CloudWatch Logs (needed for access and execution logs); false when the account "
        "already has one.",
    )
    callback_api_throttle_rate_limit: float = Field(
        50.0, alias="CALLBACK_API_THROTTLE_RATE_LIMIT", gt=0
    )
    callback_api_throttle_burst_limit: int = Field(
        100, alias="CALLBACK_API_THROTTLE_BURST_LIMIT", ge=1
    )

    enable_test_endpoints: bool = lambda_setting("enable_test_endpoints")
    allowed_s3_buckets: S3BucketNames = lambda_setting("allowed_s3_buckets")
    # Narrowed by `_timeouts_fit`: at least 1 s and below WORKER_TIMEOUT.
    analysis_timeout: AnalysisTimeout | None = lambda_setting(
        "analysis_timeout",
        default=None,
        description="Seconds per file; defaults to (WORKER_TIMEOUT - 15 s) / WORKER_BATCH_SIZE "
        "so every message of a batch has its full time and a timed-out file is still recorded "
        "as ANALYSIS_TIMEOUT before Lambda stops the worker.",
    )
    max_sync_files: MaxSyncFiles = lambda_setting("max_sync_files")
    # Narrowed by `_timeouts_fit`: below SUBMISSION_TIMEOUT.
    sync_timeout: ApiGatewaySyncTimeout = lambda_setting("sync_timeout")

    log_level: LogLevel = lambda_setting("log_level")
    log_retention_days: int = Field(30, alias="LOG_RETENTION_DAYS")
    alarm_email: str | None = Field(
        None, alias="ALARM_EMAIL", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )

    # Narrowed to an ARN, which the stacks grant the functions access to.
    callback_signing_secret_arn: SecretArn | None = lambda_setting(
        "callback_signing_secret_arn",
        description="An existing secret; when set, CREATE_CALLBACK_SIGNING_SECRET is ignored.",
    )
    create_callback_signing_secret: bool = Field(True, alias="CREATE_CALLBACK_SIGNING_SECRET")

    lambda_bundle_cache_dir: Path | None = Field(
        None,
        alias="LAMBDA_BUNDLE_CACHE_DIR",
        description="Where built Lambda bundles are cached; default ~/.cache/mp4-small-analyser.",
    )
    bundled_profiles_dir: Path | None = Field(
        None,
        alias="BUNDLED_PROFILES_DIR",
        description="A folder of QC profiles (NAME.yaml / NAME.json) bundled with the functions, "
        "which read it as their PROFILES_DIR; checked at synth like `profiles validate`.",
    )

    @field_validator("bundled_profiles_dir")
    @classmethod
    def _usable_profiles(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        from mp4_small_analyser.analysis.judging import ProfileLibrary

        problems = ProfileLibrary(value).problems()
        if problems:
            raise ValueError("; ".join(str(problem) for problem in problems))
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS_ALLOWED:
            allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS_ALLOWED)
            raise ValueError(f"must be one of {allowed}")
        return value

    @model_validator(mode="after")
    def _timeouts_fit(self) -> Self:
        if self.sync_timeout >= self.submission_timeout:
            raise ValueError(
                f"SYNC_TIMEOUT ({self.sync_timeout:g}) must be below SUBMISSION_TIMEOUT "
                f"({self.submission_timeout}) so a sync batch answers before its function stops"
            )
        if self.worker_analysis_timeout >= self.worker_timeout or self.worker_analysis_timeout < 1:
            raise ValueError(
                f"ANALYSIS_TIMEOUT ({self.worker_analysis_timeout:g}) must be at least 1 and below "
                f"WORKER_TIMEOUT ({self.worker_timeout})"
            )
        return self

    @property
    def table_name(self) -> str:
        return f"{self.dynamodb_table_name}-{self.environment}"

    @property
    def is_production(self) -> bool:
        return self.environment == PRODUCTION_ENVIRONMENT

    @property
    def worker_analysis_timeout(self) -> float:
        if self.analysis_timeout is not None:
            return self.analysis_timeout
        return (self.worker_timeout - ANALYSIS_TIME_RESERVE) // self.worker_batch_size

    @property
    def queue_visibility_timeout(self) -> int:
        return VISIBILITY_TIMEOUT_FACTOR * self.worker_timeout

    @property
    def resource_prefix(self) -> str:
        return f"{self.project_name}-{self.environment}"

    @property
    def tags(self) -> dict[str, str]:
        return {
            "Environment": self.environment,
            "Project": self.project,
            "Client": self.client,
            "ManagedBy": "AWS-CDK",
            "Owner": "MP4-Small-Analyser",
        }


ENV_NAMES = frozenset(
    field.alias for field in DeploymentConfig.model_fields.values() if field.alias is not None
)


def load_config(env_file: Path | None, environ: Mapping[str, str]) -> DeploymentConfig:
    """Read `env_file` (when given), let `environ` override it, validate.

    Empty values count as unset, so `ALARM_EMAIL=` in `.env` keeps the default.
    """
    values: dict[str, str | None] = {}
    if env_file is not None:
        if not env_file.is_file():
            raise ConfigError(f"File {env_file} not found → Solution: run ./setup-config.sh")
        values.update(dotenv_values(env_file))
    values.update({name: value for name, value in environ.items() if name in ENV_NAMES})
    present = {name: value for name, value in values.items() if value}
    try:
        return DeploymentConfig.model_validate(present)
    except ValidationError as error:
        raise ConfigError(_describe(error, env_file)) from None


def _describe(error: ValidationError, env_file: Path | None) -> str:
    source = env_file.name if env_file is not None else "the environment"
    lines = [f"Invalid configuration in {source}:"]
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"])
        got = f" (got {problem['input']!r})" if name and problem["type"] != "missing" else ""
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"  {name or 'settings'}: {message}{got}")
    return "\n".join(lines)
