"""What the recommendation routes read from a request themselves: path ids and the
JSON body, and the OpenAPI description of both.

Those routes carry nearly all traffic. FastAPI's per-request bookkeeping for declared
parameters and dependencies (and its body handling: the content type read with the
``email`` package, JSON parsed with the standard library, then validated) costs them
about a fifth of their time, more than scoring a user. So they take the ``Request``
and do the same steps directly: :func:`path_id`, the API-key dependency called as a
function, and :func:`read_body`, where pydantic validates the raw bytes in one step.
Their routers use :class:`RequestRoute`, which calls the endpoint with the request and
nothing else. Failures are raised as FastAPI's ``RequestValidationError`` with
FastAPI's locations (``("path", name)``, ``("body", field, ...)``), so the one error
handler renders them as it renders FastAPI's. :func:`described` puts the parameters,
the body and the key in the OpenAPI schema as FastAPI would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from inference.deps import PREDICT_KEY

Body = TypeVar("Body", bound=BaseModel)
# Ids are bigint in the database; larger numbers cannot name anything.
MAX_ID = 2**63 - 1
NOT_JSON = "Send the body as a JSON object with Content-Type: application/json."


class RequestRoute(APIRoute):
    """A route whose endpoint takes the ``Request`` alone and returns a ``Response``.

    FastAPI's handler would still resolve the (empty) parameters and dependencies of
    every request; this one awaits the endpoint. The schema is FastAPI's, from the
    endpoint's ``openapi_extra`` (see :func:`described`).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


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
            [
                {**error, "loc": ("body", *error["loc"])}
                for error in exc.errors(include_url=False)
            ]
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
    a JSON ``body`` itself and needs an API key with the predict scope."""
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
        "security": [{PREDICT_KEY.scheme_name: []}],
    }
