"""The readable report `mp4-analyser analyse` and `judge` print: a few labelled lines per file,
the verdict first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from mp4_small_analyser.cli.picture_lines import picture_depth_lines
from mp4_small_analyser.models import CompletedResult, FailedResult, QualityScore, Verdict

TaskResult = CompletedResult | FailedResult


def print_report(console: Console, results: Sequence[TaskResult]) -> None:
    """A few labelled lines per file, readable at any terminal width."""
    for result in results:
        console.print(Text(result.file_url, style="bold"), end="  ")
        if isinstance(result, FailedResult):
            console.print(Text(f"failed: {result.error_code}", style="red"))
            console.print(f"  {result.error}", highlight=False)
            continue
        console.print(Text(f"completed in {result.processing_time:.2f} s", style="green"))
        if result.results.verdict is not None:
            console.print(_verdict_line(result.results.verdict))
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
    verdicts = [
        r.results.verdict.status for r in results if r.status == "completed" and r.results.verdict
    ]
    if verdicts:
        summary += "; verdicts: " + ", ".join(
            f"{verdicts.count(status)} {status}" for status in ("pass", "warn", "fail")
        )
    console.print(Text(summary, style="bold"))


_SEVERITY = {"error": ("✗", "red"), "warning": ("!", "yellow"), "info": ("i", "cyan")}
_VERDICT = {"pass": "green", "warn": "yellow", "fail": "red"}


def _verdict_line(verdict: Verdict) -> Text:
    line = Text(f"  {'verdict':<10} ")
    line.append(verdict.status.upper(), style=f"bold {_VERDICT[verdict.status]}")
    line.append(f" by {verdict.profile}")
    if verdict.decided_by:
        line.append(f": {', '.join(verdict.decided_by)}")
    counts = verdict.counts
    line.append(f" ({counts.error} error, {counts.warning} warning, {counts.info} info)")
    if verdict.not_judged:
        line.append(f"; not measured, so not judged: {', '.join(verdict.not_judged)}")
    return line


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
                        _score(video.quality),
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
        lines.extend((label, facts) for label, facts in picture_depth_lines(video) if facts)
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
                        _score(audio.quality),
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


def _score(quality: QualityScore | None) -> str | None:
    if quality is None:
        return None
    basis = " (container facts only)" if quality.basis == "container" else ""
    return f"quality {quality.score:.2f}{basis}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")
