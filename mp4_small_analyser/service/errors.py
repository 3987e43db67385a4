"""Errors the API answers with: an HTTP status, a stable `error_code`, a sentence."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from mp4_small_analyser.errors import ErrorCode


class ServiceErrorCode(StrEnum):
    INVALID_JSON = "INVALID_JSON"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    INVALID_REQUEST = "INVALID_REQUEST"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    TOO_MANY_FILES = "TOO_MANY_FILES"
    SYNC_LIMIT_EXCEEDED = "SYNC_LIMIT_EXCEEDED"
    SYNC_TIMEOUT = "SYNC_TIMEOUT"
    DUPLICATE_TASK_ID = "DUPLICATE_TASK_ID"
    TASK_ID_CONFLICT = "TASK_ID_CONFLICT"
    CALLBACK_NOT_FAILED = "CALLBACK_NOT_FAILED"
    CONFLICTING_BATCH_ID = "CONFLICTING_BATCH_ID"
    INVALID_URL = ErrorCode.INVALID_URL.value
    URL_NOT_ALLOWED = ErrorCode.URL_NOT_ALLOWED.value
    UNAUTHORIZED = "UNAUTHORIZED"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    CROSS_SITE_REQUEST = "CROSS_SITE_REQUEST"
    NOT_FOUND = "NOT_FOUND"
    INVALID_TOKEN = "INVALID_TOKEN"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    QUEUE_UNAVAILABLE = "QUEUE_UNAVAILABLE"
    INVALID_PROFILE = ErrorCode.INVALID_PROFILE.value
    TASK_NOT_COMPLETED = "TASK_NOT_COMPLETED"
    HTTP_ERROR = "HTTP_ERROR"


class ErrorDetail(BaseModel):
    """One problem behind an error answer, in the request's own terms. Which keys it has
    depends on the problem; keys left None are not sent."""

    model_config = ConfigDict(extra="forbid")

    loc: list[str | int] | str | None = Field(
        None, description="Where the problem is: path items, or a profile's dotted place."
    )
    field: str | None = Field(None, description="`loc` as the request names it.")
    msg: str | None = None
    type: str | None = Field(None, description="Kind of a validation problem.")
    error_code: str | None = Field(None, description="Stable code of this problem.")
    task_id: str | None = Field(None, description="The task id the problem is about.")


class ErrorResponse(BaseModel):
    """Every error body: `{"error", "error_code", "details"?, "batch_id"?}`."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="A human sentence; may change between versions.")
    error_code: str = Field(description="Stable code (docs/service.md lists them).")
    details: list[ErrorDetail] | None = None
    batch_id: str | None = None


class ServiceError(Exception):
    def __init__(
        self,
        status_code: int,
        code: ServiceErrorCode,
        message: str,
        *,
        details: list[ErrorDetail] | None = None,
        batch_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.batch_id = batch_id
