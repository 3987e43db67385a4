"""The QC profiles as the pages show them: each profile's rules, and its loudness limits.

`known_profiles(library)` reads the profile engine's library, the same one
`GET /profiles` lists (the built-ins and the PROFILES_DIR folder; a profile that
cannot be used is left out, as there). A rule shows its field, its condition in
words with the field's unit, its `when` clauses and severity; the loudness plot
takes its target, tolerance and true-peak ceiling from the profile's rules on
`loudness_integrated` and `true_peak`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mp4_small_analyser.analysis.judging import ProfileError, ProfileLibrary, ResolvedProfile
from mp4_small_analyser.analysis.judging.compiling import CompiledRule
from mp4_small_analyser.analysis.judging.conditions import Condition, expected_text
from mp4_small_analyser.analysis.judging.paths import FieldPath
from mp4_small_analyser.models import Severity

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class RuleView:
    code: str
    field: str
    requirement: str
    """What the rule asks, in words: `-23 ± 0.5 LUFS`, `one of h264, hevc`."""
    severity: Severity
    when: str = ""
    """The conditions the rule applies under, in words; empty: always."""
    origin: str = ""
    """The profile that defined it (this one or a parent)."""


@dataclass(frozen=True)
class ProfileView:
    name: str
    title: str
    description: str = ""
    rules: tuple[RuleView, ...] = ()
    loudness_target: float | None = None
    """LUFS; with the tolerance, the band the loudness plot shows."""
    loudness_tolerance: float | None = None
    true_peak_max: float | None = None
    """dBTP: the ceiling the loudness plot shows."""


def known_profiles(library: ProfileLibrary) -> dict[str, ProfileView]:
    """Every usable profile of `library` a file can be judged against, by name."""
    found = {}
    for name in library.names():
        try:
            found[name] = profile_view(library.get(name))
        except ProfileError:
            continue
    return found


def profile_view(profile: ResolvedProfile) -> ProfileView:
    loudness = _limiting(profile.rules, "loudness_integrated", "target")
    peak = _limiting(profile.rules, "true_peak", "max")
    return ProfileView(
        name=profile.name,
        title=profile.title or profile.name,
        description=profile.description,
        rules=tuple(_rule(item) for item in profile.rules),
        loudness_target=_number(loudness.rule.target) if loudness else None,
        loudness_tolerance=_number(loudness.rule.tolerance) if loudness else None,
        true_peak_max=_number(peak.rule.max) if peak else None,
    )


def _rule(item: CompiledRule) -> RuleView:
    return RuleView(
        code=item.rule.code,
        field=item.rule.field,
        requirement=_in_words(item.rule, item.path),
        severity=item.rule.severity,
        when=" and ".join(f"{w.clause.field} {_in_words(w.clause, w.path)}" for w in item.when),
        origin=item.origin,
    )


def _in_words(condition: Condition, path: FieldPath) -> str:
    text = expected_text(condition)
    numeric = any(getattr(condition, key) is not None for key in ("min", "max", "target"))
    return f"{text} {path.node.unit}" if numeric and path.node.unit else text


def _limiting(rules: Iterable[CompiledRule], field: str, key: str) -> CompiledRule | None:
    """The rule that sets a plotted limit: on `field`, with `key`, unconditional first, then
    the most severe (a ladder's error bound, not its warning)."""
    candidates = [
        item
        for item in rules
        if item.rule.field.rsplit(".", 1)[-1] == field and getattr(item.rule, key) is not None
    ]
    candidates.sort(key=lambda item: (bool(item.when), _SEVERITY_ORDER[item.rule.severity]))
    return candidates[0] if candidates else None


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)
