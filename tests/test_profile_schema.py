"""The published schema and field list match the models; every shipped profile validates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mp4_small_analyser.analysis.judging.schema import fields_markdown, profile_json_schema

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(
    (ROOT / "mp4_small_analyser" / "analysis" / "judging" / "builtin").glob("*.yaml")
) + sorted((ROOT / "examples" / "profiles").glob("*.yaml"))


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "docs" / "qc-profile.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def test_the_published_schema_is_generated_from_the_models() -> None:
    published = json.loads((ROOT / "docs" / "qc-profile.schema.json").read_text("utf-8"))
    assert published == profile_json_schema(), "run make docs"


def test_the_published_field_list_is_generated_from_the_models() -> None:
    published = (ROOT / "docs" / "profile-fields.md").read_text(encoding="utf-8")
    assert published == fields_markdown(), "run make docs"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_profile_validates_against_the_schema(path: Path) -> None:
    validator().validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "description": "x", "rules": [{"code": "A", "field": "a.b", "maximum": 1}]},
        {"name": "x", "description": "x", "rules": [{"code": "a", "field": "a.b", "max": 1}]},
        {
            "name": "x",
            "description": "x",
            "rules": [{"code": "A", "field": "a.b", "max": 1, "severity": "fatal"}],
        },
        {"name": "x", "description": "x", "rules": [{"code": "A", "field": "a..b", "max": 1}]},
        {"name": "X Y", "description": "x"},
        {"name": "x", "description": "x", "intrinsic": [{"code": "NOT_A_CHECK"}]},
        {"name": "x", "description": "x", "rules": [{"code": "A", "field": "a", "min": "3e6"}]},
    ],
)
def test_the_schema_refuses_malformed_profiles(bad: dict[str, Any]) -> None:
    assert list(validator().iter_errors(bad))


def test_docs_quality_lists_every_code_the_built_ins_can_raise() -> None:
    from mp4_small_analyser.analysis.judging import builtin_library
    from mp4_small_analyser.analysis.judging.intrinsic import REGISTRY

    library = builtin_library()
    raised = {item.rule.code for name in library.names() for item in library.get(name).rules}
    raised |= set(REGISTRY)
    lines = (ROOT / "docs" / "quality.md").read_text(encoding="utf-8").splitlines()
    table = [line.split("|")[1] for line in lines if line.startswith("| `")]
    documented = {code for cell in table for code in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    assert documented == raised
