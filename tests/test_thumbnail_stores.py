"""Contract of `ThumbnailStore`: a local folder and an S3 bucket on the moto server.

Both keep pictures by task and name, read them back, refuse keys that could
leave a task's folder, and tell how a browser reaches a picture: through the
service (local) or a presigned URL that really serves it (S3).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import httpx
import pytest

from mp4_small_analyser.models import ImageFile
from mp4_small_analyser.stores.adapters.local_thumbnails import LocalThumbnailStore
from mp4_small_analyser.stores.adapters.s3_thumbnails import S3ThumbnailStore
from mp4_small_analyser.stores.thumbnail_store import InvalidThumbnailKeyError, ThumbnailStore
from tests.fixtures_aws import REGION

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"


def _local(request: pytest.FixtureRequest, directory: Path) -> ThumbnailStore:
    return LocalThumbnailStore(directory / "thumbnails", ttl_days=1.0)


def _s3(request: pytest.FixtureRequest, directory: Path) -> ThumbnailStore:
    request.getfixturevalue("aws_env")
    name = f"thumbs-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return S3ThumbnailStore(name)


FACTORIES: dict[str, Callable[[pytest.FixtureRequest, Path], ThumbnailStore]] = {
    "local": _local,
    "s3": _s3,
}


@pytest.fixture(params=list(FACTORIES))
def thumbnails(request: pytest.FixtureRequest, tmp_path: Path) -> ThumbnailStore:
    return FACTORIES[request.param](request, tmp_path)


def _read(store: ThumbnailStore, task_id: str, name: str) -> bytes | None:
    """What a browser gets: through the presigned URL when there is one, else from `get`."""
    link = store.link(task_id, name)
    if link is None:
        return store.get(task_id, name)
    answer = httpx.get(link)
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    assert answer.headers["content-type"] == "image/jpeg"
    return answer.content


def test_pictures_are_kept_by_task_and_name(thumbnails: ThumbnailStore) -> None:
    thumbnails.put(
        "task-1", [ImageFile("contact-sheet.jpg", JPEG), ImageFile("black-01.jpg", b"x")]
    )
    thumbnails.put("task-2", [ImageFile("contact-sheet.jpg", JPEG[::-1])])
    assert thumbnails.get("task-1", "contact-sheet.jpg") == JPEG
    assert thumbnails.get("task-1", "black-01.jpg") == b"x"
    assert thumbnails.get("task-2", "contact-sheet.jpg") == JPEG[::-1]
    assert thumbnails.get("task-1", "frozen-01.jpg") is None
    assert thumbnails.get("task-3", "contact-sheet.jpg") is None
    assert _read(thumbnails, "task-1", "contact-sheet.jpg") == JPEG


def test_a_picture_is_replaced_by_one_of_the_same_name(thumbnails: ThumbnailStore) -> None:
    thumbnails.put("t", [ImageFile("black-01.jpg", b"old")])
    thumbnails.put("t", [ImageFile("black-01.jpg", b"new")])
    assert thumbnails.get("t", "black-01.jpg") == b"new"


@pytest.mark.parametrize(
    ("task_id", "name"),
    [
        ("..", "contact-sheet.jpg"),
        ("task", "../../etc/passwd"),
        ("task/other", "a.jpg"),
        ("task", "a.png"),
        ("task", ".hidden.jpg"),
        ("task", "UPPER.jpg"),
        ("", "a.jpg"),
    ],
)
def test_keys_that_could_leave_a_task_folder_are_refused(
    thumbnails: ThumbnailStore, task_id: str, name: str
) -> None:
    with pytest.raises(InvalidThumbnailKeyError):
        thumbnails.get(task_id, name)
    with pytest.raises(InvalidThumbnailKeyError):
        thumbnails.put(task_id, [ImageFile(name, b"x")])


def test_links_point_where_the_origin_says(thumbnails: ThumbnailStore) -> None:
    link = thumbnails.link("t", "black-01.jpg")
    origin = thumbnails.origin()
    if link is None:
        assert origin is None
    else:
        assert origin is not None and link.startswith(origin + "/")


def test_local_pictures_go_with_their_ttl(tmp_path: Path) -> None:
    store = LocalThumbnailStore(tmp_path / "thumbnails", ttl_days=1.0)
    store.put("old", [ImageFile("contact-sheet.jpg", JPEG)])
    store.put("new", [ImageFile("contact-sheet.jpg", JPEG)])
    two_days_ago = time.time() - 2 * 86400
    os.utime(tmp_path / "thumbnails" / "old", (two_days_ago, two_days_ago))
    assert store.purge_expired() == 1
    assert store.get("old", "contact-sheet.jpg") is None
    assert store.get("new", "contact-sheet.jpg") == JPEG
    assert LocalThumbnailStore(tmp_path / "thumbnails", ttl_days=0).purge_expired() == 0
