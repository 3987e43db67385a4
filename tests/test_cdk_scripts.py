"""The configuration scripts and the CDK entry point, run as a user runs them.

`cdk synth` is exercised through `app.py` with the example configuration, exactly as the CDK
CLI runs it (cdk.json's context in CDK_CONTEXT_JSON, CDK_OUTDIR), but without the npm CLI so
the suite needs no npm registry; asset bundling is skipped here and covered by
test_lambda_bundle.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mp4_small_analyser_cdk.config import load_config
from tests.cdk_synth import EXAMPLE_ENV, PROJECT_ROOT, STACK_IDS, cdk_json_context

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def _project_copy(directory: Path, *names: str) -> Path:
    for name in names:
        shutil.copy2(PROJECT_ROOT / name, directory / name)
    return directory


def _run(
    command: list[str], cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def _clean_env(**extra: str) -> dict[str, str]:
    """An environment without AWS or deployment variables, so only the test's values count."""
    return {"PATH": SYSTEM_PATH, "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **extra}


def _fake_aws_cli(directory: Path, account: str) -> Path:
    """An `aws` executable answering `sts get-caller-identity` and logging its arguments."""
    bin_dir = directory / "fake-bin"
    bin_dir.mkdir()
    script = bin_dir / "aws"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{bin_dir}/calls.log"\n'
        f'[ "$1 $2" = "sts get-caller-identity" ] && echo {account}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


# --- cdk-with-config.sh ----------------------------------------------------------------------


def test_cdk_with_config_without_env_file_says_what_to_do(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "cdk-with-config.sh")
    result = _run(["./cdk-with-config.sh", "list"], project, _clean_env())
    assert result.returncode == 1
    assert "Error: File .env not found" in result.stderr
    assert "→ Solution: run ./setup-config.sh" in result.stderr
    # Nothing is installed before the configuration exists.
    assert sorted(path.name for path in project.iterdir()) == ["cdk-with-config.sh"]


def test_cdk_with_config_rejects_unknown_commands(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "cdk-with-config.sh")
    result = _run(["./cdk-with-config.sh", "publish"], project, _clean_env())
    assert result.returncode == 2
    assert "Usage: ./cdk-with-config.sh COMMAND" in result.stderr
    for command in ("list", "synth", "diff", "deploy", "destroy", "bootstrap"):
        assert command in result.stderr


DEPLOYED_OUTPUTS = {
    "Mp4AnalyserCallbackStack": {"CallbackApiEndpoint": "https://cb.example/prod/"},
    "Mp4SmallAnalyserCdkStack": {
        "SubmitUrl": "https://an.example/prod/mp4_small_analyser",
        "ApiKeyId": "k123",
    },
}


def _project_with_fake_tools(directory: Path) -> tuple[Path, Path]:
    """A project whose .venv and node_modules CDK CLI already exist; the CLI logs its calls.

    The fake `cdk` records its arguments and the environment it sees, and for `deploy` writes
    the outputs file a real deployment would.
    """
    project = _project_copy(directory, "cdk-with-config.sh", ".env.example")
    shutil.copy2(EXAMPLE_ENV, project / ".env")
    venv_bin = project / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    _executable(venv_bin / "python", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (venv_bin / "python3").symlink_to("python")
    log = project / "cdk-calls.log"
    outputs = directory / "deployed-outputs.json"
    outputs.write_text(json.dumps(DEPLOYED_OUTPUTS))
    _executable(
        project / "node_modules" / ".bin" / "cdk",
        "#!/bin/sh\n"
        f'echo "args: $*" >> "{log}"\n'
        f'echo "env: $AWS_ACCOUNT_ID $AWS_REGION $ENVIRONMENT $(command -v python3)" >> "{log}"\n'
        "while [ $# -gt 0 ]; do\n"
        f'  [ "$1" = --outputs-file ] && cp "{outputs}" "$2"\n'
        "  shift\n"
        "done\n"
        "exit 0\n",
    )
    return project, log


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_cdk_with_config_passes_profile_and_env_to_the_local_cli(tmp_path: Path) -> None:
    project, log = _project_with_fake_tools(tmp_path)
    result = _run(["./cdk-with-config.sh", "list"], project, _clean_env())
    assert result.returncode == 0, result.stderr
    args, env = log.read_text().splitlines()
    assert args == "args: list --profile default"
    # cdk.json's "python3 app.py" runs the project's .venv interpreter.
    assert env == f"env: 123456789012 eu-west-1 dev {project}/.venv/bin/python3"
    assert not (project / "urls.txt").exists()


@pytest.mark.parametrize(
    ("version", "returncode", "message", "silenced"),
    [
        ("v16.20.2", 1, "Node.js v16.20.2 is too old for the CDK CLI (it needs 18 or newer)", ""),
        ("v20.20.2", 0, "Node.js v20.20.2: the CDK supports Node.js 22 and 24 (LTS)", "20"),
        ("v22.12.0", 0, "", ""),
    ],
)
def test_cdk_with_config_checks_the_node_version(
    tmp_path: Path, version: str, returncode: int, message: str, silenced: str
) -> None:
    """One clear line about the Node.js version, and none of jsii's byte-string banner."""
    project, log = _project_with_fake_tools(tmp_path)
    fake_bin = tmp_path / "node-bin"
    _executable(fake_bin / "node", f"#!/bin/sh\necho {version}\n")
    cdk = project / "node_modules" / ".bin" / "cdk"
    cdk.write_text(
        cdk.read_text().replace(
            "exit 0\n", f'echo "jsii: $JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION" >> "{log}"\n'
        )
    )
    env = _clean_env(PATH=f"{fake_bin}:{SYSTEM_PATH}")
    result = _run(["./cdk-with-config.sh", "list"], project, env)
    assert result.returncode == returncode, result.stderr
    if message:
        assert message in result.stderr
    else:
        assert "Node.js" not in result.stderr
    if returncode == 0:
        assert log.read_text().splitlines()[-1] == f"jsii: {silenced}"


def test_cdk_with_config_bootstraps_the_configured_account(tmp_path: Path) -> None:
    project, log = _project_with_fake_tools(tmp_path)
    result = _run(["./cdk-with-config.sh", "bootstrap"], project, _clean_env())
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines()[0] == (
        "args: bootstrap aws://123456789012/eu-west-1 --profile default"
    )


def test_cdk_with_config_deploy_writes_urls(tmp_path: Path) -> None:
    project, log = _project_with_fake_tools(tmp_path)
    result = _run(["./cdk-with-config.sh", "deploy", "--all"], project, _clean_env())
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines()[0] == (
        "args: deploy --profile default --outputs-file cdk.out/outputs.json --all"
    )
    assert (project / "urls.txt").read_text() == (
        "# Mp4AnalyserCallbackStack\n"
        "CallbackApiEndpoint: https://cb.example/prod/\n"
        "\n"
        "# Mp4SmallAnalyserCdkStack\n"
        "ApiKeyId: k123\n"
        "SubmitUrl: https://an.example/prod/mp4_small_analyser\n"
        "\n"
    )


# --- setup-config.sh -------------------------------------------------------------------------


def test_setup_config_non_interactive_from_flags(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    result = _run(
        [
            "./setup-config.sh",
            "--non-interactive",
            "--account-id",
            "111122223333",
            "--region",
            "us-east-2",
            "--environment",
            "staging",
            "--client",
            "Acme Corp",
            "--set",
            "ALLOWED_S3_BUCKETS=media-in,archive.example",
            "--set",
            "WORKER_MAX_CONCURRENCY=50",
        ],
        project,
        _clean_env(),
    )
    assert result.returncode == 0, result.stderr
    config = load_config(project / ".env", {})
    assert config.aws_account_id == "111122223333"
    assert config.aws_region == "us-east-2"
    assert config.environment == "staging"
    assert config.client == "Acme Corp"
    assert config.allowed_s3_buckets == ("media-in", "archive.example")
    assert config.worker_max_concurrency == 50
    assert config.table_name == "mp4-analyser-callback-results-staging"
    written = (project / ".env").read_text()
    # Every setting of the example is written, with its documentation comments.
    example = EXAMPLE_ENV.read_text()
    assert [
        line.split("=")[0] for line in written.splitlines() if "=" in line and line[0] != "#"
    ] == [line.split("=")[0] for line in example.splitlines() if "=" in line and line[0] != "#"]
    assert "# Callback signatures" in written


def test_setup_config_non_interactive_from_environment(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    env = _clean_env(
        AWS_ACCOUNT_ID="444455556666", ENVIRONMENT="prod", ALARM_EMAIL="ops@example.com"
    )
    result = _run(["./setup-config.sh", "--non-interactive"], project, env)
    assert result.returncode == 0, result.stderr
    config = load_config(project / ".env", {})
    assert (config.aws_account_id, config.environment) == ("444455556666", "prod")
    assert config.alarm_email == "ops@example.com"
    assert config.aws_region == "eu-west-1"


def test_setup_config_detects_the_account_with_the_aws_cli(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    fake_bin = _fake_aws_cli(tmp_path, "210987654321")
    env = _clean_env(PATH=f"{fake_bin}:{SYSTEM_PATH}", AWS_PROFILE="ci")
    result = _run(["./setup-config.sh", "--non-interactive"], project, env)
    assert result.returncode == 0, result.stderr
    assert load_config(project / ".env", {}).aws_account_id == "210987654321"
    assert (fake_bin / "calls.log").read_text().split() == [
        "sts",
        "get-caller-identity",
        "--query",
        "Account",
        "--output",
        "text",
        "--profile",
        "ci",
    ]


def test_setup_config_without_account_fails_clearly(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    result = _run(["./setup-config.sh", "--non-interactive"], project, _clean_env())
    assert result.returncode == 1
    assert "AWS_ACCOUNT_ID" in result.stderr
    assert "--account-id" in result.stderr
    assert not (project / ".env").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--region", "Europe"], "AWS_REGION='Europe'"),
        (["--environment", "Prod Env"], "ENVIRONMENT='Prod Env'"),
        (["--set", "CLIENT=a$b"], "CLIENT='a$b'"),
        (["--set", "NOT_A_SETTING=1"], "unknown setting NOT_A_SETTING"),
    ],
)
def test_setup_config_rejects_bad_values(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    command = ["./setup-config.sh", "--non-interactive", "--account-id", "111122223333", *arguments]
    result = _run(command, project, _clean_env())
    assert result.returncode == 1
    assert message in result.stderr
    assert not (project / ".env").exists()


def test_setup_config_keeps_an_existing_file_unless_forced(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    (project / ".env").write_text("AWS_ACCOUNT_ID=999999999999\n")
    command = ["./setup-config.sh", "--non-interactive", "--account-id", "111122223333"]
    refused = _run(command, project, _clean_env())
    assert refused.returncode == 1
    assert "--force" in refused.stderr
    assert (project / ".env").read_text() == "AWS_ACCOUNT_ID=999999999999\n"
    forced = _run([*command, "--force"], project, _clean_env())
    assert forced.returncode == 0, forced.stderr
    assert load_config(project / ".env", {}).aws_account_id == "111122223333"


def test_setup_config_interactive(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    fake_bin = _fake_aws_cli(tmp_path, "210987654321")
    answers = [
        "myprofile",  # profile
        "",  # account: keep the detected one
        "eu-central-1",  # region
        "",  # project name: default
        "prod",  # environment
        "Acme",  # client
        "",  # project tag: default
        "y",  # advanced settings
        "",  # table name
        "60",  # callback timeout
        "",  # callback memory
        "x86_64",  # architecture
        "",  # worker timeout
        "",  # worker memory
        "",  # worker concurrency
        "",  # stage
        "bucket-a,bucket-b",  # S3 buckets
        "true",  # test endpoints
        "",  # alarm e-mail
        "",  # result retention
    ]
    env = _clean_env(PATH=f"{fake_bin}:{SYSTEM_PATH}")
    result = _run(["./setup-config.sh"], project, env, stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    config = load_config(project / ".env", {})
    assert config.aws_profile == "myprofile"
    assert config.aws_account_id == "210987654321"
    assert config.aws_region == "eu-central-1"
    assert config.environment == "prod"
    assert config.client == "Acme"
    assert config.lambda_timeout == 60
    assert config.lambda_architecture == "x86_64"
    assert config.allowed_s3_buckets == ("bucket-a", "bucket-b")
    assert config.enable_test_endpoints is True
    assert config.alarm_email is None
    assert "--profile myprofile" in (fake_bin / "calls.log").read_text()


def test_setup_config_asks_again_until_an_answer_is_valid(tmp_path: Path) -> None:
    """A wrong account or region is refused when it is typed, not after every question."""
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    answers = [
        "",  # profile
        "",  # account: empty (no AWS CLI to detect it)
        "12345",  # account: too short
        "111122223333",
        "eu-narnia-1",  # not a region AWS has
        "Europe",  # not a region name at all
        "eu-west-3",
        *[""] * 5,  # project name, environment, client, project tag: defaults
        "n",  # no advanced settings
    ]
    result = _run(["./setup-config.sh"], project, _clean_env(), stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    complaints = [line for line in result.stderr.splitlines() if "✗" in line]
    assert len(complaints) == 4, result.stderr
    assert complaints[0].endswith(
        "12 digits (no AWS CLI credentials to detect it: give --account-id)"
    )
    assert "not an AWS region; known regions: af-south-1" in complaints[2]
    assert complaints[3].endswith("a region such as eu-west-1")
    config = load_config(project / ".env", {})
    assert (config.aws_account_id, config.aws_region) == ("111122223333", "eu-west-3")


def test_setup_config_stops_when_answers_run_out(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    result = _run(["./setup-config.sh"], project, _clean_env(), stdin="\n\n")
    assert result.returncode == 1
    assert "no answer for AWS_ACCOUNT_ID" in result.stderr
    assert not (project / ".env").exists()


def test_setup_config_checks_numbers_switches_and_choices(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    command = [
        *("./setup-config.sh", "--non-interactive", "--account-id", "111122223333"),
        *("--lambda-timeout", "abc", "--set", "RESULT_TTL_DAYS=-5", "--alarm-email", "nope"),
        *("--set", "SYNC_TIMEOUT=29", "--set", "ENABLE_TEST_ENDPOINTS=maybe"),
        *("--set", "LOG_RETENTION_DAYS=2", "--set", "LAMBDA_ARCHITECTURE=mips"),
    ]
    result = _run(command, project, _clean_env())
    assert result.returncode == 1
    assert not (project / ".env").exists()
    for expected in (
        "LAMBDA_TIMEOUT='abc': a whole number",
        "RESULT_TTL_DAYS='-5': a value at least 0 and at most 3650",
        "ALARM_EMAIL='nope': an e-mail address, or empty for none",
        "SYNC_TIMEOUT='29': a value above 0 and below 29",
        "ENABLE_TEST_ENDPOINTS='maybe': true or false",
        "LOG_RETENTION_DAYS='2': one of: 1 3 5 7 14 30",
        "LAMBDA_ARCHITECTURE='mips': one of: arm64 x86_64",
    ):
        assert expected in result.stderr
    accepted = [*command[:4], "--set", "SYNC_TIMEOUT=28.5", "--set", "WORKER_RESERVED_CONCURRENCY="]
    written = _run(accepted, project, _clean_env())
    assert written.returncode == 0, written.stderr
    assert load_config(project / ".env", {}).sync_timeout == 28.5


def test_setup_config_names_every_bad_value_at_once(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "setup-config.sh", ".env.example")
    command = [
        *("./setup-config.sh", "--non-interactive", "--region", "eu-narnia-1"),
        *("--environment", "Prod Env", "--set", "CLIENT=a$b"),
    ]
    result = _run(command, project, _clean_env())
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("❌ Error:")]
    assert [error.split("=")[0] for error in errors] == [
        "❌ Error: AWS_ACCOUNT_ID",
        "❌ Error: AWS_REGION",
        "❌ Error: ENVIRONMENT",
        "❌ Error: CLIENT",
    ]
    assert not (project / ".env").exists()


# --- app.py, as `cdk synth` runs it ----------------------------------------------------------


def _app_env(env_file: Path, outdir: Path) -> dict[str, str]:
    context = {**cdk_json_context(), "aws:cdk:bundling-stacks": []}
    return _clean_env(
        PATH=f"{Path(sys.executable).parent}:{SYSTEM_PATH}",
        MP4_ANALYSER_ENV_FILE=str(env_file),
        CDK_OUTDIR=str(outdir),
        CDK_CONTEXT_JSON=json.dumps(context),
    )


def test_app_synthesizes_offline_from_the_example_configuration(tmp_path: Path) -> None:
    outdir = tmp_path / "cdk.out"
    result = _run([sys.executable, "app.py"], PROJECT_ROOT, _app_env(EXAMPLE_ENV, outdir))
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {
        name
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert stacks == set(STACK_IDS)
    for stack_id in STACK_IDS:
        template = json.loads((outdir / f"{stack_id}.template.json").read_text())
        assert template["Resources"]


def test_app_without_env_file_gives_the_setup_hint(tmp_path: Path) -> None:
    missing = tmp_path / ".env"
    result = _run([sys.executable, "app.py"], PROJECT_ROOT, _app_env(missing, tmp_path / "out"))
    assert result.returncode == 1
    assert f"Error: File {missing} not found → Solution: run ./setup-config.sh" in result.stderr


def test_app_reports_invalid_settings_by_name(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(EXAMPLE_ENV.read_text() + "\nWORKER_TIMEOUT=2000\nLOG_RETENTION_DAYS=31\n")
    result = _run([sys.executable, "app.py"], PROJECT_ROOT, _app_env(env_file, tmp_path / "out"))
    assert result.returncode == 1
    assert "Invalid configuration in .env:" in result.stderr
    assert "WORKER_TIMEOUT: Input should be less than or equal to 900 (got '2000')" in result.stderr
    assert "LOG_RETENTION_DAYS: must be one of" in result.stderr
