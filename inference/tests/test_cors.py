"""CORS: no browser access by default; configured origins may call, others may not."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from inference.config import Settings
from tests.conftest import SECRET_KEY, ServeFactory, World, headers

SHOP = "https://shop.example.com"
OTHER = "https://evil.example.net"


def _preflight(client: TestClient, path: str, origin: str) -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        },
    )


def test_without_configured_origins_no_answer_allows_a_browser(
    client: TestClient, world: World
) -> None:
    path = f"/predict/{world.knn_model_id}"
    preflight = _preflight(client, path, SHOP)
    answer = client.post(
        path, json={"user_id": "1"}, headers={**headers(world.predict_key), "Origin": SHOP}
    )

    assert preflight.status_code == 405
    assert answer.status_code == 200
    for response in (preflight, answer):
        assert "access-control-allow-origin" not in response.headers


def test_an_allowed_origin_gets_its_preflight_and_answers(
    serve: ServeFactory, world: World
) -> None:
    path = f"/predict/{world.knn_model_id}"
    with serve(cors_allowed_origins=[SHOP]) as client:
        preflight = _preflight(client, path, SHOP)
        answer = client.post(
            path, json={"user_id": "1"}, headers={**headers(world.predict_key), "Origin": SHOP}
        )
        refused_key = client.post(path, json={"user_id": "1"}, headers={"Origin": SHOP})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == SHOP
    assert "x-correlation-id" in answer.headers["access-control-expose-headers"].lower()
    # The page can read why its call failed.
    assert refused_key.status_code == 401
    assert refused_key.headers["access-control-allow-origin"] == SHOP


def test_another_origin_is_refused(serve: ServeFactory, world: World) -> None:
    path = f"/predict/{world.knn_model_id}"
    with serve(cors_allowed_origins=[SHOP]) as client:
        preflight = _preflight(client, path, OTHER)
        answer = client.post(
            path, json={"user_id": "1"}, headers={**headers(world.predict_key), "Origin": OTHER}
        )

    assert preflight.status_code == 403
    error = preflight.json()["error"]
    assert error["code"] == "permission_denied"
    assert "INFERENCE_CORS_ALLOWED_ORIGINS" in error["message"]
    assert "access-control-allow-origin" not in preflight.headers
    # A request a browser sends without preflight is served, but the browser withholds
    # the answer from the page, since it carries no allowing header.
    assert "access-control-allow-origin" not in answer.headers


def test_origins_are_read_comma_separated_and_checked() -> None:
    settings = Settings(
        secret_key=SECRET_KEY, cors_allowed_origins=f"{SHOP}, http://127.0.0.1:5173"
    )
    assert settings.cors_allowed_origins == [SHOP, "http://127.0.0.1:5173"]

    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(secret_key=SECRET_KEY, cors_allowed_origins=f"{SHOP}/")
