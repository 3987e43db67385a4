"""Stable error codes and the one exception type that carries them.

Every failure a user can see maps to one `ErrorCode`; the code is the contract
(callers branch on it), the message is for humans and may change.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    DOWNLOAD_FAILED = "DOWNLOAD_FAILED"
    DOWNLOAD_TIMEOUT = "DOWNLOAD_TIMEOUT"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    INVALID_URL = "INVALID_URL"
    URL_NOT_ALLOWED = "URL_NOT_ALLOWED"
    EMPTY_FILE = "EMPTY_FILE"
    NOT_MP4 = "NOT_MP4"
    CORRUPT_FILE = "CORRUPT_FILE"
    NO_MEDIA_TRACKS = "NO_MEDIA_TRACKS"
    ANALYSIS_TIMEOUT = "ANALYSIS_TIMEOUT"
    INVALID_PROFILE = "INVALID_PROFILE"
    DECODER_CRASHED = "DECODER_CRASHED"
    """The process analysing the file died (a crash in a native decoder); it was replaced."""
    UNREADABLE_TASK = "UNREADABLE_TASK"
    """The queued task could not be read back (a malformed queue message): dead-lettered."""
    INTERNAL_ERROR = "INTERNAL_ERROR"


class AnalysisError(Exception):
    """A failure with a stable code and a sentence a user can act on."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"AnalysisError({self.code.value}, {self.message!r})"
