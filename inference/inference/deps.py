"""Request dependencies, as ``Annotated`` aliases for route signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.ext.asyncio import AsyncSession

from inference.auth import require_scope
from inference.runtime import Runtime
from inference.selectors import KeyState
from recotem_common.api_keys import SCOPE_PREDICT, SCOPE_READ

API_KEY_HEADER = "X-API-Key"
_api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="A Recotem API key with the predict scope, bound to one project.",
)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    # async on purpose: FastAPI would run a plain function in a thread per request.
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RawKeyDep = Annotated[str | None, Security(_api_key_header)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def _verified_key(
    request: Request, runtime: Runtime, raw_key: str | None
) -> KeyState:
    key = await runtime.verifier.authenticate(raw_key.strip() if raw_key else None)
    runtime.limiter.check(request, api_key_id=key.api_key_id)
    return key


async def predict_key(
    request: Request, runtime: RuntimeDep, raw_key: RawKeyDep
) -> KeyState:
    key = await _verified_key(request, runtime, raw_key)
    require_scope(key, SCOPE_PREDICT)
    return key


async def listing_key(
    request: Request, runtime: RuntimeDep, raw_key: RawKeyDep
) -> KeyState:
    key = await _verified_key(request, runtime, raw_key)
    require_scope(key, SCOPE_PREDICT, SCOPE_READ)
    return key


ApiKeyDep = Annotated[KeyState, Depends(predict_key)]
ListingKeyDep = Annotated[KeyState, Depends(listing_key)]
