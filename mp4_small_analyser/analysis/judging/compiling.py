"""Check each rule against the result models and prepare it for judging.

Everything a profile can get wrong about the results is caught here, at load,
with the rule named: an unknown field (with the closest one), a condition the
field's type cannot meet, a value of the wrong type, a message template that
names something the rule does not have, an intrinsic check that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .conditions import Condition, shape_problem, type_problems
from .intrinsic import REGISTRY
from .issues import ProfileIssue, did_you_mean
from .paths import FieldPath, PathError, parse
from .profile_model import IntrinsicSetting, Rule, When
from .templates import template_problems


@dataclass(frozen=True)
class CompiledWhen:
    clause: When
    path: FieldPath


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    path: FieldPath
    when: tuple[CompiledWhen, ...]
    origin: str
    """The profile that defined (or last replaced or patched) this rule."""


@dataclass(frozen=True)
class CompiledSetting:
    setting: IntrinsicSetting
    when: tuple[CompiledWhen, ...]
    origin: str


class Problems:
    """Collects issues for one profile source."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[ProfileIssue] = []

    def add(self, location: str, message: str) -> None:
        self.issues.append(ProfileIssue(self.source, location, message))


def compile_rule(rule: Rule, where: str, origin: str, problems: Problems) -> CompiledRule | None:
    before = len(problems.issues)
    if rule.code in REGISTRY:
        problems.add(
            f"{where}.code",
            f"{rule.code} is a built-in check; change its severity under `intrinsic:` "
            "instead of writing a rule with its code",
        )
    path = _condition(rule, rule.field, where, problems)
    when = _clauses(rule.when, f"{where}.when", problems)
    if path is not None and rule.message is not None:
        for problem in template_problems(rule.message, rule, path.node, path.iterates):
            problems.add(f"{where}.message", problem)
    if path is None or when is None or len(problems.issues) > before:
        return None
    return CompiledRule(rule, path, when, origin)


def compile_setting(
    setting: IntrinsicSetting, where: str, origin: str, problems: Problems
) -> CompiledSetting | None:
    before = len(problems.issues)
    item = REGISTRY.get(setting.code)
    if item is None:
        problems.add(
            f"{where}.code",
            f"no built-in check {setting.code!r}{did_you_mean(setting.code, REGISTRY)}; "
            f"built-in checks are {', '.join(REGISTRY)}",
        )
    elif setting.variant is not None and setting.variant not in item.defaults:
        variants = [v for v in item.defaults if v is not None]
        listed = ", ".join(variants) if variants else "none"
        problems.add(
            f"{where}.variant",
            f"{setting.code} has no variant {setting.variant!r} (variants: {listed})"
            + did_you_mean(setting.variant, variants),
        )
    if setting.severity is None and not setting.disabled:
        problems.add(where, "give a `severity` or `disabled: true`")
    when = _clauses(setting.when, f"{where}.when", problems)
    if when is None or len(problems.issues) > before:
        return None
    return CompiledSetting(setting, when, origin)


def _clauses(
    clauses: Sequence[When], where: str, problems: Problems
) -> tuple[CompiledWhen, ...] | None:
    compiled: list[CompiledWhen] = []
    for index, clause in enumerate(clauses):
        path = _condition(clause, clause.field, f"{where}[{index}]", problems)
        if path is not None:
            compiled.append(CompiledWhen(clause, path))
    return tuple(compiled) if len(compiled) == len(clauses) else None


def _condition(
    condition: Condition, field: str, where: str, problems: Problems
) -> FieldPath | None:
    if (shape := shape_problem(condition)) is not None:
        problems.add(where, shape)
    try:
        path = parse(field)
    except PathError as exc:
        problems.add(f"{where}.field", str(exc))
        return None
    for problem in type_problems(condition, path.node):
        problems.add(where, f"{field}: {problem}")
    return path if shape is None else None
