"""`make screenshots`: every console page of a real service, photographed, and weighed.

Starts `mp4-analyser serve` on a temporary database, analyses the demo clips
(tests/console_demo.py) served over HTTP with a callback receiver (the QC
profile engine judges them), and the depth clips as a second batch at the
every-frame depth, writes an `analyse --html` report, then opens each page in
headless Chromium (Debian's, through Playwright) at 1280 px, and the file page
at 390 px (a phone). Writes `<folder>/*.png` and `<folder>/page-weights.md`: the
bytes each page loads (HTML, styles, scripts, pictures), as the browser got them.

    python -m tests.screenshots docs/console
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Locator, Page, Response, sync_playwright

from tests.console_demo import FLASHING, FRAMING, HDR_CUT, XSS_NAME, demo_clips, depth_clips
from tests.fixtures_browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, PHONE
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

MAX_PNG_BYTES = 256 * 1024
DEMO_BATCH = "spots-2026-11"
DEPTH_BATCH = "every-frame-2026-11"
SCREEN_HEIGHT = 860


@dataclass(frozen=True)
class Weight:
    page: str
    html: int
    total: int
    requests: int


def _weigh(page: Page, url: str) -> tuple[int, int, int]:
    """(HTML bytes, all bytes, requests) the page loads."""
    responses: list[Response] = []

    def collect(response: Response) -> None:
        responses.append(response)

    page.on("response", collect)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("response", collect)
    sizes = [len(response.body()) for response in responses if response.status < 300]
    html = len(responses[0].body()) if responses else 0
    return html, sum(sizes), len(sizes)


SECTIONS = {
    "file": (
        ("file-plots", "Over time"),
        ("file-pictures", "Pictures"),
        ("file-quality", "Quality"),
    ),
    "file-flashing": (("file-flashes", "Over time"),),
    "file-framing": (("file-timeline", "Over time"), ("file-facts", "Facts")),
    "file-hdr": (("file-hdr-facts", "Facts"),),
}
"""Sections of a file page photographed on their own, by the page's name: (PNG, heading)."""


def _shoot_element(element: Locator, path: Path) -> None:
    element.screenshot(path=str(path))
    assert path.stat().st_size <= MAX_PNG_BYTES, f"{path}: {path.stat().st_size} bytes"


def _shoot(page: Page, path: Path, full_page: bool) -> None:
    page.screenshot(path=str(path), full_page=full_page)
    if path.stat().st_size > MAX_PNG_BYTES:
        # Too large for the repository: the first screen of the page only.
        page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size <= MAX_PNG_BYTES, f"{path}: {path.stat().st_size} bytes"


def _batch(
    service: ServiceProcess, files: FileServer, batch_id: str, clips: dict[str, Path], **fields: Any
) -> dict[str, str]:
    """Task ids by file name, once every file of the batch has its callback."""
    urls = [files.publish(path, name) for name, path in clips.items() if name != XSS_NAME]
    if batch_id == DEMO_BATCH:
        urls.append(files.url("/missing.mp4"))
    with CallbackReceiver() as receiver:
        answer = httpx.post(
            f"{service.url}/mp4_small_analyser",
            json={
                "batch_id": batch_id,
                "files_url": urls,
                "callback_url": receiver.url("/results"),
                **fields,
            },
            timeout=60,
        )
        answer.raise_for_status()
        records = service.wait_for_batch(batch_id, len(urls), timeout=300)
        receiver.wait_for(len(urls), timeout=120)
    return {
        httpx.URL(record.file_url or "").path.rsplit("/", 1)[-1]: record.task_id
        for record in records
    }


def _demo(work: Path) -> tuple[ServiceProcess, dict[str, str], Path]:
    clips = demo_clips(work / "clips")
    service = ServiceProcess(work / "service.db", work / "service.log", {"WORKERS": "2"}).start()
    with FileServer(work / "served") as files:
        tasks = _batch(service, files, DEMO_BATCH, clips)
        depth = depth_clips(work / "depth-clips")
        tasks |= _batch(service, files, DEPTH_BATCH, depth, options={"video_every_frame": True})
    report = work / "report.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mp4_small_analyser.cli",
            "analyse",
            "--html",
            str(report),
            str(clips["spot-final.mp4"]),
            str(clips["black-and-frozen.mp4"]),
        ],
        check=True,
        capture_output=True,
    )
    return service, tasks, report


def take(
    browser: Browser, service: ServiceProcess, tasks: dict[str, str], report: Path, out: Path
) -> list[Weight]:
    pages = [
        ("batches", "/console/", True),
        ("batch", f"/console/batches/{DEMO_BATCH}", True),
        ("file", f"/console/tasks/{tasks['black-and-frozen.mp4']}", True),
        ("file-flashing", f"/console/tasks/{tasks[FLASHING]}", False),
        ("file-framing", f"/console/tasks/{tasks[FRAMING]}", False),
        ("file-hdr", f"/console/tasks/{tasks[HDR_CUT]}", False),
        ("file-fail", f"/console/tasks/{tasks['promo-loud.mp4']}", False),
        ("file-failed", f"/console/tasks/{tasks['missing.mp4']}", True),
        ("submit", "/console/submit", True),
        ("profiles", "/console/profiles", False),
        ("docs", "/docs", False),
    ]
    weights = []
    for name, path, full_page in pages:
        # A fresh browser for each page: its weight is a first visit's, nothing cached.
        context = browser.new_context(viewport={**DESKTOP, "height": SCREEN_HEIGHT})
        page = context.new_page()
        html, total, requests = _weigh(page, service.url + path)
        page.wait_for_timeout(300)
        _shoot(page, out / f"{name}.png", full_page)
        label = path.split("/tasks/")[0] + "/tasks/…" if "/tasks/" in path else path
        weights.append(Weight(f"{name} (`{label}`)", html, total, requests))
        # A whole file page is too tall for one small PNG: its sections one by one.
        for shot, heading in SECTIONS.get(name, ()):
            section = page.locator("section", has=page.locator("h2", has_text=heading))
            _shoot_element(section, out / f"{shot}.png")
        context.close()
    context = browser.new_context(viewport={**DESKTOP, "height": SCREEN_HEIGHT})
    page = context.new_page()
    html, total, requests = _weigh(page, report.as_uri())
    _shoot(page, out / "report.png", False)
    weights.append(Weight("report (`analyse --html`, 2 files, one file)", html, total, requests))
    context.close()
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    page.goto(
        service.url + f"/console/tasks/{tasks['black-and-frozen.mp4']}", wait_until="networkidle"
    )
    _shoot(page, out / "file-phone.png", False)
    page.goto(service.url + f"/console/batches/{DEMO_BATCH}", wait_until="networkidle")
    _shoot(page, out / "batch-phone.png", False)
    phone.close()
    return weights


def write_weights(weights: list[Weight], path: Path) -> None:
    lines = [
        "# Page weight of the console",
        "",
        "Bytes each page loads, as headless Chromium received them (uncompressed: the service "
        "sends no gzip), measured by `make screenshots` on the demo batch of "
        "tests/console_demo.py, each page a first visit (nothing cached). Static files (CSS, "
        "scripts) are the same on every page and cached by the browser after the first.",
        "",
        "| page | HTML | everything | requests |",
        "|---|---:|---:|---:|",
    ]
    for weight in weights:
        lines.append(f"| {weight.page} | {weight.html:,} | {weight.total:,} | {weight.requests} |")
    path.write_text("\n".join(lines) + "\n")


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temporary:
        service, tasks, report = _demo(Path(temporary))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=LAUNCH_ARGS
                )
                weights = take(browser, service, tasks, report, out)
                browser.close()
        finally:
            service.stop()
    write_weights(weights, out / "page-weights.md")
    for png in sorted(out.glob("*.png")):
        print(f"{png}: {png.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/console")
