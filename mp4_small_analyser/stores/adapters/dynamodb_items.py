"""Task records as DynamoDB items: native attributes, Decimal numbers, a size cap.

Every field of a `TaskRecord` is an attribute of its own (readable in the
console, `batch_id` feeding the sparse `BatchIdIndex`); absent values are left
out rather than stored as NULL, so records without a batch stay out of the index.

Numbers: DynamoDB takes Decimal, not float. Floats go in through their shortest
repr, so they come back bit for bit; the type does not always survive, as
DynamoDB trims trailing zeros (a stored `2.0` may read back as the integer
`2`, equal in Python and in JSON). NaN, infinities and floats beyond
DynamoDB's range (|x| >= 1e126) are stored as null, as JSON would have them;
non-zero floats below 1e-130 as 0; integers beyond 38 digits as strings.

Size: an item may not exceed 400 KB. The record's payload (a task result, or
any callback body received) is capped at `PAYLOAD_BUDGET` by shortening its
largest lists and strings, each noted in the record's `truncated` map (JSON
Pointer → original length, stored as JSON text); the other free-text attributes are cut with an
inline marker. Sizes are estimated from above, by DynamoDB's rules and
moto's alike.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from mp4_small_analyser.stores.adapters.dynamodb_table import VERDICT_ATTRIBUTE
from mp4_small_analyser.stores.records import Delivery, TaskRecord, record_verdict

ITEM_LIMIT = 400 * 1024
"""DynamoDB's item size limit (attribute names and values, UTF-8)."""
PAYLOAD_BUDGET = 360_000
"""Estimated bytes the payload may take; the rest of an item stays under 40 KB."""
FILE_URL_LIMIT = 8 * 1024
ERROR_TEXT_LIMIT = 2 * 1024
MAX_SHORTENINGS = 64
"""Lists or strings shortened before the payload is replaced by its summary."""
TRUNCATION_MARK = " …[truncated]"
SUMMARY_FIELDS = ("status", "task_id", "batch_id", "file_url", "error", "error_code")
"""Top-level payload fields kept when nothing else can make the payload fit."""

_MAX_DIGITS = 38
_LARGEST = Decimal("1e126")
_SMALLEST = Decimal("1e-130")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def record_to_item(record: TaskRecord) -> dict[str, Any]:
    """The item to put for `record` (its payload capped), in DynamoDB's wire format."""
    fields = record.model_dump(mode="json")
    payload, truncated = capped_payload(fields.pop("payload"))
    fields.update(
        payload=payload, truncated=truncation_note({**(record.truncated or {}), **truncated})
    )
    if fields["file_url"] is not None:
        fields["file_url"] = cut_text(fields["file_url"], FILE_URL_LIMIT)
    if record.callback is not None:
        fields["callback"] = delivery_attribute(record.callback)
    fields[VERDICT_ATTRIBUTE] = record_verdict(record.payload)
    return serialize({name: value for name, value in fields.items() if value is not None})


def item_to_record(item: dict[str, Any]) -> TaskRecord:
    fields = deserialize(item)
    fields.pop(VERDICT_ATTRIBUTE, None)
    if "truncated" in fields:
        fields["truncated"] = json.loads(fields["truncated"])
    return TaskRecord.model_validate(fields)


def truncation_note(truncated: dict[str, int]) -> str | None:
    """The `truncated` attribute: JSON text, as a pointer may be any string (even empty,
    which a DynamoDB map key cannot be)."""
    return json.dumps(truncated, ensure_ascii=False) if truncated else None


def delivery_attribute(delivery: Delivery) -> dict[str, Any]:
    """A callback's delivery state as stored (a long error message cut)."""
    fields = delivery.model_dump(mode="json")
    if fields["last_error"] is not None:
        fields["last_error"] = cut_text(fields["last_error"], ERROR_TEXT_LIMIT)
    return fields


def serialize(values: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values → attribute values (`{"S": ...}`, `{"N": ...}`, `{"M": ...}`)."""
    return {name: _serializer.serialize(to_dynamo(value)) for name, value in values.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {name: from_dynamo(_deserializer.deserialize(value)) for name, value in item.items()}


def to_dynamo(value: Any) -> Any:
    """A JSON value with its numbers made storable (see the module's notes)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if len(str(abs(value))) <= _MAX_DIGITS else str(value)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= _LARGEST:
            return None
        number = Decimal(repr(value))
        return Decimal(0) if number and abs(number) < _SMALLEST else number
    if isinstance(value, dict):
        return {str(key): to_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(item) for item in value]
    raise TypeError(f"cannot store {type(value).__name__} in a record")


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        integral = isinstance(exponent, int) and exponent >= 0
        return int(value) if integral else float(value)
    if isinstance(value, dict):
        return {key: from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamo(item) for item in value]
    return value


# ------------------------------------------------------------------------- size


def estimated_size(value: Any) -> int:
    """Bytes `value` takes in an item, never less than DynamoDB or moto count.

    DynamoDB: strings by UTF-8 length, numbers about one byte per two digits
    plus one, null and booleans one byte, lists and maps three bytes plus one
    per element (and the key's length); moto counts a number by its text.
    """
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, int | float | Decimal):
        return len(str(value)) + 1
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + 1 + estimated_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + estimated_size(item) for item in value)
    raise TypeError(f"cannot size {type(value).__name__}")


def cut_text(text: str, limit: int) -> str:
    """`text` within `limit` UTF-8 bytes, marked when cut."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    keep = max(0, limit - len(TRUNCATION_MARK.encode()))
    return encoded[:keep].decode(errors="ignore") + TRUNCATION_MARK


@dataclass
class _Node:
    """A list or string inside the payload, with where it hangs."""

    parent: Any
    key: Any
    pointer: str
    size: int


def capped_payload(
    payload: dict[str, Any] | None, budget: int = PAYLOAD_BUDGET
) -> tuple[dict[str, Any] | None, dict[str, int]]:
    """`payload` made to fit `budget` (estimated bytes) and what was shortened.

    The largest list or string is cut first, to what the excess allows, so a
    long series goes before any short field is touched. Returns the payload
    (a copy when changed) and `{JSON Pointer: original length}`.
    """
    if payload is None:
        return None, {}
    stored = to_dynamo(payload)
    size = estimated_size(stored)
    if size <= budget:
        return payload, {}
    stored = copy.deepcopy(stored)
    truncated: dict[str, int] = {}
    for _ in range(MAX_SHORTENINGS):
        largest = max(_shrinkable(stored, ""), key=lambda node: node.size, default=None)
        if largest is None:
            break
        value = largest.parent[largest.key]
        truncated.setdefault(largest.pointer, len(value))
        target = max(0, largest.size - (size - budget))
        largest.parent[largest.key] = _shortened(value, target)
        size = estimated_size(stored)
        if size <= budget:
            return from_dynamo(stored), truncated
    scalars = {
        name: from_dynamo(stored[name])
        for name in SUMMARY_FIELDS
        if isinstance(stored.get(name), str | int | Decimal | bool)
    }
    summary, _ = capped_payload(scalars, budget)
    return summary, {"": len(payload)}


def _shrinkable(value: Any, pointer: str) -> Iterator[_Node]:
    """Lists (non-empty) and strings (longer than their marker) under `value`."""
    children: Iterator[tuple[str | int, Any]]
    if isinstance(value, dict):
        children = iter(value.items())
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return
    for key, child in children:
        child_pointer = f"{pointer}/{_escape(str(key))}"
        if isinstance(child, list) and child:
            size = estimated_size(child)
            # A list whose bulk is one item (a long string, a big map) is cut inside
            # that item, not dropped whole.
            if 2 * max(estimated_size(item) for item in child) <= size:
                yield _Node(value, key, child_pointer, size)
            yield from _shrinkable(child, child_pointer)
        elif isinstance(child, dict):
            yield from _shrinkable(child, child_pointer)
        elif isinstance(child, str) and len(child.encode()) > 2 * len(TRUNCATION_MARK.encode()):
            yield _Node(value, key, child_pointer, estimated_size(child))


def _shortened(value: list[Any] | str, target: int) -> list[Any] | str:
    """The longest prefix of `value` whose estimated size is at most `target`."""
    if isinstance(value, str):
        return cut_text(value, target)
    size = 3
    for index, item in enumerate(value):
        size += 1 + estimated_size(item)
        if size > target:
            return value[:index]
    return value


def _escape(key: str) -> str:
    """A JSON Pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
