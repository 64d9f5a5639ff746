"""The inference app plus a no-op endpoint: the ceiling of the same HTTP stack.

Started by ``run.py`` as ``uvicorn noop_app:create --factory``; everything but the extra
route (middleware, error handling, settings, lifespan) is the production app.
"""

from __future__ import annotations

from fastapi import FastAPI

from inference.main import create_app


def create() -> FastAPI:
    app = create_app()

    @app.post("/noop")
    async def noop() -> dict[str, bool]:
        return {"ok": True}

    return app
