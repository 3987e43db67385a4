"""The Lambda entry points the CDK stacks name: `mp4_small_analyser.aws.handlers.<role>_handler`.

- `submission_handler`, `callback_handler`: the service's FastAPI app (the
  same `create_app` as `mp4-analyser serve`) behind API Gateway REST proxy
  events, through Mangum. The submission function queues every batch on SQS
  (a sync one too, answered once the workers have stored its results); the
  callback function has no queue (QUEUE_BACKEND=none) and serves results.
- `worker_handler`: SQS events, each message through the local workers' task
  function; answers `{"batchItemFailures": [...]}`.

What a role needs is built on its first invocation and kept for the
container's life (settings, the signing secret, clients, the analysis process).
Each role imports only what it runs, hence the imports inside the builders.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import TYPE_CHECKING, Any

from mp4_small_analyser.aws.settings import lambda_settings
from mp4_small_analyser.service.logs import add_task_context, configure_logging
from mp4_small_analyser.settings import Settings

if TYPE_CHECKING:
    from mangum import Mangum
    from starlette.types import ASGIApp, Receive, Scope, Send

    from mp4_small_analyser.aws.worker import InvocationContext, SqsWorker

LAMBDA_LOG_FORMAT = "AWS_LAMBDA_LOG_FORMAT"
LAMBDA_LOG_LEVEL = "AWS_LAMBDA_LOG_LEVEL"


def submission_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST /mp4_small_analyser, POST /callback/{task_id}/redeliver,
    POST /callback/batch/{batch_id}/redeliver (API key checked by API Gateway's usage plan)."""
    return api_adapter()(event, context)


def callback_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST|GET /callback/{task_id}, GET /callback/batch/{batch_id}, /test/*."""
    return api_adapter()(event, context)


def worker_handler(event: dict[str, Any], context: InvocationContext) -> dict[str, Any]:
    """An SQS event: analyses and callback retries."""
    return dict(sqs_worker().handle(event, context))


@cache
def api_adapter() -> Mangum:
    from mangum import Mangum

    from mp4_small_analyser.composition import open_backends
    from mp4_small_analyser.service.app import create_app

    settings = lambda_settings()
    configure_lambda_logging(settings)
    # The app's lifespan starts nothing on Lambda (no local runtime): skip it.
    return Mangum(PublicPath(create_app(settings, open_backends(settings))), lifespan="off")


class PublicPath:
    """The app with each request's path as the client sent it (`/prod/callback/t1`), the
    API Gateway stage as the ASGI `root_path`, as the ASGI spec has it: a callback's
    signature covers the path its sender used, and Mangum gives the path without the stage.
    Routing is unchanged (Starlette routes on the path below `root_path`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            event = scope.get("aws.event") or {}
            public = (event.get("requestContext") or {}).get("path") or ""
            path = scope["path"]
            if public != path and public.endswith(path) and path.startswith("/"):
                scope = {**scope, "root_path": public[: -len(path)], "path": public}
        await self.app(scope, receive, send)


@cache
def sqs_worker() -> SqsWorker:
    from mp4_small_analyser.aws.worker import SqsWorker
    from mp4_small_analyser.composition import open_backends

    settings = lambda_settings()
    configure_lambda_logging(settings)
    return SqsWorker(settings, open_backends(settings))


def configure_lambda_logging(settings: Settings) -> None:
    """With Lambda's JSON log format, the runtime's own handler writes each record as
    one JSON object, its extra attributes included: it only needs `task_id` and
    `batch_id` added (formatting the record ourselves would nest JSON in its message).
    Elsewhere (text format, local runs) the service's own logging is set up."""
    root = logging.getLogger()
    if os.environ.get(LAMBDA_LOG_FORMAT, "").upper() == "JSON" and root.handlers:
        for handler in root.handlers:
            add_task_context(handler)
        # The runtime sets the level from the function's application log level, if any.
        if LAMBDA_LOG_LEVEL not in os.environ:
            root.setLevel(settings.log_level)
        logging.getLogger("httpx").setLevel(logging.WARNING)
    else:
        configure_logging(settings.log_format, settings.log_level)
