"""Secrets in URLs: userinfo (`https://user:pass@host`) and signing parameters of signed URLs.

A pre-signed S3 URL stays valid for days; a password in a URL is a password. The worker
needs them to fetch the file (the queue message keeps the URL whole) and to send a
callback (the record's delivery keeps the callback URL whole); everything else, every
stored result, API answer and log line, shows `REDACTED` in their place.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mp4_small_analyser.stores.records import (
    StoredPayload,
    TaskRecord,
    payload_json,
    record_payload_adapter,
)

REDACTED = "REDACTED"
SECRET_PARAMETERS = frozenset(
    {
        "x-amz-signature", "x-amz-credential", "x-amz-security-token",
        "x-goog-signature", "x-goog-credential",
        "signature", "sig", "key", "api_key", "apikey", "x-api-key",
        "token", "access_token", "refresh_token", "id_token", "session_token",
        "auth", "authorization", "credential", "credentials",
        "password", "passwd", "secret", "client_secret",
    }
)  # fmt: skip
"""Query parameters (any case) whose values are credentials: AWS and Google Cloud signed
URLs, CloudFront (`Signature`), Azure SAS (`sig`), Google APIs (`key`), OAuth tokens and
the usual names. The one list: every answer, record, page and log line goes through
`redact_url`/`redact_text`/`redact_json` below."""

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>\\]+")
_USERINFO = re.compile(r"(?<=://)[^/?#@\s]*@")
_PARAMETER = re.compile(r"(?<=[?&;])([^=&#\s\"']+)=([^&#\s\"']*)")


def redact_url(url: str) -> str:
    """`url` with its userinfo and secret query values replaced by REDACTED."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = _PARAMETER.sub(_redact_parameter, "?" + parts.query)[1:] if parts.query else ""
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redact_text(text: str) -> str:
    """Free text (an error message, a log line) with every URL in it redacted, and secret
    parameters of query strings without a scheme (`POST /x?token=...` in access logs)."""
    text = _URL.sub(lambda match: _USERINFO.sub(f"{REDACTED}@", match.group(0)), text)
    return _PARAMETER.sub(_redact_parameter, text)


def redact_json(value: Any) -> Any:
    """A JSON value with every string in it passed through `redact_text`."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    return value


def _redact_parameter(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}={REDACTED}" if name.lower() in SECRET_PARAMETERS else match.group(0)


def redacted_payload(payload: StoredPayload) -> StoredPayload:
    """`payload` with every URL in it redacted."""
    return record_payload_adapter.validate_python(redact_json(payload_json(payload)))


def public_record(record: TaskRecord) -> TaskRecord:
    """A record as answers show it: file and callback URLs and the payload redacted (the
    store keeps the callback URL whole for its deliveries)."""
    update: dict[str, Any] = {}
    if record.file_url is not None:
        update["file_url"] = redact_url(record.file_url)
    if record.payload is not None:
        update["payload"] = redacted_payload(record.payload)
    if record.callback is not None:
        update["callback"] = record.callback.model_copy(
            update={"url": redact_url(record.callback.url)}
        )
    return record.model_copy(update=update)
