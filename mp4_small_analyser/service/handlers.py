"""One error body everywhere: `{"error", "error_code", "details"?}`, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from mp4_small_analyser.errors import ErrorCode
from mp4_small_analyser.service.errors import (
    ErrorDetail,
    ErrorResponse,
    ServiceError,
    ServiceErrorCode,
)
from mp4_small_analyser.service.json_body import field_path
from mp4_small_analyser.service.judging import PROFILE_TAGS
from mp4_small_analyser.service.schemas import SHAPE_TAGS

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    404: ServiceErrorCode.NOT_FOUND,
    405: ServiceErrorCode.METHOD_NOT_ALLOWED,
    413: ServiceErrorCode.REQUEST_TOO_LARGE,
}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    batch_id: str | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=message, error_code=code, details=details, batch_id=batch_id)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status_code)


def validation_details(errors: Any) -> list[ErrorDetail]:
    """Each error with its `loc` in the request's own terms: the body's fields as the request
    names them (no `body` prefix, no union tag), parameters as `query`/`path` + name."""
    details = []
    for error in errors:
        loc = _request_loc(tuple(error.get("loc", ())))
        details.append(
            ErrorDetail(
                loc=list(loc),
                field=field_path(loc),
                msg=error.get("msg", ""),
                type=error.get("type"),
            )
        )
    return details


def _request_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    parts = list(loc)
    if parts[:1] == ["body"]:
        parts = parts[1:]
        if parts[:1] and parts[0] in SHAPE_TAGS:
            parts = parts[1:]
    return tuple(
        part if isinstance(part, int) else str(part) for part in parts if part not in PROFILE_TAGS
    )


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.batch_id)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(exc.errors())
    if any(detail.type == "json_invalid" for detail in details):
        return error_response(
            400, ServiceErrorCode.INVALID_JSON, "Request body is not valid JSON", details
        )
    first = details[0] if details else ErrorDetail(field="", msg="invalid request")
    where = first.field
    message = f"Invalid request: {where + ': ' if where else ''}{first.msg}"
    return error_response(422, ServiceErrorCode.INVALID_REQUEST, message, details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, ServiceErrorCode.HTTP_ERROR)
    response = error_response(exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, ErrorCode.INTERNAL_ERROR, "Internal error; see the service log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
