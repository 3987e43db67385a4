"""Deployment configuration: the `.env` written by setup-config.sh, overridden by the environment.

The names are the original design's `.env` names plus the settings this deployment adds. Every
setting has a default and is validated before any construct exists, so a typo fails `cdk synth`
with one line naming the variable instead of a CloudFormation error at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

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

Architecture = Literal["arm64", "x86_64"]
LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]
BucketName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]

API_GATEWAY_MAX_INTEGRATION_SECONDS = 29
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS_ALLOWED = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
# AWS's guidance for SQS event sources: visibility at least six times the function timeout, so a
# message is not redelivered while a slow or retried invocation still holds it.
VISIBILITY_TIMEOUT_FACTOR = 6
PRODUCTION_ENVIRONMENT = "prod"


class ConfigError(ValueError):
    """The configuration cannot be used; the message names each offending variable."""


class DeploymentConfig(BaseModel):
    """Everything the stacks need, read once; field aliases are the `.env` variable names."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    aws_account_id: str = Field(alias="AWS_ACCOUNT_ID", pattern=r"^\d{12}$")
    aws_region: str = Field(
        "eu-west-1", alias="AWS_REGION", pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$"
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
    result_ttl_days: int = Field(
        30, alias="RESULT_TTL_DAYS", ge=1, le=3650, description="Days a stored result is kept."
    )

    lambda_architecture: Architecture = Field("arm64", alias="LAMBDA_ARCHITECTURE")
    lambda_timeout: int = Field(
        30, alias="LAMBDA_TIMEOUT", ge=3, le=900, description="Callback function, seconds."
    )
    lambda_memory_size: int = Field(
        256, alias="LAMBDA_MEMORY_SIZE", ge=128, le=10240, description="Callback function, MB."
    )
    submission_timeout: int = Field(
        API_GATEWAY_MAX_INTEGRATION_SECONDS, alias="SUBMISSION_TIMEOUT", ge=3, le=900
    )
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

    enable_test_endpoints: bool = Field(False, alias="ENABLE_TEST_ENDPOINTS")
    allowed_s3_buckets: tuple[BucketName, ...] = Field((), alias="ALLOWED_S3_BUCKETS")
    analysis_timeout: int | None = Field(
        None,
        alias="ANALYSIS_TIMEOUT",
        ge=1,
        description="Seconds per file; defaults to (WORKER_TIMEOUT - 15 s) / WORKER_BATCH_SIZE "
        "so every message of a batch has its full time and a timed-out file is still recorded "
        "as ANALYSIS_TIMEOUT before Lambda stops the worker.",
    )
    max_sync_files: int = Field(10, alias="MAX_SYNC_FILES", ge=1, le=1000)
    sync_timeout: int = Field(
        25, alias="SYNC_TIMEOUT", ge=1, le=API_GATEWAY_MAX_INTEGRATION_SECONDS - 1
    )

    log_level: LogLevel = Field("INFO", alias="LOG_LEVEL")
    log_retention_days: int = Field(30, alias="LOG_RETENTION_DAYS")
    alarm_email: str | None = Field(
        None, alias="ALARM_EMAIL", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )

    callback_signing_secret_arn: str | None = Field(
        None,
        alias="CALLBACK_SIGNING_SECRET_ARN",
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$",
        description="An existing secret; when set, CREATE_CALLBACK_SIGNING_SECRET is ignored.",
    )
    create_callback_signing_secret: bool = Field(True, alias="CREATE_CALLBACK_SIGNING_SECRET")

    lambda_bundle_cache_dir: Path | None = Field(
        None,
        alias="LAMBDA_BUNDLE_CACHE_DIR",
        description="Where built Lambda bundles are cached; default ~/.cache/mp4-small-analyser.",
    )

    @field_validator("allowed_s3_buckets", mode="before")
    @classmethod
    def _split_bucket_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
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
                f"SYNC_TIMEOUT ({self.sync_timeout}) must be below SUBMISSION_TIMEOUT "
                f"({self.submission_timeout}) so a sync batch answers before its function stops"
            )
        if self.worker_analysis_timeout >= self.worker_timeout or self.worker_analysis_timeout < 1:
            raise ValueError(
                f"ANALYSIS_TIMEOUT ({self.worker_analysis_timeout}) must be at least 1 and below "
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
    def worker_analysis_timeout(self) -> int:
        if self.analysis_timeout is not None:
            return self.analysis_timeout
        return (self.worker_timeout - 15) // self.worker_batch_size

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
