"""The deployment configuration: defaults, precedence, validation, and .env.example's coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from mp4_small_analyser_cdk.config import ENV_NAMES, ConfigError, load_config
from tests.cdk_synth import EXAMPLE_ENV

ACCOUNT = {"AWS_ACCOUNT_ID": "123456789012"}


def test_example_lists_every_setting() -> None:
    names = {
        line.split("=", 1)[0]
        for line in EXAMPLE_ENV.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert names == ENV_NAMES


def test_defaults() -> None:
    config = load_config(None, ACCOUNT)
    assert (config.aws_region, config.environment, config.api_gateway_stage) == (
        "eu-west-1",
        "dev",
        "prod",
    )
    assert config.table_name == "mp4-analyser-callback-results-dev"
    assert (config.lambda_timeout, config.lambda_memory_size) == (30, 256)
    assert (config.worker_timeout, config.worker_memory_size) == (120, 2048)
    assert config.lambda_architecture == "arm64"
    assert config.queue_visibility_timeout == 720
    assert config.worker_analysis_timeout == 105
    batched = load_config(None, {**ACCOUNT, "WORKER_BATCH_SIZE": "5"})
    assert batched.worker_analysis_timeout == (120 - 15) // 5
    assert config.enable_test_endpoints is False
    assert config.create_callback_signing_secret is True
    assert config.is_production is False
    assert config.tags == {
        "Environment": "dev",
        "Project": "mp4-small-analyser",
        "Client": "internal",
        "ManagedBy": "AWS-CDK",
        "Owner": "MP4-Small-Analyser",
    }


def test_environment_overrides_the_file_and_empty_means_default(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("AWS_ACCOUNT_ID=123456789012\nENVIRONMENT=staging\nALARM_EMAIL=\n")
    assert load_config(env_file, {}).environment == "staging"
    assert load_config(env_file, {}).alarm_email is None
    overridden = load_config(env_file, {"ENVIRONMENT": "prod", "UNRELATED": "x"})
    assert overridden.environment == "prod"
    assert overridden.is_production is True


def test_lists_and_booleans_are_parsed() -> None:
    config = load_config(
        None,
        {
            **ACCOUNT,
            "ALLOWED_S3_BUCKETS": " media-in, archive.example ,",
            "ENABLE_TEST_ENDPOINTS": "1",
        },
    )
    assert config.allowed_s3_buckets == ("media-in", "archive.example")
    assert config.enable_test_endpoints is True


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "AWS_ACCOUNT_ID: Field required"),
        ({"AWS_ACCOUNT_ID": "12345"}, "AWS_ACCOUNT_ID: String should match pattern"),
        ({**ACCOUNT, "ENVIRONMENT": "Prod"}, "ENVIRONMENT: String should match pattern"),
        ({**ACCOUNT, "LAMBDA_ARCHITECTURE": "arm"}, "LAMBDA_ARCHITECTURE: Input should be"),
        ({**ACCOUNT, "WORKER_TIMEOUT": "901"}, "WORKER_TIMEOUT: Input should be less than"),
        ({**ACCOUNT, "WORKER_MAX_CONCURRENCY": "1"}, "WORKER_MAX_CONCURRENCY: Input should be"),
        ({**ACCOUNT, "LOG_RETENTION_DAYS": "10"}, "LOG_RETENTION_DAYS: must be one of 1, 3, 5"),
        ({**ACCOUNT, "ALLOWED_S3_BUCKETS": "ok-bucket,Bad_Bucket"}, "ALLOWED_S3_BUCKETS.1"),
        ({**ACCOUNT, "ALARM_EMAIL": "not-an-address"}, "ALARM_EMAIL: String should match"),
        (
            {**ACCOUNT, "SYNC_TIMEOUT": "29"},
            "SYNC_TIMEOUT: Input should be less than 29",
        ),
        (
            {**ACCOUNT, "SUBMISSION_TIMEOUT": "20"},
            "SYNC_TIMEOUT (25) must be below SUBMISSION_TIMEOUT (20)",
        ),
        (
            {**ACCOUNT, "ANALYSIS_TIMEOUT": "120"},
            "ANALYSIS_TIMEOUT (120) must be at least 1 and below WORKER_TIMEOUT (120)",
        ),
        (
            {**ACCOUNT, "WORKER_TIMEOUT": "10"},
            "ANALYSIS_TIMEOUT (-5) must be at least 1 and below WORKER_TIMEOUT (10)",
        ),
        (
            {**ACCOUNT, "CALLBACK_SIGNING_SECRET_ARN": "my-secret"},
            "CALLBACK_SIGNING_SECRET_ARN: String should match pattern",
        ),
        ({**ACCOUNT, "PROJECT_NAME": "p" * 31}, "PROJECT_NAME: String should match pattern"),
    ],
)
def test_invalid_settings_are_named(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(None, settings)
    assert message in str(raised.value)


def test_missing_file_points_to_the_setup_script(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found → Solution: run ./setup-config.sh"):
        load_config(tmp_path / ".env", ACCOUNT)


def test_bundled_profiles_are_checked_before_synth(tmp_path: Path) -> None:
    (tmp_path / "house.yaml").write_text(
        "name: house\ndescription: x\nrules:\n  - code: A\n    field: audio_analysis.lufs\n"
        "    max: -1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(None, {**ACCOUNT, "BUNDLED_PROFILES_DIR": str(tmp_path)})
    assert "  BUNDLED_PROFILES_DIR: " in str(raised.value)
    assert "rules[0] (A).field: unknown field 'audio_analysis.lufs'" in str(raised.value)
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match="is not a folder"):
        load_config(None, {**ACCOUNT, "BUNDLED_PROFILES_DIR": str(missing)})
