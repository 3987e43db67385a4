"""`mp4-analyser analyse`: analyse files and print a report or JSON; write HTML and CSV.

Exit codes: 0 every source completed, 1 any source failed, 2 usage error,
invalid profile or a report that cannot be written, 3 a verdict tripped `--fail-on`.
`--html` also cuts thumbnails (from the frames the analysis samples anyway) to
put in the report; the web stack is never loaded, only the templates.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import sys
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mp4_small_analyser.analysis.judging import ProfileDocument, ResolvedProfile
from mp4_small_analyser.cli.judge import add_fail_on, exit_status
from mp4_small_analyser.cli.profiles import EXIT_INVALID, resolve
from mp4_small_analyser.cli.report import print_report, report_console
from mp4_small_analyser.models import (
    CompletedResult,
    FailedResult,
    ImageFile,
    task_result_adapter,
)
from mp4_small_analyser.options import DEFAULT_PROFILE, AnalysisOptions, SourceLimits
from mp4_small_analyser.service.executor import AnalysisJob, AnalysisProcess
from mp4_small_analyser.settings import AnalysisSettings
from mp4_small_analyser.stores.adapters.local_thumbnails import LocalThumbnailStore
from mp4_small_analyser.stores.thumbnail_store import ThumbnailStore

TaskResult = CompletedResult | FailedResult
DEFAULT_TIMEOUT = AnalysisSettings.model_fields["analysis_timeout"].default
DEFAULT_MAX_DURATION = AnalysisSettings.model_fields["max_media_duration"].default


def add_analyse_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    analyse = commands.add_parser(
        "analyse",
        aliases=["analyze"],
        help="analyse files and print a report",
        description="Analyse MP4 files (paths or http(s) URLs) and print one result per source.",
    )
    analyse.add_argument("sources", nargs="+", metavar="SOURCE", help="path or http(s) URL")
    analyse.add_argument("--json", action="store_true", help="print a JSON array of task results")
    analyse.add_argument("--probe", action="store_true", help="container facts only, no decoding")
    analyse.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write one self-contained HTML report (summary table, each file's page)",
    )
    analyse.add_argument(
        "--csv", type=Path, metavar="FILE", help="also write the summary table as CSV"
    )
    analyse.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        metavar="NAME|PATH",
        help="QC profile: a name (`mp4-analyser profiles list`) or a file (default: %(default)s)",
    )
    add_fail_on(analyse)
    analyse.add_argument("--no-audio-metrics", action="store_true", help="skip loudness/silence")
    analyse.add_argument("--no-video-metrics", action="store_true", help="skip picture metrics")
    analyse.add_argument(
        "--fast", action="store_true", help="picture metrics on keyframes only (much faster)"
    )
    analyse.add_argument(
        "--every-frame",
        action="store_true",
        help="decode every frame: flashes (BT.1702), shot cuts, TI, interlace (about 3x slower)",
    )
    analyse.add_argument(
        "--max-duration",
        type=float,
        metavar="SECONDS",
        help="decode at most this much media per file (default: "
        f"{AnalysisOptions.model_fields['max_media_duration'].default:g}, or the profile's; "
        f"at most $MAX_MEDIA_DURATION or {DEFAULT_MAX_DURATION:g})",
    )
    analyse.add_argument(
        "--max-file-size",
        type=int,
        default=SourceLimits.model_fields["max_file_size"].default,
        metavar="BYTES",
        help="refuse larger files (default: %(default)s)",
    )
    analyse.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="files analysed at once (default: number of cores)",
    )
    analyse.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"stop a file after this long: ANALYSIS_TIMEOUT (default: $ANALYSIS_TIMEOUT or "
        f"{DEFAULT_TIMEOUT:g}, the service's setting)",
    )
    analyse.set_defaults(command=_analyse)


@dataclass(frozen=True)
class _Inputs:
    options: AnalysisOptions
    limits: SourceLimits
    shared: AnalysisSettings
    profile: ResolvedProfile


def _inputs(args: argparse.Namespace) -> _Inputs | None:
    """The flags checked against the settings, or None after printing why they cannot be."""
    try:
        options = AnalysisOptions.model_validate(_given_options(args))
        shared = (
            AnalysisSettings()
            if args.timeout is None
            else AnalysisSettings(analysis_timeout=args.timeout)
        )
        limits = SourceLimits(
            max_file_size=args.max_file_size,
            max_edit_list_entries=shared.max_edit_list_entries,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        _invalid(f"{where}: {error['msg']}")
        return None
    if args.jobs < 1:
        _invalid("--jobs must be at least 1")
        return None
    profile = resolve(args.profile, "analyse")
    if profile is None:
        return None
    problem = shared.duration_problem(profile.analysis_options(options))
    if problem is not None:
        _invalid(f"--max-duration: {problem}")
        return None
    return _Inputs(options, limits, shared, profile)


def _invalid(message: str) -> None:
    print(f"mp4-analyser analyse: error: {message}", file=sys.stderr)


def _analyse(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    if inputs is None:
        return EXIT_INVALID
    with TemporaryDirectory(prefix="mp4-analyser-thumbnails-") as folder:
        # --html wants the thumbnails: the children cut them, a scratch folder keeps them.
        pictures = LocalThumbnailStore(Path(folder)) if args.html is not None else None
        results = analyse_all(
            args.sources,
            inputs.options,
            inputs.limits,
            jobs=args.jobs,
            profile=inputs.profile.document(),
            timeout=inputs.shared.analysis_timeout,
            thumbnails=pictures,
        )
        try:
            _write_files(args, results, pictures, inputs.profile)
        except OSError as exc:
            _invalid(f"cannot write {exc.filename}: {exc.strerror}")
            return EXIT_INVALID
    if args.json:
        payload = [task_result_adapter.dump_python(r, mode="json") for r in results]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        print_report(report_console(), results)
    return exit_status(results, args.fail_on)


def _given_options(args: argparse.Namespace) -> dict[str, object]:
    """Only the options the flags change: the profile's `analysis` block fills the rest."""
    given: dict[str, object] = {
        "probe_only": args.probe,
        "audio_metrics": not args.no_audio_metrics,
        "video_metrics": not args.no_video_metrics,
        "video_keyframes_only": args.fast,
        "video_every_frame": args.every_frame,
        "max_media_duration": args.max_duration,
    }
    defaults = AnalysisOptions()
    return {k: v for k, v in given.items() if v is not None and v != getattr(defaults, k)}


def _write_files(
    args: argparse.Namespace,
    results: list[TaskResult],
    pictures: ThumbnailStore | None,
    profile: ResolvedProfile,
) -> None:
    """The HTML report and the CSV table, when asked for."""
    if args.html is None and args.csv is None:
        return
    # The templates only: rendering needs no web framework.
    from mp4_small_analyser.service.web.profiles import profile_view
    from mp4_small_analyser.service.web.report import html_report, shareable
    from mp4_small_analyser.service.web.rows import result_row, rows_csv

    if args.html is not None:
        images = {r.task_id: _images(pictures, r) for r in results}
        report = html_report(results, images, profile_view(profile))
        args.html.write_text(report, encoding="utf-8")
    if args.csv is not None:
        shared = [shareable(r) for r in results]
        rows = [result_row(r.task_id, r.status, r.file_url, r) for r in shared]
        args.csv.write_text(rows_csv(rows), encoding="utf-8", newline="")


def _images(pictures: ThumbnailStore | None, result: TaskResult) -> tuple[ImageFile, ...]:
    """The pictures `result` names, as the children stored them."""
    if pictures is None or not isinstance(result, CompletedResult):
        return ()
    thumbnails = result.results.thumbnails
    if thumbnails is None:
        return ()
    names = [stretch.name for stretch in thumbnails.stretches]
    if thumbnails.contact_sheet is not None:
        names.insert(0, thumbnails.contact_sheet.name)
    found = ((name, pictures.get(result.task_id, name)) for name in names)
    return tuple(ImageFile(name, data) for name, data in found if data is not None)


def analyse_all(
    sources: Sequence[str],
    options: AnalysisOptions,
    limits: SourceLimits,
    jobs: int,
    profile: ProfileDocument | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    thumbnails: ThumbnailStore | None = None,
) -> list[TaskResult]:
    """Analyse every source, `jobs` at a time, returning results in input order.

    Each file runs in a child process (`AnalysisProcess`, as in the service): one that
    crashes a decoder fails with DECODER_CRASHED, one that takes longer than `timeout`
    with ANALYSIS_TIMEOUT, the child is replaced, and every other file still gets its
    result. Children are forked from a server that has imported the analysis once. With
    `thumbnails`, the children cut thumbnails too and the store keeps them."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["mp4_small_analyser.analysis.task"])
    count = min(jobs, len(sources))
    idle: queue.SimpleQueue[AnalysisProcess] = queue.SimpleQueue()
    slots = [
        AnalysisProcess(limits, timeout, context=context, logs="cli", thumbnails=thumbnails)
        for _ in range(count)
    ]
    for slot in slots:
        slot.start()
        idle.put(slot)

    def analyse_one(source: str) -> TaskResult:
        slot = idle.get()
        try:
            return slot.run(
                AnalysisJob(
                    file_url=source, task_id=str(uuid.uuid4()), options=options, profile=profile
                )
            )
        finally:
            idle.put(slot)

    results: list[TaskResult | None] = [None] * len(sources)
    try:
        with ThreadPoolExecutor(count) as pool, _progress(len(sources)) as advance:
            futures = {pool.submit(analyse_one, source): i for i, source in enumerate(sources)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                advance()
    finally:
        for slot in slots:
            slot.close()
    return [r for r in results if r is not None]


class _progress:
    """A progress bar on stderr when it is a terminal; a no-op otherwise."""

    def __init__(self, total: int) -> None:
        console = Console(stderr=True, markup=False, emoji=False, highlight=False)
        self._bar: Progress | None = None
        if console.is_terminal and total > 1:
            self._bar = Progress(
                TextColumn("analysing", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task("files", total=total)

    def __enter__(self) -> Callable[[], None]:
        if self._bar is None:
            return lambda: None
        self._bar.start()
        bar, task = self._bar, self._task
        return lambda: bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
