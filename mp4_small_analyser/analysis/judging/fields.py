"""Which result fields a rule may name, read from the result models themselves.

The catalogue is derived by walking the pydantic models (`Results` and the
`derived` measures), so a field added to a model becomes rule-able, and a field
renamed makes every profile that names it fail validation, rather than being
silently skipped. Only units are not in the models yet: `UNITS` holds them until
the models carry `json_schema_extra={"unit": ...}`, which `_unit` prefers.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo as PydanticField

from mp4_small_analyser.models import Results

from .derived import Derived

Kind = Literal["number", "string", "boolean", "datetime", "object", "list", "opaque"]

NOT_RULEABLE = frozenset({"verdict", "profile", "checks"})
"""Results fields that are judgements themselves: judging them would be circular."""

_AUDIO_UNITS: Mapping[str, str] = {
    "sample_rate": "Hz",
    "bit_rate": "bit/s",
    "duration": "s",
    "loudness_integrated": "LUFS",
    "loudness_range": "LU",
    "true_peak": "dBTP",
    "sample_peak": "dBFS",
    "max_momentary": "LUFS",
    "max_short_term": "LUFS",
    "short_term_series[]": "LUFS",
    "silence_percentage": "%",
    "per_channel[].sample_peak": "dBFS",
    "per_channel[].true_peak": "dBTP",
    "per_channel[].loudness": "LUFS",
}
"""An audio track's units: the same in `audio_analysis` and each of `audio_tracks`."""

UNITS: Mapping[str, str] = {
    "file_info.file_size": "bytes",
    "file_info.duration": "s",
    "file_info.duration_from_streams": "s",
    "file_info.start_time": "s",
    "file_info.bit_rate": "bit/s",
    "file_info.bytes_missing": "bytes",
    "file_info.seconds_missing": "s",
    "file_info.playable_until": "s",
    "video_analysis.width": "px",
    "video_analysis.height": "px",
    "video_analysis.frame_rate": "fps",
    "video_analysis.duration": "s",
    "video_analysis.bit_rate": "bit/s",
    "video_analysis.bit_depth": "bits",
    "video_analysis.rotation": "degrees",
    "video_analysis.keyframe_interval": "s",
    "video_analysis.hdr.mastering_display.max_luminance": "cd/m²",
    "video_analysis.hdr.mastering_display.min_luminance": "cd/m²",
    "video_analysis.hdr.content_light.max_cll": "cd/m²",
    "video_analysis.hdr.content_light.max_fall": "cd/m²",
    "video_analysis.gop.interval_min": "s",
    "video_analysis.gop.interval_max": "s",
    "video_analysis.gop.interval_mean": "s",
    "video_analysis.black_percentage": "%",
    "video_analysis.frozen_percentage": "%",
    "video_analysis.blur": "px",
    **{f"audio_analysis.{name}": unit for name, unit in _AUDIO_UNITS.items()},
    **{f"audio_tracks[].{name}": unit for name, unit in _AUDIO_UNITS.items()},
    "tracks[].duration": "s",
    "tracks[].start_time": "s",
    "tracks[].declared_duration": "s",
    "tracks[].media_duration": "s",
    "tracks[].bit_rate": "bit/s",
    "tracks[].bit_rate_series[]": "bits",
    "tracks[].bit_rate_peak_1s": "bit/s",
    "tracks[].bit_rate_peak_5s": "bit/s",
    "captions.embedded.first_seen": "s",
    "derived.short_side": "px",
    "derived.long_side": "px",
    "derived.av_duration_difference": "s",
    "derived.black_head": "s",
    "derived.black_tail": "s",
    "derived.black_longest_inner": "s",
    "derived.frozen_head": "s",
    "derived.frozen_tail": "s",
    "derived.frozen_longest_inner": "s",
}
"""Units of numeric fields, keyed by catalogue path (`[]` marks a list's items)."""


@dataclass(frozen=True)
class Node:
    """The type of one field, as far as judging cares."""

    kind: Kind
    integer: bool = False
    choices: tuple[str, ...] | None = None
    """The allowed values of a string field typed as a Literal."""
    model: type[BaseModel] | None = None
    """The model of an object field."""
    item: Node | None = None
    """The type of a list's items."""
    description: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class FieldEntry:
    path: str
    node: Node


def roots() -> dict[str, Node]:
    """The top level a field path starts from: `Results`' fields plus `derived`."""
    found = {
        name: _node(field.annotation, field, name)
        for name, field in Results.model_fields.items()
        if name not in NOT_RULEABLE
    }
    found["derived"] = Node("object", model=Derived, description="Measures computed from these.")
    return found


def children(node: Node, prefix: str) -> dict[str, Node]:
    """The fields of an object node, keyed by name."""
    if node.model is None:
        return {}
    return {
        name: _node(field.annotation, field, f"{prefix}.{name}")
        for name, field in node.model.model_fields.items()
    }


@cache
def catalogue() -> tuple[FieldEntry, ...]:
    """Every rule-able path, depth first, lists' items written `name[]`."""
    return tuple(_walk(roots(), ""))


def _walk(nodes: Mapping[str, Node], prefix: str) -> Iterator[FieldEntry]:
    for name, node in nodes.items():
        path = f"{prefix}{name}"
        yield FieldEntry(path, node)
        if node.kind == "object":
            yield from _walk(children(node, path), f"{path}.")
        if node.kind == "list" and node.item is not None:
            item_path = f"{path}[]"
            yield FieldEntry(item_path, node.item)
            if node.item.kind == "object":
                yield from _walk(children(node.item, item_path), f"{item_path}.")


def _node(annotation: Any, field: PydanticField | None, path: str) -> Node:
    description = field.description if field is not None else None
    node = _node_of(_strip_optional(annotation), path)
    unit = _unit(field, path)
    return Node(
        node.kind,
        node.integer,
        node.choices,
        node.model,
        node.item,
        description or node.description,
        unit,
    )


def _node_of(annotation: Any, path: str) -> Node:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _node_of(get_args(annotation)[0], path)
    if origin is Literal:
        values = get_args(annotation)
        if all(isinstance(value, str) for value in values):
            return Node("string", choices=tuple(values))
        return Node("opaque")
    if origin is list:
        (item,) = get_args(annotation)
        return Node("list", item=_node(item, None, f"{path}[]"))
    if origin in (tuple, dict) or origin is Union or origin is types.UnionType:
        return Node("opaque")
    return _plain(annotation)


def _plain(annotation: Any) -> Node:
    # bool before int: bool is a subclass of int, and True must not pass `min: 1`.
    if annotation is bool:
        return Node("boolean")
    if annotation is int:
        return Node("number", integer=True)
    if annotation is float:
        return Node("number")
    if annotation is str:
        return Node("string")
    if annotation is datetime:
        return Node("datetime")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Node("object", model=annotation, description=(annotation.__doc__ or "").strip())
    return Node("opaque")


def _strip_optional(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _unit(field: PydanticField | None, path: str) -> str | None:
    extra = field.json_schema_extra if field is not None else None
    if isinstance(extra, dict) and isinstance(extra.get("unit"), str):
        return str(extra["unit"])
    return UNITS.get(path)
