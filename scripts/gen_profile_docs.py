"""Write docs/qc-profile.schema.json and docs/profile-fields.md from the models (`make docs`).

Both are generated, never edited by hand; tests/test_profile_schema.py fails when the
committed copies differ from what this writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from mp4_small_analyser.analysis.judging.schema import fields_markdown, profile_json_schema

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    schema = json.dumps(profile_json_schema(), indent=2, ensure_ascii=False) + "\n"
    (DOCS / "qc-profile.schema.json").write_text(schema, encoding="utf-8")
    (DOCS / "profile-fields.md").write_text(fields_markdown(), encoding="utf-8")


if __name__ == "__main__":
    main()
