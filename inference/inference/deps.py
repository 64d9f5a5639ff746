"""Request dependencies, as ``Annotated`` aliases for route signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import APIKey, APIKeyIn
from fastapi.security.base import SecurityBase
from sqlalchemy.ext.asyncio import AsyncSession

from inference.auth import require_scope
from inference.runtime import Runtime
from inference.selectors import KeyState
from inference.serving import PROJECT_STATE, attribute
from recotem_common.api_keys import SCOPE_PREDICT, SCOPE_READ

API_KEY_HEADER = "X-API-Key"


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    # async on purpose: FastAPI would run a plain function in a thread per request.
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class ApiKeyAuth(SecurityBase):
    """The ``X-API-Key`` header, verified, counted against the rate limit and checked
    for one of ``scopes``.

    One dependency instead of a chain (header, runtime, key): FastAPI's bookkeeping
    for each dependency of a request costs more than the work itself, which for a
    key this worker has seen is a dictionary lookup. Being a ``SecurityBase``, it
    appears in the OpenAPI schema as the API-key scheme. The recommendation routes'
    class (``inference.parsing.KeyedRoute``) calls it before their endpoints run.
    """

    def __init__(self, *scopes: str, serving: bool = False) -> None:
        self.model = APIKey(
            **{"in": APIKeyIn.header},
            name=API_KEY_HEADER,
            description="A Recotem API key with the predict scope, bound to one project.",
        )
        self.scheme_name = "APIKeyHeader"
        self.scopes = scopes
        # Whether the routes behind this key count in the project's serving figures.
        self.serving = serving

    async def __call__(self, request: Request) -> KeyState:
        runtime = runtime_of(request)
        raw_key = request.headers.get(API_KEY_HEADER)
        key = await runtime.verifier.authenticate(
            raw_key.strip() if raw_key else None,
            client=request.client.host if request.client else "",
        )
        if self.serving:
            # From here on, the answer (a 429 or 403 included) counts for the project.
            attribute(request.scope, PROJECT_STATE, key.project_id)
        runtime.limiter.check(api_key_id=key.api_key_id)
        require_scope(key, *self.scopes)
        return key


PREDICT_KEY = ApiKeyAuth(SCOPE_PREDICT, serving=True)
ApiKeyDep = Annotated[KeyState, Depends(PREDICT_KEY)]
LISTING_KEY = ApiKeyAuth(SCOPE_PREDICT, SCOPE_READ)
ListingKeyDep = Annotated[KeyState, Depends(LISTING_KEY)]
