"""Who may do what: the API key of submissions, and the credentials of received callbacks.

- Submissions, re-deliveries and the test endpoints need `x-api-key` when API_KEY is set;
  reads (results, batches, profiles, re-judging, thumbnails, the console's data) need it
  or the console's session. Only `/health` is open to all.
- A callback received on `POST /callback/{task_id}` needs, whenever the service has
  credentials, the API key or an `in1` signature (signing.py: keyed by a derivation of
  API_KEY no receiver holds, over the method, host, path and body; what the service's own
  callbacks to itself carry). The outgoing `v2` signature is never enough: every receiver
  of our callbacks can make one. With a signing secret but no API_KEY there is no key to
  check with, so callbacks are refused. A signature is accepted once: its MAC is claimed
  in the result store until its window closes, so a replay is refused in any process
  sharing the store.
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
    inbound_key,
    own_hosts,
    verify_inbound,
)
from mp4_small_analyser.service.web.security import signed_in
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


def require_reader(request: Request, context: Context) -> None:
    """Reads (results, batches, profiles, re-judging, thumbnails, the console's data) need,
    when API_KEY is set, what the console asks for: `x-api-key` or its session cookie."""
    if not signed_in(request, context.settings):
        raise ServiceError(
            401,
            ServiceErrorCode.UNAUTHORIZED,
            f"Missing or wrong {API_KEY_HEADER} header (or console session)",
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
    """Raise 401 unless this received callback carries the credentials the service asks for:
    none on an open service; else the API key, or an `in1` signature (signing.py)."""
    settings = context.settings
    key = inbound_key(settings)
    if key is None:
        if settings.callback_signing_secret is None:
            return
        raise ServiceError(
            401,
            ServiceErrorCode.UNAUTHORIZED,
            "This service receives callbacks only with API_KEY set: its callback signing "
            "secret is known to every receiver, so it cannot vouch for a callback",
        )
    if _api_key_matches(settings, request.headers.get(API_KEY_HEADER)):
        return
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None:
        raise ServiceError(
            401,
            ServiceErrorCode.UNAUTHORIZED,
            f"Receiving a callback needs the {API_KEY_HEADER} header or a "
            f"{SIGNATURE_HEADER} signature made by this service",
        )
    host = request.headers.get("host", "").lower()
    if host not in own_hosts(settings):
        # The Host header is the caller's to write: only our own names are checked, or a
        # receiver could present an `in1` made for itself under its own Host.
        raise ServiceError(
            401,
            ServiceErrorCode.INVALID_SIGNATURE,
            f"signature for host {host!r}, which is not one of this service's (SERVICE_HOSTS)",
        )
    try:
        signature = verify_inbound(key, request.method, host, request.url.path, body, header)
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
