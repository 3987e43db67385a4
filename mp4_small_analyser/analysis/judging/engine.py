"""judge(results, profile) -> the results with their checks and verdict, from the result alone.

Analyse once, judge many times: everything read here is in the result JSON
(plus the `derived` measures computed from it), so judging a stored result
against another profile never touches the media. Judging:

1. every data rule, per list item for `[*]` paths, when its `when` clauses hold
   (a `[*]` list named in both the field and a clause is the same item);
   a value that was not measured makes the rule "not judged", not "passed";
   a finding on one track names it (`Check.track`), and one on an audio track
   starts "Audio track 2 (fra, 5.1): " when the file has several;
2. rules that share a code and a field form a ladder (warning at one limit,
   error at another): only the most severe finding of a ladder is kept;
3. the intrinsic checks, at their default severity unless a profile setting
   (by code, variant and `when`) changes or disables them; the last matching
   setting wins, so a child profile's settings beat its parents';
4. checks errors first, then the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mp4_small_analyser.models import Check, CompletedResult, FailedResult, Results, Severity
from mp4_small_analyser.options import AnalysisOptions

from .audio_tracks import audio_track_prefix, audio_tracks_of
from .compiling import CompiledRule, CompiledSetting, CompiledWhen
from .conditions import evaluate
from .derived import TRACKS_OF, derive
from .fields import NOT_RULEABLE
from .finding import Finding
from .intrinsic import findings, stored_notes
from .paths import Binding, FieldPath, Found, resolve
from .resolved import ResolvedProfile
from .templates import context_for, render
from .verdict import SEVERITY_ORDER, verdict_of


def judge(
    results: Results,
    profile: ResolvedProfile,
    notes: Sequence[Check] | None = None,
    options: AnalysisOptions | None = None,
) -> Results:
    """`results` judged by `profile`: its verdict, profile name and checks replaced.

    `notes`: the orchestrator's checks (None: those stored in `results`);
    `options`: what the result was analysed with, when known.
    """
    view = _view(results)
    checks, not_judged = _rules(profile, view)
    kept_notes = list(notes) if notes is not None else stored_notes(results)
    found = [*findings(results, kept_notes), *_options_differ(profile, options)]
    checks.extend(_intrinsic(found, profile.intrinsic, view))
    checks.sort(key=lambda check: SEVERITY_ORDER[check.severity])
    return results.model_copy(
        update={
            "verdict": verdict_of(checks, profile.name, not_judged),
            "profile": profile.name,
            "checks": checks,
        }
    )


def judge_task(
    result: CompletedResult | FailedResult, profile: ResolvedProfile
) -> CompletedResult | FailedResult:
    """A stored task result judged again by `profile`, from its stored fields alone (a failed
    one has nothing to judge and comes back as it is)."""
    if isinstance(result, FailedResult):
        return result
    judged = judge(result.results, profile, options=result.metadata.options)
    return result.model_copy(update={"results": judged})


def _view(results: Results) -> dict[str, Any]:
    view = {
        name: getattr(results, name) for name in Results.model_fields if name not in NOT_RULEABLE
    }
    # A result stored before `audio_tracks` existed is judged on its one `audio_analysis`.
    view["audio_tracks"] = audio_tracks_of(results)
    view["derived"] = derive(results)
    return view


def _rules(profile: ResolvedProfile, view: Mapping[str, Any]) -> tuple[list[Check], list[str]]:
    ladders: dict[tuple[str, str, tuple[tuple[str, int], ...]], Check] = {}
    not_judged: list[str] = []
    for compiled in profile.rules:
        for found in resolve(compiled.path, view):
            if not _holds(compiled.when, view, found.binding):
                continue
            outcome = evaluate(compiled.rule, found.value)
            if outcome is None:
                if not _track_missing(compiled, view):
                    not_judged.append(compiled.rule.key)
                continue
            if outcome.passed:
                continue
            check = _finding(compiled, found, outcome.limit, profile.name, view)
            ladder = (compiled.rule.code, compiled.path.text, tuple(sorted(found.binding.items())))
            held = ladders.get(ladder)
            if held is None or SEVERITY_ORDER[check.severity] < SEVERITY_ORDER[held.severity]:
                ladders[ladder] = check
    return list(ladders.values()), not_judged


def _track_missing(compiled: CompiledRule, view: Mapping[str, Any]) -> bool:
    """The rule is about a track the file does not have (NO_VIDEO_TRACK / NO_AUDIO_TRACK say
    so): its field was not left unmeasured, it cannot exist."""
    first, *rest = (segment.name for segment in compiled.path.segments)
    tracks = TRACKS_OF.get(rest[0], ()) if first == "derived" and rest else (first,)
    return any(view.get(track, False) is None for track in tracks)


def _holds(clauses: Sequence[CompiledWhen], view: Mapping[str, Any], binding: Binding) -> bool:
    for clause in clauses:
        values = [found.value for found in resolve(clause.path, view, binding)] or [None]
        if not any((o := evaluate(clause.clause, v)) is not None and o.passed for v in values):
            return False
    return True


def _finding(
    compiled: CompiledRule,
    found: Found,
    limit: float | str | None,
    profile: str,
    view: Mapping[str, Any],
) -> Check:
    rule = compiled.rule
    track, prefix = _subject(compiled.path, found, view)
    context = context_for(
        rule,
        found.value,
        found.index,
        compiled.path.node.unit,
        rule.field,
        rule.code,
        profile,
        rule.severity,
        limit,
    )
    return Check(
        code=rule.code,
        severity=rule.severity,
        message=prefix + render(rule.message, context),
        value=_scalar(found.value),
        limit=limit,
        track=track,
    )


def _subject(path: FieldPath, found: Found, view: Mapping[str, Any]) -> tuple[int | None, str]:
    """The track a finding is about (its index in `tracks`, None: the file) and the prefix
    that names an audio track in its message."""
    names = [segment.name for segment in path.segments]
    audio_tracks: list[Any] = view["audio_tracks"]
    if names[0] == "audio_analysis":
        audio = view["audio_analysis"]
        if audio is None:
            return None, ""
        return audio.index, audio_track_prefix(audio, len(audio_tracks))
    if names[:2] == ["derived", "audio_tracks"]:
        listed, key = path.segments[1], "derived.audio_tracks"
    else:
        listed, key = path.segments[0], names[0]
    if listed.name not in ("audio_tracks", "tracks") or not listed.selects:
        return None, ""
    position = listed.index if listed.index is not None else found.binding.get(key)
    items: list[Any] = audio_tracks if listed.name == "audio_tracks" else view["tracks"]
    if position is None or position >= len(items):
        return None, ""
    if listed.name == "tracks":
        return items[position].index, ""
    return items[position].index, audio_track_prefix(items[position], len(items))


def _intrinsic(
    found: Sequence[Finding], settings: Sequence[CompiledSetting], view: Mapping[str, Any]
) -> list[Check]:
    checks: list[Check] = []
    for finding in found:
        severity: Severity | None = finding.severity
        for compiled in settings:
            setting = compiled.setting
            if setting.code != finding.code:
                continue
            if setting.variant is not None and setting.variant != finding.variant:
                continue
            if not _holds(compiled.when, view, finding.binding):
                continue
            severity = None if setting.disabled else setting.severity or severity
        if severity is not None:
            checks.append(
                Check(
                    code=finding.code,
                    severity=severity,
                    message=finding.message,
                    value=finding.value,
                    limit=finding.limit,
                    track=finding.track,
                )
            )
    return checks


def _options_differ(profile: ResolvedProfile, options: AnalysisOptions | None) -> list[Finding]:
    if options is None:
        return []
    wanted = {k: v for k, v in profile.analysis.items() if getattr(options, k) != v}
    if not wanted:
        return []
    listed = ", ".join(
        f"{key} {getattr(options, key)} (wanted {value})" for key, value in wanted.items()
    )
    message = (
        f"This result was analysed with {listed}: the {profile.name} profile's rules on those "
        "measures may miss what the analysis it asks for would find."
    )
    return [Finding("ANALYSIS_OPTIONS_DIFFER", None, "warning", message, ", ".join(wanted))]


def _scalar(value: Any) -> float | str | bool | None:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return None
