"""A profile ready to judge with: its parents merged in, every rule compiled.

`document()` writes it back as one self-contained profile (no `extends`): what a
queue message carries to a worker, so the worker judges with exactly the rules
validated at submission, whatever its own profile folder holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mp4_small_analyser.options import AnalysisOptions

from .compiling import CompiledRule, CompiledSetting
from .profile_model import ProfileDocument, SourceRef


@dataclass(frozen=True)
class ResolvedProfile:
    name: str
    description: str
    title: str | None = None
    sources: tuple[SourceRef, ...] = ()
    chain: tuple[str, ...] = ()
    """This profile and its ancestors, nearest first."""
    rules: tuple[CompiledRule, ...] = ()
    intrinsic: tuple[CompiledSetting, ...] = ()
    """Later settings win: parents' first, then this profile's."""
    analysis: Mapping[str, bool | int | float] = field(default_factory=dict)

    def rule(self, key: str) -> CompiledRule | None:
        return next((item for item in self.rules if item.rule.key == key), None)

    def analysis_options(self, given: AnalysisOptions) -> AnalysisOptions:
        """`given` with this profile's `analysis` block for the options the caller left at
        their defaults (an option set explicitly wins), and this profile's name."""
        wanted = {k: v for k, v in self.analysis.items() if k not in given.model_fields_set}
        return AnalysisOptions.model_validate(
            {**given.model_dump(exclude_unset=True), **wanted, "profile": self.name}
        )

    def document(self) -> ProfileDocument:
        """This profile as one file with its parents merged in."""
        return ProfileDocument(
            name=self.name,
            title=self.title,
            description=self.description,
            sources=list(self.sources),
            analysis=dict(self.analysis),
            rules=[item.rule for item in self.rules],
            intrinsic=[item.setting for item in self.intrinsic],
        )

    def flattened(self) -> dict[str, Any]:
        """The profile as one document, parents merged: what `profiles show` prints."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "extends_chain": list(self.chain[1:]),
            "sources": [source.model_dump(exclude_none=True) for source in self.sources],
            "analysis": dict(self.analysis),
            "rules": [_rule_document(item) for item in self.rules],
            "intrinsic": [
                {
                    **item.setting.model_dump(exclude_none=True, exclude_defaults=True),
                    "from": item.origin,
                }
                for item in self.intrinsic
            ],
        }


_RULE_ORDER = (
    "id",
    "code",
    "field",
    "min",
    "max",
    "target",
    "tolerance",
    "equals",
    "one_of",
    "not_one_of",
    "present",
    "absent",
    "severity",
    "when",
    "message",
    "source",
)


def _rule_document(item: CompiledRule) -> dict[str, Any]:
    """A rule as its author would write it (keys in reading order), plus where it came from."""
    data = item.rule.model_dump(exclude_none=True)
    if not data.get("when"):
        data.pop("when", None)
    ordered = {key: data[key] for key in _RULE_ORDER if key in data}
    return {**ordered, "from": item.origin}
