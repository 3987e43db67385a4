"""QC profiles in the service under uvicorn: listing, per-batch and per-file profiles (named,
from the PROFILES_DIR folder, inline), pointed 422s, and re-judging stored results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_http import FileServer
from tests.fixtures_service import ServiceProcess

HOUSE = """\
name: house
title: House spec
description: Stereo only, loudness as ATSC A/85.
extends: atsc-a85
rules:
  - code: STEREO_ONLY
    field: audio_analysis.channels
    equals: 2
"""
SPEC = {
    "name": "tiny-ok",
    "description": "Accepts the 64x48 test clip: only its codec is judged.",
    "rules": [{"code": "VIDEO_CODEC", "field": "video_analysis.codec", "equals": "h264"}],
}


@pytest.fixture(scope="module")
def service_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("profiles")
    (folder / "house.yaml").write_text(HOUSE, encoding="utf-8")
    return {"PROFILES_DIR": str(folder)}


def call(service: ServiceProcess, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    with service.client() as client:
        response = client.request(method, path, **kwargs)
    return response.status_code, response.json()


def submit(service: ServiceProcess, body: dict[str, Any]) -> tuple[int, Any]:
    return call(service, "POST", "/mp4_small_analyser", json=body)


def verdict(result: dict[str, Any]) -> tuple[str, str, list[str]]:
    found = result["results"]["verdict"]
    return found["profile"], found["status"], found["decided_by"]


@pytest.fixture(scope="module")
def clip_url(served_files: FileServer, service_clip: Path) -> str:
    return served_files.publish(service_clip, "profiles-clip.mp4")


def test_profiles_are_listed_with_the_folder_s(service: ServiceProcess) -> None:
    status, body = call(service, "GET", "/profiles")
    assert status == 200
    by_name = {profile["name"]: profile for profile in body["profiles"]}
    assert by_name["ebu-r128-s1"]["origin"] == "built-in"
    assert by_name["ebu-r128-s1"]["extends"] == ["ebu-r128", "technical"]
    assert by_name["house"] == {
        "name": "house",
        "title": "House spec",
        "description": "Stereo only, loudness as ATSC A/85.",
        "extends": ["atsc-a85", "technical"],
        "origin": "folder",
        "rules": by_name["atsc-a85"]["rules"] + 1,
    }


def test_one_profile_shows_its_merged_rules_and_where_each_comes_from(
    service: ServiceProcess,
) -> None:
    status, body = call(service, "GET", "/profiles/ebu-r128-s1")
    assert status == 200
    assert body["rule_origins"]["MAX_SHORT_TERM_OVER_LIMIT"] == "ebu-r128-s1"
    assert body["rule_origins"]["TRUE_PEAK_OVER_LIMIT"] == "ebu-r128"
    rules = {rule["code"]: rule for rule in body["document"]["rules"]}
    assert rules["LOUDNESS_OUT_OF_RANGE"]["target"] == -23.0
    assert rules["LOUDNESS_OUT_OF_RANGE"]["tolerance"] == 0.5
    assert "extends" not in body["document"] or body["document"]["extends"] is None
    status, error = call(service, "GET", "/profiles/ebu-r129")
    assert (status, error["error_code"]) == (404, "NOT_FOUND")


def test_each_file_is_judged_by_its_own_profile(service: ServiceProcess, clip_url: str) -> None:
    body = {
        "mp4_small_analyser": [
            {"file_url": clip_url, "task_id": "judged-batch-profile"},
            {"file_url": clip_url, "task_id": "judged-inline", "profile": SPEC},
            {"file_url": clip_url, "task_id": "judged-folder", "profile": "house"},
        ],
        "batch_id": "profiles-batch",
        "profile": "web",
    }
    status, answer = submit(service, body)
    assert status == 200, answer
    first, inline, folder = answer["results"]
    assert verdict(first)[0] == "web"
    assert verdict(inline) == ("tiny-ok", "pass", [])
    assert verdict(folder)[0] == "house"
    assert "STEREO_ONLY" not in verdict(folder)[2]
    assert folder["metadata"]["options"]["profile"] == "house"
    status, batch = call(service, "GET", "/callback/batch/profiles-batch")
    assert status == 200
    counts = batch["summary"]["verdicts"]
    assert sum(counts.values()) == 3 and counts["pass"] >= 1


def test_a_stored_task_is_judged_again_without_changing_it(
    service: ServiceProcess, clip_url: str
) -> None:
    status, answer = submit(
        service, {"mp4_small_analyser": [{"file_url": clip_url, "task_id": "rejudge-me"}]}
    )
    assert status == 200, answer
    (stored,) = answer["results"]
    assert verdict(stored)[0] == "ebu-r128"
    status, judged = call(service, "POST", "/callback/rejudge-me/judge", json={"profile": SPEC})
    assert status == 200, judged
    assert verdict(judged) == ("tiny-ok", "pass", [])
    assert judged["results"]["audio_analysis"] == stored["results"]["audio_analysis"]
    assert judged["metadata"] == stored["metadata"]
    status, record = call(service, "GET", "/callback/rejudge-me")
    assert verdict(record["payload"])[0] == "ebu-r128"


def test_a_stored_batch_is_judged_again_page_by_page(
    service: ServiceProcess, clip_url: str
) -> None:
    files = [{"file_url": clip_url, "task_id": f"again-{i}"} for i in range(3)]
    status, answer = submit(service, {"mp4_small_analyser": files, "batch_id": "again"})
    assert status == 200, answer
    status, page = call(
        service, "POST", "/callback/batch/again/judge", json={"profile": SPEC}, params={"limit": 2}
    )
    assert status == 200, page
    assert (page["profile"], page["verdicts"], page["pending"]) == (
        "tiny-ok",
        {"pass": 2, "warn": 0, "fail": 0},
        [],
    )
    assert [r["task_id"] for r in page["results"]] == ["again-0", "again-1"]
    status, rest = call(
        service,
        "POST",
        "/callback/batch/again/judge",
        json={"profile": "ebu-r128"},
        params={"next_token": page["next_token"]},
    )
    assert status == 200, rest
    assert [r["task_id"] for r in rest["results"]] == ["again-2"]
    assert rest["next_token"] is None


def test_judging_what_is_not_there(service: ServiceProcess) -> None:
    status, error = call(service, "POST", "/callback/nobody/judge", json={"profile": "web"})
    assert (status, error["error_code"]) == (404, "NOT_FOUND")
    status, error = call(service, "POST", "/callback/batch/none/judge", json={"profile": "web"})
    assert (status, error["error_code"]) == (404, "NOT_FOUND")
    status, _ = call(
        service,
        "POST",
        "/callback/queued-only",
        json={"status": "queued", "file_url": "https://example.com/a.mp4"},
    )
    assert status == 200
    status, error = call(service, "POST", "/callback/queued-only/judge", json={"profile": "web"})
    assert (status, error["error_code"]) == (409, "TASK_NOT_COMPLETED")


@pytest.mark.parametrize(
    ("profile", "loc", "message"),
    [
        (
            {**SPEC, "rules": [{"code": "X", "field": "video_analysis.bitrate", "min": 1}]},
            "mp4_small_analyser[1].profile.rules[0] (X).field",
            "unknown field 'video_analysis.bitrate': 'video_analysis' has no field 'bitrate'; "
            "did you mean 'bit_rate'?",
        ),
        (
            {**SPEC, "rules": [{"code": "X", "field": "audio_analysis.true_peak", "maxi": 1}]},
            "mp4_small_analyser[1].profile.rules[0] (X)",
            "unknown key 'maxi'; did you mean 'max'?",
        ),
        (
            {**SPEC, "extends": "ebu-r128s1"},
            "mp4_small_analyser[1].profile.extends",
            "unknown parent profile 'ebu-r128s1'; did you mean 'ebu-r128-s1'?",
        ),
        (
            {**SPEC, "extends": "/etc/passwd.yaml"},
            "mp4_small_analyser[1].profile.extends",
            "an inline profile extends profiles by name only, not by path",
        ),
        (
            {**SPEC, "name": "ebu-r128"},
            "mp4_small_analyser[1].profile.name",
            "'ebu-r128' is the name of a built-in profile: give yours its own",
        ),
        (
            "ebu-r182",
            "mp4_small_analyser[1].profile",
            "no such profile; did you mean 'ebu-r128'?",
        ),
    ],
)
def test_a_bad_profile_is_a_422_naming_the_place(
    service: ServiceProcess, clip_url: str, profile: Any, loc: str, message: str
) -> None:
    files = [{"file_url": clip_url}, {"file_url": clip_url, "profile": profile}]
    status, error = submit(service, {"mp4_small_analyser": files})
    assert status == 422, error
    assert error["error_code"] == "INVALID_PROFILE"
    first = error["details"][0]["msg"]
    assert {"loc": loc, "field": loc, "msg": first, "type": "profile_invalid"} in error["details"]
    assert any(detail["msg"].startswith(message) for detail in error["details"]), error
    assert error["error"].startswith("Invalid QC profile: mp4_small_analyser[1].profile")


def test_a_bad_batch_profile_is_a_422_too(service: ServiceProcess, clip_url: str) -> None:
    status, error = submit(service, {"files_url": [clip_url], "profile": {"name": "x"}})
    assert (status, error["error_code"]) == (422, "INVALID_PROFILE")
    assert error["details"][0]["loc"] == "profile.description"
    status, error = call(
        service, "POST", "/callback/anything/judge", json={"profile": {**SPEC, "rules": 3}}
    )
    assert (status, error["error_code"]) == (422, "INVALID_PROFILE")
