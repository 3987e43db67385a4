"""HTTP(S) byte source: ranged reads through the bounded block cache of `block_cache`.

The first request is a ranged GET of block 0: its `Content-Range` gives the
size, so there is no HEAD round trip. A server that ignores `Range` (200) is
read once, whole, under the size cap: in memory up to `max_in_memory_body`,
then in a temporary file; every later read is served from that copy.

Every request goes through the `netguard` client (private targets refused when
`allow_private_urls` is off, on every connection and redirect) and is bounded
by `total_timeout` end to end. Later requests carry `If-Range` with the first
response's strong ETag, and every response's size and validators are compared
with the first: a file replaced mid-analysis fails instead of mixing versions.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx

from mp4_small_analyser.analysis.sources.block_cache import BlockCachedSource
from mp4_small_analyser.analysis.sources.netguard import (
    check_url_syntax,
    http_client,
    request_deadline,
)
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.options import SourceLimits

_CONTENT_RANGE = re.compile(
    r"^\s*bytes\s+(?:(?P<first>\d+)-(?P<last>\d+)|\*)\s*/\s*(?P<length>\d+|\*)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ContentRange:
    """A parsed `Content-Range`: `bytes first-last/length`, `bytes first-last/*` or `*/length`."""

    first: int | None
    last: int | None
    length: int | None


def parse_content_range(value: str) -> ContentRange | None:
    """Parse a byte `Content-Range` value; None when malformed or inconsistent."""
    match = _CONTENT_RANGE.match(value)
    if match is None:
        return None
    first = int(match["first"]) if match["first"] is not None else None
    last = int(match["last"]) if match["last"] is not None else None
    length = None if match["length"] == "*" else int(match["length"])
    if first is None and length is None:
        return None
    if (
        first is not None
        and last is not None
        and (first > last or (length is not None and last >= length))
    ):
        return None
    return ContentRange(first, last, length)


def _opaque_tag(etag: str) -> str:
    """The entity tag without its weakness flag (weak comparison, RFC 9110 8.8.3.2)."""
    return etag[2:] if etag.startswith("W/") else etag


class HttpSource(BlockCachedSource):
    """A remote file read with HTTP Range requests; see the module docstring."""

    def __init__(self, url: str, limits: SourceLimits | None = None) -> None:
        super().__init__(url, limits or SourceLimits())
        check_url_syntax(url)
        self._client = http_client(
            allow_private=self._limits.allow_private_urls,
            allowed_networks=self._limits.allowed_networks,
            timeout=httpx.Timeout(self._limits.read_timeout, connect=self._limits.connect_timeout),
            max_redirects=self._limits.max_redirects,
        )
        self._target = url
        self._etag: str | None = None
        self._last_modified: str | None = None
        self._body: IO[bytes] | None = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        super().close()
        self._client.close()
        if self._body is not None:
            self._body.close()
            self._body = None

    def prefetch_tail(self, offset: int) -> None:
        if self._body is None:
            super().prefetch_tail(offset)

    def _fetch(self, offset: int, size: int) -> bytes:
        if self._body is not None:
            self._body.seek(offset)
            return self._body.read(size)
        return super()._fetch(offset, size)

    def _open(self) -> None:
        asked_last = self._limits.block_size - 1
        with self._get(0, asked_last) as response:
            status = response.status_code
            if status == 206:
                content_range = self._content_range(response)
                if content_range.length is not None:
                    self._size = content_range.length
                    self._check_size()
                    self._expect_range(content_range, 0, min(asked_last, self._size - 1))
                    self._remember_validators(response)
                    data = self._read_exact(response, content_range)
                    self._store_blocks(0, data)
                    return
            elif status in (200, 203):
                self._load_whole(response)
                return
            elif status == 204:
                raise AnalysisError(ErrorCode.EMPTY_FILE, f"{self.url} is empty (HTTP 204)")
            elif status == 416 and self._unsatisfiable_length(response) in (0, None):
                # Only an empty resource cannot satisfy bytes=0-...
                raise AnalysisError(ErrorCode.EMPTY_FILE, f"{self.url} is empty (HTTP 416)")
            else:
                self._raise_for_status(response)
        # A 206 whose total length is unknown ("bytes 0-99/*") gives no size: read it whole.
        with self._get(0, None) as response:
            if response.status_code not in (200, 203):
                self._raise_for_status(response)
            self._load_whole(response)

    @staticmethod
    def _unsatisfiable_length(response: httpx.Response) -> int | None:
        """The length a 416 reports in `Content-Range: bytes */length`, if any."""
        parsed = parse_content_range(response.headers.get("Content-Range", ""))
        return parsed.length if parsed is not None else None

    def _fetch_range(self, start: int, end: int) -> bytes:
        with self._get(start, end, conditional=True) as response:
            status = response.status_code
            if status in (200, 203):
                raise self._changed("the server answered a range request with the whole file")
            if status == 416:
                raise self._changed("a range inside the file is no longer satisfiable")
            if status != 206:
                self._raise_for_status(response)
            content_range = self._content_range(response)
            if content_range.length != self._size:
                raise self._changed(f"its size went from {self._size} to {content_range.length}")
            self._expect_range(content_range, start, end)
            self._check_validators(response)
            return self._read_exact(response, content_range)

    @contextmanager
    def _get(
        self, first: int, last: int | None, *, conditional: bool = False
    ) -> Iterator[httpx.Response]:
        """Stream one GET (redirects followed), mapping transport failures to error codes."""
        headers = {"Accept-Encoding": "identity"}
        if last is not None:
            headers["Range"] = f"bytes={first}-{last}"
        if conditional and self._etag is not None and not self._etag.startswith("W/"):
            headers["If-Range"] = self._etag
        started = time.monotonic()
        self.requests += 1
        try:
            with (
                request_deadline(self._limits.total_timeout),
                self._client.stream("GET", self._target, headers=headers) as response,
            ):
                self.requests += len(response.history)
                self._target = str(response.url)
                try:
                    yield response
                finally:
                    self.bytes_read += response.num_bytes_downloaded + sum(
                        hop.num_bytes_downloaded for hop in response.history
                    )
        except httpx.TimeoutException as exc:
            raise self._timeout(exc, time.monotonic() - started) from None
        except httpx.TooManyRedirects:
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED,
                f"Too many redirects (more than {self._limits.max_redirects}) for {self.url}",
            ) from None
        except httpx.HTTPError as exc:
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED, f"Download of {self.url} failed: {exc}"
            ) from None

    def _timeout(self, exc: httpx.TimeoutException, elapsed: float) -> AnalysisError:
        limits = self._limits
        # Socket timeouts fire a hair early; the deadline is what cut a slow request.
        if elapsed >= limits.total_timeout * 0.99:
            detail = f"the request took longer than {limits.total_timeout:g} s"
        elif isinstance(exc, httpx.ConnectTimeout):
            detail = f"no connection within {limits.connect_timeout:g} s"
        else:
            detail = f"no data from the server for {limits.read_timeout:g} s"
        return AnalysisError(
            ErrorCode.DOWNLOAD_TIMEOUT, f"Timed out downloading {self.url}: {detail}"
        )

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        summary = f"HTTP {status} {response.reason_phrase}".rstrip()
        if status in (404, 410):
            raise AnalysisError(ErrorCode.FILE_NOT_FOUND, f"{summary} for {self.url}")
        if 300 <= status < 400 and status != 304:
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED, f"{summary} without a usable Location for {self.url}"
            )
        raise AnalysisError(ErrorCode.DOWNLOAD_FAILED, f"Unexpected {summary} for {self.url}")

    def _content_range(self, response: httpx.Response) -> ContentRange:
        value = response.headers.get("Content-Range")
        parsed = parse_content_range(value) if value is not None else None
        if parsed is None or parsed.first is None:
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED,
                f"Invalid Content-Range {value!r} in a 206 response for {self.url}",
            )
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED,
                f"The server sent a {encoding}-encoded byte range for {self.url}",
            )
        return parsed

    def _expect_range(self, content_range: ContentRange, first: int, last: int) -> None:
        if (content_range.first, content_range.last) != (first, last):
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED,
                f"Asked bytes {first}-{last} of {self.url}, the server sent "
                f"{content_range.first}-{content_range.last}",
            )

    def _check_size(self) -> None:
        if self._size > self._limits.max_file_size:
            raise AnalysisError(
                ErrorCode.FILE_TOO_LARGE,
                f"{self.url} is {self._size} bytes, over the limit of {self._limits.max_file_size}",
            )

    def _read_exact(self, response: httpx.Response, content_range: ContentRange) -> bytes:
        assert content_range.first is not None and content_range.last is not None
        expected = content_range.last - content_range.first + 1
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.strip() != str(expected):
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED,
                f"Content-Length {declared} does not match Content-Range "
                f"{content_range.first}-{content_range.last} for {self.url}",
            )
        data = bytearray()
        for chunk in response.iter_raw():
            data += chunk
            if len(data) > expected:
                break
        if len(data) != expected:
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED,
                f"Expected {expected} bytes from {self.url}, received "
                f"{'more' if len(data) > expected else len(data)}",
            )
        return bytes(data)

    def _load_whole(self, response: httpx.Response) -> None:
        """Read a full (200) body under the size cap and serve every later read from it."""
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.strip().isdigit():
            self._size = int(declared)
            self._check_size()
            if self._size == 0:
                raise AnalysisError(ErrorCode.EMPTY_FILE, f"{self.url} is empty")
        # Owned by the source and closed in close(), not by a with-block.
        body: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=self._limits.max_in_memory_body
        )
        self._body = body
        received = 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > self._limits.max_file_size:
                raise AnalysisError(
                    ErrorCode.FILE_TOO_LARGE,
                    f"{self.url} is over the limit of {self._limits.max_file_size} bytes",
                )
            body.write(chunk)
        if received == 0:
            raise AnalysisError(ErrorCode.EMPTY_FILE, f"{self.url} is empty")
        self._size = received

    def _remember_validators(self, response: httpx.Response) -> None:
        self._etag = response.headers.get("ETag")
        self._last_modified = response.headers.get("Last-Modified")

    def _check_validators(self, response: httpx.Response) -> None:
        etag = response.headers.get("ETag")
        if self._etag is not None and etag is not None:
            if _opaque_tag(etag) != _opaque_tag(self._etag):
                raise self._changed(f"its ETag went from {self._etag} to {etag}")
            return
        last_modified = response.headers.get("Last-Modified")
        if self._last_modified is not None and last_modified not in (None, self._last_modified):
            raise self._changed(
                f"its Last-Modified went from {self._last_modified} to {last_modified}"
            )

    def _changed(self, detail: str) -> AnalysisError:
        return AnalysisError(
            ErrorCode.DOWNLOAD_FAILED, f"{self.url} changed while reading: {detail}"
        )
