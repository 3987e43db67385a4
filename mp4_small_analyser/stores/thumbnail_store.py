"""Where thumbnails are kept: beside the results, under `{task_id}/{name}`.

A folder next to the SQLite file locally (`LocalThumbnailStore`), an S3 bucket
on AWS (`S3ThumbnailStore`, the bucket's lifecycle matching the results' TTL).
Names come from the analysis (`contact-sheet.jpg`, `black-01.jpg`, ...) and
task ids from submissions; both are checked against strict patterns before
they become a path or a key, so neither can point outside a task's own folder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from mp4_small_analyser.models import ImageFile
from mp4_small_analyser.stores.records import ID_PATTERN

TASK_ID = re.compile(ID_PATTERN)
THUMBNAIL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}\.jpg$")
MEDIA_TYPES = {"jpg": "image/jpeg"}


class InvalidThumbnailKeyError(ValueError):
    """A task id or a file name that no stored thumbnail can have."""


def checked_key(task_id: str, name: str) -> str:
    """`{task_id}/{name}`, once both are known to be safe."""
    if not TASK_ID.fullmatch(task_id) or not THUMBNAIL_NAME.fullmatch(name):
        raise InvalidThumbnailKeyError(f"no thumbnail {name!r} for task {task_id!r}")
    return f"{task_id}/{name}"


class ThumbnailStore(Protocol):
    def put(self, task_id: str, images: Sequence[ImageFile]) -> None:
        """Keep a task's pictures, replacing any of the same names."""

    def get(self, task_id: str, name: str) -> bytes | None:
        """A picture's bytes, or None when there is no such picture."""

    def link(self, task_id: str, name: str) -> str | None:
        """A URL a browser may load the picture from directly (a presigned URL), or None
        when the service serves it from `get`."""

    def origin(self) -> str | None:
        """The origin `link` URLs point to (for the pages' Content-Security-Policy)."""

    def purge_expired(self) -> int:
        """Delete pictures past the results' TTL and return how many tasks lost theirs;
        backends that expire objects themselves (S3 lifecycle) return 0."""
