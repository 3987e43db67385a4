"""Logging for the service: text or one JSON object per line, with task and batch ids.

`task_context` binds `task_id`/`batch_id` for the code running a task; every
record logged meanwhile carries them, in both formats. Every line is redacted
(redaction.py): no URL password or signed-URL token is ever logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

from mp4_small_analyser.service.redaction import redact_text

_task_id: ContextVar[str | None] = ContextVar("task_id", default=None)
_batch_id: ContextVar[str | None] = ContextVar("batch_id", default=None)


@contextmanager
def task_context(task_id: str | None, batch_id: str | None) -> Iterator[None]:
    task_token, batch_token = _task_id.set(task_id), _batch_id.set(batch_id)
    try:
        yield
    finally:
        _task_id.reset(task_token)
        _batch_id.reset(batch_token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "task_id", None) is None:
            record.task_id = _task_id.get()
        if getattr(record, "batch_id", None) is None:
            record.batch_id = _batch_id.get()
        return True


class _RedactFilter(logging.Filter):
    """Secrets in URLs (userinfo, signed-URL parameters) never reach a log line: the message
    and the exception text are redacted before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage()), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("task_id", "batch_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [
            f"{key}={value}"
            for key in ("task_id", "batch_id")
            if (value := getattr(record, key, None)) is not None
        ]
        return f"{line} [{' '.join(ids)}]" if ids else line


def add_task_context(handler: logging.Handler) -> None:
    """Give the records `handler` emits their `task_id`/`batch_id` attributes and redact
    them (for a handler that formats them itself, like Lambda's JSON log handler)."""
    handler.addFilter(_ContextFilter())
    handler.addFilter(_RedactFilter())


class _WithoutTraceback(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        return self.formatMessage(record)


def configure_cli_logging() -> None:
    """`mp4-analyser analyse`: one line per warning, never a traceback (a file that cannot
    be analysed is a failed result, which says why)."""
    handler = logging.StreamHandler()
    handler.setFormatter(_WithoutTraceback("mp4-analyser: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def configure_logging(log_format: Literal["json", "text"], level: str = "INFO") -> None:
    """Send every logger (uvicorn's too) to stderr in the chosen format."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    add_task_context(handler)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # One line per outgoing request is noise; delivery outcomes are logged by the service.
    logging.getLogger("httpx").setLevel(logging.WARNING)
