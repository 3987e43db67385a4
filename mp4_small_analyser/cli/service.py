"""The `serve` and `submit` subcommands of `mp4-analyser` (service code imported on use).

`serve` is an entry point: it picks the backends (`composition`) and hands them
to the runtime-neutral service.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mp4_small_analyser.settings import Settings

DEFAULT_SERVER = "http://127.0.0.1:8000"


def add_service_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the analysis service (API + local workers)",
        description="Run the HTTP API with local workers and a SQLite store. Settings come "
        "from the environment (see docs/service.md); these flags override them. Test "
        "endpoints are off unless --enable-test-endpoints (or ENABLE_TEST_ENDPOINTS).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port (default: 8000)")
    serve.add_argument("--db", type=Path, metavar="PATH", help="SQLite file (DATABASE_PATH)")
    serve.add_argument("--workers", type=int, metavar="N", help="analysis processes (WORKERS)")
    serve.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="accept file and callback URLs on loopback/private networks (ALLOW_PRIVATE_URLS)",
    )
    serve.add_argument(
        "--enable-test-endpoints",
        action="store_true",
        help="GET /test/results and POST /test/simulate, for local use (ENABLE_TEST_ENDPOINTS)",
    )
    serve.add_argument(
        "--samples",
        type=Path,
        metavar="DIR",
        help="serve DIR read-only at /samples/ to try the service on its sample media "
        "(SAMPLE_MEDIA_DIR; make run: var/samples)",
    )
    serve.set_defaults(command=_serve)

    submit = commands.add_parser(
        "submit",
        help="submit a batch file to a running service",
        description="POST a batch (JSON, either request shape) to the service and print "
        "its answer. With --wait, wait for an async batch and print its results.",
    )
    submit.add_argument("batch", type=Path, metavar="BATCH.json")
    _add_server_options(submit)
    submit.add_argument("--wait", action="store_true", help="wait for results, print them")
    submit.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="give up after this long, waiting included (default: %(default)s)",
    )
    submit.set_defaults(command=_submit)

    redeliver = commands.add_parser(
        "redeliver",
        help="send again the callbacks that ended failed, of a task or a batch",
        description="Ask the service to send again the callbacks whose delivery ended failed "
        "(every attempt spent): one task's, or every one of a batch.",
    )
    target = redeliver.add_mutually_exclusive_group(required=True)
    target.add_argument("task_id", nargs="?", metavar="TASK_ID")
    target.add_argument("--batch", metavar="BATCH_ID", help="every failed callback of a batch")
    _add_server_options(redeliver)
    redeliver.set_defaults(command=_redeliver)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    """--server and --api-key: which service a client command talks to, with which key."""
    parser.add_argument(
        "--server",
        default=os.environ.get("MP4_ANALYSER_SERVER", DEFAULT_SERVER),
        help="service URL (default: $MP4_ANALYSER_SERVER or %(default)s)",
    )
    parser.add_argument("--api-key", default=os.environ.get("API_KEY"), help="x-api-key value")


def _serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from mp4_small_analyser.composition import open_backends
    from mp4_small_analyser.service.serve import serve
    from mp4_small_analyser.settings import Settings

    overrides: dict[str, object] = {}
    if args.db is not None:
        overrides["database_path"] = args.db
    if args.workers is not None:
        overrides["workers"] = args.workers
    if args.allow_private_urls:
        overrides["allow_private_urls"] = True
    if args.enable_test_endpoints:
        overrides["enable_test_endpoints"] = True
    if args.samples is not None:
        if not args.samples.is_dir():
            print(
                f"mp4-analyser serve: error: --samples: no folder {args.samples}", file=sys.stderr
            )
            return 2
        overrides["sample_media_dir"] = args.samples
    try:
        settings = Settings.model_validate(overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]).upper()
        # Errors of a combination (TABLE_NAME missing for STORE_BACKEND=dynamodb) name no field.
        message = error["msg"] if where else error["msg"].removeprefix("Value error, ")
        print(f"mp4-analyser serve: error: {where or 'settings'}: {message}", file=sys.stderr)
        return 2
    if problems := _profile_problems(settings):
        print(
            f"mp4-analyser serve: error: QC profiles in PROFILES_DIR:\n{problems}", file=sys.stderr
        )
        return 2
    if settings.queue_backend != "sqlite":
        # Local workers consume analyses and callback retries from two queues; SQS's one
        # queue carries both, for the Lambda worker.
        print("mp4-analyser serve: local workers need QUEUE_BACKEND=sqlite", file=sys.stderr)
        return 1
    return serve(settings, open_backends(settings), host=args.host, port=args.port)


def _profile_problems(settings: Settings) -> str:
    from mp4_small_analyser.analysis.judging import ProfileLibrary

    return "\n".join(f"  {issue}" for issue in ProfileLibrary(settings.profiles_dir).problems())


def _submit(args: argparse.Namespace) -> int:
    from mp4_small_analyser.service.client import submit

    return submit(
        args.batch, server=args.server, api_key=args.api_key, wait=args.wait, timeout=args.timeout
    )


def _redeliver(args: argparse.Namespace) -> int:
    from mp4_small_analyser.service.client import redeliver

    return redeliver(args.task_id, args.batch, server=args.server, api_key=args.api_key)
