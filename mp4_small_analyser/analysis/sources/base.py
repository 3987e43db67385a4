"""Byte sources: one file-like interface over local files and remote objects.

PyAV reads through `read`/`seek`/`tell`, the box reader through `read_at`;
both share the counters `bytes_read` (bytes fetched from the backing store)
and `requests` (reads or HTTP requests issued), which the result reports.
Subclasses implement only `_fetch(offset, size)`; the cursor lives here.
"""

from __future__ import annotations

import io
import os
import stat
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote

from mp4_small_analyser.analysis.sources.urls import shown_url, split_url
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.options import SourceLimits


class ByteSource(ABC):
    """A seekable, read-only view of `size` bytes, named by `url`."""

    url: str
    bytes_read: int
    requests: int

    def __init__(self, url: str) -> None:
        self.url = url
        self.bytes_read = 0
        self.requests = 0
        self._pos = 0

    @property
    @abstractmethod
    def size(self) -> int: ...

    @abstractmethod
    def _fetch(self, offset: int, size: int) -> bytes:
        """Return up to `size` bytes at `offset`; `offset + size <= self.size` holds."""

    def read_at(self, offset: int, size: int) -> bytes:
        """Read without moving the cursor; short only at the end of the source."""
        if offset < 0 or size < 0:
            raise ValueError("negative offset or size")
        size = min(size, self.size - offset)
        if size <= 0:
            return b""
        return self._fetch(offset, size)

    def prefetch_tail(self, offset: int) -> None:  # noqa: B027 - local reads need no hint
        """A hint that what follows `offset` (boxes after the media data) will be read next;
        remote sources fetch it in one request when it is small."""

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._pos
        data = self.read_at(self._pos, size)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self.size + offset
        else:
            raise ValueError(f"unsupported whence {whence}")
        if target < 0:
            raise ValueError("seek before start of source")
        self._pos = target
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:  # noqa: B027 - sources without resources need nothing
        pass

    def __enter__(self) -> ByteSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LocalFileSource(ByteSource):
    """A local file read with positional reads (no shared cursor in the OS)."""

    def __init__(self, path: str | Path, limits: SourceLimits | None = None) -> None:
        super().__init__(str(path))
        limits = limits or SourceLimits()
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise AnalysisError(ErrorCode.FILE_NOT_FOUND, f"No such file: {path}") from None
        except OSError as exc:
            raise AnalysisError(
                ErrorCode.FILE_NOT_FOUND, f"Cannot open {path}: {exc.strerror}"
            ) from None
        info = os.fstat(self._fd)
        if stat.S_ISDIR(info.st_mode):
            self.close()
            raise AnalysisError(ErrorCode.FILE_NOT_FOUND, f"Is a directory: {path}")
        self._size = info.st_size
        if self._size > limits.max_file_size:
            self.close()
            raise AnalysisError(
                ErrorCode.FILE_TOO_LARGE,
                f"File is {self._size} bytes, over the limit of {limits.max_file_size}",
            )

    @property
    def size(self) -> int:
        return self._size

    def _fetch(self, offset: int, size: int) -> bytes:
        data = os.pread(self._fd, size, offset)
        self.bytes_read += len(data)
        self.requests += 1
        return data

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def open_source(url: str, limits: SourceLimits | None = None) -> ByteSource:
    """Open a path, file:// URL, http(s):// URL or s3://bucket/key."""
    limits = limits or SourceLimits()
    if not url or not url.strip():
        raise AnalysisError(ErrorCode.INVALID_URL, "Empty file URL")
    parts = split_url(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        from mp4_small_analyser.analysis.sources.http import HttpSource

        http_source: ByteSource = HttpSource(url, limits)
        return http_source
    if scheme == "s3":
        from mp4_small_analyser.analysis.sources.s3 import S3Source

        s3_source: ByteSource = S3Source(url, limits)
        return s3_source
    if scheme == "file":
        return LocalFileSource(unquote(parts.path), limits)
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        return LocalFileSource(url, limits)
    raise AnalysisError(
        ErrorCode.INVALID_URL, f"Unsupported URL scheme {scheme!r} in {shown_url(url)}"
    )
