"""`mp4-analyser`: analyse files from the shell, run the service, submit batches.

Each subcommand lives in its own module and imports what it runs only when
chosen, so `analyse` never loads the web stack and `serve` never loads AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from mp4_small_analyser import __version__
from mp4_small_analyser.cli.analyse import add_analyse_command
from mp4_small_analyser.cli.judge import add_judge_command
from mp4_small_analyser.cli.profiles import add_profiles_command
from mp4_small_analyser.cli.service import add_service_commands
from mp4_small_analyser.models import task_result_json_schema


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mp4-analyser", description="Technical QC of MP4 files: local paths or URLs."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    add_analyse_command(commands)
    add_judge_command(commands)
    add_profiles_command(commands)
    add_service_commands(commands)
    schema = commands.add_parser(
        "schema", help="print the JSON Schema of a task result (the callback payload)"
    )
    schema.set_defaults(command=_schema)
    return parser


def _schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(task_result_json_schema(), indent=2) + "\n")
    return 0
