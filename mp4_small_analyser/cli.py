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
from rich.text import Text

from mp4_small_analyser import __version__
from mp4_small_analyser.models import (
    CompletedResult,
    FailedResult,
    task_result_adapter,
    task_result_json_schema,
)
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
    schema = commands.add_parser(
        "schema", help="print the JSON Schema of a task result (the callback payload)"
    )
    schema.set_defaults(command=_schema)
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
        print_report(Console(soft_wrap=True), results)
    return 0 if all(r.status == "completed" for r in results) else 1


def _schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(task_result_json_schema(), indent=2) + "\n")
    return 0


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


def print_report(console: Console, results: Sequence[TaskResult]) -> None:
    """A few labelled lines per file, readable at any terminal width."""
    for result in results:
        console.print(Text(result.file_url, style="bold"), end="  ")
        if isinstance(result, FailedResult):
            console.print(Text(f"failed: {result.error_code}", style="red"))
            console.print(f"  {result.error}", highlight=False)
            continue
        console.print(Text(f"completed in {result.processing_time:.2f} s", style="green"))
        for label, facts in _report_lines(result):
            if facts:
                console.print(f"  {label:<10} {facts}", highlight=False)
        for check in result.results.checks:
            mark, style = _SEVERITY[check.severity]
            line = Text(f"  {'':<10} ")
            line.append(f"{mark} {check.code}", style=style)
            line.append(f": {check.message}")
            console.print(line)
    completed = sum(r.status == "completed" for r in results)
    summary = f"{len(results)} file(s): {completed} completed, {len(results) - completed} failed"
    console.print(Text(summary, style="bold"))


_SEVERITY = {"error": ("✗", "red"), "warning": ("!", "yellow"), "info": ("i", "cyan")}


def _report_lines(result: CompletedResult) -> list[tuple[str, str]]:
    info = result.results.file_info
    video = result.results.video_analysis
    audio = result.results.audio_analysis
    container = [
        info.format,
        f"{info.duration:.3f} s" if info.duration is not None else None,
        f"{info.bit_rate / 1000:.0f} kbit/s" if info.bit_rate else None,
        "faststart" if info.faststart else "moov at end",
        "fragmented" if info.fragmented else None,
        f"{info.track_count} track(s)",
    ]
    lines = [("container", _join(container))]
    if video is not None:
        lines.append(
            (
                "video",
                _join(
                    [
                        video.codec,
                        video.profile,
                        video.resolution,
                        f"{_num(video.frame_rate)} fps" if video.frame_rate else None,
                        "VFR" if video.variable_frame_rate else None,
                        video.pixel_format,
                        f"{video.bit_rate / 1000:.0f} kbit/s" if video.bit_rate else None,
                        "encrypted" if video.encrypted else None,
                        _score(video.quality_score),
                    ]
                ),
            )
        )
        if video.frames_analysed is not None:
            picture = [
                f"black {video.black_percentage:.1f} %"
                if video.black_percentage is not None
                else None,
                f"frozen {video.frozen_percentage:.1f} %"
                if video.frozen_percentage is not None
                else None,
                f"blur {video.blur:.2f} px" if video.blur is not None else None,
                f"blockiness {video.blockiness:.2f}" if video.blockiness is not None else None,
                f"{video.frames_analysed} frames sampled",
            ]
            lines.append(("picture", _join(picture)))
    if audio is not None:
        lines.append(
            (
                "audio",
                _join(
                    [
                        audio.codec,
                        audio.profile,
                        f"{audio.sample_rate} Hz" if audio.sample_rate else None,
                        audio.channel_layout
                        or (f"{audio.channels} ch" if audio.channels else None),
                        f"{audio.bit_rate / 1000:.0f} kbit/s" if audio.bit_rate else None,
                        "encrypted" if audio.encrypted else None,
                        _score(audio.quality_score),
                    ]
                ),
            )
        )
        if audio.loudness_integrated is not None or audio.silence_percentage is not None:
            loudness = [
                _unit(audio.loudness_integrated, "LUFS"),
                f"LRA {_unit(audio.loudness_range, 'LU')}"
                if audio.loudness_range is not None
                else None,
                _unit(audio.true_peak, "dBTP"),
                f"silence {audio.silence_percentage:.1f} %"
                if audio.silence_percentage is not None
                else None,
            ]
            lines.append(("loudness", _join(loudness)))
    return lines


def _join(parts: Sequence[str | None]) -> str:
    return ", ".join(p for p in parts if p)


def _unit(value: float | None, unit: str) -> str | None:
    return None if value is None else f"{value:.1f} {unit}"


def _score(value: float | None) -> str | None:
    return None if value is None else f"quality {value:.2f}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


if __name__ == "__main__":
    sys.exit(main())
