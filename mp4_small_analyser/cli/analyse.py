"""`mp4-analyser analyse`: analyse files and print a report or JSON; write HTML and CSV.

Exit codes: 0 every source completed, 1 any source failed, 2 usage error.
`--html` also cuts thumbnails (from the frames the analysis samples anyway) to
put in the report; the web stack is never loaded, only the templates.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mp4_small_analyser.analysis.task import TaskOutput, run_task_with_thumbnails
from mp4_small_analyser.cli.report import print_report
from mp4_small_analyser.models import CompletedResult, FailedResult, task_result_adapter
from mp4_small_analyser.options import AnalysisOptions, SourceLimits

TaskResult = CompletedResult | FailedResult


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
        choices=["ebu-r128", "streaming", "web"],
        default="ebu-r128",
        help="QC profile the checks judge against (default: ebu-r128)",
    )
    analyse.add_argument("--no-audio-metrics", action="store_true", help="skip loudness/silence")
    analyse.add_argument("--no-video-metrics", action="store_true", help="skip picture metrics")
    analyse.add_argument(
        "--fast", action="store_true", help="picture metrics on keyframes only (much faster)"
    )
    analyse.add_argument(
        "--max-duration",
        type=float,
        default=AnalysisOptions.model_fields["max_media_duration"].default,
        metavar="SECONDS",
        help="decode at most this much media per file (default: %(default)s)",
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
    analyse.set_defaults(command=_analyse)


def _analyse(args: argparse.Namespace) -> int:
    try:
        options = AnalysisOptions(
            probe_only=args.probe,
            profile=args.profile,
            audio_metrics=not args.no_audio_metrics,
            video_metrics=not args.no_video_metrics,
            video_keyframes_only=args.fast,
            max_media_duration=args.max_duration,
        )
        limits = SourceLimits(max_file_size=args.max_file_size)
    except ValidationError as exc:
        print(f"mp4-analyser analyse: error: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("mp4-analyser analyse: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    outputs = analyse_all(
        args.sources, options, limits, jobs=args.jobs, thumbnails=args.html is not None
    )
    results = [output.result for output in outputs]
    try:
        _write_files(args, outputs, options)
    except OSError as exc:
        print(
            f"mp4-analyser analyse: error: cannot write {exc.filename}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    if args.json:
        payload = [task_result_adapter.dump_python(r, mode="json") for r in results]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        print_report(Console(soft_wrap=True), results)
    return 0 if all(r.status == "completed" for r in results) else 1


def _write_files(
    args: argparse.Namespace, outputs: list[TaskOutput], options: AnalysisOptions
) -> None:
    """The HTML report and the CSV table, when asked for."""
    if args.html is None and args.csv is None:
        return
    # The templates only: rendering needs no web framework.
    from mp4_small_analyser.service.web.report import html_report
    from mp4_small_analyser.service.web.rows import result_row, rows_csv

    results = [output.result for output in outputs]
    if args.html is not None:
        images = {output.result.task_id: output.images for output in outputs}
        args.html.write_text(html_report(results, images, options.profile), encoding="utf-8")
    if args.csv is not None:
        rows = [result_row(r.task_id, r.status, r.file_url, r) for r in results]
        args.csv.write_text(rows_csv(rows), encoding="utf-8", newline="")


def analyse_all(
    sources: Sequence[str],
    options: AnalysisOptions,
    limits: SourceLimits,
    jobs: int,
    thumbnails: bool = False,
) -> list[TaskOutput]:
    """Analyse every source, in parallel, returning results in input order."""
    run = partial(run_task_with_thumbnails, options=options, limits=limits, cut=thumbnails)
    results: list[TaskOutput | None] = [None] * len(sources)
    if len(sources) == 1 or jobs == 1:
        with _progress(len(sources)) as advance:
            for i, source in enumerate(sources):
                results[i] = run(source)
                advance()
        return [r for r in results if r is not None]
    # Decoding is CPU-bound, probing mostly waits on I/O: processes for one, threads for the other.
    pool: Executor = (
        ThreadPoolExecutor(max_workers=min(jobs, 16, len(sources)))
        if options.probe_only
        else ProcessPoolExecutor(max_workers=min(jobs, len(sources)))
    )
    with pool, _progress(len(sources)) as advance:
        futures = {pool.submit(run, source): i for i, source in enumerate(sources)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            advance()
    return [r for r in results if r is not None]


class _progress:
    """A progress bar on stderr when it is a terminal; a no-op otherwise."""

    def __init__(self, total: int) -> None:
        console = Console(stderr=True)
        self._bar: Progress | None = None
        if console.is_terminal and total > 1:
            self._bar = Progress(
                TextColumn("analysing"),
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
