"""The schema describes the routes that read their own path ids, key and body."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("path", "parameter", "body", "answer"),
    [
        ("/predict/{model_id}", "model_id", "PredictRequest", "Recommendation"),
        ("/predict/{model_id}/batch", "model_id", "BatchPredictRequest", None),
        ("/predict/{model_id}/profile", "model_id", "ProfileRequest", None),
        (
            "/predict/project/{project_id}",
            "project_id",
            "PredictRequest",
            "ProjectRecommendation",
        ),
    ],
)
def test_recommendation_routes_document_id_body_key_and_answer(
    client: TestClient, path: str, parameter: str, body: str, answer: str | None
) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"][path]["post"]

    (described,) = operation["parameters"]
    assert described["name"] == parameter
    assert described["in"] == "path"
    assert described["schema"]["minimum"] == 1
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema["title"] == body
    assert operation["security"] == [{"APIKeyHeader": []}]
    assert "APIKeyHeader" in schema["components"]["securitySchemes"]
    if answer is not None:
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{answer}"}


def test_metadata_parameters_and_answers_are_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    similar = schema["paths"]["/similar/{model_id}/{item_id}"]["get"]
    parameters = {parameter["name"]: parameter for parameter in similar["parameters"]}

    for path in ("/predict/{model_id}", "/predict/{model_id}/batch", "/predict/{model_id}/profile"):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["properties"]["fields"]["type"] == "array"
    assert "details" in components["ScoredItem"]["properties"]
    assert {"fields", "method", "content_fields"} <= set(parameters)
    assert parameters["method"]["schema"]["enum"] == ["auto", "model", "content"]
    answer = components["SimilarItems"]["properties"]
    assert answer["method"]["enum"] == ["model", "content"]
    assert "fallback" in answer
