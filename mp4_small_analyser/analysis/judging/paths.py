"""Field paths: `audio_analysis.loudness_integrated`, `tracks[*].encrypted`, `tracks[0].language`.

A path is the result's own field names joined by dots. A list is addressed by
item: `[0]` (by index; an index past the end is "not present") or `[*]` (every
item, each judged on its own). To judge only some items, a rule's `when` clause
reads the same item: `field: tracks[*].language` with
`when: [{field: tracks[*].type, equals: audio}]` judges the audio tracks.

`parse` checks a path against the field catalogue's types and says what is
wrong with it; `resolve` reads the values from a result, one per list item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .fields import Node, catalogue, children, roots
from .issues import did_you_mean

_SEGMENT = re.compile(r"(?P<name>[a-z_][a-z0-9_]*)(?:\[(?P<selector>[^\[\]]*)\])?")

Binding = Mapping[str, int]
"""Which item of each `[*]` list a value came from, keyed by the list's path."""


@dataclass(frozen=True)
class Segment:
    name: str
    index: int | None = None
    every: bool = False

    @property
    def selects(self) -> bool:
        return self.index is not None or self.every


@dataclass(frozen=True)
class FieldPath:
    text: str
    segments: tuple[Segment, ...]
    node: Node
    """The type of the value the path ends at."""

    @property
    def iterates(self) -> bool:
        return any(segment.every for segment in self.segments)


class PathError(ValueError):
    """A path that names no field; the message says which part and suggests a fix."""


def parse(text: str) -> FieldPath:
    parts = text.split(".")
    segments: list[Segment] = []
    level = roots()
    node: Node | None = None
    prefix = ""
    for position, part in enumerate(parts):
        segment = _segment(part, text)
        if segment.name not in level:
            raise PathError(_unknown(text, prefix, segment.name, level))
        node = level[segment.name]
        prefix = f"{prefix}.{segment.name}" if prefix else segment.name
        if segment.selects:
            if node.kind != "list" or node.item is None:
                raise PathError(f"{prefix!r} is not a list, so [...] cannot select from it")
            node = node.item
            prefix += "[]"
        if position < len(parts) - 1:
            if node.kind == "list":
                raise PathError(f"{prefix!r} is a list: address its items with [*] or [0]")
            if node.kind != "object":
                raise PathError(
                    f"{prefix!r} is a {node.kind}, it has no field {parts[1 + position]!r}"
                )
            level = children(node, prefix)
        segments.append(segment)
    assert node is not None  # split always yields one part
    return FieldPath(text, tuple(segments), node)


def _segment(part: str, text: str) -> Segment:
    match = _SEGMENT.fullmatch(part)
    if match is None:
        raise PathError(
            f"{part!r} in {text!r} is not a field name (lower_case) with an optional [N] or [*]"
        )
    name, selector = match["name"], match["selector"]
    if selector is None:
        return Segment(name)
    if selector == "*":
        return Segment(name, every=True)
    if selector.isdigit():
        return Segment(name, index=int(selector))
    raise PathError(
        f"[{selector}] in {text!r}: use [N] or [*] (a `when` clause on the same list picks items)"
    )


def _unknown(text: str, prefix: str, name: str, level: Mapping[str, Node]) -> str:
    where = f"{prefix!r} has no field" if prefix else "results have no field"
    elsewhere = [entry.path for entry in catalogue() if entry.path != prefix]
    hint = did_you_mean(name, level) or did_you_mean(text, elsewhere)
    return f"unknown field {text!r}: {where} {name!r}{hint}"


@dataclass(frozen=True)
class Found:
    value: Any
    """None when the field is absent or was not measured."""
    binding: Binding
    index: int | None
    """The index of the innermost selected list item, for messages."""


def resolve(path: FieldPath, root: Mapping[str, Any], bound: Binding | None = None) -> list[Found]:
    """The values `path` names in `root`; a `[*]` list already in `bound` keeps its item."""
    return list(_resolve(path.segments, root, "", {}, None, bound or {}))


def _resolve(
    segments: tuple[Segment, ...],
    current: Any,
    prefix: str,
    binding: dict[str, int],
    index: int | None,
    bound: Binding,
) -> Iterator[Found]:
    if not segments:
        yield Found(current, dict(binding), index)
        return
    segment, rest = segments[0], segments[1:]
    value = _attribute(current, segment.name)
    prefix = f"{prefix}.{segment.name}" if prefix else segment.name
    if not segment.selects:
        yield from _resolve(rest, value, prefix, binding, index, bound)
        return
    items: list[Any] = list(value) if isinstance(value, list) else []
    if segment.index is not None:
        item = items[segment.index] if segment.index < len(items) else None
        yield from _resolve(rest, item, prefix, binding, segment.index, bound)
        return
    chosen = [bound[prefix]] if prefix in bound else range(len(items))
    for position in chosen:
        if position < len(items):
            inner = {**binding, prefix: position}
            yield from _resolve(rest, items[position], prefix, inner, position, bound)


def _attribute(current: Any, name: str) -> Any:
    if isinstance(current, Mapping):
        return current.get(name)
    if isinstance(current, BaseModel):
        return getattr(current, name, None)
    return None
