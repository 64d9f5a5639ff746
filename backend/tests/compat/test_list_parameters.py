"""A misspelt or unsupported query parameter is refused on every list, naming what the
list accepts; the reference's task-log filter names work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from realtime.services import task_log_append
from tests.compat.conftest import API
from tests.factories import ParameterTuningJobFactory, TrainedModelFactory, TrainingDataFactory


def _list_routes(patterns: list[Any], prefix: str) -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from _list_routes(pattern.url_patterns, route)
            continue
        actions = getattr(pattern.callback, "actions", None) or {}
        if actions.get("get") == "list" and "<" not in route and "(" not in route:
            yield route


def _list_paths() -> list[str]:
    """Every list route of the API, found from the URL configuration itself."""
    # Old clients' /api/ mount serves the same views, so /api/v1/ covers both.
    routes = _list_routes(get_resolver().url_patterns, "/")
    return sorted({route for route in routes if route.startswith(f"{API}/")})


LIST_PATHS = _list_paths()


def test_every_list_of_the_api_is_covered() -> None:
    assert f"{API}/task_log/" in LIST_PATHS
    assert f"{API}/users/" in LIST_PATHS
    assert len(LIST_PATHS) >= 15


@pytest.mark.parametrize("path", LIST_PATHS)
def test_an_unknown_parameter_is_a_400_naming_it_and_the_accepted_ones(
    staff_client: APIClient, path: str
) -> None:
    response = staff_client.get(path, {"page_size": 5, "projct": 1})

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"]["fields"] == {"projct": ["Unknown query parameter."]}
    assert "'projct'" in body["detail"]
    assert "page_size" in body["detail"]
    assert "ordering" in body["detail"]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_known_parameters_still_answer(staff_client: APIClient, path: str) -> None:
    response = staff_client.get(path, {"page": 1, "page_size": 5, "format": "json"})

    assert response.status_code == 200, response.content


def test_task_logs_take_the_reference_filter_names(
    reference_client: APIClient, project: Any
) -> None:
    job = ParameterTuningJobFactory(data=TrainingDataFactory(project=project))
    model = TrainedModelFactory(project=project)
    task_log_append(project_id=project.pk, tuning_job_id=job.pk, message="job line")
    task_log_append(project_id=project.pk, trained_model_id=model.pk, message="model line")

    def contents(**params: Any) -> list[str]:
        response = reference_client.get(f"{API}/task_log/", params)
        assert response.status_code == 200, response.content
        return [row["contents"] for row in response.json()["results"]]

    assert contents(tuning_job_id=job.pk) == ["job line"]
    assert contents(model_id=model.pk) == ["model line"]
    assert contents(tuning_job=job.pk) == ["job line"]
    assert contents(trained_model=model.pk) == ["model line"]


def test_endpoints_with_their_own_parameters_refuse_unknown_ones_too(
    reference_client: APIClient, project: Any
) -> None:
    data = TrainingDataFactory(project=project)

    response = reference_client.get(f"{API}/training_data/{data.pk}/preview/", {"rows": 5})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"rows": ["Unknown query parameter."]}
