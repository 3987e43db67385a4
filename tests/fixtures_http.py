"""Loopback HTTP servers for tests: a Range-capable file server and a callback receiver.

Both are real `ThreadingHTTPServer`s on 127.0.0.1 ephemeral ports, started in a
background thread and shut down at the end of the fixture. Tests inspect what
the servers saw (requests, bytes sent) and switch misbehaviours on per path.

File server::

    url = file_server.publish(path)               # serve a local file, get its URL
    url = file_server.add_file("a.bin", b"...")   # or write one into the served folder
    file_server.ignore_range("/a.bin")            # 200 with the whole body, Range ignored
    file_server.fail("/a.bin", 500)               # fixed status (and headers), short text body
    file_server.hang("/a.bin", after_headers=True)
    file_server.trickle("/a.bin", chunk=1, interval=0.2)
    file_server.redirect("/old", "/a.bin")        # 302 to a path or an absolute URL
    file_server.requests_for("/a.bin"), file_server.bytes_sent_for("/a.bin")
    file_server.reset_counters(); file_server.reset_behaviours()

Callback receiver::

    receiver.url("/callback/t1")
    receiver.fail_next(2, status=500); receiver.always_fail(503); receiver.succeed()
    receiver.respond_after(5.0)                    # slow receiver, for client timeouts
    received = receiver.wait_for(3, timeout=10)    # -> list[ReceivedRequest]
    receiver.requests[0].json, .headers["content-type"], .query, .method, .status
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Literal, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
_SEND_CHUNK = 64 * 1024


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the connection's thread, not in the accept loop.
        if self.tls is not None:
            request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer (size caps, timeouts) or rejecting the
        # certificate is what the tests provoke.
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


class _LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1:0 running in a daemon thread (HTTPS with `tls`)."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
    ) -> None:
        self.stopping = threading.Event()
        self._httpd = _Httpd(("127.0.0.1", 0), handler)
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._httpd.tls = tls
        host, port = self._httpd.server_address[:2]
        self.port = int(port)
        self.base_url = f"{'https' if tls else 'http'}://{host!s}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each response
    # would wait for the client's delayed ACK (40 ms on Linux).
    disable_nagle_algorithm = True
    # Idle keep-alive connections are dropped after this many seconds.
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send_text(self, status: int, text: str, extra: dict[str, str] | None = None) -> int:
        body = text.encode()
        headers = {"Content-Type": "text/plain; charset=utf-8", **(extra or {})}
        headers["Content-Length"] = str(len(body))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return len(body)


# ---------------------------------------------------------------- file server


@dataclass(frozen=True)
class Behaviour:
    """How the file server answers one path (or every path, for the server default)."""

    ignore_range: bool = False
    chunked: bool = False
    status: int | None = None
    status_headers: tuple[tuple[str, str], ...] = ()
    redirect_to: str | None = None
    redirect_status: int = 302
    hang: Literal["before_headers", "after_headers"] | None = None
    trickle: tuple[int, float] | None = None
    etag: Literal["strong", "weak", "none"] = "strong"
    content_range_shift: int = 0
    content_length_shift: int = 0
    unknown_length: bool = False


@dataclass
class FileRequest:
    """One request the file server saw; `status` is 0 until the answer starts."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    finished: threading.Event = field(default_factory=threading.Event)


class FileServer(_LoopbackServer):
    """Serves `root` (and published files) with single-range support and counters."""

    def __init__(self, root: Path, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(_FileHandler, tls)
        self.root = root
        self._published: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._default = Behaviour()
        self._behaviours: dict[str, Behaviour] = {}
        self.log: list[FileRequest] = []
        self._bytes_sent: dict[str, int] = {}

    # Content

    def add_file(self, name: str, data: bytes) -> str:
        """Write `data` as `root/name` and return its URL."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self.url("/" + quote(name))

    def publish(self, path: Path, name: str | None = None) -> str:
        """Serve an existing local file at `/name` (default: its file name) without copying."""
        url_path = "/" + (name or path.name)
        with self._lock:
            self._published[url_path] = path
        return self.url(quote(url_path))

    def resolve(self, url_path: str) -> Path | None:
        with self._lock:
            published = self._published.get(url_path)
        if published is not None:
            return published
        candidate = (self.root / url_path.lstrip("/")).resolve()
        if self.root.resolve() in candidate.parents and candidate.is_file():
            return candidate
        return None

    # Behaviours

    def behave(self, path: str | None = None, **changes: Any) -> None:
        """Change how `path` (every path when None) is answered; see `Behaviour`."""
        with self._lock:
            if path is None:
                self._default = replace(self._default, **changes)
            else:
                self._behaviours[path] = replace(
                    self._behaviours.get(path, self._default), **changes
                )

    def behaviour_for(self, path: str) -> Behaviour:
        with self._lock:
            return self._behaviours.get(path, self._default)

    def ignore_range(self, path: str | None = None, *, chunked: bool = False) -> None:
        self.behave(path, ignore_range=True, chunked=chunked)

    def fail(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer `path` with `status` (and `headers`) and a short text body."""
        self.behave(path, status=status, status_headers=tuple((headers or {}).items()))

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """Answer `path` with a redirect to `to` (a path on this server or an absolute URL)."""
        self.behave(path, redirect_to=to, redirect_status=status)

    def hang(self, path: str | None = None, *, after_headers: bool = False) -> None:
        self.behave(path, hang="after_headers" if after_headers else "before_headers")

    def trickle(self, path: str | None = None, *, chunk: int = 1, interval: float = 0.5) -> None:
        self.behave(path, trickle=(chunk, interval))

    def reset_behaviours(self) -> None:
        with self._lock:
            self._default = Behaviour()
            self._behaviours.clear()

    # Counters

    def record(self, entry: FileRequest) -> None:
        with self._lock:
            self.log.append(entry)

    def count_sent(self, path: str, size: int) -> None:
        with self._lock:
            self._bytes_sent[path] = self._bytes_sent.get(path, 0) + size

    def wait_finished(self, timeout: float = 5.0) -> None:
        """Wait until every request seen so far is fully answered (or abandoned)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            pending = list(self.log)
        for entry in pending:
            if not entry.finished.wait(max(0.0, deadline - time.monotonic())):
                raise AssertionError(f"{entry.method} {entry.path} still being answered")

    def requests_for(self, path: str) -> int:
        with self._lock:
            return sum(1 for entry in self.log if entry.path == path)

    def ranges_for(self, path: str) -> list[str | None]:
        """The Range header of every request for `path`, in order."""
        with self._lock:
            return [entry.headers.get("range") for entry in self.log if entry.path == path]

    def bytes_sent_for(self, path: str) -> int:
        with self._lock:
            return self._bytes_sent.get(path, 0)

    @property
    def total_bytes_sent(self) -> int:
        with self._lock:
            return sum(self._bytes_sent.values())

    def reset_counters(self) -> None:
        with self._lock:
            self.log.clear()
            self._bytes_sent.clear()


class _FileHandler(_QuietHandler):
    @property
    def owner(self) -> FileServer:
        return self.server.owner  # type: ignore[attr-defined, no-any-return]

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        owner = self.owner
        path = unquote(urlsplit(self.path).path)
        entry = FileRequest(self.command, path, {k.lower(): v for k, v in self.headers.items()})
        owner.record(entry)
        self._entry = entry
        behaviour = owner.behaviour_for(path)
        try:
            self._answer(owner, path, behaviour)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            entry.finished.set()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._entry.status = code
        super().send_response(code, message)

    def _answer(self, owner: FileServer, path: str, behaviour: Behaviour) -> None:
        if behaviour.hang == "before_headers":
            owner.stopping.wait()
            self.close_connection = True
            return
        if behaviour.redirect_to is not None:
            target = behaviour.redirect_to
            location = owner.url(target) if target.startswith("/") else target
            self._send_text(behaviour.redirect_status, "moved", {"Location": location})
            return
        if behaviour.status is not None:
            phrase = HTTPStatus(behaviour.status).phrase
            self._send_text(behaviour.status, phrase, dict(behaviour.status_headers))
            return
        file = owner.resolve(path)
        if file is None:
            self._send_text(404, "not found")
            return
        stat = file.stat()
        size = stat.st_size
        etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
        validators = {"Last-Modified": formatdate(stat.st_mtime, usegmt=True)}
        if behaviour.etag != "none":
            validators["ETag"] = ("W/" if behaviour.etag == "weak" else "") + etag
        byte_range = None if behaviour.ignore_range else self._requested_range(size, etag)
        if byte_range == "unsatisfiable":
            self._send_text(416, "range not satisfiable", {"Content-Range": f"bytes */{size}"})
            return
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        headers.update(validators)
        if isinstance(byte_range, tuple):
            first, last = byte_range
            status = 206
            shift = behaviour.content_range_shift
            length = "*" if behaviour.unknown_length else str(size)
            headers["Content-Range"] = f"bytes {first + shift}-{last + shift}/{length}"
        else:
            status = 200
            first, last = 0, size - 1
            if behaviour.ignore_range:
                del headers["Accept-Ranges"]
        chunked = status == 200 and behaviour.chunked
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header(
                "Content-Length", str(last - first + 1 + behaviour.content_length_shift)
            )
        self.end_headers()
        if self.command == "HEAD":
            return
        if behaviour.hang == "after_headers":
            self.wfile.flush()
            owner.stopping.wait()
            self.close_connection = True
            return
        with file.open("rb") as handle:
            handle.seek(first)
            self._send_body(owner, path, handle, last - first + 1, behaviour, chunked)

    def _requested_range(self, size: int, etag: str) -> tuple[int, int] | str | None:
        """(first, last) for a satisfiable single range, "unsatisfiable", or None for 200."""
        header = self.headers.get("Range")
        if header is None:
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range != etag:
            return None
        match = _RANGE.match(header)
        if match is None or (not match[1] and not match[2]):
            return None
        if not match[1]:
            suffix = int(match[2])
            if suffix == 0 or size == 0:
                return "unsatisfiable"
            return max(0, size - suffix), size - 1
        first = int(match[1])
        last = int(match[2]) if match[2] else size - 1
        if match[2] and last < first:
            return None
        if first >= size:
            return "unsatisfiable"
        return first, min(last, size - 1)

    def _send_body(
        self,
        owner: FileServer,
        path: str,
        handle: BinaryIO,
        length: int,
        behaviour: Behaviour,
        chunked: bool,
    ) -> None:
        step, interval = behaviour.trickle or (_SEND_CHUNK, 0.0)
        remaining = length
        while remaining > 0:
            piece = handle.read(min(step, remaining))
            if not piece:
                break
            remaining -= len(piece)
            if chunked:
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                self.wfile.write(piece)
            self.wfile.flush()
            owner.count_sent(path, len(piece))
            if interval and owner.stopping.wait(interval):
                self.close_connection = True
                return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


# ---------------------------------------------------------- callback receiver


@dataclass
class ReceivedRequest:
    """One request the callback receiver saw, and the status it answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int
    received_at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class CallbackReceiver(_LoopbackServer):
    """Records every request; answers 200 unless told to fail or to be slow."""

    def __init__(self) -> None:
        super().__init__(_ReceiverHandler)
        self._lock = threading.Condition()
        self.requests: list[ReceivedRequest] = []
        self._failures_left = 0
        self._failure_status = 500
        self._always_fail: int | None = None
        self._delay = 0.0

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` requests with `status`, then succeed again."""
        with self._lock:
            self._failures_left, self._failure_status = count, status

    def always_fail(self, status: int = 500) -> None:
        with self._lock:
            self._always_fail = status

    def succeed(self) -> None:
        """Back to answering 200 at once."""
        with self._lock:
            self._failures_left, self._always_fail, self._delay = 0, None, 0.0

    def respond_after(self, seconds: float) -> None:
        """Wait `seconds` before answering each request (a slow receiver)."""
        with self._lock:
            self._delay = seconds

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until at least `count` requests arrived; fail the test on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"callback receiver got {len(self.requests)} requests, "
                        f"expected {count} within {timeout} s"
                    )
                self._lock.wait(remaining)
            return list(self.requests)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.succeed()

    def next_status(self) -> tuple[int, float]:
        with self._lock:
            delay = self._delay
            if self._always_fail is not None:
                return self._always_fail, delay
            if self._failures_left > 0:
                self._failures_left -= 1
                return self._failure_status, delay
            return 200, delay

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()


class _ReceiverHandler(_QuietHandler):
    def _receive(self) -> None:
        owner: CallbackReceiver = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, delay = owner.next_status()
        split = urlsplit(self.path)
        owner.record(
            ReceivedRequest(
                method=self.command,
                path=unquote(split.path),
                query=parse_qs(split.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                status=status,
            )
        )
        if delay and owner.stopping.wait(delay):
            self.close_connection = True
            return
        answer = {"ok": status < 400}
        try:
            self._send_text(status, json.dumps(answer), {"Content-Type": "application/json"})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET = _receive


# ------------------------------------------------------------------- fixtures


@pytest.fixture
def file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileServer]:
    """A fresh file server over an empty folder; publish or add files to serve them."""
    with FileServer(tmp_path_factory.mktemp("served")) as server:
        yield server


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


# ------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class TlsCertificates:
    """A throwaway CA and a server certificate it signed, for HTTPS on loopback."""

    ca_pem: Path
    server: ssl.SSLContext
    names: tuple[str, ...]

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_pem))


def make_certificates(directory: Path, names: tuple[str, ...]) -> TlsCertificates:
    now = datetime.datetime.now(datetime.UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any, ca: bool
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        else:
            alt_names: list[x509.GeneralName] = []
            for name in names:
                try:
                    alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
                except ValueError:
                    alt_names.append(x509.DNSName(name))
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mp4-small-analyser test CA")])
    ca_cert = certificate("mp4-small-analyser test CA", ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = certificate(names[0], server_key, ca_name, ca_key, ca=False)

    ca_pem = directory / "ca.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain = directory / "server.pem"
    chain.write_bytes(
        server_cert.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(chain))
    return TlsCertificates(ca_pem, server, names)


@pytest.fixture(scope="session")
def tls_certificates(tmp_path_factory: pytest.TempPathFactory) -> TlsCertificates:
    """Certificates for `localhost`, `media.example.test` and 127.0.0.1."""
    directory = tmp_path_factory.mktemp("tls")
    return make_certificates(directory, ("localhost", "media.example.test", "127.0.0.1"))


@pytest.fixture
def https_file_server(
    tmp_path_factory: pytest.TempPathFactory, tls_certificates: TlsCertificates
) -> Iterator[FileServer]:
    """The file server over HTTPS; clients must trust `tls_certificates.ca_pem`."""
    with FileServer(tmp_path_factory.mktemp("served_tls"), tls=tls_certificates.server) as server:
        yield server
