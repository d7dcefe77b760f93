"""The HTTP API and review page: `create_app(settings)`.

This process stores uploads and answers questions; it never reads a page itself. Extraction runs
in the embedded pipeline's child process or on Celery workers (`worker.runner.submit`), so OpenCV
and ONNX are never imported here and the API stays small and quick to start.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from worker import review
from worker.api import metrics, page, routes_documents, routes_review
from worker.api.auth import HEADER, Keys
from worker.settings import Settings
from worker.store.db import open_store

log = logging.getLogger("formaudit.api")
DESCRIPTION = (f"Upload performance self-evaluation forms, follow their processing, read the extracted forms "
               f"(FORMS.md JSON) and audit reports, and review findings. Send the API key in `{HEADER}`.")


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI app over the store `settings.service` names (migrated beforehand: `Store.upgrade`)."""
    store = open_store(settings.service)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.dispose()

    app = FastAPI(title="formaudit", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.keys = Keys(settings.service)
    app.state.metrics = metrics.Metrics(store)
    app.middleware("http")(metrics.time_requests)
    for module in (routes_documents, routes_review, metrics, page):
        app.include_router(module.router)
    app.mount("/review/assets", StaticFiles(directory=page.ASSETS), name="review-assets")
    app.add_exception_handler(review.ReviewError, _unprocessable)
    app.add_exception_handler(review.NotFound, _not_found)
    if app.state.keys.open:
        log.warning("no API keys configured ([service] upload_keys / review_keys): the API is open to anyone "
                    "who can reach it, and decisions are recorded as 'anonymous'")
    return app


async def _unprocessable(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc.args[0]) if exc.args else "not found"}, status_code=404)
