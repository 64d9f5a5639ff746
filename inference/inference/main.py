"""The application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from inference.config import Settings
from inference.deps import API_KEY_HEADER
from inference.errors import HANDLED, handle_error
from inference.log import configure_logging
from inference.metrics import Metrics
from inference.middleware import CorsMiddleware, RequestContextMiddleware
from inference.openapi import install as install_openapi
from inference.routes import health, models, predict, project, serving, similar
from inference.runtime import Runtime
from recotem_common.correlation import CORRELATION_HEADER

# How long a browser may reuse a preflight answer.
CORS_MAX_AGE_SECONDS = 600


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings, metrics)
        app.state.runtime = runtime
        await runtime.start()
        # The libraries and models loaded by now live as long as the process. Frozen,
        # they are left out of every garbage collection; a full collection over them
        # takes tens of milliseconds, which would land in request latency.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Recotem inference",
        summary="Recommendations from trained Recotem models.",
        version="1.0",
        lifespan=lifespan,
        debug=False,
        # The schema stays at /openapi.json; the interactive pages load CDN assets.
        docs_url=None,
        redoc_url=None,
    )
    for exception_class in HANDLED:
        app.add_exception_handler(exception_class, handle_error)
    app.add_middleware(
        RequestContextMiddleware,
        metrics=metrics,
        access_log=settings.access_log,
        max_body_bytes=settings.max_body_bytes,
    )
    if settings.cors_allowed_origins:
        # Outermost, so that every answer (errors, 401 and 429 included) carries the
        # headers a browser needs to show it to the page.
        app.add_middleware(
            CorsMiddleware,
            allow_origins=settings.cors_allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[API_KEY_HEADER, "Content-Type", CORRELATION_HEADER],
            expose_headers=[CORRELATION_HEADER, "Retry-After"],
            # Keys travel in a header, never in cookies.
            allow_credentials=False,
            max_age=CORS_MAX_AGE_SECONDS,
        )
    app.include_router(project.router)
    app.include_router(predict.router)
    app.include_router(similar.router)
    app.include_router(models.router)
    app.include_router(health.router)
    app.include_router(serving.router)
    install_openapi(app)
    app.state.settings = settings
    return app
