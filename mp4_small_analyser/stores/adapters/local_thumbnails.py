"""`ThumbnailStore` in a local folder: `{folder}/{task_id}/{name}`, beside the SQLite file.

Writes go through a temporary file and a rename, so a reader never sees half a
picture. A task's folder goes when it is older than the results' TTL (checked
when the local service starts, with the records' purge).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from mp4_small_analyser.models import ImageFile
from mp4_small_analyser.stores.thumbnail_store import checked_key

DAY = 86400.0


class LocalThumbnailStore:
    def __init__(self, folder: Path, ttl_days: float = 0.0) -> None:
        self.folder = folder
        self.ttl_days = ttl_days

    def put(self, task_id: str, images: Sequence[ImageFile]) -> None:
        for image in images:
            path = self.folder / checked_key(task_id, image.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
            with os.fdopen(handle, "wb") as file:
                file.write(image.data)
            os.replace(temporary, path)

    def get(self, task_id: str, name: str) -> bytes | None:
        path = self.folder / checked_key(task_id, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def link(self, task_id: str, name: str) -> str | None:
        return None

    def origin(self) -> str | None:
        return None

    def purge_expired(self) -> int:
        if self.ttl_days <= 0 or not self.folder.is_dir():
            return 0
        cutoff = time.time() - self.ttl_days * DAY
        purged = 0
        for task in self.folder.iterdir():
            if task.is_dir() and task.stat().st_mtime < cutoff:
                shutil.rmtree(task, ignore_errors=True)
                purged += 1
        return purged
