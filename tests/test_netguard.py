"""The SSRF guard: address policy, and refusal at the connection layer on every hop.

No test sends a packet to a non-loopback address: `socket.create_connection`
is replaced by a spy that lets loopback through and refuses everything else
itself, so a guard that failed to refuse would be caught by the spy's record,
not by real traffic.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from ipaddress import IPv4Network, ip_address
from typing import Any

import httpx
import pytest

from mp4_small_analyser.analysis.sources import netguard
from mp4_small_analyser.analysis.sources.http import HttpSource
from mp4_small_analyser.analysis.sources.netguard import (
    UrlNotAllowedError,
    check_url_syntax,
    forbidden_reason,
    http_client,
    request_deadline,
)
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.options import SourceLimits
from tests.fixtures_http import FileServer, TlsCertificates

TIMEOUT = httpx.Timeout(5.0)
LOOPBACK_ONLY = [IPv4Network("127.0.0.1/32")]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every address a TCP connection was attempted to; only 127.0.0.1 really connects."""
    attempted: list[str] = []
    real = socket.create_connection

    def spy(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempted.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"test spy: no traffic to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    yield attempted


@pytest.fixture
def served(file_server: FileServer) -> str:
    return file_server.add_file("clip.mp4", b"\x00\x00\x00\x18ftypisom" + bytes(2000))


# ---------------------------------------------------------------- address policy


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.100.100.200", "shared address space"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "private"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fe80::1%2", "link-local"),
        ("fc00::1", "private"),
        ("fd00:ec2::254", "private"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "embeds 127.0.0.1, loopback"),
        ("::ffff:169.254.169.254", "embeds 169.254.169.254, link-local"),
        ("::ffff:10.1.2.3", "embeds 10.1.2.3, private"),
        ("64:ff9b::a9fe:a9fe", "embeds 169.254.169.254, link-local"),
        ("2002:7f00:1::", "embeds 127.0.0.1, loopback"),
        ("::7f00:1", "reserved"),
        ("2001:db8::1", "private"),
    ],
)
def test_forbidden_addresses(address: str, reason: str) -> None:
    assert forbidden_reason(ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses(address: str) -> None:
    assert forbidden_reason(ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.mp4",
        "https://cdn.example.com:8443/v/clip.mp4?sig=abc",
        "http://127.0.0.1:8000/x",
        "http://[::1]:8000/x",
        "http://user:pw@bücher.de/a",
        "HTTPS://EXAMPLE.COM/",
    ],
)
def test_valid_url_syntax(url: str) -> None:
    check_url_syntax(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/a.mp4",
        "/local/path.mp4",
        "file:///etc/passwd",
        "ftp://example.com/a.mp4",
        "gopher://127.0.0.1:6379/_",
        "http://",
        "http:///a.mp4",
        "http://exa mple.com/",
        "http://ex$ample.com/",
        "http://[::1/",
        "http://[zz::1]/",
        "http://example.com:99999/",
    ],
)
def test_invalid_url_syntax(url: str) -> None:
    with pytest.raises(AnalysisError) as caught:
        check_url_syntax(url)
    assert caught.value.code == ErrorCode.INVALID_URL


# ---------------------------------------------------------------- refusing before connecting


def test_loopback_refused_without_connecting(served: str, connections: list[str]) -> None:
    with (
        http_client(allow_private=False, timeout=TIMEOUT) as client,
        pytest.raises(UrlNotAllowedError) as caught,
    ):
        client.get(served)
    assert caught.value.code == ErrorCode.URL_NOT_ALLOWED
    assert "loopback" in caught.value.message
    assert connections == []


def test_loopback_allowed_when_private_allowed(served: str, connections: list[str]) -> None:
    with http_client(allow_private=True, timeout=TIMEOUT) as client:
        assert client.get(served).status_code == 200
    assert connections == ["127.0.0.1"]


def test_allowed_networks_are_exempt(served: str, connections: list[str]) -> None:
    with http_client(
        allow_private=False, timeout=TIMEOUT, allowed_networks=LOOPBACK_ONLY
    ) as client:
        assert client.get(served).status_code == 200
    assert connections == ["127.0.0.1"]


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "0.0.0.0",
        "2130706433",
        "0x7f.1",
        "127.1",
    ],
)
def test_other_spellings_of_loopback_are_refused(
    file_server: FileServer, connections: list[str], host: str
) -> None:
    url = f"http://{host}:{file_server.port}/clip.mp4"
    with (
        http_client(allow_private=False, timeout=TIMEOUT) as client,
        pytest.raises(UrlNotAllowedError),
    ):
        client.get(url)
    assert connections == []


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://127.0.0.2:{port}/clip.mp4",
        "http://[::1]:{port}/clip.mp4",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "https://192.168.0.1/",
    ],
)
def test_redirect_to_a_forbidden_address_is_refused(
    file_server: FileServer, served: str, connections: list[str], target: str
) -> None:
    file_server.redirect("/go", target.format(port=file_server.port))
    with (
        http_client(allow_private=False, timeout=TIMEOUT, allowed_networks=LOOPBACK_ONLY) as client,
        pytest.raises(UrlNotAllowedError),
    ):
        client.get(file_server.url("/go"))
    assert connections == ["127.0.0.1"]
    assert file_server.requests_for("/go") == 1


def test_every_hop_of_a_redirect_chain_is_checked(
    file_server: FileServer, served: str, connections: list[str]
) -> None:
    file_server.redirect("/one", "/two")
    file_server.redirect("/two", "http://169.254.169.254/")
    with (
        http_client(allow_private=False, timeout=TIMEOUT, allowed_networks=LOOPBACK_ONLY) as client,
        pytest.raises(UrlNotAllowedError),
    ):
        client.get(file_server.url("/one"))
    assert file_server.requests_for("/two") == 1
    assert set(connections) == {"127.0.0.1"}


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, connections: list[str]
) -> None:
    fake_dns(monkeypatch, {"media.example.test": ["10.20.30.40", "fd00::7"]})
    with (
        http_client(allow_private=False, timeout=TIMEOUT) as client,
        pytest.raises(UrlNotAllowedError) as caught,
    ):
        client.get("http://media.example.test/a.mp4")
    assert "media.example.test = 10.20.30.40 (private), fd00::7 (private)" in str(caught.value)
    assert connections == []


def test_only_vetted_addresses_of_a_name_are_tried(
    monkeypatch: pytest.MonkeyPatch, connections: list[str]
) -> None:
    fake_dns(monkeypatch, {"mixed.example.test": ["169.254.169.254", "93.184.216.34"]})
    with (
        http_client(allow_private=False, timeout=TIMEOUT) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get("http://mixed.example.test/a.mp4")
    assert connections == ["93.184.216.34"]


def test_rebinding_is_caught_at_connection_time(
    monkeypatch: pytest.MonkeyPatch, file_server: FileServer, served: str, connections: list[str]
) -> None:
    fake_dns(monkeypatch, {"rebind.example.test": ["127.0.0.1"]})
    url = f"http://rebind.example.test:{file_server.port}/clip.mp4"
    with http_client(
        allow_private=False, timeout=TIMEOUT, allowed_networks=LOOPBACK_ONLY
    ) as client:
        assert client.get(url).status_code == 200
        fake_dns(monkeypatch, {"rebind.example.test": ["169.254.169.254"]})
        # The pooled connection stays valid; the next new connection is vetted again.
        assert client.get(url, headers={"Connection": "close"}).status_code == 200
        with pytest.raises(UrlNotAllowedError):
            client.get(url)
    assert connections == ["127.0.0.1"]


# ---------------------------------------------------------------- through HttpSource


def test_http_source_maps_refusal_to_url_not_allowed(served: str, connections: list[str]) -> None:
    with pytest.raises(AnalysisError) as caught:
        HttpSource(served, SourceLimits(allow_private_urls=False))
    assert caught.value.code == ErrorCode.URL_NOT_ALLOWED
    assert connections == []


def test_http_source_refuses_a_redirect_to_metadata(
    file_server: FileServer, served: str, connections: list[str]
) -> None:
    file_server.redirect("/go", "http://169.254.169.254/latest/meta-data/iam/")
    limits = SourceLimits(allow_private_urls=False, allowed_networks=("127.0.0.1/32",))
    with pytest.raises(AnalysisError) as caught:
        HttpSource(file_server.url("/go"), limits)
    assert caught.value.code == ErrorCode.URL_NOT_ALLOWED
    assert "169.254.169.254 (link-local)" in caught.value.message
    assert connections == ["127.0.0.1"]


def test_http_source_allows_loopback_by_default(served: str, connections: list[str]) -> None:
    with HttpSource(served) as source:
        assert source.read_at(4, 4) == b"ftyp"
    assert connections == ["127.0.0.1"]


# ---------------------------------------------------------------- deadline


def test_request_deadline_bounds_a_trickling_response(file_server: FileServer) -> None:
    url = file_server.add_file("slow.bin", bytes(10_000))
    file_server.trickle("/slow.bin", chunk=10, interval=0.05)
    with (
        http_client(allow_private=True, timeout=httpx.Timeout(5.0)) as client,
        request_deadline(0.5),
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(url)
    # Each 10-byte chunk comes well within the read timeout: only the deadline stops the
    # response, long before the 50 s the whole body takes to trickle.
    assert file_server.bytes_sent_for("/slow.bin") < 10_000


# ---------------------------------------------------------------- HTTPS


@pytest.fixture
def trust_test_ca(monkeypatch: pytest.MonkeyPatch, tls_certificates: TlsCertificates) -> None:
    monkeypatch.setattr(netguard, "_tls_context", tls_certificates.client_context)


def https_url(server: FileServer, host: str, path: str) -> str:
    return f"https://{host}:{server.port}{path}"


@pytest.mark.usefixtures("trust_test_ca")
def test_https_connects_to_the_vetted_address_and_verifies_the_name(
    monkeypatch: pytest.MonkeyPatch, https_file_server: FileServer, connections: list[str]
) -> None:
    payload = bytes(range(256)) * 1000
    https_file_server.add_file("clip.mp4", payload)
    fake_dns(monkeypatch, {"media.example.test": ["127.0.0.1"]})
    limits = SourceLimits(
        allow_private_urls=False, allowed_networks=("127.0.0.1/32",), block_size=16 * 1024
    )
    url = https_url(https_file_server, "media.example.test", "/clip.mp4")
    with HttpSource(url, limits) as source:
        assert source.read_at(100_000, 50_000) == payload[100_000:150_000]
    assert connections == ["127.0.0.1"]
    assert https_file_server.log[0].headers["host"].startswith("media.example.test:")


@pytest.mark.usefixtures("trust_test_ca")
def test_https_certificate_must_match_the_url_host(
    monkeypatch: pytest.MonkeyPatch, https_file_server: FileServer
) -> None:
    https_file_server.add_file("clip.mp4", bytes(1000))
    fake_dns(monkeypatch, {"other.example.test": ["127.0.0.1"]})
    with pytest.raises(AnalysisError) as caught:
        HttpSource(https_url(https_file_server, "other.example.test", "/clip.mp4"))
    assert caught.value.code == ErrorCode.DOWNLOAD_FAILED
    assert "certificate" in caught.value.message.lower()


@pytest.mark.usefixtures("trust_test_ca")
def test_https_trickle_hits_the_deadline(https_file_server: FileServer) -> None:
    https_file_server.add_file("slow.bin", bytes(100_000))
    https_file_server.trickle("/slow.bin", chunk=100, interval=0.05)
    limits = SourceLimits(read_timeout=5, total_timeout=0.5)
    with pytest.raises(AnalysisError) as caught:
        HttpSource(https_url(https_file_server, "localhost", "/slow.bin"), limits)
    assert caught.value.code == ErrorCode.DOWNLOAD_TIMEOUT
    assert https_file_server.bytes_sent_for("/slow.bin") < limits.block_size, "cut mid-block"
