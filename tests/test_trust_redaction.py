"""Every credential-like query parameter and URL userinfo is redacted, by one list
(review finding #10): in text, URLs and JSON, and through a real service's answers and log."""

from __future__ import annotations

from pathlib import Path

import pytest

from mp4_small_analyser.service.redaction import (
    REDACTED,
    SECRET_PARAMETERS,
    redact_json,
    redact_text,
    redact_url,
)
from tests.fixtures_service import ServiceProcess

NAMED_IN_THE_REVIEW = [
    "key",
    "api_key",
    "apikey",
    "access_token",
    "token",
    "sig",
    "signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "password",
    "secret",
    "auth",
    "credential",
]


def test_the_one_list_holds_every_name_the_review_asked_for() -> None:
    assert {name.lower() for name in NAMED_IN_THE_REVIEW} <= SECRET_PARAMETERS


@pytest.mark.parametrize("name", [*NAMED_IN_THE_REVIEW, "SIGNATURE", "Api_Key", "refresh_token"])
def test_each_credential_parameter_is_redacted_wherever_a_url_is_shown(name: str) -> None:
    url = f"https://cdn.example/a.mp4?keep=1&{name}=s3cr3t-{name}&x=2"
    expected = f"https://cdn.example/a.mp4?keep=1&{name}={REDACTED}&x=2"
    assert redact_url(url) == expected
    assert redact_text(f"fetching {url} failed") == f"fetching {expected} failed"
    assert redact_json({"urls": [url], "n": 1}) == {"urls": [expected], "n": 1}
    assert redact_text(f"POST /x?{name}=s3cr3t HTTP/1.1") == f"POST /x?{name}={REDACTED} HTTP/1.1"


@pytest.mark.parametrize(
    "url",
    ["https://user:pa55@host.example/a.mp4", "https://only-user@host.example/a.mp4"],
)
def test_userinfo_is_redacted(url: str) -> None:
    assert redact_url(url) == f"https://{REDACTED}@host.example/a.mp4"
    assert "pa55" not in redact_text(f"see {url}") and "only-user" not in redact_text(url)


def test_other_parameters_are_kept() -> None:
    url = "https://cdn.example/a.mp4?keyframe=3&monkey=1&tokens=2&v=1"
    assert redact_url(url) == url and redact_text(url) == url


def test_the_service_shows_and_logs_each_redacted(tmp_path: Path) -> None:
    service = ServiceProcess(tmp_path / "r.db", tmp_path / "r.log", {"LOG_LEVEL": "debug"})
    service.start()
    try:
        query = "&".join(f"{name}=s3cr3t-{i}" for i, name in enumerate(NAMED_IN_THE_REVIEW))
        url = f"http://user:pa55word@127.0.0.1:9/gone.mp4?{query}"
        with service.client() as client:
            answer = client.post("/mp4_small_analyser", json={"files_url": [url]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"][0]["error_code"] is not None
    finally:
        service.stop()
    for text, where in ((answer.text, "the answer"), (service.log.read_text(), "the log")):
        assert "s3cr3t" not in text and "pa55word" not in text, where
        assert REDACTED in text, where
