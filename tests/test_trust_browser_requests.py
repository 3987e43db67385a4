"""A page of another site cannot make the local service act (review finding #9).

A browser sends a "simple" request (a form, `text/plain`, or a body without a type) to
127.0.0.1 without asking first (no CORS preflight), and says where it comes from in
`Sec-Fetch-Site` and `Origin`. Every route is taken from the service's own OpenAPI
schema, so a new route is covered unnamed. Requests are sent with the headers Chromium
sends for such a page's `fetch`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import httpx
import pytest

from tests.fixtures_service import ServiceProcess

BODY = '{"files_url": ["http://127.0.0.1:9/never.mp4"], "batch_id": "from-elsewhere"}'
ATTACKER = "http://attacker.example"


def operations(service: ServiceProcess, json_body_only: bool) -> list[tuple[str, str]]:
    """(method, path) of every state-changing route, path parameters filled in."""
    with service.client() as client:
        schema: dict[str, Any] = client.get("/openapi.json").json()
    found = []
    for path, items in schema["paths"].items():
        for method, operation in items.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if json_body_only and "application/json" not in content:
                continue
            found.append((method.upper(), re.sub(r"\{[^}]+\}", "t-1", path)))
    return sorted(found)


def test_every_json_route_refuses_a_body_not_sent_as_json(service: ServiceProcess) -> None:
    routes = operations(service, json_body_only=True)
    assert ("POST", "/mp4_small_analyser") in routes and ("PUT", "/callback/t-1") in routes
    with service.client() as client:
        for method, path in routes:
            for content_type in ("text/plain;charset=UTF-8", "application/x-www-form-urlencoded"):
                response = client.request(
                    method, path, content=BODY, headers={"content-type": content_type}
                )
                assert response.status_code == 415, (method, path, content_type, response.text)
                assert response.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
            # A Blob without a type: the browser sends no Content-Type at all.
            response = client.request(method, path, content=BODY)
            assert (response.status_code, response.json()["error_code"]) == (
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            ), (method, path)
        assert client.get("/callback/batch/from-elsewhere").status_code == 404


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_a_state_changing_request_from_another_site_is_refused(
    service: ServiceProcess, fetch_site: str
) -> None:
    browser = {
        "content-type": "application/json",
        "origin": ATTACKER,
        "sec-fetch-site": fetch_site,
        "sec-fetch-mode": "cors",
        "sec-fetch-dest": "empty",
    }
    with service.client() as client:
        for method, path in operations(service, json_body_only=False):
            response = client.request(method, path, content=BODY, headers=browser)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error_code"] == "CROSS_SITE_REQUEST"
        # An old browser without Sec-Fetch-Site: its Origin names another host.
        no_fetch_site = {"content-type": "application/json", "origin": ATTACKER}
        response = client.post(
            "/callback/t-2", content='{"status": "failed"}', headers=no_fetch_site
        )
        assert (response.status_code, response.json()["error_code"]) == (403, "CROSS_SITE_REQUEST")
        assert client.get("/callback/t-2").status_code == 404


def test_the_services_own_pages_and_other_clients_are_not_refused(
    service: ServiceProcess,
) -> None:
    body = '{"status": "failed", "error": "boom", "error_code": "NOT_MP4"}'
    host = service.url.split("://", 1)[1]
    with service.client() as client:
        for headers in (
            {"sec-fetch-site": "same-origin", "origin": service.url},  # the Swagger UI
            {"sec-fetch-site": "none"},  # typed in the address bar
            {"origin": f"http://{host}"},
            {},  # curl, the CLI, another service
        ):
            response = client.post(
                "/callback/own-page",
                content=body,
                headers={"content-type": "application/json", **headers},
            )
            assert response.status_code == 200, (headers, response.text)


def serve_stderr(host: str, env: dict[str, str], db: str) -> str:
    """What `serve --host HOST` says before it binds (an address this machine does not
    have, so nothing is ever exposed: it then fails to listen)."""
    command = [sys.executable, "-m", "mp4_small_analyser.cli", "serve", "--host", host]
    result = subprocess.run(
        [*command, "--port", "0", "--db", db],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot listen on" in result.stdout
    return result.stderr


def test_serve_on_a_non_loopback_address_without_an_api_key_warns(tmp_path: Any) -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never this machine's.
    warning = serve_stderr("192.0.2.1", {"HOME": str(tmp_path)}, str(tmp_path / "a.db"))
    assert warning.count("\n") == 1 and "warning: listening on 192.0.2.1 without API_KEY" in warning
    assert (
        serve_stderr("192.0.2.1", {"HOME": str(tmp_path), "API_KEY": "k"}, str(tmp_path / "b.db"))
        == ""
    )


def test_serve_on_loopback_does_not_warn(service: ServiceProcess) -> None:
    assert "without API_KEY" not in service.log.read_text()
    assert httpx.get(f"{service.url}/health").status_code == 200
