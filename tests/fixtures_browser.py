"""A real browser for the console's tests: Debian's Chromium, headless, driven by Playwright.

Playwright is told to use the system browser (`/usr/bin/chromium`, installed by
`make test` with apt); it never downloads one. Each test's page records what a
person would notice or a tester would want to know: console errors, uncaught
exceptions, failed requests, requests leaving the service, dialogs (an XSS
payload's `alert`). Screenshots go to `.artifacts/browser/` (git-ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parent.parent / ".artifacts"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class WatchedPage:
    """A page and everything worth noticing that happened on it."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", self._failed)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _failed(self, request: Request) -> None:
        self.failed.append(f"{request.url}: {request.failure}")

    def foreign_requests(self, *origins: str) -> list[str]:
        """Requests to anything but `origins` (and data: URIs)."""
        return [
            url
            for url in self.requests
            if not url.startswith("data:") and not any(url.startswith(o) for o in origins)
        ]

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        ARTIFACTS.joinpath("browser").mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / "browser" / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert self.dialogs == [], self.dialogs


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module: Playwright's sync API keeps an asyncio loop running in this thread while it
    is open, which later tests that run their own loop (Mangum) must not find."""
    assert CHROMIUM.exists(), "make test installs Debian's chromium (apt); run it through make"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Browser, viewport: dict[str, int] = DESKTOP) -> WatchedPage:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    return WatchedPage(context.new_page())


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[WatchedPage]:
    """A fresh 1280 px wide page (its own cookies); screenshot of where it ended up."""
    watched = open_page(browser)
    yield watched
    if not watched.page.is_closed() and watched.page.url.startswith(("http", "file")):
        watched.screenshot(f"{request.node.name}-end")
    watched.page.context.close()
