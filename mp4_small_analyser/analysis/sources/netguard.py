"""Outbound HTTP that cannot be pointed at internal addresses (SSRF guard).

A URL given by a caller must not reach loopback, private networks, link-local
addresses (169.254.169.254 is the cloud metadata service), multicast or
reserved space. Checking the URL's host up front is not enough: DNS can answer
differently at connection time (rebinding) and every redirect names a new
host. So the check lives in the connection layer: an httpcore network backend
resolves the host, refuses forbidden addresses, and connects to the vetted
address itself. Every connection the client opens, redirects included, goes
through it.

The same backend bounds every socket operation by an optional per-request
deadline (`request_deadline`), which read/connect timeouts alone cannot do: a
server sending one byte every few seconds never trips a read timeout.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

import httpcore
import httpx

from mp4_small_analyser import __version__
from mp4_small_analyser.analysis.sources.urls import shown_url, split_url
from mp4_small_analyser.errors import AnalysisError, ErrorCode

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_NAT64_PREFIX = IPv6Network("64:ff9b::/96")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_SHARED_ADDRESS_SPACE = IPv4Network("100.64.0.0/10")


class UrlNotAllowedError(AnalysisError):
    """A connection was refused because its target address is not public."""

    def __init__(self, host: str, refused: Sequence[tuple[IPAddress, str]]) -> None:
        reasons = ", ".join(f"{address} ({reason})" for address, reason in refused)
        target = reasons if host in {str(a) for a, _ in refused} else f"{host} = {reasons}"
        super().__init__(
            ErrorCode.URL_NOT_ALLOWED,
            f"Refusing to connect to {target}: private addresses are not allowed",
        )
        self.host = host
        self.refused = tuple(refused)


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` may not be contacted when private targets are refused, or None."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = forbidden_reason(embedded)
            return None if reason is None else f"embeds {embedded}, {reason}"
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (isinstance(address, IPv6Address) and address.is_site_local, "site-local"),
        (address in _SHARED_ADDRESS_SPACE, "shared address space"),
        (not address.is_global, "not globally routable"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form reaches (IPv4-mapped, 6to4, NAT64), which decides.

    NAT64 addresses are what DNS64 synthesises for every IPv4-only host on an
    IPv6-only network, so they are judged by the IPv4 address they carry.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_PREFIX:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def check_url_syntax(url: str) -> None:
    """Raise INVALID_URL unless `url` is an absolute http(s) URL with a host."""
    split_url(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        message = f"Invalid URL {shown_url(url)}: {exc}"
        raise AnalysisError(ErrorCode.INVALID_URL, message) from exc
    if parsed.scheme not in ("http", "https"):
        raise AnalysisError(
            ErrorCode.INVALID_URL, f"Unsupported URL scheme {parsed.scheme!r} in {shown_url(url)}"
        )
    try:
        host = parsed.host  # decodes IDNA labels: a malformed `xn--` label raises here
    except UnicodeError as exc:  # idna.IDNAError is one
        message = f"Invalid host in {shown_url(url)}: {exc}"
        raise AnalysisError(ErrorCode.INVALID_URL, message) from exc
    if not host:
        raise AnalysisError(ErrorCode.INVALID_URL, f"URL has no host: {shown_url(url)}")
    if not _valid_host(parsed.raw_host.decode("ascii", "replace")):
        raise AnalysisError(
            ErrorCode.INVALID_URL, f"Invalid host {shown_url(host)} in {shown_url(url)}"
        )
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise AnalysisError(
            ErrorCode.INVALID_URL, f"Invalid port {parsed.port} in {shown_url(url)}"
        )


def _valid_host(host: str) -> bool:
    """An IP address or a DNS name (httpx accepts spaces and other junk in hosts)."""
    if ":" in host:
        try:
            ip_address(host.replace("%25", "%"))
        except ValueError:
            return False
        return True
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in host.split("."))


_deadline: ContextVar[float | None] = ContextVar("mp4_small_analyser_deadline", default=None)


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Bound every connect, read and write made by guarded clients in this context.

    Past the deadline the pending socket operation fails with a timeout (httpx
    raises `httpx.TimeoutException`), however the server paces its bytes.
    """
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _clip(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise expired("request deadline exceeded")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(
            ssl_context, server_hostname, _clip(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Resolves, vets and connects; the only way guarded clients reach the network.

    With `allow_private` every address is allowed. Otherwise addresses with a
    `forbidden_reason` are dropped unless inside `allowed_networks`; the
    connection goes to the first remaining address that accepts, and a host with
    none left raises `UrlNotAllowedError` before any packet is sent.
    """

    def __init__(self, *, allow_private: bool, allowed_networks: Iterable[IPNetwork] = ()) -> None:
        self._allow_private = allow_private
        self._allowed_networks = tuple(allowed_networks)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        options = list(socket_options or ())
        last_error: Exception | None = None
        for address in self._vetted_addresses(host, port):
            try:
                stream = super().connect_tcp(
                    str(address),
                    port,
                    _clip(timeout, httpcore.ConnectTimeout),
                    local_address,
                    options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream)
        raise last_error or httpcore.ConnectError(f"no address found for {host}")

    def _vetted_addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(ip_address(info[4][0]) for info in infos))
        if self._allow_private:
            return addresses
        refused: list[tuple[IPAddress, str]] = []
        allowed: list[IPAddress] = []
        for address in addresses:
            reason = forbidden_reason(address)
            if reason is None or any(address in net for net in self._allowed_networks):
                allowed.append(address)
            else:
                refused.append((address, reason))
        if not allowed:
            raise UrlNotAllowedError(host, refused)
        return allowed


@cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle takes ~40 ms."""
    return httpx.create_ssl_context()


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool built on a `GuardedBackend`.

    httpx 0.28 has no public option for an httpcore network backend, so the
    pool `HTTPTransport` routes every request through is replaced; the guard
    tests fail loudly should a later httpx stop using it.
    """

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        super().__init__(verify=_tls_context(), limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


def http_client(
    *,
    allow_private: bool,
    timeout: httpx.Timeout,
    follow_redirects: bool = True,
    max_redirects: int = 5,
    allowed_networks: Iterable[IPNetwork] = (),
) -> httpx.Client:
    """An httpx client whose every connection, redirects included, is vetted.

    Refused targets raise `UrlNotAllowedError` from the request call. Proxy
    settings from the environment are ignored: the guard must see the real
    destination address.
    """
    backend = GuardedBackend(allow_private=allow_private, allowed_networks=allowed_networks)
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=5)
    return httpx.Client(
        transport=_GuardedTransport(backend, limits),
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        trust_env=False,
        headers={"User-Agent": f"mp4-small-analyser/{__version__}"},
    )
