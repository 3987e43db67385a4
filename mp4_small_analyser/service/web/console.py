"""`install_console(app, backends)`: the console's pages over the same store and queue as the API.

It adds the pages (`/console/…`), their static files (CSS, scripts, uPlot: all from
the package, nothing from elsewhere), the offline Swagger UI at `/docs`, `/` → the
console, and the security headers of every response.
"""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from mp4_small_analyser.service.web import api, docs, pages
from mp4_small_analyser.service.web.render import CONSOLE_PREFIX, STATIC
from mp4_small_analyser.service.web.security import (
    SecurityHeadersMiddleware,
    content_security_policy,
)
from mp4_small_analyser.stores.backends import Backends


def install_console(app: FastAPI, backends: Backends) -> None:
    thumbnails = backends.thumbnails

    @cache
    def policy() -> str:
        return content_security_policy(thumbnails.origin() if thumbnails else None)

    app.add_middleware(SecurityHeadersMiddleware, policy=policy)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(docs.router)
    app.mount(f"{CONSOLE_PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    app.mount(docs.ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    # Relative redirects: behind API Gateway the app does not see the stage prefix of the
    # URL, which an absolute one (Starlette's own slash redirect) would drop.
    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("console/", status_code=307)

    @app.get(CONSOLE_PREFIX, include_in_schema=False)
    async def console_without_slash() -> RedirectResponse:
        return RedirectResponse("console/", status_code=307)
