"""Lambda code bundling without Docker.

pip installs the package's dependencies as binary wheels for the Lambda platform (manylinux,
CPython 3.12, the function's architecture) into a directory, the package source is copied
beside them, and what the runtime does not need is pruned. The result is cached on disk under
a key hashing everything that goes into it, so repeated synths (and tests) reuse it; CDK gets a
hard-linked copy. CDK calls this through `ILocalBundling`, and a failure stops the synth with
pip's output rather than falling back to Docker.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from mp4_small_analyser.analysis.judging.library import SUFFIXES as PROFILE_SUFFIXES
from mp4_small_analyser_cdk.config import Architecture

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_NAME = "mp4_small_analyser"
LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_12
# Lambda's Python 3.12 runtime runs on Amazon Linux 2023 (glibc 2.34): wheels built for any
# manylinux baseline up to that one load there.
MANYLINUX_TAGS = ("manylinux_2_34", "manylinux_2_28", "manylinux2014")
# The runtime ships the AWS SDK; bundling another copy would only add ~20 MB.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})
# Installer tooling that pip may leave in --target and nothing imports at run time.
INSTALLER_TOOLING = frozenset({"pip", "setuptools", "wheel"})
# name[extras] version-specifiers ; marker (PEP 508, without URL requirements).
_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<extras>\[[^\]]*\])?[^;]*(?P<marker>;.*)?$"
)
DIST_INFO_BULK = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
# Bump when the recipe changes so cached bundles built by an older recipe are not reused.
RECIPE_VERSION = "1"
CACHE_ENTRIES_KEPT = 3
BUNDLED_PROFILES = "qc_profiles"
"""Where a deployment's QC profile folder goes in the bundle (LAMBDA_TASK_ROOT/qc_profiles)."""
LAMBDA_TASK_ROOT = "/var/task"
DEFAULT_CACHE_ROOT = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "mp4-small-analyser"
    / "lambda-bundles"
)


class BundlingError(RuntimeError):
    """Local bundling failed; the message says why and what to check."""


@dataclass(frozen=True)
class BundleSpec:
    """What goes into one Lambda code bundle."""

    architecture: Architecture
    requirements: tuple[str, ...]
    package_dir: Path = PROJECT_ROOT / PACKAGE_NAME
    python_version: str = LAMBDA_PYTHON_VERSION
    profiles_dir: Path | None = None
    """QC profiles copied into the function's code beside the cached bundle (not part of it,
    so changing a profile does not run pip again)."""

    @property
    def platforms(self) -> tuple[str, ...]:
        machine = "aarch64" if self.architecture == "arm64" else "x86_64"
        return tuple(f"{tag}_{machine}" for tag in MANYLINUX_TAGS)

    def key(self) -> str:
        digest = hashlib.sha256()
        recipe = {
            "recipe": RECIPE_VERSION,
            "python": self.python_version,
            "platforms": self.platforms,
            "requirements": self.requirements,
        }
        digest.update(json.dumps(recipe, sort_keys=True).encode())
        for path in _package_files(self.package_dir):
            digest.update(path.relative_to(self.package_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def asset_key(self) -> str:
        """The cached bundle's key and the bundled profiles: what the function's code holds."""
        digest = hashlib.sha256(self.key().encode())
        for path in _package_files(self.profiles_dir) if self.profiles_dir else []:
            digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def cache_name(self) -> str:
        return f"{self.cache_prefix()}{self.key()[:24]}"

    def cache_prefix(self) -> str:
        return f"{self.architecture}-cp{self.python_version.replace('.', '')}-"


def bundled_profiles_dir(configured: Path | None) -> str | None:
    """The functions' PROFILES_DIR: where the configured folder lands in their code."""
    return f"{LAMBDA_TASK_ROOT}/{BUNDLED_PROFILES}" if configured is not None else None


def runtime_requirements(project_root: Path = PROJECT_ROOT) -> tuple[str, ...]:
    """The package's dependencies and its `aws` extra, minus what the runtime provides.

    Each is pinned to the version installed where the app runs when there is one, so the
    functions run the library versions the tests ran against.
    """
    pyproject = tomllib.loads((project_root / "pyproject.toml").read_text())["project"]
    declared = [*pyproject["dependencies"], *pyproject["optional-dependencies"]["aws"]]
    pinned = []
    for requirement in declared:
        match = _REQUIREMENT.match(requirement)
        if match is None:
            raise BundlingError(f"Cannot read requirement {requirement!r} of pyproject.toml")
        name, extras, marker = match.group("name", "extras", "marker")
        if _normalise(name) in RUNTIME_PROVIDED:
            continue
        try:
            pinned.append(f"{name}{extras or ''}=={metadata.version(name)}{marker or ''}")
        except metadata.PackageNotFoundError:
            pinned.append(requirement)
    return tuple(pinned)


def build_bundle(spec: BundleSpec, cache_root: Path = DEFAULT_CACHE_ROOT) -> Path:
    """Return a directory holding the bundle for `spec`, building it when not cached."""
    cached = cache_root / spec.cache_name()
    if cached.is_dir():
        os.utime(cached)
        return cached
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = cache_root / f".building-{spec.cache_name()}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _pip_install(spec, staging)
        _prune(staging)
        shutil.copytree(
            spec.package_dir,
            staging / spec.package_dir.name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"),
        )
        try:
            staging.rename(cached)
        except OSError:
            if not cached.is_dir():
                raise
            shutil.rmtree(staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _evict_older(cache_root, spec)
    return cached


def pip_command(spec: BundleSpec, target: Path) -> list[str]:
    platform_flags = [flag for tag in spec.platforms for flag in ("--platform", tag)]
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        spec.python_version,
        *platform_flags,
        "--target",
        str(target),
        *spec.requirements,
    ]


class LambdaPackage:
    """The service's Lambda code: one CDK asset per stack, all staged from one cached bundle."""

    def __init__(self, spec: BundleSpec, cache_root: Path = DEFAULT_CACHE_ROOT) -> None:
        self.spec = spec
        self.cache_root = cache_root
        self._key = spec.asset_key()
        self._code_by_stack: dict[str, lambda_.Code] = {}

    def code(self, scope: Construct) -> lambda_.Code:
        stack_path = Stack.of(scope).node.path
        if stack_path not in self._code_by_stack:
            self._code_by_stack[stack_path] = bundled_code(self.spec, self.cache_root, self._key)
        return self._code_by_stack[stack_path]


def bundled_code(spec: BundleSpec, cache_root: Path, key: str) -> lambda_.Code:
    """Lambda code for `spec`, bundled locally when CDK stages it (never in Docker).

    The asset hash is the bundle key, so CDK skips staging when its output already holds it.
    """
    return lambda_.Code.from_asset(
        str(spec.package_dir),
        asset_hash=key,
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            # Required by the API; only used if local bundling declined, which it never does.
            image=LAMBDA_RUNTIME.bundling_image,
            local=LocalPipBundling(spec, cache_root),
        ),
    )


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """CDK's local bundling hook: materialise the cached bundle into CDK's output directory."""

    def __init__(self, spec: BundleSpec, cache_root: Path) -> None:
        self._spec = spec
        self._cache_root = cache_root

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        bundle = build_bundle(self._spec, self._cache_root)
        shutil.copytree(bundle, output_dir, copy_function=_link_or_copy, dirs_exist_ok=True)
        if self._spec.profiles_dir is not None:
            shutil.copytree(
                self._spec.profiles_dir,
                Path(output_dir) / BUNDLED_PROFILES,
                ignore=lambda _, names: [n for n in names if not n.endswith(PROFILE_SUFFIXES)],
                dirs_exist_ok=True,
            )
        return True


def _pip_install(spec: BundleSpec, target: Path) -> None:
    command = pip_command(spec, target)
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip()[-4000:]
        raise BundlingError(
            f"Local bundling of the Lambda code failed (pip exit status {completed.returncode}) "
            f"for {spec.architecture}, CPython {spec.python_version}. Docker is never used "
            "instead: check network access to PyPI and that every dependency publishes a "
            f"manylinux wheel for this platform.\nCommand: {' '.join(command)}\n{output}"
        )


def _prune(target: Path) -> None:
    for dist_info in target.glob("*.dist-info"):
        name = _normalise(dist_info.name.partition("-")[0])
        if name in RUNTIME_PROVIDED or name in INSTALLER_TOOLING:
            _remove_distribution(target, dist_info)
    for name in ("bin", "_distutils_hack", "pkg_resources", "distutils-precedence.pth"):
        _remove(target / name)
    for directory in sorted(target.rglob("*"), reverse=True):
        if directory.is_dir() and directory.name in {"__pycache__", "tests"}:
            shutil.rmtree(directory)
    for dist_info in target.glob("*.dist-info"):
        for name in DIST_INFO_BULK:
            _remove(dist_info / name)


def _remove_distribution(target: Path, dist_info: Path) -> None:
    installed = _record_paths(target, dist_info / "RECORD")
    for path in installed:
        _remove(path)
    for top in {path.relative_to(target).parts[0] for path in installed}:
        leftover = target / top
        if leftover.is_dir() and not any(entry.is_file() for entry in leftover.rglob("*")):
            shutil.rmtree(leftover)
    _remove(dist_info)


def _record_paths(target: Path, record: Path) -> list[Path]:
    if not record.is_file():
        return []
    relatives = (line.split(",", 1)[0] for line in record.read_text().splitlines())
    return [target / relative for relative in relatives if relative and ".." not in relative]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _evict_older(cache_root: Path, spec: BundleSpec) -> None:
    siblings = sorted(
        (entry for entry in cache_root.glob(f"{spec.cache_prefix()}*") if entry.is_dir()),
        key=lambda entry: entry.stat().st_mtime,
        reverse=True,
    )
    for stale in siblings[CACHE_ENTRIES_KEPT:]:
        shutil.rmtree(stale, ignore_errors=True)


def _link_or_copy(source: str, destination: str) -> str:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
    return destination


def _package_files(package_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in package_dir.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".pyc", ".pyo"}
    )


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
