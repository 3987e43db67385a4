"""The optional API key of submissions (`x-api-key`, setting API_KEY)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Security
from fastapi.security import APIKeyHeader

from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode

_api_key_header = APIKeyHeader(name="x-api-key", auto_error=False)


def require_api_key(
    context: Context, given: Annotated[str | None, Security(_api_key_header)]
) -> None:
    expected = context.settings.api_key
    if expected is None:
        return
    if given is None or not hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    ):
        raise ServiceError(401, ServiceErrorCode.UNAUTHORIZED, "Missing or wrong x-api-key header")
