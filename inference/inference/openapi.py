"""The error answers of each operation, added to the schema FastAPI generates.

FastAPI documents a route's success answer and a 422 of its own validation format. The
service answers errors in one envelope (``inference.errors``), with statuses that follow
from what a route takes, so they are derived from the operation here: a key (401, 403,
429), path ids (404), parameters or a body (400), ids a client names (422 for control
characters), a body (413), and the database (503), which every operation may need.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from inference.schemas import ErrorEnvelope

_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_DESCRIPTIONS = {
    "400": "The request is malformed: a parameter or the body is invalid.",
    "401": "The API key is missing, unknown, revoked or expired.",
    "403": "The API key lacks the scope this operation needs.",
    "404": "What the path names does not exist or is not the key's project's.",
    "413": "The request body is larger than the configured limit.",
    "422": "An id contains a control character and can never name anything.",
    "429": "The key's rate limit is exhausted; retry after Retry-After seconds.",
    "503": "The database is unreachable; retry in a few seconds.",
}


def _error_statuses(operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    names_ids = has_body or any(
        parameter["in"] == "path" and parameter["schema"].get("type") == "string"
        for parameter in parameters
    )
    statuses = ["503"]
    if parameters or has_body:
        statuses.append("400")
    if operation.get("security"):
        statuses += ["401", "403", "429"]
    if any(parameter["in"] == "path" for parameter in parameters):
        statuses.append("404")
    if has_body:
        statuses.append("413")
    if names_ids:
        statuses.append("422")
    return statuses


def with_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with FastAPI's 422 replaced by the error answers each operation gives."""
    components = schema["components"].setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(envelope.pop("$defs", {}))
    components["ErrorEnvelope"] = envelope
    # FastAPI's validation format, which no answer of this service has.
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            responses = operation["responses"]
            responses.pop("422", None)
            for status in _error_statuses(operation):
                responses.setdefault(
                    status,
                    {
                        "description": _DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": _ENVELOPE_REF}},
                    },
                )
    return schema


def install(app: FastAPI) -> None:
    """Serve the schema with its error answers at ``/openapi.json``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_error_responses(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
