"""Bad input answers a clear 4xx in the shared envelope; nothing internal leaks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from testbed.seeder import Seeder
from tests.conftest import Artifacts, ServeFactory, World, headers, runtime_of


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["detail"] == body["error"]["message"]
    return body["error"]


def test_unknown_model_is_404(client: TestClient, world: World) -> None:
    response = client.post(
        "/predict/987654", json={"user_id": "1"}, headers=headers(world.predict_key)
    )

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_model_of_another_project_looks_exactly_like_a_missing_one(
    client: TestClient, world: World
) -> None:
    foreign = client.post(
        f"/predict/{world.other_model_id}",
        json={"user_id": "1"},
        headers=headers(world.predict_key),
    )
    missing = client.post(
        "/predict/987654", json={"user_id": "1"}, headers=headers(world.predict_key)
    )
    own = client.post(
        f"/predict/{world.other_model_id}",
        json={"user_id": "1"},
        headers=headers(world.other_key),
    )

    assert foreign.status_code == 404
    assert _error(foreign)["message"] == _error(missing)["message"].replace(
        "987654", str(world.other_model_id)
    )
    assert own.status_code == 200
    # Loaded for its own project now, it is still refused to the other one.
    again = client.post(
        f"/predict/{world.other_model_id}",
        json={"user_id": "1"},
        headers=headers(world.predict_key),
    )
    assert again.status_code == 404


def test_project_endpoint_of_another_project_is_404(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/project/{world.other_project_id}",
        json={"user_id": "1"},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 404


def test_a_model_still_training_is_404(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    running = seeder.trained_model(
        project_id=world.project_id,
        file=artifacts.files["knn"],
        algorithm="CosineKNNRecommender",
        status="RUNNING",
    )

    response = client.post(
        f"/predict/{running}", json={"user_id": "1"}, headers=headers(world.predict_key)
    )

    assert response.status_code == 404


@pytest.mark.parametrize("cutoff", [0, -3, 1001])
def test_cutoff_out_of_range_names_the_field(client: TestClient, world: World, cutoff: int) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "cutoff": cutoff},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert "cutoff" in error["fields"]


def test_cutoff_limit_is_configurable(serve: ServeFactory, world: World) -> None:
    with serve(max_cutoff=20) as client:
        response = client.get(
            f"/similar/{world.knn_model_id}/50",
            params={"cutoff": 21},
            headers=headers(world.predict_key),
        )

    assert response.status_code == 400
    assert "between 1 and 20" in _error(response)["message"]


def test_oversized_batch_is_refused_with_the_limit(serve: ServeFactory, world: World) -> None:
    with serve(max_batch_size=3) as client:
        response = client.post(
            f"/predict/{world.knn_model_id}/batch",
            json={"user_ids": ["1", "2", "3", "4"]},
            headers=headers(world.predict_key),
        )

    assert response.status_code == 400
    error = _error(response)
    assert "at most 3 users" in error["message"]
    assert "user_ids" in error["fields"]


def test_empty_batch_is_refused(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}/batch",
        json={"user_ids": []},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 400
    assert "user_ids" in _error(response)["fields"]


def test_malformed_json_is_400(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        content=b'{"user_id": "1", "cutoff": ',
        headers={**headers(world.predict_key), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert "not valid JSON" in _error(response)["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "user_id"),
        ({"user_id": ""}, "user_id"),
        ({"user_id": True}, "user_id"),
        ({"user_id": "1", "cuttoff": 5}, "cuttoff"),
        ({"user_id": "1", "unknown_user": "ignore"}, "unknown_user"),
        ({"user_id": "1", "exclude_items": "50"}, "exclude_items"),
    ],
)
def test_invalid_fields_are_named(
    client: TestClient, world: World, body: dict[str, object], field: str
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}", json=body, headers=headers(world.predict_key)
    )

    assert response.status_code == 400
    assert field in _error(response)["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/predict/abc",
        "/predict/0",
        f"/predict/{2**63}",
        "/predict/1.5/batch",
        "/predict/-3/profile",
        "/predict/%C2%B2",
    ],
)
def test_a_model_id_that_is_not_a_positive_bigint_is_400(
    client: TestClient, world: World, path: str
) -> None:
    response = client.post(path, json={"user_id": "1"}, headers=headers(world.predict_key))

    assert response.status_code == 400
    assert "model_id" in _error(response)["fields"]


def test_a_bad_project_id_is_400(client: TestClient, world: World) -> None:
    response = client.post(
        "/predict/project/x1", json={"user_id": "1"}, headers=headers(world.predict_key)
    )

    assert response.status_code == 400
    assert "project_id" in _error(response)["fields"]


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b'{"user_id": "1"}', "text/plain", "Content-Type: application/json"),
        (b'{"user_id": "1"}', None, "Content-Type: application/json"),
        (b"", "application/json", "not valid JSON"),
        (b'{"user_id": "\xff"}', "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "should be an object"),
        (b'"1"', "application/json", "should be an object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(
    client: TestClient,
    world: World,
    content: bytes,
    content_type: str | None,
    expected: str,
) -> None:
    sent = headers(world.predict_key)
    if content_type is not None:
        sent["Content-Type"] = content_type
    response = client.post(f"/predict/{world.knn_model_id}", content=content, headers=sent)

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert expected in error["message"]


def test_json_media_types_with_parameters_or_suffixes_are_accepted(
    client: TestClient, world: World
) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.api+json"):
        response = client.post(
            f"/predict/{world.knn_model_id}",
            content=b'{"user_id": "1"}',
            headers={**headers(world.predict_key), "Content-Type": content_type},
        )

        assert response.status_code == 200, content_type


def test_a_missing_key_is_refused_before_the_body_is_read(client: TestClient, world: World) -> None:
    response = client.post(f"/predict/{world.knn_model_id}", content=b"{")

    assert response.status_code == 401


def test_unknown_path_and_wrong_method_use_the_envelope(client: TestClient) -> None:
    missing = client.get("/nothing/here")
    wrong_method = client.get("/predict/1")

    assert missing.status_code == 404
    assert _error(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert _error(wrong_method)["code"] == "method_not_allowed"


def test_unexpected_failure_is_500_without_internals(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**_: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(runtime_of(client), "model", broken)

    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1"},
        headers={**headers(world.predict_key), "X-Correlation-ID": "trace-500"},
    )

    assert response.status_code == 500
    assert _error(response)["code"] == "server_error"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["X-Correlation-ID"] == "trace-500"


def test_correlation_id_is_echoed_or_generated(client: TestClient) -> None:
    echoed = client.get("/health", headers={"X-Correlation-ID": "abc-123"})
    generated = client.get("/health")
    replaced = client.get("/health", headers={"X-Correlation-ID": "x" * 500})

    assert echoed.headers["X-Correlation-ID"] == "abc-123"
    assert echoed.headers["Server-Timing"].startswith("app;dur=")
    assert len(generated.headers["X-Correlation-ID"]) == 32
    assert len(replaced.headers["X-Correlation-ID"]) == 32


def test_an_unreachable_database_answers_503_not_500(
    serve: ServeFactory, world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    with serve(database_url="postgres://postgres@127.0.0.1:1/gone") as client:
        response = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1"},
            headers=headers(world.predict_key),
        )
        health = client.get("/health")

    assert response.status_code == 503
    assert "database is unreachable" in _error(response)["message"]
    assert health.status_code == 503
    assert health.json()["database"]["ok"] is False
    # The public answer names the kind of failure; the log says why, for the operator.
    logged = [line for line in capfd.readouterr().err.splitlines() if "health check" in line]
    assert any("database unreachable" in line and "port 1 failed" in line for line in logged)
