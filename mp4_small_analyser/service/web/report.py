"""One self-contained HTML file of results: the summary table and every file's page.

What `mp4-analyser analyse --html` writes. Styles, scripts (the console's and
uPlot) and thumbnails (data: URIs) are inside the file, so it opens from disk,
offline, and can be mailed. Its Content-Security-Policy (a meta tag) allows
exactly those inline blocks, by their SHA-256, and nothing from anywhere else.
Being for sharing, it shows results as the service's answers do: secrets in URLs
(signed URLs' parameters, userinfo) redacted.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup

from mp4_small_analyser import __version__
from mp4_small_analyser.models import CompletedResult, FailedResult, ImageFile, task_result_adapter
from mp4_small_analyser.service.redaction import redact_json
from mp4_small_analyser.service.web.file_view import FileView, file_view
from mp4_small_analyser.service.web.profiles import ProfileView
from mp4_small_analyser.service.web.render import STATIC, render
from mp4_small_analyser.service.web.rows import result_row, verdict_counts

TaskResult = CompletedResult | FailedResult
STYLES = ("vendor/uplot/uPlot.min.css", "console.css")
SCRIPTS = ("vendor/uplot/uPlot.iife.min.js", "console.js")


@dataclass(frozen=True)
class InlineAssets:
    css: Markup
    scripts: list[Markup]
    policy: str


def inline_assets() -> InlineAssets:
    css = "\n".join((STATIC / name).read_text() for name in STYLES)
    scripts = [(STATIC / name).read_text() for name in SCRIPTS]
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_digest(script) for script in scripts),
            f"style-src {_digest(css)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    # Our own files, placed verbatim (escaping would change what the hashes cover).
    return InlineAssets(Markup(css), [Markup(script) for script in scripts], policy)


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


class ReportLinks:
    """Links inside the report: anchors, and thumbnails as data: URIs."""

    def __init__(self, anchors: Mapping[str, str], images: Mapping[str, Sequence[ImageFile]]):
        self._anchors = anchors
        self._images = {
            (task_id, image.name): image for task_id, files in images.items() for image in files
        }

    def batches(self) -> str:
        return "#summary"

    def batch(self, batch_id: str) -> str:
        return "#summary"

    def export(self, batch_id: str, extension: str) -> str:
        return "#summary"

    def task(self, task_id: str) -> str:
        return "#" + self._anchors.get(task_id, "summary")

    def thumbnail(self, task_id: str, name: str) -> str:
        image = self._images.get((task_id, name))
        if image is None:
            return "data:,"
        return f"data:{image.media_type};base64,{base64.b64encode(image.data).decode()}"

    def submit(self) -> str:
        return "#summary"

    def profiles(self) -> str:
        return ""

    def profile(self, name: str) -> str:
        return ""

    def static(self, path: str) -> str:
        return ""

    def docs(self) -> str:
        return ""


@dataclass(frozen=True)
class ReportFile:
    anchor: str
    view: FileView


def shareable(result: TaskResult) -> TaskResult:
    """`result` with every URL in it redacted, as a report shows it."""
    return task_result_adapter.validate_python(redact_json(result.model_dump(mode="json")))


def html_report(
    results: Sequence[TaskResult],
    images: Mapping[str, Sequence[ImageFile]],
    profile: ProfileView,
    made_at: datetime | None = None,
) -> str:
    """The report of `results` (input order, judged by `profile`), with the pictures
    `images` holds by task id."""
    results = [shareable(result) for result in results]
    anchors = {result.task_id: f"file-{index}" for index, result in enumerate(results, start=1)}
    profiles = {profile.name: profile}
    rows = [result_row(r.task_id, r.status, r.file_url, r) for r in results]
    files = [
        ReportFile(
            anchors[result.task_id],
            file_view(result.task_id, result.status, result.file_url, result, profiles),
        )
        for result in results
    ]
    return render(
        "report.html",
        links=ReportLinks(anchors, images),
        report=inline_assets(),
        signed_in=False,
        page="report",
        rows=rows,
        verdicts=verdict_counts(rows),
        files=files,
        profile=profile.name,
        version=__version__,
        made_at=(made_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
