"""What a client may ask for is bounded up front, with a 400 that says what to change."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from projects.models import TrainingData, ValidationStatus
from tests.factories import (
    EvaluationConfigFactory,
    ModelConfigurationFactory,
    SplitConfigFactory,
    TrainingDataFactory,
)
from tuning.models import ParameterTuningJob

pytestmark = pytest.mark.django_db


def _error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.json()
    body: dict[str, Any] = response.json()["error"]
    return body


@pytest.mark.parametrize(
    ("parameters", "field", "hint"),
    [
        ({"n_components": 100_000}, "n_components", "between 1 and 1024"),
        ({"n_components": 0}, "n_components", "between 1 and 1024"),
        ({"n_threads": 10_000}, "n_threads", "between 1 and 64"),
        ({"train_epochs": 10**7}, "train_epochs", "between 1 and 1000"),
        ({"random_seed": 2**32}, "random_seed", "between 0 and 4294967295"),
    ],
)
def test_model_parameters_out_of_range_are_refused(
    client: APIClient, project: Any, parameters: dict[str, Any], field: str, hint: str
) -> None:
    body = {
        "project": project.pk,
        "recommender_class_name": "IALS",
        "parameters_json": parameters,
    }

    error = _error(client.post("/api/v1/model_configuration/", body, format="json"))

    assert hint in str(error["fields"]["parameters_json"][field])


def test_model_parameters_in_range_are_kept(client: APIClient, project: Any) -> None:
    body = {
        "project": project.pk,
        "recommender_class_name": "IALS",
        "parameters_json": {"n_components": 1024, "n_threads": 2, "random_seed": 2**32 - 1},
    }

    response = client.post("/api/v1/model_configuration/", body, format="json")

    assert response.status_code == 201, response.json()


@pytest.fixture
def job(user: Any, project: Any) -> dict[str, Any]:
    data: TrainingData = TrainingDataFactory(
        project=project, validation_status=ValidationStatus.VALID
    )
    return {
        "data": data.pk,
        "split": SplitConfigFactory(created_by=user).pk,
        "evaluation": EvaluationConfigFactory(created_by=user).pk,
        "n_trials": 10,
        "n_tasks_parallel": 2,
    }


@pytest.mark.parametrize(
    ("change", "field", "hint"),
    [
        ({"n_trials": 10**6}, "n_trials", "10000"),
        ({"n_tasks_parallel": 65}, "n_tasks_parallel", "64"),
        ({"n_tasks_parallel": 11}, "n_tasks_parallel", "exceeds n_trials"),
        ({"random_seed": 2**32}, "random_seed", "4294967295"),
        ({"random_seed": -1}, "random_seed", "0"),
        ({"timeout_overall": 10**6}, "timeout_overall", "visibility timeout"),
        ({"timeout_overall": 60, "timeout_singlestep": 120}, "timeout_singlestep", "exceed"),
    ],
)
def test_tuning_bounds_are_refused_before_a_job_exists(
    client: APIClient, job: dict[str, Any], change: dict[str, Any], field: str, hint: str
) -> None:
    error = _error(client.post("/api/v1/parameter_tuning_job/", {**job, **change}, format="json"))

    assert field in error["fields"]
    assert hint in error["message"] + str(error["fields"][field])
    assert not ParameterTuningJob.objects.exists()


def test_a_timeout_just_below_the_visibility_timeout_is_accepted(
    client: APIClient, job: dict[str, Any], sent_tasks: Any
) -> None:
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    body = {**job, "timeout_overall": visibility - 1, "random_seed": 2**32 - 1}

    response = client.post("/api/v1/parameter_tuning_job/", body, format="json")

    assert response.status_code == 201, response.json()


def test_a_split_seed_outside_numpy_range_is_refused(client: APIClient) -> None:
    error = _error(
        client.post("/api/v1/split_config/", {"name": "s", "random_seed": 2**32}, format="json")
    )

    assert "random_seed" in error["fields"]


@pytest.mark.parametrize("expression", ["* * * * *", "*/5 * * * *", "0,30 * * * *"])
def test_a_schedule_firing_more_often_than_the_minimum_is_refused(
    client: APIClient, project: Any, expression: str
) -> None:
    body = {
        "project": project.pk,
        "is_enabled": True,
        "cron_expression": expression,
        "model_configuration": ModelConfigurationFactory(project=project).pk,
    }

    error = _error(client.post("/api/v1/retraining_schedule/", body, format="json"))

    assert "at most once every 60 minutes" in error["message"]
    assert error["fields"] == {"cron_expression": ["Fire at most once every 60 minutes."]}


def test_the_minimum_interval_is_a_setting(client: APIClient, project: Any, settings: Any) -> None:
    settings.RETRAINING_MIN_INTERVAL_MINUTES = 5
    body = {
        "project": project.pk,
        "is_enabled": True,
        "cron_expression": "*/5 * * * *",
        "model_configuration": ModelConfigurationFactory(project=project).pk,
    }

    response = client.post("/api/v1/retraining_schedule/", body, format="json")

    assert response.status_code == 201, response.json()
