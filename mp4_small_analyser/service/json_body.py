"""Request bodies: JSON only, parsed once, and nothing in them that breaks a later step.

Python's parser accepts what no later step should see: `NaN`, `Infinity` and
`1e999` (stored as `null`, a queue message holding one could never be read
back), integers of thousands of digits (Python refuses to convert them, a
`ValueError`), nesting thousands of levels deep (`RecursionError`; DynamoDB
refuses more than 32 levels), and lone UTF-16 surrogates (no UTF-8 encoding,
so no store could write them). `parse_json` turns each into a clear answer
instead of a 500: 400 `INVALID_JSON` for a body that is not usable JSON, 422
`INVALID_REQUEST` naming the field of a number that is not finite.

`JsonRoute` applies it to every request with a body on the routers that use it,
and answers 415 to a body sent with another content type (`curl -d` sends a
form), naming the type; a body without any content type is taken as JSON.
"""

from __future__ import annotations

import email.message
import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from mp4_small_analyser.service.errors import ErrorDetail, ServiceError, ServiceErrorCode
from mp4_small_analyser.service.web.security import cross_site

MAX_JSON_DEPTH = 20
"""Deepest nesting of objects and arrays in a body (a task result nests 5 levels)."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

Location = tuple[str | int, ...]


def parse_json(raw: bytes) -> Any:
    """The JSON value of `raw`, or ServiceError (400 INVALID_JSON, 422 INVALID_REQUEST)."""
    if not raw.strip():
        raise _invalid_json("The request body is empty; send a JSON object")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _invalid_json(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        # JSONDecodeError is a ValueError, as is an integer of more than 4300 digits.
        raise _invalid_json(f"Request body is not valid JSON: {exc}") from None
    _check_values(value)
    return value


def _check_values(value: Any) -> None:
    """Walk the value iteratively (a recursive walk is what must not overflow)."""
    pending: list[tuple[Any, Location, int]] = [(value, (), 0)]
    while pending:
        item, loc, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _invalid_json(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str):
                    _check_text(key, loc)
                pending.append((child, (*loc, key), depth + 1))
        elif isinstance(item, float) and not math.isfinite(item):
            raise ServiceError(
                422,
                ServiceErrorCode.INVALID_REQUEST,
                f"Invalid request: {field_path(loc) or 'body'}: numbers must be finite "
                "(no NaN, Infinity or values beyond ±1.8e308)",
                details=[ErrorDetail(loc=list(loc), msg="Input should be a finite number")],
            )
        elif isinstance(item, str):
            _check_text(item, loc)


def _check_text(text: str, loc: Location) -> None:
    try:
        text.encode()
    except UnicodeEncodeError:
        where = field_path(loc) or "body"
        raise _invalid_json(f"{where}: a string holds a lone UTF-16 surrogate") from None


def field_path(loc: Location) -> str:
    """`mp4_small_analyser[0].file_url`: a location as the request writes it."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _invalid_json(message: str) -> ServiceError:
    return ServiceError(400, ServiceErrorCode.INVALID_JSON, message)


def check_content_type(content_type: str | None) -> None:
    """Refuse (415) a body whose declared type is not JSON, or that declares none."""
    if not content_type:
        raise ServiceError(
            415,
            ServiceErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "The body is sent without a content type: send it with "
            "'Content-Type: application/json'",
        )
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    if message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    ):
        return
    raise ServiceError(
        415,
        ServiceErrorCode.UNSUPPORTED_MEDIA_TYPE,
        f"The body is sent as {content_type!r}, not JSON: send it with "
        "'Content-Type: application/json' (curl: -H 'Content-Type: application/json')",
    )


class JsonRequest(Request):
    """A request whose `json()` is `parse_json` of its body, parsed once."""

    _parsed: Any

    async def json(self) -> Any:
        if not hasattr(self, "_parsed"):
            self._parsed = parse_json(await self.body())
        return self._parsed


class JsonRoute(APIRoute):
    """Checks the content type and parses the body before FastAPI reads it, so a bad body
    gets this module's answers (FastAPI's own would be 400 HTTP_ERROR or a 500)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        expects_body = self.body_field is not None

        async def handler(request: Request) -> Response:
            json_request = JsonRequest(request.scope, request.receive)
            if request.method in BODY_METHODS and cross_site(request):
                raise ServiceError(
                    403,
                    ServiceErrorCode.CROSS_SITE_REQUEST,
                    "Refused: a browser sent this request from a page of another site",
                )
            if request.method in BODY_METHODS:
                body = await json_request.body()
                if body or expects_body:
                    check_content_type(request.headers.get("content-type"))
                    await json_request.json()
            return await handle(json_request)

        return handler
