"""`GET /callback/{task_id}/thumbnails/{name}`: a picture the result's `thumbnails` names.

Served from the local folder, or a redirect to a short-lived presigned URL of
the S3 bucket. With API_KEY set, the caller needs it (`x-api-key`) or the
console's session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from mp4_small_analyser.service.auth import require_reader
from mp4_small_analyser.service.context import Context
from mp4_small_analyser.service.errors import ServiceError, ServiceErrorCode
from mp4_small_analyser.service.schemas import ID_PATTERN, ErrorResponse
from mp4_small_analyser.stores.thumbnail_store import (
    MEDIA_TYPES,
    THUMBNAIL_NAME,
    InvalidThumbnailKeyError,
)

router = APIRouter(tags=["callbacks and results"])

CACHE_CONTROL = "private, max-age=86400"


@router.get(
    "/callback/{task_id}/thumbnails/{name}",
    summary="A thumbnail of a task",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The picture"},
        307: {"description": "Redirect to a presigned URL of the picture (S3)"},
        401: {"model": ErrorResponse, "description": "API key or console session needed"},
        404: {"model": ErrorResponse, "description": "No such thumbnail"},
    },
)
async def thumbnail(
    task_id: Annotated[str, Path(pattern=ID_PATTERN)],
    name: Annotated[str, Path(pattern=THUMBNAIL_NAME.pattern)],
    request: Request,
    context: Context,
) -> Response:
    """A picture named in the task result's `results.thumbnails` (JPEG)."""
    require_reader(request, context)
    store = context.backends.thumbnails
    missing = ServiceError(404, ServiceErrorCode.NOT_FOUND, f"No thumbnail {name!r} of {task_id!r}")
    if store is None:
        raise missing
    try:
        link = store.link(task_id, name)
        if link is not None:
            return RedirectResponse(link, status_code=307)
        data = await run_in_threadpool(store.get, task_id, name)
    except InvalidThumbnailKeyError:
        raise missing from None
    if data is None:
        raise missing
    media_type = MEDIA_TYPES[name.rsplit(".", 1)[-1]]
    return Response(data, media_type=media_type, headers={"cache-control": CACHE_CONTROL})
