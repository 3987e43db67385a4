"""`create_app(settings, backends)`: the one FastAPI app (uvicorn locally, Mangum on Lambda).

The app itself starts nothing: workers come from a `Runtime` handed in
(`mp4-analyser serve` passes a `LocalRuntime`), started and stopped with the
app's lifespan. On Lambda there is none; the worker function consumes the queue.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from mp4_small_analyser import __version__
from mp4_small_analyser.analysis.judging import ProfileLibrary
from mp4_small_analyser.service.context import ServiceContext
from mp4_small_analyser.service.handlers import install_error_handlers
from mp4_small_analyser.service.middleware import BodyLimitMiddleware
from mp4_small_analyser.service.routes import (
    health,
    profiles,
    redelivery,
    results,
    submission,
    testing,
)
from mp4_small_analyser.service.runtime import Runtime
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.backends import Backends

logger = logging.getLogger(__name__)

DESCRIPTION = """
Technical QC of MP4 files by URL. Submit a batch to `POST /mp4_small_analyser`:
with callback URLs it is queued (202) and each result is sent to its callback;
without, it is analysed while you wait (200, small batches only). Results are
kept and readable by task (`GET /callback/{task_id}`) and by batch
(`GET /callback/batch/{batch_id}`).
"""


def create_app(settings: Settings, backends: Backends, runtime: Runtime | None = None) -> FastAPI:
    library = ProfileLibrary(settings.profiles_dir)
    for problem in library.problems():
        logger.error("QC profile unusable: %s", problem)
    context = ServiceContext(
        settings=settings, backends=backends, runtime=runtime, profiles=library
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            await run_in_threadpool(runtime.start)
        try:
            yield
        finally:
            if runtime is not None:
                await run_in_threadpool(runtime.stop)

    app = FastAPI(
        title="mp4-small-analyser",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.context = context
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(submission.router)
    app.include_router(results.router)
    app.include_router(profiles.router)
    app.include_router(redelivery.router)
    if settings.enable_test_endpoints:
        app.include_router(testing.router)
    return app
