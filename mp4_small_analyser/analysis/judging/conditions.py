"""What a value must be: the condition vocabulary shared by rules and `when` clauses.

A condition is one of: a range (`min` and/or `max`, inclusive), a target with a
tolerance (`target` ± `tolerance`, the loudness standards' own wording), `equals`,
`one_of`, `not_one_of`, `present` or `absent`. Units are the field's own (LUFS,
bit/s, s, px...). A value that was not measured (null) satisfies only `absent`:
the engine reports such a rule as not judged instead of passing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from .fields import Node
from .issues import did_you_mean

Number = StrictInt | StrictFloat
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
ConditionKey = Literal[
    "min", "max", "target", "tolerance", "equals", "one_of", "not_one_of", "present", "absent"
]

GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"min", "max"}),
    frozenset({"target", "tolerance"}),
    frozenset({"equals"}),
    frozenset({"one_of"}),
    frozenset({"not_one_of"}),
    frozenset({"present"}),
    frozenset({"absent"}),
)
CONDITION_KEYS = frozenset().union(*GROUPS)

ALLOWED: dict[str, frozenset[str]] = {
    "number": CONDITION_KEYS,
    "string": frozenset({"equals", "one_of", "not_one_of", "present", "absent"}),
    "boolean": frozenset({"equals", "present", "absent"}),
}
PRESENCE_ONLY = frozenset({"present", "absent"})


class Condition(BaseModel):
    """The condition keys; a rule or a `when` clause uses exactly one group of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: Number | None = Field(None, description="Inclusive lower bound, in the field's unit.")
    max: Number | None = Field(None, description="Inclusive upper bound, in the field's unit.")
    target: Number | None = Field(None, description="With `tolerance`: target ± tolerance.")
    tolerance: Number | None = Field(None, ge=0, description="Either side of `target`.")
    equals: Scalar | None = None
    one_of: list[Scalar] | None = Field(None, min_length=1)
    not_one_of: list[Scalar] | None = Field(None, min_length=1)
    present: Literal[True] | None = Field(None, description="The field was measured (not null).")
    absent: Literal[True] | None = Field(None, description="The field is null or missing.")

    def keys(self) -> frozenset[str]:
        return frozenset(key for key in CONDITION_KEYS if getattr(self, key) is not None)


def shape_problem(condition: Condition) -> str | None:
    """Why the set keys do not make one condition, or None when they do."""
    keys = condition.keys()
    if not keys:
        return (
            "no condition: give one of min/max, target+tolerance, equals, one_of, "
            "not_one_of, present, absent"
        )
    groups = [group for group in GROUPS if keys & group]
    if len(groups) > 1:
        names = " and ".join(sorted("/".join(sorted(g & keys)) for g in groups))
        return f"conflicting conditions {names}: use one kind per rule (split it in two)"
    if (group := groups[0]) == GROUPS[1] and keys != group:
        return "`target` needs `tolerance` (and `tolerance` needs `target`)"
    if condition.min is not None and condition.max is not None and condition.min > condition.max:
        return f"min {condition.min} is above max {condition.max}"
    return None


def type_problems(condition: Condition, node: Node) -> list[str]:
    """Conditions the field's type cannot meet, and values of the wrong type."""
    keys = condition.keys()
    allowed = ALLOWED.get(node.kind, PRESENCE_ONLY)
    wrong = sorted(keys - allowed)
    if wrong:
        kind = node.kind if node.kind != "opaque" else "structured value"
        return [
            f"{', '.join(wrong)} cannot apply to a {kind} field; it allows "
            f"{', '.join(sorted(allowed))}"
        ]
    values: list[Any] = []
    if condition.equals is not None:
        values.append(condition.equals)
    values.extend(condition.one_of or ())
    values.extend(condition.not_one_of or ())
    return [problem for value in values if (problem := _value_problem(value, node)) is not None]


def _value_problem(value: Any, node: Node) -> str | None:
    if node.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number{_numeric_text_hint(value)}"
        if node.integer and isinstance(value, float) and not value.is_integer():
            return f"{value!r}: this field holds whole numbers"
    if node.kind == "boolean" and not isinstance(value, bool):
        return f"{value!r} is not true or false"
    if node.kind == "string":
        if not isinstance(value, str):
            return f"{value!r} is not text (quote it: '{value}')"
        if node.choices is not None and value not in node.choices:
            return f"{value!r} is never a value of this field ({', '.join(node.choices)})" + (
                did_you_mean(value, node.choices)
            )
    return None


def _numeric_text_hint(value: Any) -> str:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return " (YAML reads 3e6 as text: write 3000000 or 3.0e+6)"
    return ""


@dataclass(frozen=True)
class Outcome:
    passed: bool
    limit: float | str | None = None
    """The bound crossed, or the expected values as text."""


def evaluate(condition: Condition, value: Any) -> Outcome | None:
    """Whether `value` meets `condition`; None when it was not measured (cannot be judged)."""
    if condition.absent:
        return Outcome(value is None)
    if condition.present:
        return Outcome(value is not None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if condition.target is not None and condition.tolerance is not None:
        low = condition.target - condition.tolerance
        high = condition.target + condition.tolerance
        return _range(value, low, high)
    if condition.min is not None or condition.max is not None:
        return _range(value, condition.min, condition.max)
    if condition.equals is not None:
        return Outcome(_same(value, condition.equals), _text(condition.equals))
    if condition.one_of is not None:
        passed = any(_same(value, choice) for choice in condition.one_of)
        return Outcome(passed, " or ".join(_text(choice) for choice in condition.one_of))
    if condition.not_one_of is not None:
        passed = not any(_same(value, choice) for choice in condition.not_one_of)
        return Outcome(passed, expected_text(condition))
    return None


def _range(value: Any, low: float | None, high: float | None) -> Outcome:
    # Rounding guards against binary noise: -22.5 stored as -22.500000000000004 passes max -22.5.
    measured = round(float(value), 9)
    if low is not None and measured < low:
        return Outcome(False, low)
    if high is not None and measured > high:
        return Outcome(False, high)
    return Outcome(True)


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    if isinstance(value, int | float) and isinstance(expected, int | float):
        return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-9)
    return bool(value == expected)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def expected_text(condition: Condition) -> str:
    """The condition in words, for messages: `between -23.5 and -22.5`, `one of h264, hevc`."""
    if condition.absent:
        return "absent"
    if condition.present:
        return "present"
    if condition.target is not None and condition.tolerance is not None:
        return f"{condition.target:g} ± {condition.tolerance:g}"
    if condition.min is not None and condition.max is not None:
        return f"between {condition.min:g} and {condition.max:g}"
    if condition.min is not None:
        return f"at least {condition.min:g}"
    if condition.max is not None:
        return f"at most {condition.max:g}"
    if condition.equals is not None:
        return _text(condition.equals)
    if condition.one_of is not None:
        return "one of " + ", ".join(_text(choice) for choice in condition.one_of)
    if condition.not_one_of is not None:
        return "none of " + ", ".join(_text(choice) for choice in condition.not_one_of)
    return ""
