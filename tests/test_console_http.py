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

from mp4_small_analyser.analysis.judging import ProfileLibrary
from mp4_small_analyser.models import ReceivedResult
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
    # The verdict counts are the batch summary's, as GET /callback/batch/{id} has them.
    summary = httpx.get(f"{service.url}/callback/batch/http-1").json()["summary"]
    assert sum(summary["verdicts"].values()) == 1
    assert answer["batches"][0]["verdicts"] == summary["verdicts"]


def test_the_profiles_page_shows_the_engines_profiles_and_their_rules(
    service: ServiceProcess,
) -> None:
    page = httpx.get(f"{service.url}/console/profiles").text
    listed = httpx.get(f"{service.url}/profiles").json()["profiles"]
    assert len(listed) > 5
    for profile in listed:
        assert f'id="profile-{profile["name"]}"' in page, profile["name"]
    # Each rule: its field, its condition in words with the unit, where it came from.
    assert "<code>audio_tracks[*].loudness_integrated</code>" in page
    assert "-23 ± 0.5 LUFS" in page and "at most -1 dBTP" in page
    assert "Loudness target -23.0 LUFS ± 0.5 LU; true-peak ceiling -1.0 dBTP." in page


def test_a_file_page_shows_the_services_record_not_a_callback_received_for_it(
    service: ServiceProcess, analysed: str
) -> None:
    spoof = {"status": "failed", "error": "spoofed-result", "error_code": "SPOOFED"}
    assert httpx.post(f"{service.url}/callback/{analysed}", json=spoof).status_code == 200
    page = httpx.get(f"{service.url}/console/tasks/{analysed}").text
    assert "spoofed-result" not in page and "SPOOFED" not in page
    assert 'class="status status-completed"' in page


def test_pages_and_exports_show_secrets_in_urls_redacted(
    service: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    url = served_files.publish(service_clip, "signed.mp4") + "?X-Amz-Signature=sig-5e3c&token=t-9a1"
    answer = httpx.post(
        f"{service.url}/mp4_small_analyser", json={"files_url": [url], "batch_id": "signed"}
    )
    assert answer.status_code == 200, answer.text
    task_id = answer.json()["results"][0]["task_id"]
    for path in (
        "/console/",
        "/console/batches/signed",
        f"/console/tasks/{task_id}",
        "/console/batches/signed/export.csv",
        "/console/batches/signed/export.json",
    ):
        shown = httpx.get(service.url + path).text
        assert "sig-5e3c" not in shown and "t-9a1" not in shown, path
        if path != "/console/":
            assert "X-Amz-Signature=REDACTED" in shown, path


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


def test_the_session_cookie_is_httponly_strict_and_holds_no_key(locked: ServiceProcess) -> None:
    with httpx.Client(base_url=locked.url) as client:
        answer = client.post("/console/login", data={"key": API_KEY, "next": "profiles"})
        assert answer.status_code == 303 and answer.headers["location"] == "./profiles"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        # Over plain http (make run) a Secure cookie would be dropped by the browser.
        assert "Secure" not in cookie
        assert API_KEY not in cookie
        # The session signs in the pages, their data and the API's reads.
        assert client.get("/console/profiles").status_code == 200
        assert client.get("/console/api/batches").status_code == 200
        assert client.get("/profiles").status_code == 200
        assert API_KEY not in client.get("/console/profiles").text
        logout = client.post("/console/logout", headers=FORM)
        assert "Secure" not in logout.headers["set-cookie"]
    assert (
        httpx.get(f"{locked.url}/console/api/batches", headers={"x-api-key": API_KEY}).status_code
        == 200
    )


FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_behind_an_https_proxy_the_session_cookie_is_secure(locked: ServiceProcess) -> None:
    # API Gateway (and any TLS-terminating proxy) says so in X-Forwarded-Proto.
    proxied = {"x-forwarded-proto": "https"}
    login = httpx.post(
        f"{locked.url}/console/login", data={"key": API_KEY, "next": ""}, headers=proxied
    )
    cookie = login.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    # httpx keeps no Secure cookie for http://: hand it over as a browser would on HTTPS.
    with httpx.Client(base_url=locked.url, cookies={"mp4a_session": token}) as browser:
        assert browser.get("/console/profiles", headers=proxied).status_code == 200
        logout = browser.post("/console/logout", headers={**proxied, **FORM})
        assert "Secure" in logout.headers["set-cookie"]


def test_form_posts_from_other_sites_or_not_as_forms_are_refused(locked: ServiceProcess) -> None:
    login = f"{locked.url}/console/login"
    form = {"key": API_KEY, "next": ""}
    host = httpx.URL(locked.url).netloc.decode()
    for headers in (
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site", "origin": f"http://{host}"},
        {"sec-fetch-site": "same-site"},
    ):
        answer = httpx.post(login, data=form, headers=headers)
        assert answer.status_code == 403 and "set-cookie" not in answer.headers, headers
    for headers in ({"origin": f"http://{host}"}, {"sec-fetch-site": "same-origin"}, {}):
        answer = httpx.post(login, data=form, headers=headers)
        assert answer.status_code == 303 and "set-cookie" in answer.headers, headers
    as_json = httpx.post(login, json=form)
    assert as_json.status_code == 415 and "set-cookie" not in as_json.headers
    signed = {"x-api-key": API_KEY}
    submit = f"{locked.url}/console/submit"
    files = {"urls": "http://127.0.0.1:9/a.mp4", "profile": "ebu-r128"}
    refused = httpx.post(submit, data=files, headers={**signed, "origin": "https://evil.example"})
    assert refused.status_code == 403
    assert httpx.post(submit, json=files, headers=signed).status_code == 415
    logout = httpx.post(f"{locked.url}/console/logout", headers={"sec-fetch-site": "cross-site"})
    assert logout.status_code == 403


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
    payload = ReceivedResult.model_validate({"status": "completed", "custom": 1})
    view = file_view("t", "completed", "u", payload, known_profiles(ProfileLibrary()))
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
