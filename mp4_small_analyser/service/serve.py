"""`mp4-analyser serve`: the API on uvicorn plus the local worker supervisor.

The listening socket is bound before uvicorn starts, so the printed URLs are
right even for `--port 0` (an ephemeral port, as the tests use).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from urllib.parse import quote

import uvicorn

from mp4_small_analyser.service.app import create_app
from mp4_small_analyser.service.logs import configure_logging
from mp4_small_analyser.service.runtime import LocalRuntime
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.backends import Backends

# Time uvicorn gives open requests (a sync batch waiting) before the workers stop.
REQUEST_DRAIN_SECONDS = 10


def serve(settings: Settings, backends: Backends, *, host: str, port: int) -> int:
    configure_logging(settings.log_format, settings.log_level)
    if settings.api_key is None and not is_loopback(host):
        print(EXPOSED_WARNING.format(host=host), file=sys.stderr, flush=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        print(f"mp4-analyser serve: cannot listen on {host}:{port}: {exc.strerror}", flush=True)
        return 1
    bound_port = sock.getsockname()[1]
    hosts = (*settings.service_hosts, *listening_names(host, bound_port))
    settings = settings.model_copy(update={"service_hosts": hosts})
    runtime = LocalRuntime(settings, backends)
    app = create_app(settings, backends=backends, runtime=runtime)
    print(banner(settings, host, bound_port), flush=True)
    config = uvicorn.Config(
        app,
        log_config=None,
        timeout_graceful_shutdown=REQUEST_DRAIN_SECONDS,
        access_log=True,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 1


_ANY_ADDRESS = ("", "0.0.0.0", "::")


def listening_names(host: str, port: int) -> tuple[str, ...]:
    """The `host:port` names callers on this machine reach the server by (its own callback
    URL among them): the address, and the loopback names when it listens on them."""
    loopback = [netloc(name, port) for name in ("127.0.0.1", "localhost", "::1")]
    if host in _ANY_ADDRESS:
        return tuple(loopback)
    own = netloc(host, port)
    return tuple(dict.fromkeys([*loopback, own] if is_loopback(host) else [own]))


def netloc(host: str, port: int) -> str:
    """`host:port`, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


EXPOSED_WARNING = (
    "mp4-analyser serve: warning: listening on {host} without API_KEY: anyone who can reach "
    "it may submit, read and post results"
)


def is_loopback(host: str) -> bool:
    """Whether `host` binds to this machine only (a name such as `localhost` is resolved)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
        except OSError:
            return False
        return all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def banner(settings: Settings, host: str, port: int) -> str:
    base = f"http://{netloc(host, port)}"
    lines = [
        f"mp4-small-analyser service listening on {base}",
        f"  web console    {base}/console/",
        f"  API docs       {base}/docs",
        f"  health         {base}/health",
        f"  submit         POST {base}/mp4_small_analyser",
        f"  task result    GET  {base}/callback/{{task_id}}",
        f"  batch results  GET  {base}/callback/batch/{{batch_id}}",
        f"  callbacks in   POST {base}/callback/{{task_id}}",
    ]
    if settings.enable_test_endpoints:
        lines.append(f"  test results   GET  {base}/test/results?limit=50")
    lines.append(
        f"  store {settings.database_path} · {settings.workers} worker(s)"
        + (" · private URLs allowed" if settings.allow_private_urls else "")
    )
    lines += next_steps(settings, base)
    return "\n".join(lines)


def next_steps(settings: Settings, base: str) -> list[str]:
    """Where to go next: the console, and one command that analyses the sample media."""
    lines = ["", f"Next: open {base}/console/ in a browser."]
    folder = settings.sample_media_dir
    samples = sorted(folder.glob("*.mp4"))[: settings.max_sync_files] if folder else []
    if not samples or not settings.allow_private_urls:
        return lines
    urls = ", ".join(f'"{base}/samples/{quote(path.name)}"' for path in samples)
    lines += [
        "Analyse the sample media, from another terminal (answered when done, ~10 s):",
        f"  curl -s {base}/mp4_small_analyser -H 'content-type: application/json' \\",
        f"    -d '{{\"files_url\": [{urls}]}}'",
        "then see the batch in the console.",
    ]
    return lines
