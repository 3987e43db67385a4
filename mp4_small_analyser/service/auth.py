"""Who may do what: the API key of submissions, and the credentials of received callbacks.

- Submissions, re-deliveries and the test endpoints need `x-api-key` when API_KEY is set.
- A callback received on `POST /callback/{task_id}` needs, whenever the service has
  credentials: a valid `v2` signature (signing.py) when CALLBACK_SIGNING_SECRET is set;
  with only API_KEY, the API key or a signature made with a key derived from it (what the
  service's own callbacks to itself carry). A signature is accepted once: its MAC is
  claimed in the result store until its window closes, so a replay is refused in any
  process sharing the store.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

from mp4_small_analyser.service.context import Context, ServiceContext
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.headers import API_KEY_HEADER
from mp4_small_analyser.service.signing import (
    DEFAULT_TOLERANCE,
    SIGNATURE_HEADER,
    SignatureError,
    signing_key,
    verify,
)
from mp4_small_analyser.settings import Settings

_api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)
REPLAY_MARGIN = 60.0
"""Seconds a used signature is remembered beyond its window (clock skew between processes)."""


def require_api_key(
    context: Context, given: Annotated[str | None, Security(_api_key_header)]
) -> None:
    if not _api_key_matches(context.settings, given):
        raise ServiceError(
            401, ServiceErrorCode.UNAUTHORIZED, f"Missing or wrong {API_KEY_HEADER} header"
        )


def _api_key_matches(settings: Settings, given: str | None) -> bool:
    expected = settings.api_key
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    )


async def require_callback_credentials(
    request: Request, context: ServiceContext, body: bytes
) -> None:
    """Raise 401 unless this received callback carries the credentials the service asks for."""
    settings = context.settings
    key = signing_key(settings)
    if key is None:
        return
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None and settings.callback_signing_secret is None:
        if _api_key_matches(settings, request.headers.get(API_KEY_HEADER)):
            return
        raise ServiceError(
            401,
            ServiceErrorCode.UNAUTHORIZED,
            f"Receiving a callback needs the {API_KEY_HEADER} header or a "
            f"{SIGNATURE_HEADER} signature",
        )
    try:
        signature = verify(key, request.method, request.url.path, body, header)
    except SignatureError as exc:
        raise ServiceError(401, ServiceErrorCode.INVALID_SIGNATURE, str(exc)) from None
    expires = signature.timestamp + DEFAULT_TOLERANCE + REPLAY_MARGIN
    first_use = await run_in_threadpool(
        context.backends.store.claim_nonce, f"signature:{signature.mac}", expires
    )
    if not first_use:
        raise ServiceError(
            401, ServiceErrorCode.INVALID_SIGNATURE, "signature already used (a replay)"
        )
