"""The console over HTTP: headers, exports, thumbnails, the login by key, and its pieces.

Pages and routes are read from a real `mp4-analyser serve`; the rendering pieces
(rows, CSV, links, sessions) are checked on their own where a browser adds nothing.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import httpx
import pytest

from mp4_small_analyser.service.web.file_view import file_view
from mp4_small_analyser.service.web.profiles import known_profiles
from mp4_small_analyser.service.web.render import PageLinks
from mp4_small_analyser.service.web.rows import BatchRow, rows_csv, verdict_counts
from mp4_small_analyser.service.web.security import (
    SESSION_SECONDS,
    content_security_policy,
    session_token,
    session_valid,
)
from tests.fixtures_http import FileServer
from tests.fixtures_service import ServiceProcess

API_KEY = "console-test-key-3f1c"


@pytest.fixture(scope="module")
def analysed(service: ServiceProcess, served_files: FileServer, service_clip: Path) -> str:
    """A task of the module's service, analysed (with thumbnails) from the served clip."""
    url = served_files.publish(service_clip)
    answer = httpx.post(
        f"{service.url}/mp4_small_analyser", json={"files_url": [url], "batch_id": "http-1"}
    )
    assert answer.status_code == 200, answer.text
    task_id: str = answer.json()["results"][0]["task_id"]
    return task_id


def test_every_response_carries_the_security_headers(service: ServiceProcess) -> None:
    for path in ("/console/", "/health", "/docs", "/console/static/console.js"):
        headers = httpx.get(service.url + path).headers
        assert headers["content-security-policy"] == content_security_policy()
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_the_policy_forbids_inline_and_foreign_scripts() -> None:
    policy = dict(
        part.split(" ", 1) for part in content_security_policy("https://b.s3.x").split("; ")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert policy["img-src"] == "'self' data: https://b.s3.x"
    assert policy["frame-ancestors"] == "'none'"


def test_assets_come_from_the_service(service: ServiceProcess) -> None:
    docs = httpx.get(f"{service.url}/docs").text
    assert "cdn" not in docs.lower() and "<script>" not in docs
    for asset in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/console/static/vendor/uplot/uPlot.iife.min.js",
        "/console/static/console.css",
    ):
        answer = httpx.get(service.url + asset)
        assert answer.status_code == 200 and len(answer.content) > 1000, asset
    page = httpx.get(f"{service.url}/console/").text
    assert "http://" not in page.replace(service.url, "") and "https://" not in page


def test_redirects_to_the_console_are_relative(service: ServiceProcess) -> None:
    # Behind API Gateway the stage prefix (/prod) is not in the path the app sees.
    for path in ("/", "/console"):
        answer = httpx.get(service.url + path)
        assert answer.status_code == 307 and answer.headers["location"] == "console/", path


def test_unknown_batches_and_tasks_are_pages_saying_so(service: ServiceProcess) -> None:
    for path in ("/console/batches/no-such-batch", "/console/tasks/no-such-task"):
        answer = httpx.get(service.url + path)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "Not found" in answer.text
    export = httpx.get(f"{service.url}/console/batches/no-such-batch/export.csv")
    assert export.status_code == 404 and export.json()["error_code"] == "NOT_FOUND"


def test_a_thumbnail_is_served_from_the_store(service: ServiceProcess, analysed: str) -> None:
    record = httpx.get(f"{service.url}/callback/{analysed}").json()
    thumbnails = record["payload"]["results"]["thumbnails"]
    name = thumbnails["contact_sheet"]["name"]
    answer = httpx.get(f"{service.url}/callback/{analysed}/thumbnails/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.content[:2] == b"\xff\xd8"
    assert (service.db.parent / "thumbnails" / analysed / name).read_bytes() == answer.content
    missing = httpx.get(f"{service.url}/callback/{analysed}/thumbnails/black-09.jpg")
    assert missing.status_code == 404
    for bad in ("..%2F..%2Fservice.db", "x.png", "%2E%2E"):
        answer = httpx.get(f"{service.url}/callback/{analysed}/thumbnails/{bad}")
        assert answer.status_code in (404, 422), bad


def test_the_batch_exports_one_row_per_file(service: ServiceProcess, analysed: str) -> None:
    answer = httpx.get(f"{service.url}/console/batches/http-1/export.csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="batch-http-1.csv"'
    (row,) = list(csv.DictReader(io.StringIO(answer.text)))
    assert row["task_id"] == analysed and row["status"] == "completed"
    assert row["video_codec"] == "h264" and row["audio_codec"] == "aac"
    exported = httpx.get(f"{service.url}/console/batches/http-1/export.json").json()
    assert exported["rows"][0]["task_id"] == analysed
    assert exported["rows"][0]["resolution"] == "64x48"


def test_live_summaries_follow_the_named_batches(service: ServiceProcess, analysed: str) -> None:
    answer = httpx.get(f"{service.url}/console/api/batches", params={"ids": "http-1,nope"}).json()
    assert [b["batch_id"] for b in answer["batches"]] == ["http-1"]
    assert answer["batches"][0]["summary"]["completed"] == 1


# ------------------------------------------------------------- API key


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> ServiceProcess:
    directory = tmp_path_factory.mktemp("locked")
    process = ServiceProcess(
        directory / "service.db", directory / "service.log", {"API_KEY": API_KEY}
    ).start()
    yield process  # type: ignore[misc]
    process.stop()


def test_with_an_api_key_the_pages_ask_for_it(locked: ServiceProcess) -> None:
    with httpx.Client(base_url=locked.url) as client:
        answer = client.get("/console/batches/b1")
        assert answer.status_code == 303
        assert answer.headers["location"] == "../login?next=batches/b1"
        assert client.get("/console/api/batches").status_code == 401
        assert client.get("/console/batches/b1/export.csv").status_code == 401
        assert client.get("/callback/t1/thumbnails/contact-sheet.jpg").status_code == 401
        wrong = client.post("/console/login", data={"key": "nope", "next": ""})
        assert wrong.status_code == 401 and API_KEY not in wrong.text


def test_the_session_cookie_is_secure_httponly_strict_and_holds_no_key(
    locked: ServiceProcess,
) -> None:
    with httpx.Client(base_url=locked.url) as client:
        answer = client.post("/console/login", data={"key": API_KEY, "next": "profiles"})
        assert answer.status_code == 303 and answer.headers["location"] == "./profiles"
        cookie = answer.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert API_KEY not in cookie
        token = cookie.split(";", 1)[0].split("=", 1)[1]
    # httpx keeps no Secure cookie for http://: hand it over as a browser would on HTTPS.
    with httpx.Client(base_url=locked.url, cookies={"mp4a_session": token}) as browser:
        page = browser.get("/console/profiles")
        assert page.status_code == 200 and API_KEY not in page.text
        assert browser.get("/console/api/batches").status_code == 200
    assert (
        httpx.get(f"{locked.url}/console/api/batches", headers={"x-api-key": API_KEY}).status_code
        == 200
    )


def test_a_login_only_sends_back_inside_the_console(locked: ServiceProcess) -> None:
    for target in ("//evil.example", "https://evil.example", "../x", "/x"):
        answer = httpx.post(f"{locked.url}/console/login", data={"key": API_KEY, "next": target})
        assert answer.headers["location"] == "./", target


def test_sessions_expire_and_belong_to_their_key() -> None:
    token = session_token("key-a", now=1_000_000)
    assert session_valid("key-a", token, now=1_000_000 + SESSION_SECONDS - 1)
    assert not session_valid("key-a", token, now=1_000_000 + SESSION_SECONDS + 1)
    assert not session_valid("key-b", token, now=1_000_000)
    assert not session_valid("key-a", token.replace(".", ".0"), now=1_000_000)
    assert not session_valid("key-a", "garbage", now=time.time())


# ------------------------------------------------------------- pieces


def test_csv_cells_never_start_a_formula() -> None:
    row = BatchRow(
        task_id="t1",
        file_url='=HYPERLINK("http://evil")',
        status="completed",
        loudness=-23.5,
        failed_rules=["@SUM(A1)"],
    )
    (parsed,) = list(csv.DictReader(io.StringIO(rows_csv([row]))))
    assert parsed["file_url"] == '\'=HYPERLINK("http://evil")'
    assert parsed["failed_rules"] == "'@SUM(A1)"
    assert parsed["loudness_lufs"] == "-23.5"


def test_verdict_counts_name_every_verdict() -> None:
    rows = [
        BatchRow(task_id="a", file_url=None, status="completed", verdict="fail"),
        BatchRow(task_id="b", file_url=None, status="completed", verdict="fail"),
        BatchRow(task_id="c", file_url=None, status="completed"),
        BatchRow(task_id="d", file_url=None, status="failed"),
    ]
    assert verdict_counts(rows) == {"pass": 0, "warn": 0, "fail": 2, "not judged": 1}
    assert verdict_counts(rows[:2]) == {"pass": 0, "warn": 0, "fail": 2}


def test_a_payload_that_is_no_task_result_is_shown_as_received() -> None:
    view = file_view("t", "completed", "u", {"status": "completed", "custom": 1}, known_profiles())
    assert view.completed is None and view.raw_payload is not None
    assert '"custom": 1' in view.raw_payload


@pytest.mark.parametrize(
    ("path", "task", "static"),
    [
        ("/console/", "./tasks/a%2Fb", "./static/console.css"),
        ("/console/batches/x", "../tasks/a%2Fb", "../static/console.css"),
        ("/console/batches/x/export.csv", "../../tasks/a%2Fb", "../../static/console.css"),
    ],
)
def test_links_are_relative_so_a_stage_prefix_stays(path: str, task: str, static: str) -> None:
    links = PageLinks(path)
    assert links.task("a/b") == task
    assert links.static("console.css") == static
