from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import ModelConfigurationFactory, ProjectFactory

URL = "/api/v1/model_configuration/"


def test_a_configuration_is_stored_with_normalised_parameters(
    client: APIClient, project: Any, user: Any
) -> None:
    response = client.post(
        URL,
        {
            "project": project.pk,
            "name": "ials-64",
            "recommender_class_name": "IALSRecommender",
            "parameters_json": {"n_components": 64.0, "reg": "0.01", "train_epochs": 20},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["parameters_json"] == {"n_components": 64, "reg": 0.01, "train_epochs": 20}
    assert body["created_by"] == user.pk


def test_a_short_algorithm_name_is_stored_as_the_irspack_class(
    client: APIClient, project: Any
) -> None:
    body = client.post(
        URL, {"project": project.pk, "recommender_class_name": "RP3beta"}, format="json"
    ).json()

    assert body["recommender_class_name"] == "RP3betaRecommender"


def test_an_unknown_class_is_refused_with_the_valid_names(client: APIClient, project: Any) -> None:
    response = client.post(
        URL, {"project": project.pk, "recommender_class_name": "BPRFMRecommender"}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert "Unknown algorithm 'BPRFMRecommender'" in error["message"]
    assert "IALS, CosineKNN" in error["message"]
    assert "recommender_class_name" in error["fields"]


@pytest.mark.parametrize(
    ("parameters", "problem_field", "problem"),
    [
        ({"n_components": 8, "learning_rate": 0.1}, "learning_rate", "has no parameter"),
        ({"n_components": "many"}, "n_components", "valid integer"),
        ({"solver_type": "MAGIC"}, "solver_type", "'CG' or 'CHOLESKY'"),
    ],
)
def test_parameters_must_fit_the_class(
    client: APIClient, project: Any, parameters: dict[str, Any], problem_field: str, problem: str
) -> None:
    response = client.post(
        URL,
        {"project": project.pk, "recommender_class_name": "IALS", "parameters_json": parameters},
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]["parameters_json"]
    assert list(fields) == [problem_field]
    assert problem in fields[problem_field]


def test_parameters_must_be_an_object(client: APIClient, project: Any) -> None:
    response = client.post(
        URL,
        {"project": project.pk, "recommender_class_name": "IALS", "parameters_json": [1, 2]},
        format="json",
    )

    assert response.status_code == 400
    assert "parameters_json" in response.json()["error"]["fields"]


def test_another_users_project_is_refused(client: APIClient, other_user: Any) -> None:
    foreign = ProjectFactory(owner=other_user)

    response = client.post(
        URL, {"project": foreign.pk, "recommender_class_name": "TopPop"}, format="json"
    )

    assert response.status_code == 400
    assert "project" in response.json()["error"]["fields"]


def test_names_are_unique_per_project(client: APIClient, project: Any) -> None:
    ModelConfigurationFactory(project=project, name="taken")

    response = client.post(
        URL,
        {"project": project.pk, "name": "taken", "recommender_class_name": "TopPop"},
        format="json",
    )

    assert response.status_code == 400
    assert "already has a model configuration named 'taken'" in response.json()["error"]["message"]


def test_updates_are_validated_too_and_cannot_move_projects(
    client: APIClient, project: Any, user: Any
) -> None:
    configuration = ModelConfigurationFactory(
        project=project, recommender_class_name="CosineKNNRecommender"
    )
    url = f"{URL}{configuration.pk}/"

    assert client.patch(url, {"parameters_json": {"top_k": 10}}, format="json").status_code == 200
    assert client.patch(url, {"parameters_json": {"beta": 1}}, format="json").status_code == 400
    other_project = ProjectFactory(owner=user)
    moved = client.patch(url, {"project": other_project.pk}, format="json")
    assert moved.status_code == 400
    assert "another project" in moved.json()["error"]["message"]


def test_the_algorithm_catalogue_lists_parameters_and_search_spaces(client: APIClient) -> None:
    catalogue = {row["name"]: row for row in client.get(f"{URL}algorithms/").json()}

    assert catalogue["IALS"]["recommender_class_name"] == "IALSRecommender"
    assert catalogue["IALS"]["default"] is True
    assert catalogue["IALS"]["parameters"]["n_components"] == 20
    assert {"name": "n_components", "kind": "UniformIntegerRange", "low": 4, "high": 300} in (
        catalogue["IALS"]["search_space"]
    )
    assert catalogue["SLIM"]["default"] is False
    assert len(catalogue) == 15
