"""HttpSource against a real loopback file server: bytes, cache, fallbacks, errors."""

from __future__ import annotations

import io
import os
import random
import socket
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import pytest

from mp4_small_analyser.analysis.sources.base import open_source
from mp4_small_analyser.analysis.sources.http import ContentRange, HttpSource, parse_content_range
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from mp4_small_analyser.options import KiB, MiB, SourceLimits
from tests.fixtures_http import FileServer
from tests.mediagen import moving_pattern, sine, write_video

BLOCK = 16 * KiB


def small_blocks(**changes: object) -> SourceLimits:
    return SourceLimits.model_validate({"block_size": BLOCK, "cache_blocks": 16, **changes})


def failure(call: Callable[[], object]) -> AnalysisError:
    with pytest.raises(AnalysisError) as caught:
        call()
    return caught.value


@pytest.fixture
def payload() -> bytes:
    return random.Random(1234).randbytes(40 * BLOCK + 1234)


# ---------------------------------------------------------------- bytes served


def test_random_reads_match_the_file(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("random.bin", payload)
    rng = random.Random(42)
    with HttpSource(url, small_blocks(cache_blocks=6)) as source:
        assert source.size == len(payload)
        for _ in range(300):
            offset = rng.randrange(0, len(payload) + 10)
            size = rng.choice([1, 7, 188, 4096, BLOCK, 3 * BLOCK + 5, rng.randrange(0, 9 * BLOCK)])
            assert source.read_at(offset, size) == payload[offset : offset + size]
        file_server.wait_finished()
        assert source.bytes_read == file_server.bytes_sent_for("/random.bin")
        assert source.requests == file_server.requests_for("/random.bin")


def test_file_like_interface(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        assert source.seek(-100, io.SEEK_END) == len(payload) - 100
        assert source.read() == payload[-100:]
        assert source.read(10) == b""
        source.seek(5)
        source.seek(10, io.SEEK_CUR)
        assert source.tell() == 15
        assert source.read(20) == payload[15:35]
        assert source.read_at(len(payload) - 3, 100) == payload[-3:]


def test_opening_costs_one_ranged_request(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        assert (source.requests, source.bytes_read) == (1, BLOCK)
        assert file_server.ranges_for("/f.bin") == [f"bytes=0-{BLOCK - 1}"]
        assert source.read_at(100, 200) == payload[100:300]
        assert source.requests == 1


def test_cached_blocks_are_not_fetched_again(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        base = 7 * BLOCK
        for step in range(64):
            offset = base + step * 250
            assert source.read_at(offset, 200) == payload[offset : offset + 200]
        assert source.read_at(base, BLOCK) == payload[base : base + BLOCK]
        assert source.requests == 2
        assert file_server.requests_for("/f.bin") == 2


def test_a_read_over_missing_blocks_is_one_request(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        start = 20 * BLOCK + 10
        assert source.read_at(start, 5 * BLOCK) == payload[start : start + 5 * BLOCK]
        assert file_server.ranges_for("/f.bin")[1:] == [f"bytes={20 * BLOCK}-{26 * BLOCK - 1}"]


def test_least_recently_used_block_is_evicted(file_server: FileServer, payload: bytes) -> None:
    limits = small_blocks(cache_blocks=4)
    with HttpSource(file_server.add_file("f.bin", payload), limits) as source:
        for block in (2, 4, 6, 8, 10):
            source.read_at(block * BLOCK, 1)
        before = source.requests
        source.read_at(10 * BLOCK, BLOCK)
        source.read_at(4 * BLOCK, BLOCK)
        assert source.requests == before
        source.read_at(0, 1)
        source.read_at(2 * BLOCK, 1)
        assert source.requests == before + 2


def test_sequential_reading_reads_ahead(file_server: FileServer, payload: bytes) -> None:
    limits = small_blocks(cache_blocks=64)
    with HttpSource(file_server.add_file("f.bin", payload), limits) as source:
        data = bytearray()
        while chunk := source.read(4 * KiB):
            data += chunk
        assert data == payload
        # 41 blocks: 0 at open, then runs of 2, 4, 8, 16 and the remaining 10.
        assert file_server.ranges_for("/f.bin")[1:3] == [
            f"bytes={BLOCK}-{3 * BLOCK - 1}",
            f"bytes={3 * BLOCK}-{7 * BLOCK - 1}",
        ]
        assert source.requests == 6
        assert source.bytes_read == len(payload)


def test_server_ignoring_range_is_read_once(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.ignore_range("/f.bin")
    rng = random.Random(7)
    with HttpSource(url, small_blocks()) as source:
        assert source.size == len(payload)
        for _ in range(50):
            offset, size = rng.randrange(len(payload)), rng.randrange(3 * BLOCK)
            assert source.read_at(offset, size) == payload[offset : offset + size]
        assert (source.requests, source.bytes_read) == (1, len(payload))
    assert file_server.requests_for("/f.bin") == 1


@pytest.mark.parametrize(("in_memory", "spills"), [(KiB, 1), (64 * MiB, 0)])
def test_chunked_whole_body_is_served(
    monkeypatch: pytest.MonkeyPatch,
    file_server: FileServer,
    payload: bytes,
    in_memory: int,
    spills: int,
) -> None:
    rollovers: list[int] = []

    class SpyingSpool(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
        def rollover(self) -> None:
            rollovers.append(self.tell())
            super().rollover()

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", SpyingSpool)
    url = file_server.add_file("f.bin", payload)
    file_server.ignore_range("/f.bin", chunked=True)
    with HttpSource(url, small_blocks(max_in_memory_body=in_memory)) as source:
        assert source.size == len(payload)
        assert source.read_at(12345, 3 * BLOCK) == payload[12345 : 12345 + 3 * BLOCK]
        assert source.read_at(len(payload) - 5, 10) == payload[-5:]
    assert len(rollovers) == spills
    assert file_server.log[0].headers.get("range") == f"bytes=0-{BLOCK - 1}"


def test_unknown_total_length_falls_back_to_a_whole_read(
    file_server: FileServer, payload: bytes
) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.behave("/f.bin", unknown_length=True)
    with HttpSource(url, small_blocks()) as source:
        assert source.size == len(payload)
        assert source.read_at(30 * BLOCK, 100) == payload[30 * BLOCK : 30 * BLOCK + 100]
        assert source.requests == 2
    assert file_server.ranges_for("/f.bin") == [f"bytes=0-{BLOCK - 1}", None]


def test_file_smaller_than_a_block(file_server: FileServer) -> None:
    with HttpSource(file_server.add_file("tiny.bin", b"0123456789"), small_blocks()) as source:
        assert source.size == 10
        assert source.read() == b"0123456789"
        assert source.requests == 1


def test_open_source_dispatches_http(file_server: FileServer, payload: bytes) -> None:
    with open_source(file_server.add_file("f.bin", payload), small_blocks()) as source:
        assert isinstance(source, HttpSource)
        assert source.read_at(0, 10) == payload[:10]


# ---------------------------------------------------------------- redirects


def test_redirects_are_followed_once(file_server: FileServer, payload: bytes) -> None:
    file_server.add_file("f.bin", payload)
    file_server.redirect("/first", "/second")
    file_server.redirect("/second", "/f.bin", status=301)
    with HttpSource(file_server.url("/first"), small_blocks()) as source:
        assert source.read_at(25 * BLOCK, 10) == payload[25 * BLOCK : 25 * BLOCK + 10]
        assert source.requests == 4
    assert file_server.requests_for("/first") == 1
    assert file_server.requests_for("/second") == 1
    assert file_server.requests_for("/f.bin") == 2


def test_too_many_redirects(file_server: FileServer, payload: bytes) -> None:
    file_server.add_file("f.bin", payload)
    for hop in range(4):
        file_server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    file_server.redirect("/hop4", "/f.bin")
    error = failure(lambda: HttpSource(file_server.url("/hop0"), small_blocks(max_redirects=3)))
    assert error.code == ErrorCode.DOWNLOAD_FAILED
    assert "redirects" in error.message
    assert file_server.requests_for("/f.bin") == 0


def test_redirect_loop(file_server: FileServer) -> None:
    file_server.redirect("/a", "/b")
    file_server.redirect("/b", "/a")
    error = failure(lambda: HttpSource(file_server.url("/a"), small_blocks()))
    assert error.code == ErrorCode.DOWNLOAD_FAILED


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, ErrorCode.FILE_NOT_FOUND),
        (410, ErrorCode.FILE_NOT_FOUND),
        (403, ErrorCode.DOWNLOAD_FAILED),
        (500, ErrorCode.DOWNLOAD_FAILED),
        (503, ErrorCode.DOWNLOAD_FAILED),
    ],
)
def test_http_errors(file_server: FileServer, payload: bytes, status: int, code: ErrorCode) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.fail("/f.bin", status)
    error = failure(lambda: HttpSource(url, small_blocks()))
    assert error.code == code
    assert str(status) in error.message


def test_missing_file_is_not_found(file_server: FileServer) -> None:
    assert failure(lambda: HttpSource(file_server.url("/nope.mp4"))).code == (
        ErrorCode.FILE_NOT_FOUND
    )


def test_error_on_a_later_block(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        file_server.fail("/f.bin", 502)
        error = failure(lambda: source.read_at(30 * BLOCK, 10))
        assert error.code == ErrorCode.DOWNLOAD_FAILED
        assert "502" in error.message


def test_connection_refused_is_download_failed(file_server: FileServer) -> None:
    url = file_server.url("/f.bin")
    file_server.stop()
    assert failure(lambda: HttpSource(url)).code == ErrorCode.DOWNLOAD_FAILED


@pytest.mark.parametrize(
    "url",
    ["http://", "https:///path", "ftp://example.com/a.mp4", "http://exa mple.com/", "//x/y", "?"],
)
def test_invalid_urls(url: str) -> None:
    assert failure(lambda: HttpSource(url)).code == ErrorCode.INVALID_URL


@pytest.mark.parametrize("ignore_range", [False, True])
def test_empty_resource(file_server: FileServer, ignore_range: bool) -> None:
    url = file_server.add_file("empty.mp4", b"")
    if ignore_range:
        file_server.ignore_range("/empty.mp4")
    assert failure(lambda: HttpSource(url)).code == ErrorCode.EMPTY_FILE


@pytest.mark.parametrize(
    ("content_range", "code"),
    [("bytes */0", ErrorCode.EMPTY_FILE), ("bytes */5000", ErrorCode.DOWNLOAD_FAILED)],
)
def test_416_on_the_first_block(
    file_server: FileServer, content_range: str, code: ErrorCode
) -> None:
    file_server.fail("/f.bin", 416, headers={"Content-Range": content_range})
    assert failure(lambda: HttpSource(file_server.url("/f.bin"))).code == code


def test_empty_chunked_body(file_server: FileServer) -> None:
    url = file_server.add_file("empty.mp4", b"")
    file_server.ignore_range("/empty.mp4", chunked=True)
    assert failure(lambda: HttpSource(url)).code == ErrorCode.EMPTY_FILE


def test_content_range_not_matching_the_request(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.behave("/f.bin", content_range_shift=1)
    error = failure(lambda: HttpSource(url, small_blocks()))
    assert error.code == ErrorCode.DOWNLOAD_FAILED
    assert "sent 1-" in error.message


def test_content_length_not_matching_content_range(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.behave("/f.bin", content_length_shift=-1)
    error = failure(lambda: HttpSource(url, small_blocks()))
    assert error.code == ErrorCode.DOWNLOAD_FAILED
    assert f"Content-Length {BLOCK - 1}" in error.message


# ---------------------------------------------------------------- size cap


@pytest.fixture
def big_payload() -> bytes:
    return os.urandom(24 * MiB)


def test_size_cap_from_content_range(file_server: FileServer, big_payload: bytes) -> None:
    url = file_server.add_file("big.bin", big_payload)
    error = failure(lambda: HttpSource(url, SourceLimits(max_file_size=MiB)))
    assert error.code == ErrorCode.FILE_TOO_LARGE
    assert str(len(big_payload)) in error.message
    assert file_server.bytes_sent_for("/big.bin") <= SourceLimits().block_size


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_size_cap_when_range_is_ignored(
    file_server: FileServer, big_payload: bytes, chunked: bool
) -> None:
    url = file_server.add_file("big.bin", big_payload)
    file_server.ignore_range("/big.bin", chunked=chunked)
    error = failure(lambda: HttpSource(url, SourceLimits(max_file_size=MiB)))
    assert error.code == ErrorCode.FILE_TOO_LARGE
    file_server.wait_finished()
    assert file_server.bytes_sent_for("/big.bin") < len(big_payload) // 2


def test_size_cap_allows_a_file_at_the_limit(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    with HttpSource(url, small_blocks(max_file_size=len(payload))) as source:
        assert source.size == len(payload)
    file_server.ignore_range("/f.bin", chunked=True)
    with HttpSource(url, small_blocks(max_file_size=len(payload))) as source:
        assert source.size == len(payload)


# ---------------------------------------------------------------- timeouts


# Hang guards: without the read timeout these requests would wait forever.
@pytest.mark.timeout(60)
def test_server_that_never_answers(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.hang("/f.bin")
    error = failure(lambda: HttpSource(url, small_blocks(read_timeout=0.5)))
    assert error.code == ErrorCode.DOWNLOAD_TIMEOUT


@pytest.mark.timeout(60)
def test_server_that_stalls_after_headers(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.hang("/f.bin", after_headers=True)
    error = failure(lambda: HttpSource(url, small_blocks(read_timeout=0.5)))
    assert error.code == ErrorCode.DOWNLOAD_TIMEOUT


def test_server_that_stalls_on_a_later_block(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks(read_timeout=0.5)) as src:
        file_server.hang("/f.bin", after_headers=True)
        assert failure(lambda: src.read_at(20 * BLOCK, 1)).code == ErrorCode.DOWNLOAD_TIMEOUT


def test_connect_timeout(monkeypatch: pytest.MonkeyPatch, file_server: FileServer) -> None:
    def no_answer(*args: object, **kwargs: object) -> socket.socket:
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", no_answer)
    error = failure(lambda: HttpSource(file_server.url("/f.bin"), small_blocks(connect_timeout=1)))
    assert error.code == ErrorCode.DOWNLOAD_TIMEOUT
    assert "no connection within 1 s" in error.message


def test_trickling_server_hits_the_total_timeout(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.trickle("/f.bin", chunk=64, interval=0.05)
    error = failure(lambda: HttpSource(url, small_blocks(read_timeout=5, total_timeout=1)))
    assert error.code == ErrorCode.DOWNLOAD_TIMEOUT
    assert "longer than 1 s" in error.message
    # The bound is in bytes, not seconds: the whole file would take minutes to trickle.
    assert file_server.bytes_sent_for("/f.bin") < BLOCK


# ---------------------------------------------------------------- changes while reading


def rewrite(path: Path, data: bytes) -> None:
    before = path.stat().st_mtime_ns
    path.write_bytes(data)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_file_growing_while_reading(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        rewrite(file_server.root / "f.bin", payload + b"more")
        error = failure(lambda: source.read_at(30 * BLOCK, 10))
        assert error.code == ErrorCode.DOWNLOAD_FAILED
        assert "changed while reading" in error.message


def test_file_shrinking_below_the_read(file_server: FileServer, payload: bytes) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        rewrite(file_server.root / "f.bin", payload[: 10 * BLOCK])
        error = failure(lambda: source.read_at(30 * BLOCK, 10))
        assert error.code == ErrorCode.DOWNLOAD_FAILED
        assert "changed while reading" in error.message


def test_same_size_new_content_is_caught_by_if_range(
    file_server: FileServer, payload: bytes
) -> None:
    with HttpSource(file_server.add_file("f.bin", payload), small_blocks()) as source:
        etag = file_server.log[0].headers.get("if-range")
        assert etag is None
        rewrite(file_server.root / "f.bin", payload[::-1])
        error = failure(lambda: source.read_at(30 * BLOCK, 10))
        assert error.code == ErrorCode.DOWNLOAD_FAILED
        assert "changed while reading" in error.message
    file_server.wait_finished()
    assert file_server.log[1].headers["if-range"].startswith('"')
    assert file_server.log[1].status == 200


def test_weak_etag_is_compared_not_sent(file_server: FileServer, payload: bytes) -> None:
    url = file_server.add_file("f.bin", payload)
    file_server.behave("/f.bin", etag="weak")
    with HttpSource(url, small_blocks()) as source:
        assert source.read_at(30 * BLOCK, 10) == payload[30 * BLOCK : 30 * BLOCK + 10]
        rewrite(file_server.root / "f.bin", payload[::-1])
        error = failure(lambda: source.read_at(35 * BLOCK, 10))
        assert "ETag" in error.message
    assert all("if-range" not in entry.headers for entry in file_server.log)


# ---------------------------------------------------------------- content-range parsing


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("bytes 0-99/200", ContentRange(0, 99, 200)),
        ("BYTES  5-5/6", ContentRange(5, 5, 6)),
        ("bytes 0-99/*", ContentRange(0, 99, None)),
        ("bytes */1000", ContentRange(None, None, 1000)),
        ("bytes */*", None),
        ("bytes 10-9/100", None),
        ("bytes 0-100/100", None),
        ("bytes 0-99", None),
        ("items 0-99/200", None),
        ("bytes -5-10/20", None),
        ("", None),
    ],
)
def test_parse_content_range(value: str, parsed: ContentRange | None) -> None:
    assert parse_content_range(value) == parsed


# ---------------------------------------------------------------- PyAV through the source


@pytest.fixture(scope="session")
def small_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("http_media") / "small.mp4"
    frames = moving_pattern(96, 64, 30)
    return write_video(path, frames, fps=Fraction(25), audio=sine(440, 1.2)[None, :])


def packets(container: av.container.InputContainer) -> list[tuple[int, int | None, int]]:
    return [
        (packet.stream.index, packet.pts, packet.size)
        for packet in container.demux()
        if packet.size
    ]


def test_pyav_demuxes_through_http(file_server: FileServer, small_mp4: Path) -> None:
    url = file_server.publish(small_mp4)
    with av.open(str(small_mp4), "r") as local:
        expected = packets(local)
    with HttpSource(url, small_blocks()) as source, av.open(source, "r") as remote:
        assert [s.type for s in remote.streams] == ["video", "audio"]
        assert remote.streams.video[0].codec_context.width == 96
        assert packets(remote) == expected
    assert len(expected) > 30
