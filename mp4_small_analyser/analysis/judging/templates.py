"""Message templates: `"Integrated loudness is {value:.1f} LUFS, {delta:+.1f} LU off {target:g}"`.

Templates use Python's format syntax over a fixed set of names. Profiles may
come from strangers (inline in a service request), so attribute and index access
(`{value.__class__}`) and conversions are refused, and each template is tried
once at load time with values of the field's type: a `{value:.1f}` on a text
field is an error in the profile, not a crash while judging.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from .conditions import Condition, expected_text
from .fields import Node
from .issues import did_you_mean

NAMES: Mapping[str, str] = {
    "value": "the measured value",
    "unit": "the field's unit, or nothing",
    "field": "the field path",
    "code": "the rule's code",
    "profile": "the profile's name",
    "severity": "error, warning or info",
    "expected": "the condition in words (`between -23.5 and -22.5`, `one of h264, hevc`)",
    "limit": "the bound crossed, or the expected values as text",
    "min": "the rule's min",
    "max": "the rule's max",
    "target": "the rule's target",
    "tolerance": "the rule's tolerance",
    "delta": "value minus target",
    "index": "the list item's index (rules on `[*]` or `[field=value]` paths)",
}
"""Every name a template may use, with what it holds (listed in the profile guide)."""

_SAMPLES: Mapping[str, Any] = {"number": 1.5, "string": "text", "boolean": True}


def template_problems(template: str, condition: Condition, node: Node, iterates: bool) -> list[str]:
    try:
        names = _names(template)
    except ValueError as exc:
        return [f"message template: {exc}"]
    problems = [problem for name in names if (problem := _name_problem(name, condition, iterates))]
    if problems:
        return problems
    sample = _SAMPLES.get(node.kind, "value")
    numeric = any(getattr(condition, key) is not None for key in ("min", "max", "target"))
    limit = 1.0 if numeric else None
    context = context_for(
        condition, sample, 0, node.unit, "FIELD", "CODE", "profile", "error", limit
    )
    try:
        template.format_map(context)
    except (ValueError, TypeError, KeyError) as exc:
        return [f"message template cannot show a {node.kind} value this way: {exc}"]
    return []


def _names(template: str) -> list[str]:
    names: list[str] = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if conversion:
            raise ValueError(f"conversion !{conversion} is not allowed in {{{name}}}")
        if not name.isidentifier():
            raise ValueError(f"{{{name}}}: use plain names only (no '.', '[' or positions)")
        if spec and "{" in spec:
            raise ValueError(f"{{{name}:{spec}}}: nested fields are not allowed")
        names.append(name)
    return names


def _name_problem(name: str, condition: Condition, iterates: bool) -> str | None:
    if name not in NAMES:
        return f"message template: unknown name {{{name}}}{did_you_mean(name, NAMES)}"
    if name in ("min", "max", "target", "tolerance") and getattr(condition, name) is None:
        return f"message template uses {{{name}}} but the rule has no {name}"
    if name == "delta" and condition.target is None:
        return "message template uses {delta}, which needs target/tolerance"
    if name == "index" and not iterates:
        return "message template uses {index}, but the field selects no list items"
    return None


def context_for(
    condition: Condition,
    value: Any,
    index: int | None,
    unit: str | None,
    field: str,
    code: str,
    profile: str,
    severity: str,
    limit: float | str | None = None,
) -> dict[str, Any]:
    delta = None
    if condition.target is not None and isinstance(value, int | float):
        delta = float(value) - condition.target
    return {
        "value": value,
        "unit": unit or "",
        "field": field,
        "code": code,
        "profile": profile,
        "severity": severity,
        "expected": expected_text(condition),
        "limit": limit if limit is not None else expected_text(condition),
        "min": condition.min,
        "max": condition.max,
        "target": condition.target,
        "tolerance": condition.tolerance,
        "delta": delta,
        "index": index,
    }


def default_message(context: Mapping[str, Any]) -> str:
    unit = f" {context['unit']}" if context["unit"] else ""
    shown = _show(context["value"])
    where = f" (item {context['index']})" if context["index"] is not None else ""
    return (
        f"{context['field']}{where} is {shown}{unit}; the {context['profile']} profile "
        f"requires {context['expected']}{unit if _numeric(context) else ''}."
    )


def render(template: str | None, context: Mapping[str, Any]) -> str:
    if template is None:
        return default_message(context)
    try:
        return template.format_map(context)
    except (ValueError, TypeError, KeyError):
        # Validated at load; a value of an unexpected type still must not stop judging.
        return default_message(context)


def _numeric(context: Mapping[str, Any]) -> bool:
    return any(context[key] is not None for key in ("min", "max", "target"))


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)
