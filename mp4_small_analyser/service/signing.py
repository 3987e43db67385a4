"""Callback signatures: `X-Mp4-Analyser-Signature: t=<unix>,id=<delivery id>,v1=<hex>,v2=<hex>`.

`v2` is HMAC-SHA256(secret, "v2\\n<t>\\n<id>\\n<METHOD>\\n<path>\\n" + body): it binds the
body to the request it was sent with (method and URL path, percent-decoded, without the
query) and to a moment, so a captured callback cannot be replayed onto another task
(`/callback/{task_id}` takes its task from the path) nor, once its `id` has been seen, a
second time within the tolerance; outside it the timestamp refuses it.

Why not the Standard Webhooks scheme (`webhook-id`/`webhook-timestamp`/`webhook-signature`
over "id.timestamp.body"): it leaves method and path unsigned, which is exactly the replay
onto another task this signature must stop. `v2` keeps its good parts: a per-delivery `id`
to remember, a 5-minute tolerance, several signatures in one header while secrets rotate.

`v1` (HMAC over "<t>." + body) is still sent, for receivers written against it, and is no
longer accepted by this service's own receiver.

`in1` is what this service's own receiver accepts, and nothing else signed: every
receiver of our callbacks holds the key of `v1`/`v2` (it must, to check them), so any of
them could sign a forged result for another task onto `POST /callback/{task_id}`. `in1`
is HMAC-SHA256(inbound key, "in1\n<t>\n<id>\n<METHOD>\n<host>\n<path>\n" + body) with an
inbound key derived from API_KEY that is never sent and never derivable from the outgoing
key, over the full target (host and path): a receiver cannot make one. It is sent only to
the service's own hosts (`own_hosts`) and checked only for them, whatever `Host` header a
request claims: a receiver never sees one, so has none to relay.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from mp4_small_analyser.settings import Settings

SIGNATURE_HEADER = "X-Mp4-Analyser-Signature"
SCHEME = "v2"
INBOUND_SCHEME = "in1"
DEFAULT_TOLERANCE = 300.0
_API_KEY_DERIVATION = b"mp4-analyser callback signing v2"
_INBOUND_DERIVATION = b"mp4-analyser inbound callback in1"


Fields = dict[str, list[str]]


class SignatureError(ValueError):
    """The signature header is missing, malformed, wrong, stale or replayed."""


@dataclass(frozen=True)
class Signature:
    """A verified signature: when it was made and its MAC (unique to the delivery)."""

    timestamp: int
    mac: str


def own_hosts(settings: Settings) -> frozenset[str]:
    """The `host:port` names of this service (lower case): SERVICE_HOSTS (`serve` adds the
    address it listens on) and RESULTS_BASE_URL's, the only targets of an `in1`."""
    hosts = set(settings.service_hosts)
    if settings.results_base_url:
        hosts.add(urlsplit(settings.results_base_url).netloc)
    return frozenset(host.lower() for host in hosts if host)


def signing_key(settings: Settings) -> str | None:
    """The key callbacks are signed and checked with: CALLBACK_SIGNING_SECRET; without it, a
    key derived from API_KEY (so the service's callbacks to itself verify, and the API key
    itself is never sent anywhere); with neither, none (an open service)."""
    if settings.callback_signing_secret is not None:
        return settings.callback_signing_secret.get_secret_value()
    if settings.api_key is not None:
        api_key = settings.api_key.get_secret_value().encode()
        return hmac.new(api_key, _API_KEY_DERIVATION, hashlib.sha256).hexdigest()
    return None


def inbound_key(settings: Settings) -> str | None:
    """The key of `in1`, the only signature `POST /callback/{task_id}` accepts: derived from
    API_KEY with another label than `signing_key`'s, so knowing the outgoing key (as every
    receiver does) gives nothing towards it; without API_KEY, none."""
    if settings.api_key is None:
        return None
    api_key = settings.api_key.get_secret_value().encode()
    return hmac.new(api_key, _INBOUND_DERIVATION, hashlib.sha256).hexdigest()


def signed_content(timestamp: int, delivery_id: str, method: str, path: str, body: bytes) -> bytes:
    return f"{SCHEME}\n{timestamp}\n{delivery_id}\n{method.upper()}\n{path}\n".encode() + body


def inbound_content(
    timestamp: int, delivery_id: str, method: str, host: str, path: str, body: bytes
) -> bytes:
    target = f"{method.upper()}\n{host.lower()}\n{path}\n"
    return f"{INBOUND_SCHEME}\n{timestamp}\n{delivery_id}\n{target}".encode() + body


def sign(
    secret: str,
    method: str,
    path: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    delivery_id: str | None = None,
    inbound: tuple[str, str] | None = None,
) -> str:
    """The header value signing this request (now, with a fresh delivery id, by default);
    with `inbound` (the inbound key, the target's host), its `in1` value too."""
    t = int(time.time()) if timestamp is None else timestamp
    delivery = delivery_id or secrets.token_hex(12)
    v2 = _mac(secret, signed_content(t, delivery, method, path, body))
    v1 = _mac(secret, str(t).encode() + b"." + body)
    header = f"t={t},id={delivery},v1={v1},{SCHEME}={v2}"
    if inbound is not None:
        key, host = inbound
        in1 = _mac(key, inbound_content(t, delivery, method, host, path, body))
        header += f",{INBOUND_SCHEME}={in1}"
    return header


def verify(
    secret: str,
    method: str,
    path: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Signature:
    """The verified signature, or SignatureError unless a `v2` value of `header` signs this
    method, path and body with `secret` within `tolerance` seconds."""
    fields, t, delivery = _fields(header, tolerance, now)
    expected = _mac(secret, signed_content(t, delivery, method, path, body))
    missing = "v1 signatures do not cover the method and path and are no longer accepted"
    return _matching(fields, SCHEME, missing, expected, t, "method, path and body")


def verify_inbound(
    key: str,
    method: str,
    host: str,
    path: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Signature:
    """The verified `in1` signature of a callback received at `host` + `path`, or
    SignatureError (a `v2` alone is refused: any receiver of our callbacks can make one)."""
    fields, t, delivery = _fields(header, tolerance, now)
    expected = _mac(key, inbound_content(t, delivery, method, host, path, body))
    missing = "this service accepts only callbacks it signed for itself, or the x-api-key header"
    return _matching(fields, INBOUND_SCHEME, missing, expected, t, "method, URL and body")


def _fields(header: str | None, tolerance: float, now: float | None) -> tuple[Fields, int, str]:
    """The header's values by name, its timestamp (checked against `tolerance`) and its
    delivery id."""
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    fields: Fields = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        t = int(fields["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("signature has no valid t= timestamp") from None
    if abs((time.time() if now is None else now) - t) > tolerance:
        raise SignatureError("signature timestamp is outside the accepted window")
    return fields, t, fields.get("id", [""])[0]


def _matching(
    fields: Fields, scheme: str, missing: str, expected: str, t: int, covered: str
) -> Signature:
    if scheme not in fields:
        raise SignatureError(f"signature has no {scheme}= value ({missing})")
    # Several values allow a receiver to accept signatures while secrets rotate.
    for value in fields[scheme]:
        if hmac.compare_digest(expected, value):
            return Signature(timestamp=t, mac=expected)
    raise SignatureError(f"signature does not match this request's {covered}")


def _mac(secret: str, content: bytes) -> str:
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()
