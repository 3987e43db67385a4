"""`mp4-analyser`: analyse files from the shell, run the service, submit batches.

Exit codes: 0 every source completed, 1 any source failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mp4_small_analyser import __version__
from mp4_small_analyser.models import CompletedResult, FailedResult, task_result_adapter
from mp4_small_analyser.options import AnalysisOptions, SourceLimits
from mp4_small_analyser.service.commands import add_service_commands
from mp4_small_analyser.task import run_task

TaskResult = CompletedResult | FailedResult


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mp4-analyser", description="Technical QC of MP4 files: local paths or URLs."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _add_analyse(commands)
    add_service_commands(commands)
    return parser


def _add_analyse(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    results = analyse_all(args.sources, options, limits, jobs=args.jobs)
    if args.json:
        payload = [task_result_adapter.dump_python(r, mode="json") for r in results]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        Console().print(results_table(results))
    return 0 if all(r.status == "completed" for r in results) else 1


def analyse_all(
    sources: Sequence[str], options: AnalysisOptions, limits: SourceLimits, jobs: int
) -> list[TaskResult]:
    """Analyse every source, in parallel, returning results in input order."""
    results: list[TaskResult | None] = [None] * len(sources)
    if len(sources) == 1 or jobs == 1:
        with _progress(len(sources)) as advance:
            for i, source in enumerate(sources):
                results[i] = run_task(source, options=options, limits=limits)
                advance()
        return [r for r in results if r is not None]
    # Decoding is CPU-bound, probing mostly waits on I/O: processes for one, threads for the other.
    pool: Executor = (
        ThreadPoolExecutor(max_workers=min(jobs, 16, len(sources)))
        if options.probe_only
        else ProcessPoolExecutor(max_workers=min(jobs, len(sources)))
    )
    with pool, _progress(len(sources)) as advance:
        futures = {
            pool.submit(run_task, source, options=options, limits=limits): i
            for i, source in enumerate(sources)
        }
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


def results_table(results: Sequence[TaskResult]) -> Table:
    table = Table(show_lines=False)
    for column in ("source", "status", "duration", "container", "video", "audio", "QC"):
        table.add_column(column)
    for result in results:
        if isinstance(result, FailedResult):
            table.add_row(
                result.file_url, f"[red]{result.error_code}[/red]", "", "", "", "", result.error
            )
            continue
        info = result.results.file_info
        video = result.results.video_analysis
        audio = result.results.audio_analysis
        container = info.format + (" faststart" if info.faststart else "")
        container += " fragmented" if info.fragmented else ""
        video_text = ""
        if video:
            video_text = f"{video.codec} {video.resolution or ''} {_num(video.frame_rate)} fps"
            if video.quality_score is not None:
                video_text += f" q={video.quality_score:.2f}"
        audio_text = ""
        if audio:
            audio_text = f"{audio.codec} {audio.channels}ch {audio.sample_rate} Hz"
            if audio.loudness_integrated is not None:
                audio_text += f" {audio.loudness_integrated:.1f} LUFS"
            if audio.true_peak is not None:
                audio_text += f" {audio.true_peak:.1f} dBTP"
        checks = result.results.checks
        worst = {c.severity for c in checks}
        qc = "ok" if not checks else ", ".join(c.code for c in checks if c.severity != "info")
        colour = "red" if "error" in worst else "yellow" if "warning" in worst else "green"
        table.add_row(
            result.file_url,
            "[green]completed[/green]",
            f"{info.duration:.3f} s" if info.duration is not None else "",
            container,
            video_text,
            audio_text,
            f"[{colour}]{qc or 'ok'}[/{colour}]",
        )
    return table


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


if __name__ == "__main__":
    sys.exit(main())
