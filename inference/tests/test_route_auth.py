"""Every route needs an API key except the few that are public by design.

The walk covers whatever the app serves, so a route added later is checked without
anyone remembering to list it: it answers 401 without a key, or it is in ``PUBLIC``.
"""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.conftest import World, headers

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/livez"),
    ("GET", "/openapi.json"),
    ("HEAD", "/openapi.json"),
}
# Known routes, so the walk itself cannot silently cover nothing.
KEYED = {
    ("POST", "/predict/{model_id}"),
    ("POST", "/predict/{model_id}/batch"),
    ("POST", "/predict/{model_id}/profile"),
    ("POST", "/predict/project/{project_id}"),
    ("GET", "/similar/{model_id}/{item_id}"),
    ("GET", "/models"),
}


def _served(client: TestClient) -> set[tuple[str, str]]:
    """Every method and path the app answers, through every included router."""
    return {
        (method, route.path)
        for route in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if route.path is not None
        for method in route.methods or ()
    }


def _request(client: TestClient, method: str, path: str, **kwargs: object) -> int:
    url = re.sub(r"\{[^}]+\}", "1", path)
    return client.request(method, url, json={}, **kwargs).status_code  # type: ignore[arg-type]


def test_every_route_but_the_public_ones_answers_401_without_a_key(
    client: TestClient,
) -> None:
    served = _served(client)
    assert served >= PUBLIC | KEYED

    answers = {route: _request(client, *route) for route in sorted(served - PUBLIC)}

    assert answers == dict.fromkeys(sorted(served - PUBLIC), 401)


def test_the_public_routes_answer_without_a_key(client: TestClient) -> None:
    assert {route: _request(client, *route) for route in PUBLIC} == dict.fromkeys(PUBLIC, 200)


def test_a_key_without_the_scope_a_route_needs_is_403_before_anything_else(
    client: TestClient, world: World
) -> None:
    predict_routes = {route for route in KEYED if route[1] != "/models"}

    answers = {
        route: _request(client, *route, headers=headers(world.read_key)) for route in predict_routes
    }

    assert answers == dict.fromkeys(predict_routes, 403)
