"""Jinja templates, escaped by default, and the links a page uses.

Every value reaches HTML through Jinja's autoescaping (data for the plots through
its `tojson` filter, which escapes `<`, `>`, `&` and `'`), so file names and URLs
from strangers render as text. Pages link relatively (`../tasks/…`): behind API
Gateway the app does not see the stage prefix of its URLs, so absolute paths
would leave it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
CONSOLE_PREFIX = "/console"


class Links(Protocol):
    """Where a page's links go: the console's pages, or anchors of a report file."""

    def batches(self) -> str: ...
    def batch(self, batch_id: str) -> str: ...
    def export(self, batch_id: str, extension: str) -> str: ...
    def task(self, task_id: str) -> str: ...
    def thumbnail(self, task_id: str, name: str) -> str: ...
    def submit(self) -> str: ...
    def profiles(self) -> str: ...
    def profile(self, name: str) -> str: ...
    def static(self, path: str) -> str: ...
    def docs(self) -> str: ...


class PageLinks:
    """Links relative to the page at `path` (the path the app sees, under /console/)."""

    def __init__(self, path: str) -> None:
        below = path[len(CONSOLE_PREFIX) + 1 :] if path.startswith(CONSOLE_PREFIX + "/") else ""
        self.base = "../" * below.count("/") or "./"

    def batches(self) -> str:
        return self.base

    def batch(self, batch_id: str) -> str:
        return f"{self.base}batches/{_segment(batch_id)}"

    def export(self, batch_id: str, extension: str) -> str:
        return f"{self.batch(batch_id)}/export.{extension}"

    def task(self, task_id: str) -> str:
        return f"{self.base}tasks/{_segment(task_id)}"

    def thumbnail(self, task_id: str, name: str) -> str:
        return f"{self.base}../callback/{_segment(task_id)}/thumbnails/{_segment(name)}"

    def submit(self) -> str:
        return f"{self.base}submit"

    def profiles(self) -> str:
        return f"{self.base}profiles"

    def profile(self, name: str) -> str:
        return f"{self.profiles()}#profile-{_segment(name)}"

    def static(self, path: str) -> str:
        return f"{self.base}static/{path}"

    def docs(self) -> str:
        return f"{self.base}../docs"


def _segment(value: str) -> str:
    return quote(value, safe="")


def _when(timestamp: str | None) -> str:
    """An ISO 8601 UTC timestamp as `2025-08-04 12:00:01 UTC`."""
    if not timestamp:
        return ""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _number(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return f"{text} {unit}" if unit else text


def _clock(seconds: float | None) -> str:
    """Seconds as m:ss.s (or h:mm:ss for long media)."""
    if seconds is None:
        return "–"
    minutes, rest = divmod(seconds, 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{int(hours)}:{int(minutes):02d}:{rest:02.0f}"
    return f"{int(minutes)}:{rest:04.1f}"


def _pixels(resolution: str | None) -> str:
    """`1920x1080` as its pixel count, to sort resolutions by; empty when unknown."""
    width, _, height = (resolution or "").partition("x")
    return str(int(width) * int(height)) if width.isdigit() and height.isdigit() else ""


def _file_name(url: str | None) -> str:
    """The last path segment of a URL or path, decoded: what a person calls the file."""
    if not url:
        return "(no URL)"
    tail = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return unquote(tail) or url


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=_when, number=_number, clock=_clock, file_name=_file_name, pixels=_pixels
    )
    return env


_ENVIRONMENT = environment()


def render(template: str, **context: Any) -> str:
    return _ENVIRONMENT.get_template(template).render(**context)
