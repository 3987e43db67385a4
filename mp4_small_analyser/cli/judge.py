"""`mp4-analyser judge RESULT.json --profile NAME|PATH`: judge saved results again, no decoding.

Reads what `analyse --json` wrote (an array of task results, or one), judges
each completed result against another profile from its stored fields alone and
prints the report or JSON. Failed results pass through as they are. Nothing
here imports the decoder: judging needs only the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from mp4_small_analyser.analysis.judging import FailOn, fails, judge_task
from mp4_small_analyser.cli.profiles import EXIT_INVALID, resolve
from mp4_small_analyser.cli.report import print_report, report_console
from mp4_small_analyser.models import CompletedResult, FailedResult, TaskResult

EXIT_GATE = 3
"""Exit status when a verdict trips `--fail-on` (1 stays "a file could not be analysed")."""

_results_adapter: TypeAdapter[list[CompletedResult | FailedResult]] = TypeAdapter(list[TaskResult])


def add_fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning"],
        help=f"exit {EXIT_GATE} when a verdict is fail (error) or fail or warn (warning)",
    )


def add_judge_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "judge",
        help="judge saved results against another profile (no decoding)",
        description="Judge task results saved by `analyse --json` against a QC profile, "
        "without reading the media again.",
    )
    parser.add_argument("results", type=Path, metavar="RESULT.json", help="'-' reads stdin")
    parser.add_argument("--profile", required=True, metavar="NAME|PATH", help="QC profile")
    parser.add_argument("--json", action="store_true", help="print a JSON array of task results")
    add_fail_on(parser)
    parser.set_defaults(command=_judge)


def _judge(args: argparse.Namespace) -> int:
    profile = resolve(args.profile, "judge")
    if profile is None:
        return EXIT_INVALID
    try:
        text = sys.stdin.read() if str(args.results) == "-" else args.results.read_text("utf-8")
        stored = _read(text)
    except (OSError, ValueError) as exc:
        print(f"mp4-analyser judge: {args.results}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    results = [judge_task(result, profile) for result in stored]
    if args.json:
        payload = [result.model_dump(mode="json") for result in results]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        print_report(report_console(), results)
    return exit_status(results, args.fail_on)


def exit_status(results: list[CompletedResult | FailedResult], fail_on: FailOn | None) -> int:
    """1 when a file could not be analysed, else `EXIT_GATE` when a verdict trips `fail_on`."""
    if any(isinstance(result, FailedResult) for result in results):
        return 1
    if fail_on is not None:
        for result in results:
            verdict = result.results.verdict if isinstance(result, CompletedResult) else None
            if verdict is not None and fails(verdict, fail_on):
                return EXIT_GATE
    return 0


def _read(text: str) -> list[CompletedResult | FailedResult]:
    try:
        value = json.loads(text)
        return _results_adapter.validate_python(value if isinstance(value, list) else [value])
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"not task results ({where}: {error['msg']})") from None
