"""What the recommendation routes read from a request themselves: the API key, path ids
and the JSON body, and the OpenAPI description of all three.

Those routes carry nearly all traffic. FastAPI's per-request bookkeeping for declared
parameters and dependencies (and its body handling: the content type read with the
``email`` package, JSON parsed with the standard library, then validated) costs them
about a fifth of their time, more than scoring a user. So their routers use
:class:`KeyedRoute`, which verifies the API key itself and calls the endpoint with the
request and the key; the endpoint reads :func:`path_id` and :func:`read_body`, where
pydantic validates the raw bytes in one step. Failures are raised as FastAPI's
``RequestValidationError`` with FastAPI's locations (``("path", name)``,
``("body", field, ...)``), so the one error handler renders them as it renders
FastAPI's. :func:`described` puts the parameters and the body in the OpenAPI schema as
FastAPI would; the route adds the key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from inference.deps import PREDICT_KEY, ApiKeyAuth
from inference.selectors import KeyState

Body = TypeVar("Body", bound=BaseModel)
# Ids are bigint in the database; larger numbers cannot name anything.
MAX_ID = 2**63 - 1
NOT_JSON = "Send the body as a JSON object with Content-Type: application/json."


KeyedEndpoint = Callable[[Request, KeyState], Coroutine[Any, Any, Response]]
_REQUEST_ONLY = inspect.Signature(
    [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
)


class KeyedRoute(APIRoute):
    """A route whose endpoint takes the ``Request`` and the verified API key.

    The key is resolved here, before the endpoint runs: a request without a valid key
    with the route's scope (``api_key``) never reaches it, and the endpoint cannot
    forget to ask. FastAPI's own handler would also resolve the (empty) parameters and
    dependencies of every request; this one does not. The schema is FastAPI's, from the
    endpoint's ``openapi_extra`` (see :func:`described`) and the key's security scheme,
    added here from the same ``api_key`` that is enforced.
    """

    api_key: ApiKeyAuth = PREDICT_KEY

    def __init__(self, path: str, endpoint: KeyedEndpoint, **kwargs: Any) -> None:
        # FastAPI would read the ``key`` argument as a request body and put it in the
        # schema; the body is the one ``described`` in ``openapi_extra``.
        endpoint.__signature__ = _REQUEST_ONLY  # type: ignore[attr-defined]
        super().__init__(path, endpoint, **kwargs)
        self.openapi_extra = {
            **(self.openapi_extra or {}),
            "security": [{self.api_key.scheme_name: []}],
        }

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: KeyedEndpoint = self.endpoint
        api_key = self.api_key

        async def handle(request: Request) -> Response:
            return await endpoint(request, await api_key(request))

        return handle


def path_id(request: Request, name: str) -> int:
    """The id in the path parameter ``name``, or a 400 naming it."""
    raw: str = request.path_params[name]
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    message = f"Input should be a whole number from 1 to {MAX_ID}"
    raise RequestValidationError(
        [{"type": "id", "loc": ("path", name), "msg": message, "input": raw}]
    )


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_body(request: Request, model: type[Body]) -> Body:
    """The request's JSON body as ``model``, or a 400 naming what is wrong."""
    if not _is_json(request.headers.get("content-type")):
        raise RequestValidationError(
            [{"type": "content_type", "loc": ("body",), "msg": NOT_JSON, "input": None}]
        )
    try:
        return model.model_validate_json(await _body(request))
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


async def _body(request: Request) -> bytes:
    """The whole body. Starlette's ``Request.body`` does the same through a stream
    and a set of weak references, which costs more than the reading itself."""
    chunks: list[bytes] = []
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def described(*, body: type[BaseModel], path: dict[str, str]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads ``path`` ids (name -> description) and
    a JSON ``body`` itself."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": description,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_ID,
                    "title": name.replace("_", " ").title(),
                },
            }
            for name, description in path.items()
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body.model_json_schema()}},
        },
    }
