"""Session-scoped generated media (owned by the probe work).

`media` makes each catalogue file on first use and keeps it for the session, so
a test run pays only for the files its tests ask for::

    path = media.path("h264_aac")           # Path of the generated file
    spec = media.spec("h264_aac")           # how it was made and what to expect

`large_non_faststart_mp4` is a ~21 MB H.264 file with its moov at the end, for
tests that count the bytes a remote probe reads.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.media_catalogue import CATALOGUE, LARGE_NON_FASTSTART, MediaSpec, build
from tests.picture_clips import PictureClips


class GeneratedMedia:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._paths: dict[str, Path] = {}
        self._lock = threading.Lock()

    def spec(self, name: str) -> MediaSpec:
        return CATALOGUE[name]

    def path(self, name: str) -> Path:
        with self._lock:
            if name not in self._paths:
                spec = CATALOGUE[name]
                self._paths[name] = build(spec, self._directory / f"{name}{spec.suffix}")
            return self._paths[name]


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> GeneratedMedia:
    return GeneratedMedia(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def large_non_faststart_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large") / "large_non_faststart.mp4"
    return build(LARGE_NON_FASTSTART, path)


@pytest.fixture(scope="session")
def picture_clips(tmp_path_factory: pytest.TempPathFactory) -> PictureClips:
    """The picture depth test clips (tests/picture_clips.py), made on first use."""
    return PictureClips(tmp_path_factory.mktemp("picture"))
