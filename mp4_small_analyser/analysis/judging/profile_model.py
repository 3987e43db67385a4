"""The profile file: what a user writes, as pydantic models (the JSON Schema comes from these).

A rule is a field, one condition, a severity, a stable code and a message;
`when` clauses (the same vocabulary on other fields) make it conditional. An
extending profile changes inherited rules by id: `rules` with the same id
replace one, `overrides` patch one (a condition of another kind replaces the old one;
the same kind keeps the keys not given),
`disable` removes one. `intrinsic` changes the severity of the checks the code
emits whatever the profile (SILENT_CHANNEL, ENCRYPTED_TRACK, ...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from mp4_small_analyser.models import Severity
from mp4_small_analyser.options import PROFILE_NAME_PATTERN

from .conditions import Condition, Number, Scalar

CODE_PATTERN = r"^[A-Z][A-Z0-9_]*$"
FIELD_PATTERN = r"^[a-z_][a-z0-9_]*(\[[^\[\]]+\])?(\.[a-z_][a-z0-9_]*(\[[^\[\]]+\])?)*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class When(Condition):
    """The rule applies only when this field meets this condition."""

    field: str = Field(pattern=FIELD_PATTERN, description="A result field path.")


class Rule(Condition):
    id: str | None = Field(
        None,
        pattern=CODE_PATTERN,
        description="Key for overrides and `disable`; defaults to `code`. Unique per profile.",
    )
    code: str = Field(pattern=CODE_PATTERN, description="Stable check code users branch on.")
    field: str = Field(pattern=FIELD_PATTERN, description="A result field path.")
    severity: Severity = "error"
    message: str | None = Field(
        None, description="Format template; see the guide for the names it may use."
    )
    when: list[When] = Field(default_factory=list, description="All must hold for the rule.")
    source: str | None = Field(None, description="The standard and clause this rule applies.")

    @property
    def key(self) -> str:
        return self.id or self.code


class RulePatch(_Model):
    """A partial rule for `overrides`: the keys given replace the inherited ones."""

    code: str | None = Field(None, pattern=CODE_PATTERN)
    field: str | None = Field(None, pattern=FIELD_PATTERN)
    severity: Severity | None = None
    message: str | None = None
    when: list[When] | None = None
    source: str | None = None
    min: Number | None = None
    max: Number | None = None
    target: Number | None = None
    tolerance: Number | None = Field(None, ge=0)
    equals: Scalar | None = None
    one_of: list[Scalar] | None = Field(None, min_length=1)
    not_one_of: list[Scalar] | None = Field(None, min_length=1)
    present: Literal[True] | None = None
    absent: Literal[True] | None = None


class IntrinsicSetting(_Model):
    """Change a built-in check: its severity (optionally for one variant, or when...) or drop it."""

    code: str = Field(pattern=CODE_PATTERN)
    variant: str | None = Field(None, description="e.g. `lfe` for SILENT_CHANNEL.")
    severity: Severity | None = None
    disabled: bool = False
    when: list[When] = Field(default_factory=list)


class SourceRef(_Model):
    standard: str = Field(description="Document and version, e.g. `EBU R 128 (v3.0, 2014)`.")
    clause: str | None = None
    url: str | None = None
    note: str | None = Field(None, description="What could not be confirmed, and why.")


AnalysisValue = StrictBool | StrictInt | StrictFloat


class ProfileDocument(_Model):
    """One profile file (YAML or JSON)."""

    schema_ref: str | None = Field(None, alias="$schema")
    name: str = Field(pattern=PROFILE_NAME_PATTERN)
    title: str | None = None
    description: str
    sources: list[SourceRef] = Field(default_factory=list)
    extends: str | list[str] | None = Field(
        None, description="Parent profile names (or paths relative to this file), in order."
    )
    analysis: dict[str, AnalysisValue] = Field(
        default_factory=dict,
        description="Analysis options this profile needs (AnalysisOptions names), "
        "e.g. a finer black_min_duration.",
    )
    rules: list[Rule] = Field(default_factory=list)
    overrides: dict[str, RulePatch] = Field(default_factory=dict)
    disable: list[str] = Field(default_factory=list)
    intrinsic: list[IntrinsicSetting] = Field(default_factory=list)
