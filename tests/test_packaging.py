"""What each command installs, and the import contracts that keep the layers apart."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _extras(requirements: str) -> set[str]:
    """Extras of the project named by `-e .[a,b]` lines, following `-r` includes."""
    found: set[str] = set()
    for line in (ROOT / requirements).read_text().splitlines():
        line = line.strip()
        if line.startswith("-r "):
            found |= _extras(line.removeprefix("-r ").strip())
        elif line.startswith("-e .["):
            found |= set(line.removeprefix("-e .[").rstrip("]").split(","))
        else:
            assert not line or line.startswith("#"), f"{requirements}: {line!r} copies a pin"
    return found


def test_requirements_files_are_derived_from_pyproject() -> None:
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert _extras("requirements.txt") == {"aws", "cdk"}
    assert _extras("requirements-dev.txt") == set(optional), "make test installs every extra"


def test_make_run_installs_the_runtime_alone() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run_install = makefile.split("$(RUN_STAMP): ")[1].split("\n\n")[0]
    assert "pip install -q -e .\n" in run_install + "\n"
    assert "[" not in run_install.split("pip install", 1)[1], "no extras for make run"


def test_a_layer_violation_fails_the_import_contracts(tmp_path: Path) -> None:
    """The same `lint-imports` that `make test` runs, on a copy with one forbidden import."""
    for name in ("mp4_small_analyser", "mp4_small_analyser_cdk"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    lint_imports = Path(sys.executable).parent / "lint-imports"

    def contracts() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(lint_imports), "--no-cache"],
            cwd=tmp_path,
            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )

    kept = contracts()
    assert kept.returncode == 0, kept.stdout + kept.stderr
    report = tmp_path / "mp4_small_analyser" / "analysis" / "report.py"
    report.write_text(report.read_text() + "\nimport mp4_small_analyser.service.app  # noqa\n")
    broken = contracts()
    assert broken.returncode != 0
    assert "mp4_small_analyser.analysis is not allowed to import mp4_small_analyser.service" in (
        broken.stdout
    )
