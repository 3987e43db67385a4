"""The Lambda bundle, built for real with pip for the Lambda platform (needs PyPI, not Docker).

What is checked, and what cannot be here:
- the arm64 bundle (the default): size under Lambda's 250 MB unzipped limit, the package and its
  dependencies present, every ELF file built for AArch64, every wheel tagged for CPython 3.12
  (or the stable ABI / pure Python) on manylinux; it cannot be executed on this host.
- a bundle for this host's architecture is imported and used (PyAV encodes and decodes a clip,
  numpy computes) by a Python with only the standard library and the bundle on its path. When a
  CPython of the functions' runtime (`LAMBDA_RUNTIME`, 3.12) is installed (as on the development
  machine) the bundle is the real cp312 one, i.e. Lambda's ABI; otherwise it is built for this
  interpreter's Python version, which proves the recipe (platform wheels, pruning) but not the
  cp312 binaries, and a warning in the test output says so (never a skip).
- a CDK synth with bundling on stages that bundle as the functions' code.
"""

from __future__ import annotations

import glob
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_

from mp4_small_analyser_cdk.bundling import (
    LAMBDA_PYTHON_VERSION,
    LAMBDA_RUNTIME,
    BundleSpec,
    BundlingError,
    LocalPipBundling,
    build_bundle,
    bundled_code,
    runtime_requirements,
)
from mp4_small_analyser_cdk.config import Architecture
from tests.cdk_synth import PROJECT_ROOT, STACK_IDS, example_config, synthesize

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
ELF_MACHINES = {"arm64": 183, "x86_64": 62}  # EM_AARCH64, EM_X86_64
NATIVE_DEPENDENCIES = ("av", "numpy", "pydantic_core")
PURE_DEPENDENCIES = ("fastapi", "starlette", "pydantic", "pydantic_settings", "httpx", "mangum")
PACKAGE = PROJECT_ROOT / "mp4_small_analyser"
# What Lambda's Python runtime provides next to the function's code.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lambda-bundles")


@pytest.fixture(scope="module")
def arm64_bundle(cache_root: Path) -> Path:
    return build_bundle(BundleSpec("arm64", runtime_requirements()), cache_root)


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and not path.is_symlink()]


def _elf_machine(path: Path) -> int | None:
    with path.open("rb") as file:
        header = file.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    assert header[4] == 2, f"{path} is not a 64-bit ELF"
    return int.from_bytes(header[18:20], "little")


def test_bundle_fits_lambda_unzipped_limit(arm64_bundle: Path) -> None:
    size = sum(path.stat().st_size for path in _files(arm64_bundle))
    assert size < LAMBDA_UNZIPPED_LIMIT, f"{size / 2**20:.0f} MiB"


def test_bundle_holds_the_package_and_its_dependencies(arm64_bundle: Path) -> None:
    sources = sorted(
        path.relative_to(PACKAGE)
        for path in _files(PACKAGE)
        if "__pycache__" not in path.parts and path.suffix != ".pyc"
    )
    bundled = arm64_bundle / "mp4_small_analyser"
    assert sorted(path.relative_to(bundled) for path in _files(bundled)) == sources
    for relative in sources:
        assert (bundled / relative).read_bytes() == (PACKAGE / relative).read_bytes()
    for name in (*NATIVE_DEPENDENCIES, *PURE_DEPENDENCIES):
        assert (arm64_bundle / name / "__init__.py").is_file(), name


def test_bundle_pins_the_tested_versions(arm64_bundle: Path) -> None:
    for requirement in runtime_requirements():
        name, _, version = requirement.partition("==")
        assert version, f"{requirement} is not pinned although it is installed here"
        normalised = re.sub(r"[-.]+", "_", name).lower()
        dist_infos = [
            path.name
            for path in arm64_bundle.glob("*.dist-info")
            if path.name.lower().startswith(f"{normalised}-")
        ]
        assert dist_infos == [f"{dist_infos[0].split('-')[0]}-{version}.dist-info"], requirement


def test_bundle_leaves_out_what_the_runtime_does_not_need(arm64_bundle: Path) -> None:
    top_level = {path.name.lower() for path in arm64_bundle.iterdir()}
    for absent in ("boto3", "botocore", "s3transfer", "pip", "setuptools", "bin"):
        assert absent not in top_level
        assert not any(name.startswith(f"{absent}-") for name in top_level)
    leftovers = [
        path
        for path in arm64_bundle.rglob("*")
        if path.name in {"__pycache__", "tests", "RECORD"} or path.suffix == ".pyc"
    ]
    assert leftovers == []


def test_native_code_targets_aarch64_and_cpython_312(arm64_bundle: Path) -> None:
    machines = {path: _elf_machine(path) for path in _files(arm64_bundle)}
    elf = {path: machine for path, machine in machines.items() if machine is not None}
    assert len(elf) > 50
    assert {machine for machine in elf.values()} == {ELF_MACHINES["arm64"]}
    for native in NATIVE_DEPENDENCIES:
        assert any(path.is_relative_to(arm64_bundle / native) for path in elf), native
    extensions = [path.name for path in elf if re.search(r"\.cpython-\d+", path.name)]
    assert extensions
    assert all(".cpython-312-aarch64-linux-gnu." in name for name in extensions), extensions


def test_wheel_tags_are_for_lambda(arm64_bundle: Path) -> None:
    pattern = re.compile(
        r"^(py3|py2\.py3)-none-any$"
        r"|^cp312-cp312-(manylinux_2_(\d+)|manylinux2014)_aarch64$"
        r"|^cp3(\d+)-abi3-(manylinux_2_(\d+)|manylinux2014)_aarch64$"
    )
    tags = [
        line.removeprefix("Tag: ")
        for wheel in arm64_bundle.glob("*.dist-info/WHEEL")
        for line in wheel.read_text().splitlines()
        if line.startswith("Tag: ")
    ]
    assert len(tags) >= 20
    for tag in tags:
        match = pattern.match(tag)
        assert match, tag
        glibc = match.group(3) or match.group(6)
        abi3_minor = match.group(4)
        assert glibc is None or int(glibc) <= 34, f"{tag}: newer glibc than Lambda's 2.34"
        assert abi3_minor is None or int(abi3_minor) <= 12, tag


def test_cached_bundle_is_reused_without_pip(
    arm64_bundle: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pip_must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip ran although the bundle is cached")

    monkeypatch.setattr(subprocess, "run", pip_must_not_run)
    assert build_bundle(BundleSpec("arm64", runtime_requirements()), cache_root) == arm64_bundle


def test_key_follows_sources_requirements_and_architecture(tmp_path: Path) -> None:
    package = tmp_path / "mp4_small_analyser"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    spec = BundleSpec("arm64", ("numpy==2.0.0",), package_dir=package)
    key = spec.key()
    assert spec.key() == key
    assert replace(spec, architecture="x86_64").key() != key
    assert replace(spec, requirements=("numpy==2.1.0",)).key() != key
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "errors.cpython-311.pyc").write_bytes(b"not a source")
    assert spec.key() == key
    (package / "errors.py").write_text((package / "errors.py").read_text() + "\n# edited\n")
    assert spec.key() != key


def test_built_in_profiles_are_package_data_in_the_bundle(arm64_bundle: Path) -> None:
    builtin = arm64_bundle / "mp4_small_analyser" / "analysis" / "judging" / "builtin"
    assert {path.stem for path in builtin.glob("*.yaml")} >= {"ebu-r128", "ebu-r128-s1", "atsc-a85"}
    assert (arm64_bundle / "yaml" / "__init__.py").is_file()


def test_configured_profiles_join_the_cached_bundle_without_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "house.yaml").write_text("name: house\ndescription: x\nextends: atsc-a85\n")
    (profiles / "notes.txt").write_text("not a profile")
    spec = BundleSpec("arm64", ("numpy==2.0.0",), profiles_dir=profiles)
    cache = tmp_path / "cache"
    (cache / spec.cache_name() / "mp4_small_analyser").mkdir(parents=True)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip ran"))
    output = tmp_path / "asset"
    assert LocalPipBundling(spec, cache).try_bundle(
        str(output), image=LAMBDA_RUNTIME.bundling_image
    )
    assert sorted(path.name for path in (output / "qc_profiles").iterdir()) == ["house.yaml"]
    assert (output / "mp4_small_analyser").is_dir()
    # A changed profile is new function code, but the same cached dependencies.
    key, asset = spec.key(), spec.asset_key()
    (profiles / "house.yaml").write_text("name: house\ndescription: y\nextends: atsc-a85\n")
    assert (spec.key(), spec.asset_key() != asset) == (key, True)
    assert replace(spec, profiles_dir=None).asset_key() != spec.asset_key()


def test_requirements_come_from_pyproject_pinned_to_installed_versions(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[project]\n"
        'dependencies = ["numpy>=1.26", "uvicorn[standard]>=0.30", '
        '"no-such-backport>=2; python_version < \'3.11\'", "no-such-distribution-here>=1"]\n'
        "[project.optional-dependencies]\n"
        'aws = ["boto3>=1.34", "mangum>=0.19; python_version >= \'3.8\'"]\n'
    )
    installed = {name: importlib.metadata.version(name) for name in ("numpy", "uvicorn", "mangum")}
    assert runtime_requirements(tmp_path) == (
        f"numpy=={installed['numpy']}",
        f"uvicorn[standard]=={installed['uvicorn']}",
        "no-such-backport>=2; python_version < '3.11'",
        "no-such-distribution-here>=1",
        f"mangum=={installed['mangum']}; python_version >= '3.8'",
    )


def test_pip_failure_stops_the_build_with_its_reason(tmp_path: Path) -> None:
    spec = BundleSpec("arm64", ("./no-such-dependency-1.0-py3-none-any.whl",))
    with pytest.raises(BundlingError) as raised:
        build_bundle(spec, tmp_path)
    message = str(raised.value)
    assert "Local bundling of the Lambda code failed" in message
    assert "Docker is never used" in message
    assert "no-such-dependency" in message
    assert list(tmp_path.iterdir()) == []


def test_cdk_synth_fails_on_a_bundling_error_instead_of_using_docker(tmp_path: Path) -> None:
    spec = BundleSpec("arm64", ("./no-such-dependency-1.0-py3-none-any.whl",))
    app = App(outdir=str(tmp_path / "cdk.out"))
    stack = Stack(app, "BundlingFailure")
    # CDK stages (and so bundles) an asset as soon as a function binds its code.
    with pytest.raises(RuntimeError, match="Local bundling of the Lambda code failed"):
        lambda_.Function(
            stack,
            "Function",
            runtime=LAMBDA_RUNTIME,
            handler="mp4_small_analyser.aws.handlers.worker_handler",
            code=bundled_code(spec, tmp_path / "cache", spec.key()),
        )


def test_synth_with_bundling_stages_the_bundle_as_function_code(
    arm64_bundle: Path, cache_root: Path, tmp_path: Path
) -> None:
    config = example_config(LAMBDA_BUNDLE_CACHE_DIR=str(cache_root))
    synthesis = synthesize(config, tmp_path / "cdk.out", bundle=True)
    (asset,) = sorted(synthesis.outdir.glob("asset.*"))
    assert (asset / "mp4_small_analyser" / "__init__.py").is_file()
    numpy_init = asset / "numpy" / "__init__.py"
    # Staged by hard links from the cache rather than a 160 MB copy.
    assert os.path.samefile(numpy_init, arm64_bundle / "numpy" / "__init__.py")
    asset_hash = asset.name.removeprefix("asset.")
    keys = [
        function["Properties"]["Code"]["S3Key"]
        for stack_id in STACK_IDS
        for function in synthesis.template(stack_id)["Resources"].values()
        if function["Type"] == "AWS::Lambda::Function"
    ]
    assert keys == [f"{asset_hash}.zip"] * 3


# --- Importing the bundle on this host's ABI -----------------------------------------------------

IMPORT_CHECK = r"""
import importlib, io, json, pkgutil, sys
bundle, sdk = sys.argv[1], sys.argv[2]
sys.path[:0] = [bundle, sdk]
import mp4_small_analyser
names = ["av", "numpy", "pydantic_core", "fastapi", "mangum", "httpx", "pydantic_settings"]
names += [
    module.name
    for module in pkgutil.walk_packages(mp4_small_analyser.__path__, "mp4_small_analyser.")
    if not module.name.endswith("__main__")
]
for name in names:
    module = importlib.import_module(name)
    assert module.__file__.startswith(bundle), (name, module.__file__)

import av, numpy
buffer = io.BytesIO()
with av.open(buffer, "w", format="mp4") as container:
    stream = container.add_stream("libx264", rate=10)
    stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
    for index in range(5):
        pixels = numpy.full((32, 32, 3), index * 40, dtype=numpy.uint8)
        for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
buffer.seek(0)
with av.open(buffer) as container:
    decoded = sum(1 for _ in container.decode(video=0))
print(json.dumps({"python": sys.version_info[:2], "modules": len(names), "frames": decoded}))
"""


def _interpreter_for_lambda_abi() -> str | None:
    """A CPython of the functions' runtime (`LAMBDA_RUNTIME`) on this host, if any: on PATH,
    this interpreter itself, or a pyenv version (a shim that cannot run it does not count)."""
    assert LAMBDA_RUNTIME.name == f"python{LAMBDA_PYTHON_VERSION}", LAMBDA_RUNTIME.name
    name = f"python{LAMBDA_PYTHON_VERSION}"
    pattern = f"~/.pyenv/versions/{LAMBDA_PYTHON_VERSION}*/bin/{name}"
    candidates = [shutil.which(name), sys.executable]
    candidates += sorted(glob.glob(os.path.expanduser(pattern)))
    wanted = tuple(int(part) for part in LAMBDA_PYTHON_VERSION.split("."))
    for candidate in candidates:
        if candidate is None:
            continue
        probe = subprocess.run(
            [candidate, "-c", f"import sys; sys.exit(sys.version_info[:2] != {wanted})"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return candidate
    return None


def _host_architecture() -> Architecture:
    return "arm64" if platform.machine().lower() in {"aarch64", "arm64"} else "x86_64"


def _runtime_sdk_dir(directory: Path) -> Path:
    """Lambda's runtime ships the AWS SDK: lend the test environment's copy, as links."""
    directory.mkdir()
    for name in RUNTIME_SDK:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (directory / source.name).symlink_to(source)
    return directory


@pytest.mark.skipif(sys.platform != "linux", reason="manylinux binaries only load on Linux")
def test_bundle_imports_and_decodes_on_the_host_abi(cache_root: Path, tmp_path: Path) -> None:
    interpreter = _interpreter_for_lambda_abi()
    if interpreter is None:
        interpreter = sys.executable
        # Never a skip: the recipe is still proved; the warnings summary says what was not.
        warnings.warn(
            f"no CPython {LAMBDA_PYTHON_VERSION} ({LAMBDA_RUNTIME.name}, the functions' "
            f"runtime) on this host: the bundle is built and run for this interpreter's "
            f"Python {platform.python_version()} instead, so Lambda's own binaries are not "
            "imported here",
            stacklevel=1,
        )
    version = subprocess.run(
        [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    spec = BundleSpec(_host_architecture(), runtime_requirements(), python_version=version)
    bundle = build_bundle(spec, cache_root)
    sdk = _runtime_sdk_dir(tmp_path / "runtime-sdk")
    # -S: no site-packages, -E: no PYTHON* variables; only the standard library and the bundle.
    result = subprocess.run(
        [interpreter, "-S", "-E", "-c", IMPORT_CHECK, str(bundle), str(sdk)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["python"] == [int(part) for part in version.split(".")]
    assert report["frames"] == 5
    assert report["modules"] >= 8
