"""boto3 clients for the adapters, and the backoff of their batched requests.

Clients take region, credentials and endpoint (`AWS_ENDPOINT_URL`, as the tests
point them at moto) from the environment, as on Lambda. botocore's standard
retry mode retries throttling and transient errors of each call; the partial
failures of batched calls (unprocessed items, failed entries) are retried by
the adapters with `backoff_delays`.
"""

from __future__ import annotations

import contextvars
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
from botocore.config import Config

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
MAX_ATTEMPTS = 5
BATCH_RETRIES = 8
FIRST_BACKOFF = 0.05
LONGEST_BACKOFF = 2.0
PARALLEL_REQUESTS = 8

_Chunk = TypeVar("_Chunk")
_Result = TypeVar("_Result")


def aws_client(service: str) -> Any:
    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
    )
    return boto3.client(service, config=config)  # type: ignore[call-overload]


def backoff_delays(attempts: int = BATCH_RETRIES) -> Iterator[float]:
    """Seconds to sleep after each of `attempts` tries: doubling, jittered ("full jitter")."""
    for attempt in range(attempts):
        yield random.uniform(0, min(LONGEST_BACKOFF, FIRST_BACKOFF * 2**attempt))


def in_parallel(work: Callable[[_Chunk], _Result], chunks: list[_Chunk]) -> list[_Result]:
    """`work` on each chunk, a few requests at a time (boto3 clients are thread-safe);
    the first error is raised once every chunk has been tried. Each call runs in a copy
    of the caller's context, so log records keep their task and batch ids."""
    if len(chunks) <= 1:
        return [work(chunk) for chunk in chunks]
    calls = [(contextvars.copy_context(), chunk) for chunk in chunks]
    with ThreadPoolExecutor(min(PARALLEL_REQUESTS, len(chunks))) as pool:
        return list(pool.map(lambda call: call[0].run(work, call[1]), calls))
