"""URL checks at submission: scheme and host, and (unless allowed) no private targets.

This is the early, friendly check: the address actually connected to is
checked again, on every redirect, by `netguard` when the file is read and the
callback sent. A host that does not resolve now is let through; it fails then.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import SplitResult

import httpx

from mp4_small_analyser.analysis.sources.netguard import (
    IPAddress,
    check_url_syntax,
    forbidden_reason,
)
from mp4_small_analyser.analysis.sources.urls import split_url
from mp4_small_analyser.errors import AnalysisError
from mp4_small_analyser.service.errors import ServiceErrorCode


@dataclass(frozen=True)
class UrlProblem:
    code: ServiceErrorCode
    message: str


@dataclass
class UrlChecker:
    allow_private: bool
    allowed_s3_buckets: frozenset[str] = frozenset()
    _resolved: dict[tuple[str, int], list[IPAddress]] = field(default_factory=dict)

    def file_url_problem(self, url: str) -> UrlProblem | None:
        try:
            parts = split_url(url)
        except AnalysisError as exc:
            return UrlProblem(ServiceErrorCode.INVALID_URL, exc.message)
        if parts.scheme.lower() == "s3":
            return self._s3_problem(url, parts)
        return self.http_url_problem(url)

    def http_url_problem(self, url: str) -> UrlProblem | None:
        try:
            check_url_syntax(url)
        except AnalysisError as exc:
            return UrlProblem(ServiceErrorCode.INVALID_URL, exc.message)
        if self.allow_private:
            return None
        parsed = httpx.URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        for address in self._addresses(parsed.host, port):
            reason = forbidden_reason(address)
            if reason is not None:
                return UrlProblem(
                    ServiceErrorCode.URL_NOT_ALLOWED,
                    f"{parsed.host} resolves to {address} ({reason}); private addresses "
                    "are not allowed (set ALLOW_PRIVATE_URLS=true, or run "
                    "`mp4-analyser serve --allow-private-urls`, to allow them)",
                )
        return None

    def _s3_problem(self, url: str, parts: SplitResult) -> UrlProblem | None:
        if not parts.netloc or not parts.path.strip("/"):
            return UrlProblem(
                ServiceErrorCode.INVALID_URL, f"Expected s3://bucket/key, got {url!r}"
            )
        if parts.netloc not in self.allowed_s3_buckets:
            return UrlProblem(
                ServiceErrorCode.URL_NOT_ALLOWED,
                f"Bucket {parts.netloc!r} is not in ALLOWED_S3_BUCKETS",
            )
        return None

    def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ip_address(host)]
        except ValueError:
            pass
        key = (host, port)
        if key not in self._resolved:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError):
                infos = []
            self._resolved[key] = [ip_address(info[4][0]) for info in infos]
        return self._resolved[key]
