"""project_summary answers what its schema lists, nested parts included."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from retraining.models import RetrainingSchedule
from tests.factories import (
    ABTestFactory,
    DeploymentSlotFactory,
    ModelConfigurationFactory,
    TrainingDataFactory,
)
from tests.schema_shape import component_mismatches

pytestmark = pytest.mark.django_db


def test_an_empty_project(client: APIClient, project: Any) -> None:
    body = client.get(f"/api/v1/project_summary/{project.pk}/").json()

    assert body["latest_training_data"] is None
    assert component_mismatches(body, "ProjectSummary") == []


def test_a_project_in_production(client: APIClient, project: Any) -> None:
    RetrainingSchedule.objects.create(
        project=project,
        model_configuration=ModelConfigurationFactory(project=project),
        training_data=TrainingDataFactory(project=project),
    )
    ABTestFactory(project=project, status="RUNNING")
    DeploymentSlotFactory(project=project)
    latest = TrainingDataFactory(project=project)

    body = client.get(f"/api/v1/project_summary/{project.pk}/").json()

    assert body["latest_training_data"]["id"] == latest.pk
    assert len(body["active_slots"]) == 3
    assert len(body["running_ab_tests"]) == 1
    assert body["retraining_schedule"] is not None
    assert component_mismatches(body, "ProjectSummary") == []
