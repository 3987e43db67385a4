"""How `extends` puts a profile together: parents' rules, then this profile's changes by id.

A child takes every rule, intrinsic setting and analysis option of its parents
(in order), then `disable` removes rules, `overrides` patches them (a condition
of the same kind keeps the keys not given; another kind replaces it) and a rule
in `rules` with an inherited id replaces it. Every change names an id that must
be inherited, so a typo cannot leave a rule silently in force.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from mp4_small_analyser.options import AnalysisOptions

from .compiling import CompiledRule, CompiledSetting, Problems, compile_rule, compile_setting
from .conditions import CONDITION_KEYS, GROUPS
from .issues import did_you_mean
from .profile_model import ProfileDocument, Rule
from .resolved import ResolvedProfile

NOT_PROFILE_OPTIONS = frozenset({"profile", "probe_only"})
"""AnalysisOptions a profile cannot ask for: they choose the profile or skip measuring."""


def merge(
    parsed: ProfileDocument, parents: list[ResolvedProfile], problems: Problems
) -> ResolvedProfile:
    rules: dict[str, CompiledRule] = {}
    settings: list[CompiledSetting] = []
    analysis: dict[str, bool | int | float] = {}
    for parent in parents:
        rules.update({item.rule.key: item for item in parent.rules})
        settings.extend(parent.intrinsic)
        analysis.update(parent.analysis)
    _apply_changes(parsed, rules, problems)
    for index, setting in enumerate(parsed.intrinsic):
        compiled = compile_setting(setting, f"intrinsic[{index}]", parsed.name, problems)
        if compiled is not None:
            settings.append(compiled)
    analysis.update(parsed.analysis)
    _check_analysis(analysis, problems)
    sources = [*parsed.sources, *(s for parent in parents for s in parent.sources)]
    return ResolvedProfile(
        name=parsed.name,
        description=parsed.description,
        title=parsed.title,
        sources=tuple(dict.fromkeys(sources)),
        chain=(parsed.name, *(name for parent in parents for name in parent.chain)),
        rules=tuple(rules.values()),
        intrinsic=tuple(settings),
        analysis=analysis,
    )


def _apply_changes(
    parsed: ProfileDocument, rules: dict[str, CompiledRule], problems: Problems
) -> None:
    inherited = set(rules)
    for index, key in enumerate(parsed.disable):
        if key not in rules:
            problems.add(f"disable[{index}]", _no_inherited(key, inherited))
        else:
            del rules[key]
    for key, patch in parsed.overrides.items():
        if key not in rules:
            problems.add(f"overrides.{key}", _no_inherited(key, inherited))
            continue
        base = rules[key].rule.model_dump(exclude_none=True)
        changes = patch.model_dump(exclude_none=True)
        if changed := CONDITION_KEYS & changes.keys():
            # A new kind of condition replaces the old one; the same kind keeps the keys not
            # given (`tolerance: 1.0` keeps the target, `max:` keeps the min).
            group = frozenset().union(*(g for g in GROUPS if g & changed))
            base = {k: v for k, v in base.items() if k not in CONDITION_KEYS - group}
        try:
            rule = Rule.model_validate({**base, **changes})
        except ValidationError as exc:
            problems.add(f"overrides.{key}", str(exc.errors()[0]["msg"]))
            continue
        compiled = compile_rule(rule, f"overrides.{key}", parsed.name, problems)
        if compiled is not None:
            rules[key] = compiled
    _add_rules(parsed, rules, problems)


def _add_rules(parsed: ProfileDocument, rules: dict[str, CompiledRule], problems: Problems) -> None:
    seen: set[str] = set()
    changed = set(parsed.disable) | set(parsed.overrides)
    for index, rule in enumerate(parsed.rules):
        where = f"rules[{index}] ({rule.key})"
        if rule.key in seen:
            problems.add(where, f"a second rule with id {rule.key!r}: give one of them an `id`")
            continue
        seen.add(rule.key)
        if rule.key in changed:
            problems.add(where, f"{rule.key!r} is also disabled or overridden in this profile")
            continue
        compiled = compile_rule(rule, where, parsed.name, problems)
        if compiled is not None:
            rules[rule.key] = compiled  # an inherited rule with this id is replaced in place


def _no_inherited(key: str, inherited: set[str]) -> str:
    if not inherited:
        return f"there is no inherited rule {key!r}: this profile extends nothing"
    return f"there is no inherited rule {key!r}{did_you_mean(key, inherited)}"


def _check_analysis(analysis: Mapping[str, bool | int | float], problems: Problems) -> None:
    allowed = set(AnalysisOptions.model_fields) - NOT_PROFILE_OPTIONS
    for key in analysis:
        if key not in allowed:
            problems.add(f"analysis.{key}", f"not an analysis option{did_you_mean(key, allowed)}")
    try:
        AnalysisOptions.model_validate({k: v for k, v in analysis.items() if k in allowed})
    except ValidationError as exc:
        for error in exc.errors():
            problems.add(f"analysis.{error['loc'][0]}", str(error["msg"]))
