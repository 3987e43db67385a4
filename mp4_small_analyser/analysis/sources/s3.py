"""s3://bucket/key byte source: ranged GetObject through the shared block cache.

The first request (`Range: bytes=0-…`) gives the size from its ContentRange,
like the HTTP source; later requests carry `IfMatch` with the first ETag, so
an object overwritten mid-analysis fails instead of mixing versions. boto3 is
imported lazily: it is in the `aws` extra, not needed for local use.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from mp4_small_analyser.analysis.sources.block_cache import BlockCachedSource
from mp4_small_analyser.analysis.sources.urls import shown_url, split_url
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.options import SourceLimits

_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}
_CHANGED = {"PreconditionFailed", "412"}


def parse_s3_url(url: str) -> tuple[str, str]:
    parts = split_url(url)
    bucket, key = parts.netloc, unquote(parts.path.lstrip("/"))
    if parts.scheme.lower() != "s3" or not bucket or not key:
        raise AnalysisError(
            ErrorCode.INVALID_URL, f"Expected s3://bucket/key, got {shown_url(url)}"
        )
    return bucket, key


class S3Source(BlockCachedSource):
    def __init__(self, url: str, limits: SourceLimits | None = None, client: Any = None) -> None:
        super().__init__(url, limits or SourceLimits())
        self._bucket, self._key = parse_s3_url(url)
        allowed = self._limits.allowed_s3_buckets
        if allowed is not None and self._bucket not in allowed:
            raise AnalysisError(
                ErrorCode.URL_NOT_ALLOWED,
                f"Bucket {self._bucket!r} is not in ALLOWED_S3_BUCKETS",
            )
        self._client = client or _client(self._limits)
        self._etag: str | None = None
        self._open()

    def _open(self) -> None:
        response = self._get(f"bytes=0-{self._limits.block_size - 1}")
        total = str(response.get("ContentRange", "")).rpartition("/")[2]
        self._size = int(total) if total.isdigit() else int(response["ContentLength"])
        if self._size > self._limits.max_file_size:
            raise AnalysisError(
                ErrorCode.FILE_TOO_LARGE,
                f"{self.url} is {self._size} bytes, over the limit of {self._limits.max_file_size}",
            )
        self._etag = response.get("ETag")
        self._store_blocks(0, self._body(response))

    def _fetch_range(self, start: int, end: int) -> bytes:
        data = self._body(self._get(f"bytes={start}-{end}"))
        if len(data) != end - start + 1:
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED,
                f"Asked {end - start + 1} bytes of {self.url}, received {len(data)}",
            )
        return data

    def _get(self, byte_range: str) -> dict[str, Any]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            ReadTimeoutError,
        )

        arguments: dict[str, Any] = {"Bucket": self._bucket, "Key": self._key, "Range": byte_range}
        if self._etag is not None:
            arguments["IfMatch"] = self._etag
        self.requests += 1
        try:
            response: dict[str, Any] = self._client.get_object(**arguments)
            return response
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _NOT_FOUND:
                raise AnalysisError(
                    ErrorCode.FILE_NOT_FOUND, f"No such object: {self.url}"
                ) from None
            if code == "InvalidRange":
                raise AnalysisError(ErrorCode.EMPTY_FILE, f"{self.url} is empty") from None
            if code in _CHANGED:
                raise AnalysisError(
                    ErrorCode.DOWNLOAD_FAILED, f"{self.url} changed while reading"
                ) from None
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED, f"Reading {self.url} failed: {code or exc}"
            ) from None
        except (ConnectTimeoutError, ReadTimeoutError):
            raise AnalysisError(
                ErrorCode.DOWNLOAD_TIMEOUT, f"Timed out reading {self.url}"
            ) from None
        except BotoCoreError as exc:
            raise AnalysisError(
                ErrorCode.DOWNLOAD_FAILED, f"Reading {self.url} failed: {exc}"
            ) from None

    def _body(self, response: dict[str, Any]) -> bytes:
        with response["Body"] as body:
            data: bytes = body.read()
        self.bytes_read += len(data)
        return data


def _client(limits: SourceLimits) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise AnalysisError(
            ErrorCode.INVALID_URL,
            "s3:// URLs need boto3: pip install 'mp4-small-analyser[aws]'",
        ) from None
    config = Config(
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return boto3.client("s3", config=config)
