"""`GET /health`: liveness, version, backends and local workers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mp4_small_analyser import __version__
from mp4_small_analyser.service.context import Context

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health")
async def health(context: Context) -> dict[str, Any]:
    settings = context.settings
    body: dict[str, Any] = {
        "status": "ok",
        "version": __version__,
        "store": settings.store_backend,
        "queue": settings.queue_backend,
    }
    if context.runtime is not None:
        body.update(context.runtime.status())
    return body
