"""From text (YAML or JSON) or an inline object to a `ProfileDocument`, or issues that say why not.

YAML is read with the safe loader, refusing duplicate keys (YAML would keep the
last one silently, so a rule pasted twice would hide the first). Pydantic's
errors are rewritten to name the rule by index and code, and an unknown key
gets the closest known one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .issues import ProfileIssue, did_you_mean
from .profile_model import IntrinsicSetting, ProfileDocument, Rule, RulePatch, SourceRef, When

_MODELS_BY_KEY: Mapping[str, type[BaseModel]] = {
    "rules": Rule,
    "overrides": RulePatch,
    "intrinsic": IntrinsicSetting,
    "when": When,
    "sources": SourceRef,
}


_UNION_MEMBERS = frozenset({"int", "float", "bool", "str"})


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (line {line})", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse_text(text: str, source: str, is_json: bool) -> Any:
    """The raw object in `text`; raises ProfileError-ready issues through `TextError`."""
    try:
        if is_json:
            return json.loads(text)
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise TextError([ProfileIssue(source, "", f"cannot be read: {exc}")]) from exc


class TextError(Exception):
    def __init__(self, issues: list[ProfileIssue]) -> None:
        super().__init__("; ".join(map(str, issues)))
        self.issues = issues


def document(raw: Any, source: str) -> ProfileDocument | list[ProfileIssue]:
    if not isinstance(raw, Mapping):
        kind = type(raw).__name__
        return [ProfileIssue(source, "", f"a profile is a mapping of keys, not a {kind}")]
    try:
        return ProfileDocument.model_validate(raw)
    except ValidationError as exc:
        # A value that fits no member of a union (int | float) fails once per member, each
        # located under the member's name: one issue per place, the last (most specific).
        issues: dict[tuple[int | str, ...], ProfileIssue] = {}
        for error in exc.errors():
            loc = tuple(error["loc"])
            while loc and loc[-1] in _UNION_MEMBERS:
                loc = loc[:-1]
            issues[loc] = _issue({**error, "loc": loc}, raw, source)
        return list(issues.values())


def _issue(error: Mapping[str, Any], raw: Mapping[str, Any], source: str) -> ProfileIssue:
    loc: Sequence[int | str] = error["loc"]
    if error["type"] == "extra_forbidden":
        key = str(loc[-1])
        known = _known_keys(loc[:-1])
        return ProfileIssue(
            source, describe(loc[:-1], raw), f"unknown key {key!r}" + did_you_mean(key, known)
        )
    message = str(error["msg"])
    if isinstance(error.get("input"), str) and "number" in message:
        message += _numeric_text_hint(str(error["input"]))
    return ProfileIssue(source, describe(loc, raw), message)


def _numeric_text_hint(text: str) -> str:
    try:
        float(text)
    except ValueError:
        return ""
    return f" ({text!r} was read as text: YAML needs 3000000 or 3.0e+6, not 3e6)"


def describe(loc: Sequence[int | str], raw: Any) -> str:
    """`rules[3] (BITRATE_LOW).when[0].min` for a pydantic location in `raw`."""
    parts: list[str] = []
    current: Any = raw
    for item in loc:
        if isinstance(item, int):
            current = current[item] if isinstance(current, list) and item < len(current) else None
            label = ""
            if isinstance(current, Mapping) and isinstance(current.get("code"), str):
                label = f" ({current.get('id') or current['code']})"
            parts.append(f"[{item}]{label}")
            continue
        parts.append(f".{item}" if parts else str(item))
        current = current.get(item) if isinstance(current, Mapping) else None
    return "".join(parts)


def _known_keys(loc: Sequence[int | str]) -> list[str]:
    model: type[BaseModel] = ProfileDocument
    for item in loc:
        if isinstance(item, str) and item in _MODELS_BY_KEY:
            model = _MODELS_BY_KEY[item]
    return [field.alias or name for name, field in model.model_fields.items()]
