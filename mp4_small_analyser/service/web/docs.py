"""`/docs`: the API's Swagger UI from the `swagger-ui-bundle-v2` package, no CDN.

FastAPI's own page loads Swagger UI from a CDN (blank offline) and starts it
with an inline script, which the Content-Security-Policy refuses; this one
loads the package's files and starts them from `static/docs.js`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mp4_small_analyser.service.web.render import render

router = APIRouter(include_in_schema=False)

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    # Relative to /docs, so it works behind API Gateway's stage prefix too.
    openapi = (request.app.openapi_url or "/openapi.json").lstrip("/")
    return HTMLResponse(render("docs.html", title=request.app.title, openapi_url=openapi))
