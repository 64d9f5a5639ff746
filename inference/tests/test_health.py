"""/health, /models and /metrics; tampered models are refused and reported.

Anonymous callers learn liveness and a model count only; details need a key (its
project) or the metrics token (every project)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from testbed.seeder import Seeder
from tests.conftest import METRICS_TOKEN, OPERATOR, Artifacts, ServeFactory, World, headers


def test_anonymous_health_is_liveness_without_tenant_data(client: TestClient, world: World) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "loaded_models", "database", "redis", "model_events"}
    assert body["status"] == "ok"
    assert body["loaded_models"] >= 1
    assert client.get("/livez").json() == {"status": "ok"}


def test_a_key_sees_only_its_projects_model_details(client: TestClient, world: World) -> None:
    client.post(
        f"/predict/{world.other_model_id}", json={"user_id": "1"}, headers=headers(world.other_key)
    )

    mine = client.get("/health", headers=headers(world.read_key)).json()
    theirs = client.get("/health", headers=headers(world.other_key)).json()
    forged = client.get("/health", headers=headers("rk_forged.nothing"))

    assert world.other_model_id not in {m["model_id"] for m in mine["models"]}
    assert world.knn_model_id in {m["model_id"] for m in mine["models"]}
    assert [m["model_id"] for m in theirs["models"]] == [world.other_model_id]
    assert forged.status_code == 401


def test_health_reports_dependencies_and_loaded_models(client: TestClient, world: World) -> None:
    response = client.get("/health", headers=OPERATOR)

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True, "error": None}
    assert body["redis"] == {"ok": True, "error": None}
    assert body["model_events"]["ok"] is True
    loaded = {model["model_id"]: model for model in body["models"]}
    # The model of an active slot is loaded at startup, before any request.
    knn = loaded[world.knn_model_id]
    assert knn["version_tag"].startswith("v-")
    assert knn["loaded_at"]
    assert knn["load_seconds"] >= 0
    assert body["cache"]["models"] == len(body["models"])
    assert body["loaded_models"] == len(body["models"])
    assert body["cache"]["bytes"] > 0


def test_tampered_model_is_refused_and_reported(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    tampered = seeder.trained_model(
        project_id=world.project_id,
        file=artifacts.files["tampered"],
        algorithm="CosineKNNRecommender",
        version_tag="tampered-1",
    )

    response = client.post(
        f"/predict/{tampered}",
        json={"user_id": "1"},
        headers=headers(world.predict_key),
    )
    health = client.get("/health", headers=headers(world.read_key))

    assert response.status_code == 503
    assert "/health" in response.json()["error"]["message"]
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    failure = next(f for f in body["failed_models"] if f["model_id"] == tampered)
    assert failure["version_tag"] == "tampered-1"
    assert "ArtifactTampered" in failure["reason"]
    assert tampered not in {model["model_id"] for model in body["models"]}


def test_a_missing_model_file_is_reported(client: TestClient, world: World, seeder: Seeder) -> None:
    gone = seeder.trained_model(
        project_id=world.project_id,
        file="models/never-written.rctm",
        algorithm="CosineKNNRecommender",
    )

    response = client.post(
        f"/predict/{gone}", json={"user_id": "1"}, headers=headers(world.predict_key)
    )

    assert response.status_code == 503
    failures = client.get("/health", headers=OPERATOR).json()["failed_models"]
    assert any(f["model_id"] == gone and "missing" in f["reason"] for f in failures)


def test_a_tampered_deployed_model_is_reported_at_startup(
    serve: ServeFactory, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project = seeder.project(owner_id=world.owner_id)
    tampered = seeder.trained_model(
        project_id=project,
        file=artifacts.files["tampered"],
        algorithm="CosineKNNRecommender",
    )
    slot = seeder.slot(project_id=project, model_id=tampered)
    try:
        with serve(metrics_token=METRICS_TOKEN) as client:
            health = client.get("/health", headers=OPERATOR)
            assert "failed_models" not in client.get("/health").json()
            failed = {f["model_id"] for f in health.json()["failed_models"]}
    finally:
        seeder.update("deployments_deploymentslot", slot, is_active=False)

    assert tampered in failed


def test_models_lists_only_the_keys_project(client: TestClient, world: World) -> None:
    client.post(
        f"/predict/{world.other_model_id}",
        json={"user_id": "1"},
        headers=headers(world.other_key),
    )

    mine = client.get("/models", headers=headers(world.read_key))
    theirs = client.get("/models", headers=headers(world.other_key))
    anonymous = client.get("/models")

    assert mine.status_code == 200
    assert {m["project_id"] for m in mine.json()["models"]} == {world.project_id}
    model = next(m for m in mine.json()["models"] if m["model_id"] == world.knn_model_id)
    assert model["algorithm"] == "CosineKNNRecommender"
    assert model["n_users"] == 943
    assert model["n_items"] == 1682
    assert model["supports_similar"] is True
    assert [m["model_id"] for m in theirs.json()["models"]] == [world.other_model_id]
    assert mine.json()["count"] == len(mine.json()["models"])
    assert theirs.json()["count"] == 1
    assert anonymous.status_code == 401


def test_metrics_count_requests_and_describe_the_cache(client: TestClient, world: World) -> None:
    client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1"},
        headers=headers(world.predict_key),
    )
    client.post("/predict/987654", json={"user_id": "1"}, headers=headers(world.predict_key))

    anonymous = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guessed"})
    response = client.get("/metrics", headers=OPERATOR)

    assert anonymous.status_code == 401
    assert "INFERENCE_METRICS_TOKEN" in anonymous.json()["error"]["message"]
    assert wrong.status_code == 401
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'recotem_inference_requests_total{method="POST",route="/predict/{model_id}",'
        'status="200"} 1.0' in text
    )
    assert (
        'recotem_inference_errors_total{code="not_found",route="/predict/{model_id}"} 1.0' in text
    )
    assert "recotem_inference_request_duration_seconds_bucket" in text
    assert "recotem_inference_model_cache_models" in text
    assert "recotem_inference_model_cache_bytes" in text
    assert "recotem_inference_model_cache_hits_total" in text
    assert 'recotem_inference_model_loads_total{result="loaded"}' in text


def test_metrics_are_off_without_a_token(serve: ServeFactory, world: World) -> None:
    with serve() as client:
        response = client.get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 404
    assert "INFERENCE_METRICS_TOKEN" in response.json()["error"]["message"]
