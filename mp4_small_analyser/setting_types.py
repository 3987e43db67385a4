"""Types and bounds of the settings both the service and the CDK deployment define.

`Settings`/`LambdaSettings` (what a process reads from its environment) and the CDK's
`DeploymentConfig` (what `.env` holds, passed to the functions as that environment) annotate
these values with the same types, so a bound changed here changes on both sides. Where the
deployment needs a narrower range it adds its own bound on top, and a test checks that it
only narrows (tests/test_config_sources.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_settings import NoDecode

API_GATEWAY_TIMEOUT = 29
"""Seconds API Gateway waits for a Lambda integration, at most (a hard limit of AWS)."""


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


S3BucketName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
"""S3's naming rule (3 to 63 lower-case letters, digits, dots and dashes): a name outside
it can match no bucket, so it is a typo."""

S3BucketNames = Annotated[tuple[S3BucketName, ...], NoDecode, BeforeValidator(_comma_separated)]
"""`ALLOWED_S3_BUCKETS`: comma-separated in the environment and in `.env`."""

HostNames = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_separated)]
"""`SERVICE_HOSTS`: `host[:port]` names, comma-separated in the environment and in `.env`."""

AnalysisTimeout = Annotated[float, Field(gt=0)]
"""Seconds per file; past it the file fails with ANALYSIS_TIMEOUT."""

MaxSyncFiles = Annotated[int, Field(ge=0)]
"""Files a submission without callbacks may hold (0: every batch needs callbacks)."""

SyncTimeout = Annotated[float, Field(gt=0)]
"""Seconds a sync submission may take."""

ApiGatewaySyncTimeout = Annotated[SyncTimeout, Field(lt=API_GATEWAY_TIMEOUT)]
"""A sync submission behind API Gateway must answer before API Gateway gives up."""

ResultTtlDays = Annotated[float, Field(ge=0, le=3650)]
"""Days records are kept (0: forever). Ten years at most, the bound the deployment always
had: longer is "forever" in practice, and an unbounded value can overflow the expiry date."""


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"], BeforeValidator(_upper)
]
"""`LOG_LEVEL`: a level of Python's logging, in any case (`WARN` is `WARNING`, Lambda's name)."""
