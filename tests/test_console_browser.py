"""The console in a real browser: pages, plots, sorting, the submit form, XSS, the report.

One service (`mp4-analyser serve`, real workers) analyses generated clips served
over HTTP, with a real callback receiver; the QC profile engine gives the
verdicts (tests/console_demo.py). Headless Chromium (Debian's) loads each
page and reports console errors, failed and foreign requests, and dialogs.
Screenshots land in .artifacts/browser/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, expect

from mp4_small_analyser.stores.records import RecordUpdate, utc_timestamp
from tests.console_demo import (
    FLASHING,
    FRAMING,
    FRAMING_CUTS,
    HDR_CUT,
    XSS_NAME,
    demo_clips,
    depth_clips,
)
from tests.fixtures_browser import PHONE, WatchedPage, open_page
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

VERDICTS = ("spot-final.mp4", "promo-loud.mp4", "black-and-frozen.mp4")


@dataclass(frozen=True)
class Demo:
    service: ServiceProcess
    batch_id: str
    tasks: dict[str, str]
    """Task id by file name (and `missing.mp4`, a 404)."""
    verdicts: dict[str, str]

    def url(self, path: str) -> str:
        return self.service.url + path

    def result(self, name: str) -> dict[str, object]:
        payload: dict[str, object] = httpx.get(self.url(f"/callback/{self.tasks[name]}")).json()[
            "payload"
        ]
        return payload


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return demo_clips(tmp_path_factory.mktemp("console-clips"))


@pytest.fixture(scope="module")
def media(clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileServer]:
    with FileServer(tmp_path_factory.mktemp("console-served")) as server:
        for name, path in clips.items():
            server.publish(path, name)
        yield server


def _wait(service: ServiceProcess, batch_id: str, total: int) -> dict[str, str]:
    records = service.wait_for_batch(batch_id, total, timeout=120)
    return {r.file_url.rsplit("/", 1)[-1]: r.task_id for r in records if r.file_url}


@pytest.fixture(scope="module")
def demo(service: ServiceProcess, media: FileServer, clips: dict[str, Path]) -> Iterator[Demo]:
    urls = [media.publish(path, name) for name, path in clips.items()]
    urls.append(media.url("/missing.mp4"))
    with CallbackReceiver() as receiver:
        answer = httpx.post(
            f"{service.url}/mp4_small_analyser",
            json={"files_url": urls, "callback_url": receiver.url("/demo"), "batch_id": "demo"},
        )
        assert answer.status_code == 202, answer.text
        receiver.wait_for(len(urls), timeout=120)
    records = service.wait_for_batch("demo", len(urls), timeout=120)
    tasks = {}
    for record in records:
        assert record.file_url is not None
        name = httpx.URL(record.file_url).path.rsplit("/", 1)[-1]
        tasks[name] = record.task_id
    demo = Demo(service, "demo", tasks, {})
    for name in VERDICTS:
        results = demo.result(name)["results"]
        assert isinstance(results, dict)
        demo.verdicts[name] = results["verdict"]["status"]
    assert [demo.verdicts[name] for name in VERDICTS] == ["pass", "fail", "warn"]
    yield demo


@pytest.fixture(scope="module")
def depth_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return depth_clips(tmp_path_factory.mktemp("depth-clips"))


@pytest.fixture(scope="module")
def depth(
    service: ServiceProcess, depth_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """The depth clips (tests/console_demo.py) analysed at the every-frame depth, a batch of
    their own (`video_every_frame` in the request's options)."""
    clips = depth_files
    with FileServer(tmp_path_factory.mktemp("depth-served")) as files, CallbackReceiver() as hook:
        urls = [files.publish(path, name) for name, path in clips.items()]
        answer = httpx.post(
            f"{service.url}/mp4_small_analyser",
            json={
                "files_url": urls,
                "callback_url": hook.url("/depth"),
                "batch_id": "depth",
                "options": {"video_every_frame": True},
            },
        )
        assert answer.status_code == 202, answer.text
        hook.wait_for(len(urls), timeout=120)
    yield Demo(service, "depth", _wait(service, "depth", len(urls)), {})


# ------------------------------------------------------------------ pages


def _pages(demo: Demo) -> list[tuple[str, str]]:
    pages = [
        ("batches", "/console/"),
        ("batch", f"/console/batches/{demo.batch_id}"),
        ("submit", "/console/submit"),
        ("profiles", "/console/profiles"),
    ]
    pages += [(f"file {name}", f"/console/tasks/{task}") for name, task in demo.tasks.items()]
    return pages


def test_every_page_loads_without_a_console_error(
    page: WatchedPage, demo: Demo, depth: Demo
) -> None:
    depth_pages = [(f"file {name}", f"/console/tasks/{task}") for name, task in depth.tasks.items()]
    for name, path in _pages(demo) + depth_pages:
        response = page.page.goto(demo.url(path), wait_until="networkidle")
        assert response is not None and response.status == 200, (name, response)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        page.screenshot(f"page-{name}")
        assert page.page.locator("h1").count() >= 1
    page.clean()
    assert page.foreign_requests(demo.service.url) == []


def test_the_home_page_leads_to_the_console(page: WatchedPage, demo: Demo) -> None:
    page.page.goto(demo.url("/"))
    assert page.page.url == demo.url("/console/")
    expect(page.page.locator("table.batches")).to_contain_text(demo.batch_id)
    page.clean()


def test_the_api_docs_load_offline(page: WatchedPage, demo: Demo) -> None:
    page.page.goto(demo.url("/docs"), wait_until="networkidle")
    expect(page.page.locator(".opblock-summary-path").first).to_be_visible(timeout=15_000)
    paths = page.page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/mp4_small_analyser" in path for path in paths)
    page.screenshot("page-docs")
    page.clean()
    assert page.foreign_requests(demo.service.url) == []


def test_the_batches_page_counts_statuses_and_verdicts(page: WatchedPage, demo: Demo) -> None:
    page.page.goto(demo.url("/console/"))
    row = page.page.locator(f'tr[data-batch-id="{demo.batch_id}"]')
    total = len(demo.tasks)
    expect(row.locator('[data-field="total"]')).to_have_text(str(total))
    expect(row.locator('[data-field="failed"]')).to_have_text("1")
    expect(row.locator('[data-field="completed"]')).to_have_text(str(total - 1))
    expect(row.locator('[data-field="state"]')).to_have_text("done")
    # The counts by verdict are the batch summary's (the QC profile engine's verdicts).
    summary = httpx.get(demo.url(f"/callback/batch/{demo.batch_id}")).json()["summary"]
    badges = row.locator('[data-field="verdicts"] .badge').all_inner_texts()
    assert badges == [f"{verdict} {count}" for verdict, count in summary["verdicts"].items()]
    assert summary["verdicts"]["pass"] >= 2 and summary["verdicts"]["fail"] >= 1
    page.clean()


def test_the_file_page_draws_its_plots_with_their_points(page: WatchedPage, demo: Demo) -> None:
    page.page.goto(demo.url(f"/console/tasks/{demo.tasks['black-and-frozen.mp4']}"))
    result = demo.result("black-and-frozen.mp4")
    results = result["results"]
    assert isinstance(results, dict)
    audio, video = results["audio_analysis"], results["video_analysis"]
    (video_track,) = [track for track in results["tracks"] if track["type"] == "video"]
    loudness = page.page.locator('[data-plot="loudness"]')
    expect(loudness).to_have_attribute("data-points", str(len(audio["short_term_series"])))
    bit_rate = page.page.locator('[data-plot="bit_rate"]')
    expect(bit_rate).to_have_attribute("data-points", str(len(video_track["bit_rate_series"])))
    # The curves are on the canvases: pixels of each series' colour.
    assert _pixels_of(page, '[data-plot="loudness"] canvas', (10, 94, 168)) > 300
    assert _pixels_of(page, '[data-plot="bit_rate"] canvas', (179, 89, 0)) > 300
    # The timeline has one bar per stretch.
    timeline = page.page.locator("figure.timeline")
    assert timeline.locator("rect.segment-black").count() == len(video["black_segments"])
    assert timeline.locator("rect.segment-frozen").count() == len(video["frozen_segments"])
    assert timeline.locator("rect.segment-silence").count() == len(audio["silence_segments"])
    # Thumbnails: the contact sheet and one picture per stretch, all loaded.
    thumbnails = results["thumbnails"]
    assert isinstance(thumbnails, dict)
    images = page.page.locator("article img")
    assert images.count() == 1 + len(thumbnails["stretches"]) >= 3
    for index in range(images.count()):
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.page.locator("section.verdict")).to_contain_text(
        demo.verdicts["black-and-frozen.mp4"]
    )
    page.screenshot("file-plots")
    page.clean()


def _results(demo: Demo, name: str) -> dict[str, Any]:
    results = demo.result(name)["results"]
    assert isinstance(results, dict)
    return results


def _facts(page: WatchedPage, group: str) -> dict[str, str]:
    """The facts of one group of the page, label to value."""
    fact_group = page.page.locator(".fact-group", has=page.page.locator("h3", has_text=group))
    labels = fact_group.locator("dt").all_inner_texts()
    return dict(zip(labels, fact_group.locator("dd").all_inner_texts(), strict=True))


def _lane(page: WatchedPage, kind: str) -> Locator:
    return page.page.locator(f'figure.timeline svg[data-lane="{kind}"]')


def test_the_file_page_shows_flashes_and_cuts(page: WatchedPage, depth: Demo) -> None:
    page.page.goto(depth.url(f"/console/tasks/{depth.tasks[FLASHING]}"))
    video = _results(depth, FLASHING)["video_analysis"]
    flashes = video["flashes"]
    assert not flashes["passed"] and flashes["failing_segments"] and flashes["extended_segments"]
    lane = _lane(page, "flashes")
    expect(lane.locator("rect.segment-flash")).to_have_count(len(flashes["failing_segments"]))
    expect(lane.locator("rect.segment-flash-extended")).to_have_count(
        len(flashes["extended_segments"])
    )
    first = flashes["failing_segments"][0]
    title = lane.locator("rect.segment-flash title").first.text_content() or ""
    assert title.startswith(f"Flashing {first['peak_frequency']:g}/s "), title
    # Each flash reads as a cut to scdet's rule, as to FFmpeg's: every one is a mark.
    cuts = video["shots"]["cuts"]
    expect(_lane(page, "cuts").locator("line.mark-cuts")).to_have_count(len(cuts))
    legend = page.page.locator("figure.timeline .legend").inner_text()
    assert "flashing (fails)" in legend and "extended flashing (warns)" in legend
    expect(page.page.locator("table.checks")).to_contain_text("FLASH_RISK")
    expect(page.page.locator("table.checks")).to_contain_text("FLASH_EXTENDED")

    verdict = _facts(page, "Flashes")
    assert verdict["Verdict"].startswith("fail")
    assert verdict["Most flashes"] == f"{flashes['peak_frequency']:g} a second"
    assert verdict["Failing"].startswith(f"{first['start']:.2f}–{first['end']:.2f} s")
    assert verdict["Extended flashing"].startswith(f"{flashes['extended_seconds']:.1f} s")
    picture = _facts(page, "Picture")
    assert picture["Depth"].startswith(f"every frame: {video['sampling']['frames_decoded']:,}")
    assert picture["SI (P.910)"] == f"{video['si_mean']:.1f} mean, {video['si_max']:.1f} max"
    assert picture["TI (P.910)"] == f"{video['ti_mean']:.1f} mean, {video['ti_max']:.1f} max"
    assert picture["Shots"].startswith(f"{video['shots']['shot_count']} shots")
    page.screenshot("file-flashes")
    page.clean()


def test_the_file_page_shows_framing_every_audio_track_and_captions(
    page: WatchedPage, depth: Demo
) -> None:
    page.page.goto(depth.url(f"/console/tasks/{depth.tasks[FRAMING]}"))
    results = _results(depth, FRAMING)
    video = results["video_analysis"]
    runs = video["active_area"]["segments"]
    assert [run["kind"] for run in runs] == ["letterbox", "full", "pillarbox"]
    framing = _lane(page, "framing")
    expect(framing.locator("rect.segment-letterbox")).to_have_count(1)
    expect(framing.locator("rect.segment-pillarbox")).to_have_count(1)
    changes = framing.locator("line.mark-framing title").all_text_contents()
    assert changes == ["Framing changes at 0:04.0", "Framing changes at 0:07.0"]
    cuts = _lane(page, "cuts").locator("line.mark-cuts title").all_text_contents()
    assert cuts == [f"Cut at 0:{time:04.1f}" for time in FRAMING_CUTS]
    expect(_lane(page, "flashes")).to_contain_text("none")
    expect(_lane(page, "flashes").locator("rect")).to_have_count(1)  # the background only

    # Every audio track, not only the first: index, language, layout, loudness, true peak.
    tracks = results["audio_tracks"]
    assert [track["language"] for track in tracks] == ["eng", "fra"]
    rows = page.page.locator("table.audio-tracks tbody tr")
    expect(rows).to_have_count(2)
    for row, track in zip(rows.all(), tracks, strict=True):
        cells = row.locator("td").all_inner_texts()
        assert cells[:2] == [str(track["index"]), track["language"]]
        assert cells[3] == f"{track['channels']} ({track['channel_layout']})"
        assert cells[5] == f"{track['loudness_integrated']:.1f} LUFS"
        assert cells[7] == f"{track['true_peak']:.1f} dBTP"
    assert _facts(page, "Audio track 2 (fra)")["Channels"] == "1 (mono)"
    expect(page.page.locator("figure.plot-figure figcaption").first).to_contain_text(
        "audio track 1 (eng)"
    )

    framing_facts = _facts(page, "Framing, scan and levels")
    assert framing_facts["Framing"].splitlines() == [
        "changes:",
        "letterbox 640x272, 0.00–4.00 s",
        "full 640x360, 4.00–7.00 s",
        "pillarbox 480x360, 7.00–10.00 s",
    ]
    assert framing_facts["Interlace"].endswith(f"({video['interlace']['pictures']} pictures)")
    levels = video["levels"]["y"]
    assert framing_facts["Levels"].startswith(f"Y {levels['minimum']}–{levels['maximum']}")
    assert framing_facts["Range"] == "limited, the levels agree"
    captions = _facts(page, "Captions")
    assert captions == {"Captions": "yes", "In the video (A/53)": "CEA-608 (field 1), from 0.00 s"}
    assert _facts(page, "GOP")["Keyframes"] == str(video["gop"]["keyframes"])
    page.screenshot("file-framing")
    page.clean()


def test_the_file_page_shows_hdr_and_what_a_cut_short_file_lacks(
    page: WatchedPage, depth: Demo
) -> None:
    page.page.goto(depth.url(f"/console/tasks/{depth.tasks[HDR_CUT]}"))
    results = _results(depth, HDR_CUT)
    info, hdr = results["file_info"], results["video_analysis"]["hdr"]
    assert info["truncated"] and hdr["format"] == "HDR10"
    assert _facts(page, "Container")["Truncated"] == (
        f"yes: {info['bytes_missing']:,} bytes and {info['seconds_missing']:.2f} s of media "
        f"missing; plays to {info['playable_until']:.3f} s"
    )
    colour = _facts(page, "Colour and HDR")
    assert colour["Dynamic range"] == "HDR10"
    assert colour["Transfer"] == "smpte2084"
    assert colour["Content light"] == "MaxCLL 1000 cd/m², MaxFALL 400 cd/m²"
    assert colour["Mastering display"].splitlines() == [
        "R (0.680, 0.320) G (0.265, 0.690) B (0.150, 0.060)",
        "white (0.3127, 0.3290)",
        "0.005–1000 cd/m²",
    ]
    assert colour["HDR metadata from"] == "bitstream SEI"
    expect(page.page.locator("table.checks")).to_contain_text("TRUNCATED_FILE")
    page.clean()


def test_at_the_sampled_depth_the_timeline_says_what_was_not_measured(
    page: WatchedPage, demo: Demo
) -> None:
    page.page.goto(demo.url(f"/console/tasks/{demo.tasks['black-and-frozen.mp4']}"))
    for kind in ("flashes", "cuts"):
        expect(_lane(page, kind)).to_contain_text("not measured: every-frame depth only")
        expect(_lane(page, kind).locator("rect.segment, line.mark")).to_have_count(0)
    expect(_lane(page, "framing")).to_contain_text("none")
    assert _facts(page, "Picture")["Not measured"] == (
        "flashes, shots, ti, interlace: every-frame depth only"
    )
    page.clean()


def _pixels_of(page: WatchedPage, selector: str, rgb: tuple[int, int, int]) -> int:
    count: int = page.page.locator(selector).first.evaluate(
        """(canvas, rgb) => {
            const context = canvas.getContext("2d");
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (Math.abs(data[i] - rgb[0]) < 30 && Math.abs(data[i + 1] - rgb[1]) < 30
                    && Math.abs(data[i + 2] - rgb[2]) < 30 && data[i + 3] > 200) n++;
            }
            return n;
        }""",
        list(rgb),
    )
    return count


def _column(page: WatchedPage, index: int) -> list[str]:
    values: list[str] = page.page.locator("#rows tbody tr:not([hidden])").evaluate_all(
        "(rows, index) => rows.map(row => row.cells[index].getAttribute('data-value')"
        " ?? row.cells[index].textContent.trim())",
        index,
    )
    return values


def test_the_batch_table_sorts_and_filters(page: WatchedPage, demo: Demo) -> None:
    page.page.goto(demo.url(f"/console/batches/{demo.batch_id}"))
    table = page.page.locator("#rows")
    headers = table.locator("thead th")
    loudness_index = headers.all_inner_texts().index("Loudness")
    table.locator("th", has_text="Loudness").locator("button").click()
    values = _column(page, loudness_index)
    known = [float(v) for v in values if v]
    assert known == sorted(known) and len(known) == 4
    assert values[-1] == ""  # the file that could not be read sorts last
    table.locator("th", has_text="Loudness").locator("button").click()
    known = [float(v) for v in _column(page, loudness_index) if v]
    assert known == sorted(known, reverse=True)
    expect(table.locator("th", has_text="Loudness")).to_have_attribute("aria-sort", "descending")

    table.locator("th", has_text="Verdict").locator("button").click()
    verdicts = page.page.locator("#rows tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.verdict)"
    )
    assert verdicts[:3] == ["fail", "warn", "pass"]

    page.page.fill("#row-filter", "promo")
    expect(page.page.locator("#rows tbody tr:not([hidden])")).to_have_count(1)
    expect(page.page.locator("#row-count")).to_have_text(f"1 of {len(demo.tasks)} files")
    page.page.fill("#row-filter", "")
    page.page.select_option("#verdict-filter", "warn")
    rows = page.page.locator("#rows tbody tr:not([hidden])")
    assert rows.count() == 1 and rows.first.get_attribute("data-verdict") == "warn"
    page.page.select_option("#verdict-filter", "")
    page.page.select_option("#status-filter", "failed")
    expect(page.page.locator("#rows tbody tr:not([hidden])")).to_have_count(1)
    expect(page.page.locator("#rows tbody tr:not([hidden])")).to_contain_text("FILE_NOT_FOUND")
    page.clean()


def test_the_exports_hold_the_table(page: WatchedPage, demo: Demo) -> None:
    page.page.goto(demo.url(f"/console/batches/{demo.batch_id}"))
    with page.page.expect_download() as download:
        page.page.click("text=CSV")
    text = Path(download.value.path()).read_text()
    lines = text.strip().splitlines()
    assert lines[0].startswith("task_id,file_url,status,verdict")
    assert len(lines) == 1 + len(demo.tasks)
    assert any(",fail," in line and "promo-loud.mp4" in line for line in lines)
    with page.page.expect_download() as download:
        page.page.click("text=JSON")
    assert '"batch_id": "demo"' in Path(download.value.path()).read_text()
    page.clean()


# ------------------------------------------------------------ submit form


def test_the_submit_form_runs_a_batch_end_to_end(
    page: WatchedPage,
    demo: Demo,
    media: FileServer,
    clips: dict[str, Path],
    callback_receiver: CallbackReceiver,
) -> None:
    urls = [media.publish(clips["spot-final.mp4"]), media.publish(clips[XSS_NAME], XSS_NAME)]
    page.page.goto(demo.url("/console/submit"))
    page.page.fill("#urls", "\n".join(urls))
    page.page.select_option("#profile", "streaming")
    page.page.fill("#callback_url", callback_receiver.url("/hooks"))
    page.page.click("form.submit-form button")
    page.page.wait_for_url("**/console/batches/*")
    batch_id = page.page.url.rsplit("/", 1)[-1]
    # The page follows the batch by itself until both files are done.
    expect(page.page.locator('#batch-live [data-field="state"]')).to_have_text(
        "done", timeout=90_000
    )
    expect(page.page.locator("#rows tbody tr")).to_have_count(2)
    expect(page.page.locator("#rows .status-completed")).to_have_count(2, timeout=10_000)

    received = callback_receiver.wait_for(2, timeout=30)
    task_ids = page.page.locator("#rows tbody td.file a").evaluate_all(
        "links => links.map(a => decodeURIComponent(a.getAttribute('href').split('/').pop()))"
    )
    assert sorted(r.path for r in received) == sorted(f"/hooks/{task}" for task in task_ids)
    assert all(r.json["results"]["profile"] == "streaming" for r in received)
    assert {r.json["batch_id"] for r in received} == {batch_id}

    page.page.locator("#rows tbody td.file a", has_text="spot-final.mp4").click()
    expect(page.page.locator("h1")).to_have_text("spot-final.mp4")
    images = page.page.locator("article img")
    expect(images.first).to_be_visible()
    assert images.first.evaluate("img => img.complete && img.naturalWidth > 0")
    page.clean()


def test_the_submit_form_explains_what_it_refuses(page: WatchedPage, demo: Demo) -> None:
    page.page.goto(demo.url("/console/submit"))
    page.page.fill("#urls", "ftp://example.com/a.mp4")
    page.page.click("form.submit-form button")
    expect(page.page.locator(".errors")).to_contain_text("not queued")
    expect(page.page.locator("#urls")).to_have_value("ftp://example.com/a.mp4")


# ------------------------------------------------------------------- XSS


def test_a_hostile_file_name_stays_text(page: WatchedPage, demo: Demo) -> None:
    task = demo.tasks[XSS_NAME]
    for path in (f"/console/batches/{demo.batch_id}", f"/console/tasks/{task}"):
        page.page.goto(demo.url(path), wait_until="networkidle")
        assert page.page.evaluate("typeof window.__xss") == "undefined"
        assert page.page.locator("img[onerror], [onerror]").count() == 0
    expect(page.page.locator("h1")).to_have_text(XSS_NAME)
    page.page.goto(demo.url(f"/console/batches/{demo.batch_id}"))
    expect(page.page.locator("#rows td.file", has_text=XSS_NAME)).to_have_count(1)
    page.clean()


def test_hostile_text_in_a_received_callback_stays_text(page: WatchedPage, demo: Demo) -> None:
    payload = demo.result("spot-final.mp4")
    hostile = '"><script>window.__xss=2</script><svg onload="window.__xss=3">'
    results = dict(payload["results"])  # type: ignore[call-overload]
    results["checks"] = [
        {"code": "X", "severity": "error", "message": hostile, "value": hostile, "limit": None}
    ]
    results["video_analysis"] = {**results["video_analysis"], "codec": hostile}
    results["audio_tracks"] = [
        {**track, "language": hostile, "channel_layout": hostile}
        for track in results["audio_tracks"]
    ]
    results["thumbnails"] = None  # no pictures are stored for this task id
    body = {
        **payload,
        "task_id": "hostile-1",
        "batch_id": "hostile",
        "file_url": hostile,
        "results": results,
    }
    answer = httpx.post(demo.url("/callback/hostile-1"), json=body)
    assert answer.status_code == 200, answer.text
    for path in ("/console/batches/hostile", "/console/tasks/hostile-1"):
        page.page.goto(demo.url(path), wait_until="networkidle")
        assert page.page.evaluate("typeof window.__xss") == "undefined"
        assert (
            page.page.locator(
                "main script:not([type='application/json']), main svg[onload]"
            ).count()
            == 0
        )
    expect(page.page.locator("table.checks")).to_contain_text(hostile)
    expect(page.page.locator("table.audio-tracks")).to_contain_text(hostile)
    page.clean()


# ----------------------------------------------------------------- phone


def test_pages_fit_a_phone(browser: Browser, demo: Demo, depth: Demo) -> None:
    phone = open_page(browser, PHONE)
    try:
        file_page = ("file", f"/console/tasks/{demo.tasks['black-and-frozen.mp4']}")
        depth_page = ("file-framing", f"/console/tasks/{depth.tasks[FRAMING]}")
        for name, path in [*_pages(demo)[:2], depth_page, file_page]:
            phone.page.goto(demo.url(path), wait_until="networkidle")
            overflow = phone.page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, (name, overflow)
            phone.screenshot(f"phone-{name}")
        width = phone.page.locator('[data-plot="loudness"] canvas').first.evaluate(
            "canvas => canvas.getBoundingClientRect().width"
        )
        assert 300 <= width <= PHONE["width"]
        phone.clean()
    finally:
        phone.page.context.close()


# ---------------------------------------------------------------- report


def test_the_html_report_opens_from_a_file(
    page: WatchedPage, clips: dict[str, Path], tmp_path: Path
) -> None:
    report, table = tmp_path / "report.html", tmp_path / "report.csv"
    sources = [str(clips[name]) for name in ("black-and-frozen.mp4", XSS_NAME, "spot-final.mp4")]
    sources.append(str(tmp_path / "missing.mp4"))
    # A report is for sharing: a URL's credentials never reach it (this one is refused).
    sources.append("http://user:pw-77@127.0.0.1:9/signed.mp4?token=tok-55")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mp4_small_analyser.cli",
            "analyse",
            "--html",
            str(report),
            "--csv",
            str(table),
            "-j",
            "2",
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr  # two sources cannot be read
    assert len(table.read_text().strip().splitlines()) == 1 + len(sources)
    for written in (report.read_text(), table.read_text()):
        assert "pw-77" not in written and "tok-55" not in written
        assert "token=REDACTED" in written

    page.page.goto(report.as_uri(), wait_until="load")
    assert page.foreign_requests("file://") == []
    assert page.page.evaluate("typeof window.__xss") == "undefined"
    expect(page.page.locator("#rows tbody tr")).to_have_count(len(sources))
    expect(page.page.locator("article.file-page")).to_have_count(len(sources))
    expect(page.page.locator("#file-2 h1")).to_have_text(XSS_NAME)
    plots = page.page.locator("[data-plot][data-points]")
    assert plots.count() == 2 * 3  # loudness and bit rate of each decoded file
    images = page.page.locator("article img")
    assert images.count() >= 3
    for index in range(images.count()):
        image = images.nth(index)
        assert image.get_attribute("src", timeout=1000).startswith("data:image/jpeg;base64,")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    page.page.locator("#rows th", has_text="Duration").locator("button").click()
    expect(page.page.locator("#rows th", has_text="Duration")).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.page.locator("#rows a", has_text="spot-final.mp4").click()
    assert page.page.url.endswith("#file-3")
    page.screenshot("report")
    page.clean()


def test_the_html_report_shows_the_picture_depth_and_every_audio_track(
    page: WatchedPage, depth_files: dict[str, Path], tmp_path: Path
) -> None:
    report = tmp_path / "depth.html"
    sources = [str(depth_files[FLASHING]), str(depth_files[FRAMING])]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mp4_small_analyser.cli",
            "analyse",
            "--every-frame",
            "--json",
            "--html",
            str(report),
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    flashing, framing = (item["results"] for item in json.loads(done.stdout))

    page.page.goto(report.as_uri(), wait_until="load")
    assert page.foreign_requests("file://") == []
    first, second = page.page.locator("#file-1"), page.page.locator("#file-2")
    flash_lane = first.locator('svg[data-lane="flashes"]')
    expect(flash_lane.locator("rect.segment-flash")).to_have_count(
        len(flashing["video_analysis"]["flashes"]["failing_segments"])
    )
    expect(flash_lane.locator("rect.segment-flash-extended")).to_have_count(
        len(flashing["video_analysis"]["flashes"]["extended_segments"])
    )
    expect(first.locator('svg[data-lane="cuts"] line.mark-cuts')).to_have_count(
        len(flashing["video_analysis"]["shots"]["cuts"])
    )
    expect(second.locator('svg[data-lane="framing"] line.mark-framing')).to_have_count(2)
    expect(second.locator('svg[data-lane="cuts"] line.mark-cuts')).to_have_count(len(FRAMING_CUTS))
    languages = second.locator("table.audio-tracks tbody tr td:nth-child(2)").all_inner_texts()
    assert languages == [track["language"] for track in framing["audio_tracks"]]
    expect(second.locator(".fact-group", has_text="Captions")).to_contain_text("CEA-608")
    expect(first.locator(".fact-group", has_text="Flashes")).to_contain_text("fail")
    page.screenshot("report-depth")
    page.clean()


# ---------------------------------------------------------------- API key

API_KEY = "browser-key-5d2e"


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    directory = tmp_path_factory.mktemp("locked-browser")
    process = ServiceProcess(
        directory / "service.db", directory / "service.log", {"API_KEY": API_KEY}
    ).start()
    yield process
    process.stop()


def test_with_an_api_key_the_console_signs_in_by_key(
    page: WatchedPage, locked: ServiceProcess, served_files: FileServer, service_clip: Path
) -> None:
    url = served_files.publish(service_clip)
    answer = httpx.post(
        f"{locked.url}/mp4_small_analyser",
        json={"files_url": [url], "batch_id": "locked-1"},
        headers={"x-api-key": API_KEY},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    task_id = answer.json()["results"][0]["task_id"]

    page.page.goto(f"{locked.url}/console/tasks/{task_id}")
    expect(page.page.locator("h1")).to_have_text("Sign in")
    page.page.fill("#key", "not-the-key")
    page.page.click("form.login-form button")
    expect(page.page.locator(".errors")).to_be_visible()
    page.page.fill("#key", API_KEY)
    page.page.click("form.login-form button")
    # Back where it was going, with the thumbnails the session may load.
    page.page.wait_for_url(f"**/console/tasks/{task_id}")
    image = page.page.locator("article img").first
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert API_KEY not in page.page.content()
    (cookie,) = page.page.context.cookies()
    assert cookie["name"] == "mp4a_session" and API_KEY not in cookie["value"]
    # Not `Secure` over http://127.0.0.1 (the browser would drop it); test_console_http
    # shows it is behind an HTTPS proxy.
    assert cookie["httpOnly"] and not cookie["secure"] and cookie["sameSite"] == "Strict"
    assert page.page.evaluate("document.cookie") == ""  # out of scripts' reach

    page.page.click("text=Sign out")
    expect(page.page.locator("h1")).to_have_text("Sign in")
    assert page.page.context.cookies() == []
    page.page.goto(f"{locked.url}/console/")
    expect(page.page.locator("h1")).to_have_text("Sign in")
    # Only the 401 of the first, wrong key is expected in the console.
    assert [e for e in page.errors if "401" not in e] == []


def test_the_batches_page_follows_a_running_batch(page: WatchedPage, demo: Demo) -> None:
    store = demo.service.store()
    queued = store.latest(demo.tasks["spot-final.mp4"])
    assert queued is not None
    running = queued.model_copy(
        update={
            "task_id": "live-task",
            "batch_id": "live-batch",
            "status": "running",
            "timestamp": utc_timestamp(),
            "payload": None,
        }
    )
    store.put(running)
    page.page.goto(demo.url("/console/"))
    row = page.page.locator('tr[data-batch-id="live-batch"]')
    expect(row.locator('[data-field="state"]')).to_have_text("running")
    expect(row.locator('[data-field="running"]')).to_have_text("1")
    # The task finishes while the page is open: the row catches up without a reload.
    store.update("live-task", running.timestamp, RecordUpdate(status="completed"))
    expect(row.locator('[data-field="state"]')).to_have_text("done", timeout=15_000)
    expect(row.locator('[data-field="completed"]')).to_have_text("1")
    expect(row.locator('[data-field="progress"]')).to_have_attribute("value", "1")
    page.clean()
