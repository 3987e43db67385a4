"""`make screenshots`: every console page of a real service, photographed, and weighed.

Starts `mp4-analyser serve` on a temporary database, analyses the demo clips
(tests/console_demo.py) served over HTTP with a callback receiver (the QC
profile engine judges them), writes an `analyse --html` report, then opens each page in
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

import httpx
from playwright.sync_api import Browser, Page, Response, sync_playwright

from tests.console_demo import XSS_NAME, demo_clips
from tests.fixtures_browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, PHONE
from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

MAX_PNG_BYTES = 256 * 1024
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


def _shoot(page: Page, path: Path, full_page: bool) -> None:
    page.screenshot(path=str(path), full_page=full_page)
    if path.stat().st_size > MAX_PNG_BYTES:
        # Too large for the repository: the first screen of the page only.
        page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size <= MAX_PNG_BYTES, f"{path}: {path.stat().st_size} bytes"


def _demo(work: Path) -> tuple[ServiceProcess, dict[str, str], Path]:
    clips = demo_clips(work / "clips")
    service = ServiceProcess(work / "service.db", work / "service.log", {"WORKERS": "2"}).start()
    with FileServer(work / "served") as files, CallbackReceiver() as receiver:
        urls = [files.publish(path, name) for name, path in clips.items() if name != XSS_NAME]
        urls.append(files.url("/missing.mp4"))
        answer = httpx.post(
            f"{service.url}/mp4_small_analyser",
            json={
                "batch_id": "spots-2026-11",
                "files_url": urls,
                "callback_url": receiver.url("/results"),
            },
            timeout=60,
        )
        answer.raise_for_status()
        records = service.wait_for_batch("spots-2026-11", len(urls), timeout=300)
        receiver.wait_for(len(urls), timeout=120)
    tasks = {
        httpx.URL(record.file_url or "").path.rsplit("/", 1)[-1]: record.task_id
        for record in records
    }
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
        ("batch", "/console/batches/spots-2026-11", True),
        ("file", f"/console/tasks/{tasks['black-and-frozen.mp4']}", True),
        ("file-fail", f"/console/tasks/{tasks['promo-loud.mp4']}", False),
        ("file-failed", f"/console/tasks/{tasks['missing.mp4']}", True),
        ("submit", "/console/submit", True),
        ("profiles", "/console/profiles", False),
        ("docs", "/docs", False),
    ]
    weights = []
    context = browser.new_context(viewport={**DESKTOP, "height": SCREEN_HEIGHT})
    page = context.new_page()
    for name, path, full_page in pages:
        html, total, requests = _weigh(page, service.url + path)
        page.wait_for_timeout(300)
        _shoot(page, out / f"{name}.png", full_page)
        label = path.split("/tasks/")[0] + "/tasks/…" if "/tasks/" in path else path
        weights.append(Weight(f"{name} (`{label}`)", html, total, requests))
        if name == "file":
            # The whole file page is too tall for one small PNG: its sections one by one.
            for section, heading in (("plots", "Over time"), ("pictures", "Pictures")):
                element = page.locator("section", has=page.locator("h2", has_text=heading))
                element.screenshot(path=str(out / f"file-{section}.png"))
            facts = page.locator("section", has=page.locator("h2", has_text="Quality score"))
            facts.screenshot(path=str(out / "file-quality.png"))
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
    page.goto(service.url + "/console/batches/spots-2026-11", wait_until="networkidle")
    _shoot(page, out / "batch-phone.png", False)
    phone.close()
    return weights


def write_weights(weights: list[Weight], path: Path) -> None:
    lines = [
        "# Page weight of the console",
        "",
        "Bytes each page loads, as headless Chromium received them (uncompressed: the service "
        "sends no gzip), measured by `make screenshots` on the demo batch of "
        "tests/console_demo.py. Static files (CSS, scripts) are the same on every page and "
        "cached by the browser after the first.",
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
