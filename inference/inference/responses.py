"""JSON answers of the recommendation routes, serialised once with orjson.

Those routes declare their pydantic models as ``response_model`` (the OpenAPI schema)
but return a ``JsonResponse``, which FastAPI sends as it is: validating the service's
own output through pydantic again would cost more than scoring a user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Response

from inference.catalogue import ItemCatalogue
from recotem_common.artifact.model import Recommendations


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def scored_items(
    recommendations: Recommendations,
    catalogue: ItemCatalogue | None = None,
    fields: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """``[{item_id, score}]``, the ``ScoredItem`` list of the schemas, with each item's
    ``details`` when metadata ``fields`` are asked for (checked by the caller)."""
    if catalogue is None or not fields:
        return [{"item_id": item, "score": score} for item, score in recommendations]
    return [
        {"item_id": item, "score": score, "details": catalogue.details(item, fields)}
        for item, score in recommendations
    ]
