"""Callback signatures: `X-Mp4-Analyser-Signature: t=<unix>,v1=<hex HMAC-SHA256>`.

The MAC covers `"<t>." + body`, so a receiver checks both who sent the body
and when; a signature older (or newer) than the tolerance is refused, which
bounds replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Mp4-Analyser-Signature"
DEFAULT_TOLERANCE = 300.0


class SignatureError(ValueError):
    """The signature header is missing, malformed, wrong or stale."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for `body` at `timestamp` (now by default)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_mac(secret, t, body)}"


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless `header` signs `body` with `secret` within `tolerance` s."""
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        t = int(fields["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("signature has no valid t= timestamp") from None
    if abs((time.time() if now is None else now) - t) > tolerance:
        raise SignatureError("signature timestamp is outside the accepted window")
    expected = _mac(secret, t, body)
    # Several v1 values allow a receiver to accept signatures while secrets rotate.
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise SignatureError("signature does not match the body")


def _mac(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
