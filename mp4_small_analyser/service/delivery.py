"""Callback delivery: one attempt at a time, and the policy deciding on the next one.

Retries are not slept through here: the caller schedules the next attempt on
the queue with `RetryPolicy.delay_after`, so no worker waits out a backoff.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Protocol

import httpx

from mp4_small_analyser.analysis.sources.netguard import http_client, request_deadline
from mp4_small_analyser.errors import AnalysisError
from mp4_small_analyser.service.signing import SIGNATURE_HEADER, sign
from mp4_small_analyser.stores.records import CallbackMethod, StoredPayload, payload_json

ATTEMPT_HEADER = "X-Mp4-Analyser-Attempt"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay: float
    max_delay: float

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based): doubling, half jittered."""
        ceiling = self.ceiling(attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt `attempt`; the jitter takes up to half off."""
        return min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 64))

    def shortest_span(self) -> float:
        """Seconds from the first attempt to the last at the least: every wait jittered down."""
        return sum(self.ceiling(attempt) / 2 for attempt in range(1, self.max_attempts))


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool
    retryable: bool = False
    http_status: int | None = None
    error: str | None = None


class Sender(Protocol):
    def send(
        self, url: str, method: CallbackMethod, payload: StoredPayload, attempt: int
    ) -> AttemptOutcome: ...

    def close(self) -> None: ...


def encode_body(payload: StoredPayload) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload_json(payload), separators=(",", ":"), ensure_ascii=False).encode()


def is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class CallbackSender:
    """Sends callbacks through a guarded client: private targets refused unless allowed."""

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float,
        signing_secret: str | None,
        inbound_key: str | None = None,
        own_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._timeout = timeout
        self._secret = signing_secret
        self._inbound_key = inbound_key
        self._own_hosts = own_hosts
        # Redirects are not followed: a POST turned into a GET would lose the result.
        self._client = http_client(
            allow_private=allow_private, timeout=httpx.Timeout(timeout), follow_redirects=False
        )

    def send(
        self, url: str, method: CallbackMethod, payload: StoredPayload, attempt: int
    ) -> AttemptOutcome:
        body = encode_body(payload)
        headers = {"Content-Type": "application/json", ATTEMPT_HEADER: str(attempt)}
        if self._secret:
            target = httpx.URL(url)
            # `in1` only towards this service itself: a receiver elsewhere that got one
            # could relay it here claiming its own host (signing.py).
            host = target.netloc.decode("ascii").lower()
            key = self._inbound_key
            inbound = (key, host) if key is not None and host in self._own_hosts else None
            headers[SIGNATURE_HEADER] = sign(
                self._secret, method, target.path, body, inbound=inbound
            )
        try:
            with request_deadline(self._timeout):
                response = self._client.request(method, url, content=body, headers=headers)
        except AnalysisError as exc:
            return AttemptOutcome(delivered=False, error=exc.message)
        except httpx.TransportError as exc:
            return AttemptOutcome(
                delivered=False, retryable=True, error=f"{type(exc).__name__}: {exc}"
            )
        except httpx.HTTPError as exc:
            return AttemptOutcome(delivered=False, error=f"{type(exc).__name__}: {exc}")
        if response.is_success:
            return AttemptOutcome(delivered=True, http_status=response.status_code)
        return AttemptOutcome(
            delivered=False,
            retryable=is_retryable_status(response.status_code),
            http_status=response.status_code,
            error=f"HTTP {response.status_code} {response.reason_phrase}".strip(),
        )

    def close(self) -> None:
        self._client.close()
