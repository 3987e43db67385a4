"""Malformed URLs are INVALID_URL everywhere: the reader, the CLI and the service.

`urlsplit` raises ValueError on an unclosed IPv6 bracket, and decoding a bad
`xn--` label raises IDNAError; before one parser owned URL splitting those
surfaced as INTERNAL_ERROR in the CLI and a 500 from the service.
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from mp4_small_analyser.analysis.sources.base import open_source
from mp4_small_analyser.errors import AnalysisError, ErrorCode
from tests.fixtures_service import ServiceProcess

API_KEY = "k-urls"
PUBLIC = "https://media.example.com/a.mp4"
LONG_HOST = "a" * 300 + ".example.com"
MALFORMED = [
    "http://[::1",
    "http://[::1/a.mp4",
    "https://[not-an-address]/a.mp4",
    "http://exa mple.com/x.mp4",
    "http://:80/",
    f"http://{LONG_HOST}/x.mp4",
    "http://[::1]:99999/a.mp4",
    "s3://[bucket/key.mp4",
    "file://[x/a.mp4",
    # IDNA labels that do not decode (httpx's `.host` raised idna.IDNAError)
    "http://xn--/a.mp4",
    "http://xn--ls8h.la/a.mp4",
]


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"ALLOW_PRIVATE_URLS": "false", "API_KEY": API_KEY, "WORKERS": "1"}


@pytest.mark.parametrize("url", MALFORMED)
def test_the_reader_refuses_a_malformed_url_as_invalid_url(url: str) -> None:
    with pytest.raises(AnalysisError) as caught:
        open_source(url).close()
    assert caught.value.code == ErrorCode.INVALID_URL
    assert len(caught.value.message) < 400, "the message quotes a bounded part of the URL"


def test_the_cli_reports_each_malformed_url_as_invalid_url() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mp4_small_analyser.cli", "analyse", "--json", *MALFORMED],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    results = json.loads(run.stdout)
    assert [(r["status"], r["error_code"]) for r in results] == [("failed", "INVALID_URL")] * len(
        MALFORMED
    )


def _submit(service: ServiceProcess, body: dict[str, object]) -> httpx.Response:
    with service.client() as client:
        return client.post("/mp4_small_analyser", json=body, headers={"x-api-key": API_KEY})


@pytest.mark.parametrize("url", MALFORMED)
def test_the_service_refuses_a_malformed_file_url_with_422(
    service: ServiceProcess, url: str
) -> None:
    response = _submit(service, {"mp4_small_analyser": [{"file_url": url, "callback_url": PUBLIC}]})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_URL"
    assert body["details"][0]["field"] == "mp4_small_analyser[0].file_url"


@pytest.mark.parametrize("url", [u for u in MALFORMED if u.startswith("http")])
def test_the_service_refuses_a_malformed_callback_url_with_422(
    service: ServiceProcess, url: str
) -> None:
    response = _submit(service, {"files_url": [PUBLIC], "callback_url": url})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_URL"
    assert body["details"][0]["field"] == "callback_url"
