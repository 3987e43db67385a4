"""Request body cap (MAX_REQUEST_BYTES), on the declared length and on the bytes received.

Starlette's own limiter answers plain text; this one answers like every other
error of the API.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mp4_small_analyser.service.errors import ServiceErrorCode
from mp4_small_analyser.service.handlers import error_response


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the body read: FastAPI hands HTTPExceptions to the
                    # app's handlers, which answer with the same JSON as below.
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"Request body is larger than {self.max_bytes} bytes (MAX_REQUEST_BYTES)"

    def _too_large(self) -> ASGIApp:
        return error_response(413, ServiceErrorCode.REQUEST_TOO_LARGE, self._message())
