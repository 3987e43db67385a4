"""The readable report `mp4-analyser analyse` and `judge` print: a few labelled lines per file,
the verdict first.

File names, URLs, error messages and every fact read from a file are the user's text, not
rich markup: a name or a quoted first line holding `[/]` used to raise MarkupError (a
traceback, the later files' results lost) and `:x:` became an emoji. Every line is built as
a `Text` (never parsed), control characters are shown escaped, and the console itself
parses no markup or emoji.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from mp4_small_analyser.cli.picture_lines import picture_depth_lines
from mp4_small_analyser.models import (
    AudioAnalysis,
    CompletedResult,
    FailedResult,
    QualityScore,
    Verdict,
    VideoAnalysis,
)

TaskResult = CompletedResult | FailedResult


def report_console(stderr: bool = False) -> Console:
    """A console that prints text as given: no markup, no emoji codes, no highlighting."""
    return Console(stderr=stderr, soft_wrap=True, markup=False, emoji=False, highlight=False)


def shown(text: str) -> str:
    """`text` with control characters escaped, so a name cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def print_report(console: Console, results: Sequence[TaskResult]) -> None:
    """A few labelled lines per file, readable at any terminal width."""
    for result in results:
        for line in _result_lines(result):
            console.print(line)
    console.print(Text(_summary(results), style="bold"))


def _result_lines(result: TaskResult) -> list[Text]:
    head = Text(shown(result.file_url), style="bold")
    head.append("  ")
    if isinstance(result, FailedResult):
        head.append(f"failed: {result.error_code}", style="red")
        return [head, Text(f"  {shown(result.error)}")]
    head.append(f"completed in {result.processing_time:.2f} s", style="green")
    lines = [head]
    if result.results.verdict is not None:
        lines.append(_verdict_line(result.results.verdict))
    lines.extend(
        Text(f"  {label:<10} {shown(facts)}") for label, facts in _report_lines(result) if facts
    )
    for check in result.results.checks:
        mark, style = _SEVERITY[check.severity]
        line = Text(f"  {'':<10} ")
        line.append(f"{mark} {check.code}", style=style)
        line.append(f": {shown(check.message)}")
        lines.append(line)
    return lines


def _summary(results: Sequence[TaskResult]) -> str:
    completed = sum(r.status == "completed" for r in results)
    summary = f"{len(results)} file(s): {completed} completed, {len(results) - completed} failed"
    verdicts = [
        r.results.verdict.status for r in results if r.status == "completed" and r.results.verdict
    ]
    if verdicts:
        summary += "; verdicts: " + ", ".join(
            f"{verdicts.count(status)} {status}" for status in ("pass", "warn", "fail")
        )
    return summary


_SEVERITY = {"error": ("✗", "red"), "warning": ("!", "yellow"), "info": ("i", "cyan")}
_VERDICT = {"pass": "green", "warn": "yellow", "fail": "red"}


def _verdict_line(verdict: Verdict) -> Text:
    line = Text(f"  {'verdict':<10} ")
    line.append(verdict.status.upper(), style=f"bold {_VERDICT[verdict.status]}")
    line.append(f" by {shown(verdict.profile)}")
    if verdict.decided_by:
        line.append(f": {', '.join(verdict.decided_by)}")
    counts = verdict.counts
    line.append(f" ({counts.error} error, {counts.warning} warning, {counts.info} info)")
    if verdict.not_judged:
        line.append(f"; not measured, so not judged: {', '.join(verdict.not_judged)}")
    return line


def _report_lines(result: CompletedResult) -> list[tuple[str, str | None]]:
    info = result.results.file_info
    container = [
        info.format,
        f"{info.duration:.3f} s" if info.duration is not None else None,
        _kbits(info.bit_rate),
        "faststart" if info.faststart else "moov at end",
        "fragmented" if info.fragmented else None,
        f"{info.track_count} track(s)",
    ]
    lines: list[tuple[str, str | None]] = [("container", _join(container))]
    if result.results.video_analysis is not None:
        lines.extend(_video_lines(result.results.video_analysis))
    if result.results.audio_analysis is not None:
        lines.extend(_audio_lines(result.results.audio_analysis))
    return lines


def _video_lines(video: VideoAnalysis) -> list[tuple[str, str | None]]:
    stream = [
        video.codec,
        video.profile,
        video.resolution,
        f"{_num(video.frame_rate)} fps" if video.frame_rate else None,
        "VFR" if video.variable_frame_rate else None,
        video.pixel_format,
        _kbits(video.bit_rate),
        "encrypted" if video.encrypted else None,
        _score(video.quality),
    ]
    lines: list[tuple[str, str | None]] = [("video", _join(stream))]
    if video.frames_analysed is not None:
        picture = [
            _unit(video.black_percentage, "%", "black "),
            _unit(video.frozen_percentage, "%", "frozen "),
            f"blur {video.blur:.2f} px" if video.blur is not None else None,
            f"blockiness {video.blockiness:.2f}" if video.blockiness is not None else None,
            f"{video.frames_analysed} frames sampled",
        ]
        lines.append(("picture", _join(picture)))
    return lines + picture_depth_lines(video)


def _audio_lines(audio: AudioAnalysis) -> list[tuple[str, str | None]]:
    stream = [
        audio.codec,
        audio.profile,
        f"{audio.sample_rate} Hz" if audio.sample_rate else None,
        audio.channel_layout or (f"{audio.channels} ch" if audio.channels else None),
        _kbits(audio.bit_rate),
        "encrypted" if audio.encrypted else None,
        _score(audio.quality),
    ]
    lines: list[tuple[str, str | None]] = [("audio", _join(stream))]
    if audio.loudness_integrated is not None or audio.silence_percentage is not None:
        loudness = [
            _unit(audio.loudness_integrated, "LUFS"),
            _unit(audio.loudness_range, "LU", "LRA "),
            _unit(audio.true_peak, "dBTP"),
            _unit(audio.silence_percentage, "%", "silence "),
        ]
        lines.append(("loudness", _join(loudness)))
    return lines


def _kbits(bit_rate: float | None) -> str | None:
    return f"{bit_rate / 1000:.0f} kbit/s" if bit_rate else None


def _join(parts: Sequence[str | None]) -> str:
    return ", ".join(p for p in parts if p)


def _unit(value: float | None, unit: str, label: str = "") -> str | None:
    return None if value is None else f"{label}{value:.1f} {unit}"


def _score(quality: QualityScore | None) -> str | None:
    if quality is None:
        return None
    basis = " (container facts only)" if quality.basis == "container" else ""
    return f"quality {quality.score:.2f}{basis}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")
