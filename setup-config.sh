#!/usr/bin/env bash
# Writes .env, the configuration of the AWS deployment, from .env.example's settings.
# Interactive by default; --non-interactive takes flags, then environment variables, for CI.
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATE="$PROJECT_ROOT/.env.example"
OUTPUT="$PROJECT_ROOT/.env"
INTERACTIVE=true
FORCE=false

usage() {
    cat <<'EOF'
Usage: ./setup-config.sh [--non-interactive] [--force] [--output FILE] [SETTINGS...]

Writes .env (read by ./cdk-with-config.sh) with every setting of .env.example.

Interactive (default): asks the AWS profile, account (detected with the AWS CLI when it is
installed), region, project name, environment, tags, then optionally the advanced settings.

  --non-interactive   no questions: each setting comes from its flag, else from the
                      environment variable of the same name, else the default (CI)
  --force             overwrite an existing file without asking
  --output FILE       write FILE instead of .env

Settings:
  --account-id ID        AWS_ACCOUNT_ID (default: detected with aws sts get-caller-identity)
  --region REGION        AWS_REGION (default eu-west-1)
  --profile NAME         AWS_PROFILE (default "default")
  --project-name NAME    PROJECT_NAME
  --environment NAME     ENVIRONMENT (dev, staging, prod...)
  --client NAME          CLIENT tag
  --project NAME         PROJECT tag
  --table-name NAME      DYNAMODB_TABLE_NAME
  --lambda-timeout S     LAMBDA_TIMEOUT
  --lambda-memory-size MB  LAMBDA_MEMORY_SIZE
  --alarm-email ADDRESS  ALARM_EMAIL
  --set NAME=VALUE       any other setting of .env.example, e.g. --set WORKER_MAX_CONCURRENCY=50
EOF
}

fail() {
    echo "❌ Error: $1" >&2
    [ -n "${2:-}" ] && echo "→ Solution: $2" >&2
    exit 1
}

[ -f "$TEMPLATE" ] || fail "$TEMPLATE not found" "run this script from a complete clone"

# The setting names, in .env.example's order.
SETTINGS=()
while IFS= read -r line; do
    case "$line" in
        [A-Z]*=*) SETTINGS+=("${line%%=*}") ;;
    esac
done <"$TEMPLATE"

is_setting() {
    local name
    for name in "${SETTINGS[@]}"; do
        [ "$name" = "$1" ] && return 0
    done
    return 1
}

# Values given on the command line are kept in FLAG_<NAME> variables.
set_flag() {
    is_setting "$1" || fail "unknown setting $1" "see .env.example for the setting names"
    printf -v "FLAG_$1" '%s' "$2"
}

flag_value() {
    local variable="FLAG_$1"
    printf '%s' "${!variable-}"
}

has_flag() {
    local variable="FLAG_$1"
    [ -n "${!variable+set}" ]
}

while [ $# -gt 0 ]; do
    option="$1"
    case "$option" in
        -h | --help)
            usage
            exit 0
            ;;
        --non-interactive) INTERACTIVE=false ;;
        --force) FORCE=true ;;
        --output | --account-id | --region | --profile | --project-name | --environment | \
            --client | --project | --table-name | --lambda-timeout | --lambda-memory-size | \
            --alarm-email | --set)
            [ $# -ge 2 ] || fail "$option needs a value" "./setup-config.sh --help"
            value="$2"
            shift
            case "$option" in
                --output) OUTPUT="$value" ;;
                --account-id) set_flag AWS_ACCOUNT_ID "$value" ;;
                --region) set_flag AWS_REGION "$value" ;;
                --profile) set_flag AWS_PROFILE "$value" ;;
                --project-name) set_flag PROJECT_NAME "$value" ;;
                --environment) set_flag ENVIRONMENT "$value" ;;
                --client) set_flag CLIENT "$value" ;;
                --project) set_flag PROJECT "$value" ;;
                --table-name) set_flag DYNAMODB_TABLE_NAME "$value" ;;
                --lambda-timeout) set_flag LAMBDA_TIMEOUT "$value" ;;
                --lambda-memory-size) set_flag LAMBDA_MEMORY_SIZE "$value" ;;
                --alarm-email) set_flag ALARM_EMAIL "$value" ;;
                --set)
                    case "$value" in
                        [A-Z]*=*) set_flag "${value%%=*}" "${value#*=}" ;;
                        *) fail "--set expects NAME=VALUE, got '$value'" "./setup-config.sh --help" ;;
                    esac
                    ;;
            esac
            ;;
        *) fail "unknown option $option" "./setup-config.sh --help" ;;
    esac
    shift
done

# Defaults are .env.example's values, except the account, which is an example only.
example_value() {
    local line
    while IFS= read -r line; do
        case "$line" in
            "$1="*)
                printf '%s' "${line#*=}"
                return 0
                ;;
        esac
    done <"$TEMPLATE"
}

default_value() {
    case "$1" in
        AWS_ACCOUNT_ID) printf '' ;;
        CLIENT) printf 'internal' ;;
        *) example_value "$1" ;;
    esac
}

# Flag, then (non-interactive only) a non-empty environment variable, then the default.
initial_value() {
    if has_flag "$1"; then
        flag_value "$1"
    elif [ "$INTERACTIVE" = false ] && [ -n "${!1-}" ]; then
        printf '%s' "${!1}"
    else
        default_value "$1"
    fi
}

for name in "${SETTINGS[@]}"; do
    printf -v "VALUE_$name" '%s' "$(initial_value "$name")"
done

value_of() {
    local variable="VALUE_$1"
    printf '%s' "${!variable}"
}

detect_account() {
    command -v aws >/dev/null 2>&1 || return 1
    local profile account
    profile="$(value_of AWS_PROFILE)"
    account="$(aws sts get-caller-identity --query Account --output text \
        ${profile:+--profile "$profile"} 2>/dev/null)" || return 1
    case "$account" in
        [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) printf '%s' "$account" ;;
        *) return 1 ;;
    esac
}

# Regions where the deployment's services (Lambda, DynamoDB, SQS, API Gateway) exist, as
# botocore lists them; tests/test_config_sources.py keeps this list equal to botocore's.
KNOWN_REGIONS="
    af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1
    ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5
    ap-southeast-6 ap-southeast-7 ca-central-1 ca-west-1 cn-north-1 cn-northwest-1 eu-central-1
    eu-central-2 eu-isoe-west-1 eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3
    eusc-de-east-1 il-central-1 me-central-1 me-south-1 mx-central-1 sa-east-1 us-east-1
    us-east-2 us-gov-east-1 us-gov-west-1 us-iso-east-1 us-iso-west-1 us-isob-east-1
    us-isob-west-1 us-isof-east-1 us-isof-south-1 us-west-1 us-west-2
"

# The other settings' types and bounds, as DeploymentConfig (mp4_small_analyser_cdk/config.py)
# declares them, so a wrong value is refused here rather than at `cdk synth`:
# NAME TYPE [MIN MAX | VALUES...]; ">x"/"<x" are exclusive bounds, "-" none; a "?" after the
# type allows an empty value. tests/test_config_sources.py keeps this table equal to the config.
SETTING_RULES="
RESULT_TTL_DAYS number 0 3650
LAMBDA_TIMEOUT integer 3 900
LAMBDA_MEMORY_SIZE integer 128 10240
LAMBDA_ARCHITECTURE enum arm64 x86_64
SUBMISSION_TIMEOUT integer 3 900
SUBMISSION_MEMORY_SIZE integer 128 10240
MAX_SYNC_FILES integer 0 -
SYNC_TIMEOUT number >0 <29
WORKER_TIMEOUT integer 10 900
WORKER_MEMORY_SIZE integer 128 10240
WORKER_BATCH_SIZE integer 1 10
WORKER_MAX_CONCURRENCY integer 2 1000
WORKER_RESERVED_CONCURRENCY integer? 1 -
ANALYSIS_EPHEMERAL_STORAGE_MB integer 512 10240
ANALYSIS_TIMEOUT number? >0 -
API_THROTTLE_RATE_LIMIT number >0 -
API_THROTTLE_BURST_LIMIT integer 1 -
API_QUOTA_PER_DAY integer? 1 -
CALLBACK_API_THROTTLE_RATE_LIMIT number >0 -
CALLBACK_API_THROTTLE_BURST_LIMIT integer 1 -
API_GATEWAY_CLOUDWATCH_ROLE boolean
ENABLE_TEST_ENDPOINTS boolean
CREATE_CALLBACK_SIGNING_SECRET boolean
LOG_LEVEL enum DEBUG INFO WARN ERROR
LOG_RETENTION_DAYS enum 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653
"

# What is wrong with VALUE for a setting of SETTING_RULES, or nothing.
rule_problem() {
    local name="$1" value="$2" line type low high
    line="$(printf '%s\n' "$SETTING_RULES" | grep "^$name " || true)"
    [ -n "$line" ] || return 0
    set -- $line
    type="$2"
    shift 2
    if [ "${type%\?}" != "$type" ]; then
        [ -z "$value" ] && return 0
        type="${type%\?}"
    fi
    case "$type" in
        boolean)
            check "${value,,}" '^(true|false|1|0|yes|no|on|off|t|f|y|n)$' || echo "true or false"
            return 0
            ;;
        enum)
            [[ " $* " == *" $value "* ]] || echo "one of: $*"
            return 0
            ;;
        integer) check "$value" '^-?[0-9]+$' || { echo "a whole number"; return 0; } ;;
        number) check "$value" '^-?[0-9]+(\.[0-9]+)?$' || { echo "a number"; return 0; } ;;
    esac
    low="$1" high="$2"
    if ! awk -v v="$value" -v low="$low" -v high="$high" 'BEGIN {
        ok = 1
        if (low ~ /^>/) { ok = ok && v > substr(low, 2) } else if (low != "-") { ok = ok && v >= low }
        if (high ~ /^</) { ok = ok && v < substr(high, 2) } else if (high != "-") { ok = ok && v <= high }
        exit !ok }'; then
        local above="at least $low" below="at most $high"
        [ "${low#>}" = "$low" ] || above="above ${low#>}"
        [ "${high#<}" = "$high" ] || below="below ${high#<}"
        [ "$low" != "-" ] || above=""
        [ "$high" != "-" ] || below=""
        echo "a value $above${above:+${below:+ and }}$below"
    fi
}

# What is wrong with VALUE for setting NAME, or nothing: used on each answer and on the
# whole file, so a bad answer is caught when it is given.
problem_with() {
    local name="$1" value="$2"
    case "$name" in
        AWS_ACCOUNT_ID)
            check "$value" '^[0-9]{12}$' ||
                echo "12 digits (no AWS CLI credentials to detect it: give --account-id)"
            ;;
        AWS_REGION)
            if ! check "$value" '^[a-z]{2,4}(-[a-z]+)+-[0-9]$'; then
                echo "a region such as eu-west-1"
            elif ! [[ " $(echo $KNOWN_REGIONS) " == *" $value "* ]]; then
                echo "not an AWS region; known regions: $(echo $KNOWN_REGIONS)"
            fi
            ;;
        ENVIRONMENT)
            check "$value" '^[a-z0-9][a-z0-9-]{0,19}$' || echo "lower-case letters, digits and dashes"
            ;;
        PROJECT_NAME)
            check "$value" '^[A-Za-z][A-Za-z0-9-]{0,29}$' ||
                echo "letters, digits and dashes, 30 at most"
            ;;
        DYNAMODB_TABLE_NAME)
            check "$value" '^[A-Za-z0-9_.-]{3,200}$' ||
                echo "3 to 200 letters, digits, dots, dashes or underscores"
            ;;
        API_GATEWAY_STAGE)
            check "$value" '^[A-Za-z0-9_]+$' || echo "letters, digits and underscores"
            ;;
        ALARM_EMAIL)
            [ -z "$value" ] || check "$value" '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' ||
                echo "an e-mail address, or empty for none"
            ;;
        *) rule_problem "$name" "$value" ;;
    esac
    # Values are written for both bash's `source` and python-dotenv: keep them free of quoting.
    check "$value" '^[^"'\''$`\\]*$' || echo "no quotes, \$, backquotes or backslashes"
}

check() {
    [[ "$1" =~ $2 ]]
}

# Asks until the answer is valid; the end of input (a closed terminal) stops the script.
ask() {
    local name="$1" question="$2" answer current problem
    if has_flag "$name"; then
        return 0
    fi
    while true; do
        current="$(value_of "$name")"
        answer=""
        if [ -n "$current" ]; then
            read -r -p "$question [$current]: " answer || fail "no answer for $name" \
                "answer every question, or use --non-interactive with flags"
        else
            read -r -p "$question: " answer || fail "no answer for $name" \
                "answer every question, or use --non-interactive with flags"
        fi
        [ -z "$answer" ] || printf -v "VALUE_$name" '%s' "$answer"
        problem="$(problem_with "$name" "$(value_of "$name")")"
        [ -n "$problem" ] || return 0
        echo "  ✗ $problem" >&2
        printf -v "VALUE_$name" '%s' "$current"
        [ -n "$answer" ] || printf -v "VALUE_$name" '%s' ""
    done
}

confirm() {
    local answer
    read -r -p "$1 [y/N]: " answer || answer=""
    case "$answer" in
        y | Y | yes | YES | o | O | oui) return 0 ;;
        *) return 1 ;;
    esac
}

# With the profile known, the AWS CLI (when installed) says which account it reaches.
fill_account() {
    local account
    if [ -z "$(value_of AWS_ACCOUNT_ID)" ] && account="$(detect_account)"; then
        printf -v VALUE_AWS_ACCOUNT_ID '%s' "$account"
        echo "Detected AWS account $account with the AWS CLI." >&2
    fi
}

if [ "$INTERACTIVE" = false ]; then
    fill_account
else
    echo "Configuration of the MP4 Small Analyser deployment (Enter keeps the value in brackets)"
    ask AWS_PROFILE "AWS profile"
    fill_account
    ask AWS_ACCOUNT_ID "AWS account ID (12 digits)"
    ask AWS_REGION "AWS region"
    ask PROJECT_NAME "Project name"
    ask ENVIRONMENT "Environment (dev, staging, prod)"
    ask CLIENT "Client (tag)"
    ask PROJECT "Project (tag)"
    if confirm "Configure advanced settings?"; then
        ask DYNAMODB_TABLE_NAME "DynamoDB table name (the environment is appended)"
        ask LAMBDA_TIMEOUT "Callback function timeout (seconds)"
        ask LAMBDA_MEMORY_SIZE "Callback function memory (MB)"
        ask LAMBDA_ARCHITECTURE "Lambda architecture (arm64 or x86_64)"
        ask WORKER_TIMEOUT "Worker timeout (seconds)"
        ask WORKER_MEMORY_SIZE "Worker memory (MB)"
        ask WORKER_MAX_CONCURRENCY "Concurrent workers at most"
        ask API_GATEWAY_STAGE "API Gateway stage"
        ask ALLOWED_S3_BUCKETS "S3 buckets the analyser may read (comma-separated)"
        ask ENABLE_TEST_ENDPOINTS "Enable /test endpoints (true or false)"
        ask ALARM_EMAIL "E-mail address for alarms (empty: none)"
        ask RESULT_TTL_DAYS "Days results are kept"
    fi
fi

# Every problem at once, so a CI run names each missing or wrong value in one go.
problems=()
for name in "${SETTINGS[@]}"; do
    problem="$(problem_with "$name" "$(value_of "$name")")"
    [ -z "$problem" ] || problems+=("$name='$(value_of "$name")': ${problem//$'\n'/; }")
done
if [ ${#problems[@]} -gt 0 ]; then
    for problem in "${problems[@]}"; do
        echo "❌ Error: $problem" >&2
    done
    echo "→ Solution: fix the values above (./setup-config.sh --help)" >&2
    exit 1
fi

if [ -e "$OUTPUT" ] && [ "$FORCE" = false ]; then
    if [ "$INTERACTIVE" = false ]; then
        fail "$OUTPUT already exists" "pass --force to overwrite it"
    fi
    confirm "$OUTPUT exists. Overwrite it?" || fail "$OUTPUT left unchanged" "run again and answer y"
fi

# .env.example with the chosen values, so the comments documenting each setting stay.
written="$(mktemp "${OUTPUT}.XXXXXX")"
trap 'rm -f "$written"' EXIT
while IFS= read -r line; do
    case "$line" in
        [A-Z]*=*)
            name="${line%%=*}"
            value="$(value_of "$name")"
            case "$value" in
                *[[:space:]]*) printf "%s='%s'\n" "$name" "$value" ;;
                *) printf '%s=%s\n' "$name" "$value" ;;
            esac
            ;;
        *) printf '%s\n' "$line" ;;
    esac
done <"$TEMPLATE" >"$written"
mv "$written" "$OUTPUT"
trap - EXIT

echo "✅ Configuration written to $OUTPUT"
echo "Next: ./cdk-with-config.sh bootstrap (once per account and region), then ./cdk-with-config.sh deploy --all"
