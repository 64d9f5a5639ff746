"""The inference app plus two benchmark-only routes, served by the same HTTP stack.

Started by ``run.py`` as ``uvicorn noop_app:create --factory``; everything but the extra
routes (middleware, error handling, settings, lifespan) is the production app:

* ``POST /noop``: the ceiling of the stack;
* ``POST /predict/unrecorded/{model_id}``: the production predict endpoint behind a key
  check that leaves the request out of the serving figures, the baseline of
  ``bench_serving_figures.py``.
"""

from __future__ import annotations

from fastapi import FastAPI

from inference.deps import ApiKeyAuth
from inference.main import create_app
from inference.parsing import KeyedRoute
from inference.routes import predict
from recotem_common.api_keys import SCOPE_PREDICT


class UnrecordedRoute(KeyedRoute):
    # The predict routes' key check, without naming the project to the serving figures.
    api_key = ApiKeyAuth(SCOPE_PREDICT)


def create() -> FastAPI:
    # In the production predict router, first: the production route fails only this
    # one's pattern before it matches, and no routing step differs otherwise.
    predict.router.add_api_route(
        "/unrecorded/{model_id}",
        predict.predict,
        methods=["POST"],
        include_in_schema=False,
        route_class_override=UnrecordedRoute,
    )
    predict.router.routes.insert(0, predict.router.routes.pop())
    app = create_app()

    @app.post("/noop")
    async def noop() -> dict[str, bool]:
        return {"ok": True}

    return app
