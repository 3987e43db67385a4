#!/usr/bin/env bash
# Runs the AWS CDK CLI with the configuration in .env (written by ./setup-config.sh).
# On first use it creates .venv with the CDK dependencies and installs the CDK CLI from npm,
# so it works from a fresh clone.
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$PROJECT_ROOT"

usage() {
    cat <<'EOF'
Usage: ./cdk-with-config.sh COMMAND [CDK ARGUMENTS...]

Commands:
  list | ls     list the stacks
  synth         synthesise the CloudFormation templates into cdk.out/
  diff          compare the templates with what is deployed
  deploy        deploy (e.g. deploy --all); writes the stacks' outputs to urls.txt
  destroy       delete the stacks (e.g. destroy --all)
  bootstrap     prepare the account and region in .env for CDK deployments

The profile (AWS_PROFILE), account and region come from .env.
EOF
}

fail() {
    echo "❌ Error: $1" >&2
    echo "→ Solution: $2" >&2
    exit 1
}

COMMAND="${1:-}"
case "$COMMAND" in
    list | ls | synth | diff | deploy | destroy | bootstrap) shift ;;
    -h | --help | help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac

if [ ! -f .env ]; then
    fail "File .env not found" "run ./setup-config.sh"
fi

python_for_venv() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_python_environment() {
    local check='import importlib.util as u, sys
sys.exit(not all(u.find_spec(m) for m in ("aws_cdk", "cdk_nag", "mangum", "mp4_small_analyser")))'
    if [ -x .venv/bin/python ] && .venv/bin/python -c "$check" >/dev/null 2>&1; then
        return 0
    fi
    echo "Setting up .venv with the CDK dependencies (first run only)..." >&2
    if [ ! -x .venv/bin/python ]; then
        local python
        python="$(python_for_venv)" || fail "Python 3.11 or newer not found" \
            "install Python 3.11+ (https://www.python.org/downloads/) and run this again"
        "$python" -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[cdk,aws]' ||
        fail "installing the Python dependencies into .venv failed" \
            "check the output above (network access to PyPI), then run this again"
}

# Node.js runs twice here: the CDK CLI (package.json: Node.js 18 or newer) and jsii, the
# bridge under the CDK's Python library, which supports the Node.js LTS lines below. On any
# other line jsii prints a banner of raw Python byte strings on every command: one line
# here says it instead, and the banner is silenced.
MIN_NODE_MAJOR=18
SUPPORTED_NODE_MAJORS="22 24"

check_node() {
    command -v node >/dev/null 2>&1 ||
        fail "Node.js not found (the CDK CLI runs on it)" \
            "install Node.js 22 or 24 LTS with npm (https://nodejs.org) and run this again"
    local version major
    version="$(node --version)"
    major="${version#v}"
    major="${major%%.*}"
    [ "$major" -ge "$MIN_NODE_MAJOR" ] 2>/dev/null ||
        fail "Node.js $version is too old for the CDK CLI (it needs $MIN_NODE_MAJOR or newer)" \
            "install Node.js 22 or 24 LTS (https://nodejs.org) and run this again"
    case " $SUPPORTED_NODE_MAJORS " in
        *" $major "*) return 0 ;;
    esac
    echo "⚠️  Node.js $version: the CDK supports Node.js 22 and 24 (LTS); this one works for now," \
        "but upgrade soon (https://nodejs.org)." >&2
    export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$major"
    export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1
    export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
}

ensure_cdk_cli() {
    if [ -x node_modules/.bin/cdk ]; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 ||
        fail "npm not found (the CDK CLI is installed from npm)" \
            "install Node.js 22 or 24 LTS with npm (https://nodejs.org) and run this again"
    echo "Installing the CDK CLI from package.json into node_modules/ (first run only)..." >&2
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund >&2
    else
        npm install --no-audit --no-fund >&2
    fi
}

write_urls() {
    local outputs="$1"
    .venv/bin/python - "$outputs" >urls.txt <<'EOF'
import json
import sys

with open(sys.argv[1]) as file:
    stacks = json.load(file)
for stack, outputs in stacks.items():
    print(f"# {stack}")
    for name, value in sorted(outputs.items()):
        print(f"{name}: {value}")
    print()
EOF
    echo "Outputs written to urls.txt" >&2
}

ensure_python_environment
check_node
ensure_cdk_cli

set -a
# shellcheck disable=SC1091
. ./.env
set +a
# cdk.json runs "python3 app.py": make that the .venv's interpreter.
export PATH="$PROJECT_ROOT/.venv/bin:$PATH"

CDK=(./node_modules/.bin/cdk)
PROFILE_ARGS=()
if [ -n "${AWS_PROFILE:-}" ]; then
    PROFILE_ARGS=(--profile "$AWS_PROFILE")
fi

case "$COMMAND" in
    bootstrap)
        exec "${CDK[@]}" bootstrap "aws://${AWS_ACCOUNT_ID}/${AWS_REGION:-eu-west-1}" \
            ${PROFILE_ARGS[@]+"${PROFILE_ARGS[@]}"} "$@"
        ;;
    deploy)
        mkdir -p cdk.out
        "${CDK[@]}" deploy ${PROFILE_ARGS[@]+"${PROFILE_ARGS[@]}"} \
            --outputs-file cdk.out/outputs.json "$@"
        write_urls cdk.out/outputs.json
        ;;
    *)
        exec "${CDK[@]}" "$COMMAND" ${PROFILE_ARGS[@]+"${PROFILE_ARGS[@]}"} "$@"
        ;;
esac
