"""Service settings, read from the environment (the same names locally and on Lambda).

Every limit of the service is one of these, with its default documented in
docs/service.md. Names are case-insensitive environment variables:
`STORE_BACKEND`, `DATABASE_PATH`, `ANALYSIS_TIMEOUT`, ... The types of the values the CDK
deployment also configures come from `setting_types`, shared with it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mp4_small_analyser.options import (
    DEFAULT_MAX_EDIT_LIST_ENTRIES,
    AnalysisOptions,
    GiB,
    MiB,
    SourceLimits,
)
from mp4_small_analyser.setting_types import (
    AnalysisTimeout,
    HostNames,
    LogLevel,
    MaxSyncFiles,
    ResultTtlDays,
    S3BucketName,
    S3BucketNames,
    SyncTimeout,
)


def _cores() -> int:
    return os.cpu_count() or 1


class ProfileSettings(BaseSettings):
    """Where QC profiles come from besides the built-ins; read alone by the CLI, which
    needs no other setting."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    profiles_dir: Path | None = Field(
        None,
        description="Folder of QC profiles (NAME.yaml or NAME.json) added to the built-ins; "
        "on Lambda, the folder bundled with the functions (the deployment's PROFILES_DIR).",
    )


class AnalysisSettings(BaseSettings):
    """The settings `mp4-analyser analyse` shares with the service, read on their own so a
    service setting that does not validate never stops the CLI."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, allow_inf_nan=False
    )

    analysis_timeout: AnalysisTimeout = Field(
        300.0, description="Seconds per file; past it: ANALYSIS_TIMEOUT, worker replaced."
    )
    max_media_duration: float = Field(
        3600.0,
        gt=0,
        description="The largest options.max_media_duration a request (or profile) may ask "
        "for, in seconds; more: 422 (CLI: exit 2).",
    )
    max_edit_list_entries: int = Field(
        DEFAULT_MAX_EDIT_LIST_ENTRIES,
        ge=1,
        description="Entries of one track's edit list; more: CORRUPT_FILE before decoding.",
    )

    def duration_problem(self, options: AnalysisOptions) -> str | None:
        """Why `options` (as a profile completed them) ask to decode too much, or None."""
        if options.max_media_duration <= self.max_media_duration:
            return None
        return (
            f"max_media_duration {options.max_media_duration:g} s is over the limit of "
            f"{self.max_media_duration:g} s (MAX_MEDIA_DURATION)"
        )


class Settings(ProfileSettings, AnalysisSettings):
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, allow_inf_nan=False
    )

    # Backends
    store_backend: Literal["sqlite", "dynamodb"] = "sqlite"
    database_path: Path = Field(Path("./var/mp4-analyser.db"), description="SQLite file.")
    table_name: str | None = Field(None, description="DynamoDB table (STORE_BACKEND=dynamodb).")
    queue_backend: Literal["sqlite", "sqs", "none"] = Field(
        "sqlite",
        description="sqs: one queue carries analyses and callback retries (the Lambda worker "
        "takes both); none: a process that only serves results (submissions answer 503).",
    )
    queue_url: str | None = Field(None, description="SQS queue URL (QUEUE_BACKEND=sqs).")
    thumbnails_path: Path | None = Field(
        None,
        description="Folder of the thumbnails with the SQLite store; default: `thumbnails` "
        "beside DATABASE_PATH.",
    )
    thumbnail_bucket: S3BucketName | None = Field(
        None,
        description="S3 bucket of the thumbnails (AWS); without it and without the SQLite "
        "store, no thumbnails are cut.",
    )
    results_base_url: str | None = Field(
        None,
        description="Public base URL of the results API, for the `batch_url` of async answers "
        "when another host serves it (AWS: the callback API); default: this server.",
    )

    # Security
    api_key: SecretStr | None = Field(
        None, description="When set, submissions need the header `x-api-key` with this value."
    )
    service_hosts: HostNames = Field(
        (),
        description="`host:port` names this service is reached at, besides RESULTS_BASE_URL's "
        "and the address `serve` listens on: callbacks sent there carry an `in1` signature, "
        "and a received `in1` counts only when made for one of them (behind a proxy or on "
        "0.0.0.0, name the address callers use).",
    )
    callback_signing_secret: SecretStr | None = Field(
        None,
        description="When set, callbacks are signed and POST /callback/{task_id} checks "
        "signatures.",
    )
    allow_private_urls: bool = Field(
        False, description="Allow file and callback URLs on loopback/private/link-local addresses."
    )
    enable_test_endpoints: bool = Field(
        False,
        description="GET /test/results and POST /test/simulate (`serve --enable-test-endpoints`"
        "; `make run` sets it); they need the API key when API_KEY is set.",
    )
    sample_media_dir: Path | None = Field(
        None,
        description="A folder served read-only at /samples/, with Range support, so the sample "
        "media can be submitted by URL when trying the service (`serve --samples`; `make run` "
        "sets it to var/samples). Off by default; never on AWS.",
    )
    allowed_s3_buckets: S3BucketNames = Field(
        (),
        description="Comma-separated buckets whose s3:// URLs are accepted; none by default.",
    )

    # Workers and limits
    workers: int = Field(default_factory=_cores, ge=1, description="Analysis processes (local).")
    max_batch_files: int = Field(1000, ge=1, description="Files per submission.")
    max_sync_files: MaxSyncFiles = Field(10, description="Files per submission without callbacks.")
    sync_timeout: SyncTimeout = Field(25.0, description="Seconds a sync submission may take.")
    max_request_bytes: int = Field(4 * MiB, ge=1024, description="Request body cap.")
    max_file_size: int = Field(2 * GiB, gt=0, description="Bytes; larger files: FILE_TOO_LARGE.")
    callback_timeout: float = Field(10.0, gt=0, description="Seconds per callback attempt.")
    # The defaults retry for 27 to 54 hours: a receiver down for a day still gets its results.
    callback_max_attempts: int = Field(
        20, ge=1, le=1000, description="Attempts per callback (and per re-delivery)."
    )
    callback_retry_base_delay: float = Field(
        10.0, gt=0, description="Seconds before the 2nd attempt; doubles each time, with jitter."
    )
    callback_retry_max_delay: float = Field(
        6 * 3600.0,
        gt=0,
        le=7 * 86400,
        description="Longest wait between attempts (on SQS, waits over 900 s are chained).",
    )
    shutdown_grace: float = Field(
        30.0, ge=0, description="Seconds running analyses may finish on SIGTERM before re-queueing."
    )
    result_ttl_days: ResultTtlDays = Field(
        30.0, description="Days records are kept (0: forever); DynamoDB TTL attribute."
    )

    log_format: Literal["json", "text"] = "text"
    log_level: LogLevel = Field("INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")

    @model_validator(mode="after")
    def _backends_are_complete(self) -> Self:
        # Checked here, not when the backends open, so a deployment's environment can be
        # validated (tests/test_cdk_checks.py) and a misconfigured process fails at once.
        if self.store_backend == "dynamodb" and not self.table_name:
            raise ValueError("TABLE_NAME must be set for STORE_BACKEND=dynamodb")
        if self.queue_backend == "sqs" and not self.queue_url:
            raise ValueError("QUEUE_URL must be set for QUEUE_BACKEND=sqs")
        return self

    def source_limits(self) -> SourceLimits:
        """Fetch limits of one analysed file under these settings."""
        return SourceLimits(
            max_file_size=self.max_file_size,
            max_edit_list_entries=self.max_edit_list_entries,
            allow_private_urls=self.allow_private_urls,
            allowed_s3_buckets=self.allowed_s3_buckets,
        )
