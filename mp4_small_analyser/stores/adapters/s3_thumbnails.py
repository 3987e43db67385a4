"""`ThumbnailStore` in an S3 bucket: objects `{task_id}/{name}`, read through presigned URLs.

The bucket (CDK: encrypted, public access blocked, TLS only) deletes objects
after the results' TTL by its lifecycle rule, so nothing here purges. Pages
link to `GET /callback/{task_id}/thumbnails/{name}`, which answers with a
redirect to a URL presigned for `LINK_SECONDS`: the picture never passes
through Lambda or API Gateway.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from mp4_small_analyser.models import ImageFile
from mp4_small_analyser.stores.adapters.aws_clients import aws_client, in_parallel
from mp4_small_analyser.stores.thumbnail_store import checked_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LINK_SECONDS = 900
CACHE_CONTROL = "private, max-age=86400, immutable"


class S3ThumbnailStore:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client: S3Client = client or aws_client("s3")

    def put(self, task_id: str, images: Sequence[ImageFile]) -> None:
        def upload(image: ImageFile) -> None:
            self._client.put_object(
                Bucket=self.bucket,
                Key=checked_key(task_id, image.name),
                Body=image.data,
                ContentType=image.media_type,
                CacheControl=CACHE_CONTROL,
            )

        in_parallel(upload, list(images))

    def get(self, task_id: str, name: str) -> bytes | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=checked_key(task_id, name))
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        data: bytes = response["Body"].read()
        return data

    def link(self, task_id: str, name: str) -> str | None:
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": checked_key(task_id, name)},
            ExpiresIn=LINK_SECONDS,
        )
        return url

    def origin(self) -> str | None:
        return self._origin

    @cached_property
    def _origin(self) -> str:
        # Presigning is local (no request): the origin is what the client's endpoint gives.
        parts = urlsplit(self.link("origin", "probe.jpg") or "")
        return f"{parts.scheme}://{parts.netloc}"

    def purge_expired(self) -> int:
        return 0


def _error_code(exc: ClientError) -> str:
    error: Any = exc.response.get("Error", {})
    return str(error.get("Code", ""))
