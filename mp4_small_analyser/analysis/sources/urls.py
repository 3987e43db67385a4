"""The one place a URL is split: a malformed URL is INVALID_URL, never a ValueError.

`urllib.parse.urlsplit` raises ValueError on an unclosed IPv6 bracket
(`http://[::1`) or a bracketed host that is no IPv6 address, and `.port` on a
port that is not a number; unguarded, those surfaced as INTERNAL_ERROR from the
CLI and a 500 from the service. Messages quote at most `SHOWN_URL_CHARACTERS`
of the URL, so a 4 KiB host does not make a 4 KiB error.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from mp4_small_analyser.errors import AnalysisError, ErrorCode

SHOWN_URL_CHARACTERS = 120


def shown_url(url: str) -> str:
    """`url` quoted for a message, cut to a readable length."""
    if len(url) <= SHOWN_URL_CHARACTERS:
        return repr(url)
    return repr(url[:SHOWN_URL_CHARACTERS]) + f"… ({len(url)} characters)"


def split_url(url: str) -> SplitResult:
    """`urlsplit(url)`, its port checked; raises INVALID_URL when either fails."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsing the port is the check
    except ValueError as exc:
        raise AnalysisError(ErrorCode.INVALID_URL, f"Invalid URL {shown_url(url)}: {exc}") from exc
    return parts


def split_url_or_none(url: str) -> SplitResult | None:
    """The parts of a well-formed URL, or None: for callers that leave the refusal to others."""
    try:
        return split_url(url)
    except AnalysisError:
        return None
