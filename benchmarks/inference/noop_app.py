"""The inference app plus two benchmark-only routes, served by the same HTTP stack.

Started by ``run.py`` as ``uvicorn noop_app:create --factory``; everything but the extra
routes (middleware, error handling, settings, lifespan) is the production app:

* ``POST /noop``: the ceiling of the stack;
* ``POST /unrecorded/predict/{model_id}``: the production predict endpoint behind a key
  check that leaves the request out of the serving figures, the baseline of
  ``bench_serving_figures.py``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from inference.deps import ApiKeyAuth
from inference.main import create_app
from inference.parsing import KeyedRoute
from inference.routes import predict
from recotem_common.api_keys import SCOPE_PREDICT


class UnrecordedRoute(KeyedRoute):
    # The predict routes' key check, without naming the project to the serving figures.
    api_key = ApiKeyAuth(SCOPE_PREDICT)


def create() -> FastAPI:
    app = create_app()

    @app.post("/noop")
    async def noop() -> dict[str, bool]:
        return {"ok": True}

    unrecorded = APIRouter(prefix="/unrecorded/predict", route_class=UnrecordedRoute)
    unrecorded.add_api_route(
        "/{model_id}", predict.predict, methods=["POST"], include_in_schema=False
    )
    app.include_router(unrecorded)
    # Just before the production predict routes in the routing table, so both are
    # matched after the same routes (the production one also fails this one first).
    node = app.router.routes.pop()
    production = next(
        index
        for index, route in enumerate(app.router.routes)
        if getattr(route, "original_router", None) is predict.router
    )
    app.router.routes.insert(production, node)
    return app
