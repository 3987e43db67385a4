"""What keeps the pages safe to show: the login by API key and the Content-Security-Policy.

With API_KEY set, the console asks for the key once and keeps a session in a
cookie: `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's form or
link sends it, so no cross-site request is signed in), and `Secure` when the request
came over HTTPS, directly or through a proxy saying so (`X-Forwarded-Proto: https`, as
API Gateway does): a browser drops a `Secure` cookie set over plain http, which would
leave `make run` on http://127.0.0.1 unable to sign in. The
cookie holds an expiry and an HMAC of it keyed by the API key, never the key:
changing the key signs everyone out. Scripts and exports may send `x-api-key`
instead. Form posts sent from another site are refused whatever the cookie
(`cross_site`): browsers say where a request comes from in `Sec-Fetch-Site`, or
else `Origin`, which must then name this host (the check of Go's
`http.CrossOriginProtection`); a request with neither is not a browser's.

The policy allows scripts, styles, fonts and fetches from the service itself
only, no inline script or style, no framing, and pictures from the service or
the thumbnail store's presigned URLs.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mp4_small_analyser.service.headers import API_KEY_HEADER
from mp4_small_analyser.settings import Settings

SESSION_COOKIE = "mp4a_session"
SESSION_SECONDS = 12 * 3600
FORM_TYPE = "application/x-www-form-urlencoded"
"""What the console's forms send; their posts take nothing else."""


def session_token(key: str, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    return f"{expires}.{_signature(key, expires)}"


def session_valid(key: str, token: str | None, now: float | None = None) -> bool:
    if not token:
        return False
    expires, _, signature = token.partition(".")
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(signature, _signature(key, int(expires)))


def _signature(key: str, expires: int) -> str:
    message = f"mp4-analyser console session until {expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def key_matches(settings: Settings, given: str) -> bool:
    expected = settings.api_key
    return expected is not None and hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    )


def signed_in(request: Request, settings: Settings) -> bool:
    """Whether the request may see the console: no key is set, or it carries the key
    (`x-api-key`) or a valid session cookie."""
    if settings.api_key is None:
        return True
    header = request.headers.get(API_KEY_HEADER)
    if header is not None and key_matches(settings, header):
        return True
    key = settings.api_key.get_secret_value()
    return session_valid(key, request.cookies.get(SESSION_COOKIE))


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (itself, or the proxy in front)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def cross_site(request: Request) -> bool:
    """Whether a browser sent this request from a page of another site (or origin)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host")


def content_security_policy(image_origin: str | None = None) -> str:
    images = " ".join(filter(None, ["'self'", "data:", image_origin]))
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Adds the policy and the usual hardening headers to every response. The policy is
    asked for at the first response (a presigned URL's origin needs credentials)."""

    def __init__(self, app: ASGIApp, policy: Callable[[], str]) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", self.policy())
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "same-origin")
                headers.setdefault("x-frame-options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)
