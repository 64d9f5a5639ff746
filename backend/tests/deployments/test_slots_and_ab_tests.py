from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from core.models import JobStatus
from deployments.models import ABTest, ConversionEvent, DeploymentSlot
from recotem_common.events import ModelEvent, SlotsChanged
from tests.factories import (
    ABTestFactory,
    DeploymentSlotFactory,
    ImpressionFactory,
    ProjectFactory,
    TrainedModelFactory,
)

SLOTS = "/api/v1/deployment_slot/"
TESTS = "/api/v1/ab_test/"


def _slot_body(project: Any, model: Any, **extra: Any) -> dict[str, Any]:
    return {"project": project.pk, "name": "main", "trained_model": model.pk, **extra}


def test_slot_serves_a_completed_model_of_its_project(client: APIClient, project: Any) -> None:
    model = TrainedModelFactory(project=project)
    response = client.post(SLOTS, _slot_body(project, model, weight=70))
    assert response.status_code == 201, response.json()
    assert response.json()["weight"] == 70


def test_slot_names_its_model(client: APIClient, project: Any) -> None:
    model = TrainedModelFactory(project=project, version_tag="v7", basename="weekly.rctm")
    client.post(SLOTS, _slot_body(project, model))

    listed = client.get(SLOTS, {"project": project.pk}).json()["results"][0]

    assert listed["trained_model_name"] == "weekly.rctm"
    assert listed["trained_model_version_tag"] == "v7"


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED])
def test_slot_refuses_an_unfinished_model(client: APIClient, project: Any, status: str) -> None:
    model = TrainedModelFactory(project=project, status=status)
    response = client.post(SLOTS, _slot_body(project, model))
    assert response.status_code == 400
    assert "completed model" in response.json()["error"]["message"]


def test_slot_refuses_a_model_of_another_of_my_projects(client: APIClient, user: Any) -> None:
    project, other = ProjectFactory(owner=user), ProjectFactory(owner=user)
    response = client.post(SLOTS, _slot_body(project, TrainedModelFactory(project=other)))
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["trained_model"]


def test_slot_refuses_another_tenants_model(client: APIClient, project: Any) -> None:
    foreign = TrainedModelFactory()
    response = client.post(SLOTS, _slot_body(project, foreign))
    assert response.status_code == 400
    assert "trained_model" in response.json()["error"]["fields"]


@pytest.mark.parametrize("weight", [-1, 100.5, "heavy"])
def test_slot_weight_must_be_between_0_and_100(
    client: APIClient, project: Any, weight: Any
) -> None:
    model = TrainedModelFactory(project=project)
    response = client.post(SLOTS, _slot_body(project, model, weight=weight))
    assert response.status_code == 400
    assert "weight" in response.json()["error"]["fields"]


def test_duplicate_slot_name_is_a_conflict(client: APIClient, project: Any) -> None:
    DeploymentSlotFactory(project=project, name="main")
    model = TrainedModelFactory(project=project)
    assert client.post(SLOTS, _slot_body(project, model)).status_code == 409


def test_other_tenants_slots_are_invisible(client: APIClient) -> None:
    foreign = DeploymentSlotFactory()
    assert client.get(f"{SLOTS}{foreign.pk}/").status_code == 404
    assert client.get(SLOTS).json()["count"] == 0


def test_slot_changes_are_announced_to_the_inference_service(
    client: APIClient,
    project: Any,
    django_capture_on_commit_callbacks: Any,
    model_events: Callable[[], list[ModelEvent | None]],
) -> None:
    slot = DeploymentSlotFactory(project=project)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.patch(f"{SLOTS}{slot.pk}/", {"weight": 10}).status_code == 200
    assert model_events() == [SlotsChanged(project_id=project.pk)]


def _test_body(project: Any, control: Any, variant: Any) -> dict[str, Any]:
    return {
        "project": project.pk,
        "name": "ranker v2",
        "control_slot": control.pk,
        "variant_slot": variant.pk,
    }


def test_ab_test_needs_two_different_slots(client: APIClient, project: Any) -> None:
    slot = DeploymentSlotFactory(project=project)
    response = client.post(TESTS, _test_body(project, slot, slot))
    assert response.status_code == 400
    assert "different" in response.json()["error"]["message"]


def test_ab_test_slots_must_belong_to_its_project(client: APIClient, user: Any) -> None:
    project, other = ProjectFactory(owner=user), ProjectFactory(owner=user)
    control = DeploymentSlotFactory(project=project)
    variant = DeploymentSlotFactory(project=other)
    response = client.post(TESTS, _test_body(project, control, variant))
    assert response.status_code == 400
    assert "variant_slot" in response.json()["error"]["fields"]


def test_ab_test_lifecycle(client: APIClient, project: Any) -> None:
    test = ABTestFactory(project=project)
    url = f"{TESTS}{test.pk}/"
    assert client.post(f"{url}promote_winner/").status_code == 409
    assert client.post(f"{url}stop/").status_code == 409
    started = client.post(f"{url}start/")
    assert started.status_code == 200
    assert started.json()["status"] == "RUNNING"
    assert started.json()["started_at"]
    assert client.patch(url, {"name": "renamed"}).status_code == 409
    assert client.post(f"{url}start/").status_code == 409
    stopped = client.post(f"{url}stop/")
    assert stopped.json()["status"] == "COMPLETED"
    assert client.post(f"{url}cancel/").status_code == 409


def test_a_project_runs_one_ab_test_at_a_time(client: APIClient, project: Any) -> None:
    first = ABTestFactory(project=project, status=ABTest.Status.RUNNING)
    # Other slots of the same project: traffic can still follow only one test.
    second = ABTestFactory(project=project)

    response = client.post(f"{TESTS}{second.pk}/start/")

    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert first.name in message
    assert "one A/B test at a time" in message
    second.refresh_from_db()
    assert second.status == ABTest.Status.DRAFT
    assert client.post(f"{TESTS}{first.pk}/stop/").status_code == 200
    assert client.post(f"{TESTS}{second.pk}/start/").status_code == 200


def test_the_database_refuses_a_second_running_test_in_a_project(project: Any) -> None:
    ABTestFactory(project=project, status=ABTest.Status.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        ABTestFactory(project=project, status=ABTest.Status.RUNNING)


def test_running_arm_cannot_be_deleted(client: APIClient, project: Any) -> None:
    test = ABTestFactory(project=project, status=ABTest.Status.RUNNING)
    assert client.delete(f"{SLOTS}{test.control_slot_id}/").status_code == 409


def test_promote_winner_moves_traffic_and_leaves_other_slots(
    client: APIClient, project: Any
) -> None:
    test = ABTestFactory(project=project)
    bystander = DeploymentSlotFactory(project=project, weight=30)
    client.post(f"{TESTS}{test.pk}/start/")
    for index in range(300):
        for slot, rate in ((test.control_slot, 0.05), (test.variant_slot, 0.25)):
            impression = ImpressionFactory(deployment_slot=slot)
            if index < rate * 300:
                ConversionEvent.objects.create(
                    project=project,
                    deployment_slot=slot,
                    user_id=impression.user_id,
                    event_type="click",
                    recommendation_request_id=impression.request_id,
                )
    client.post(f"{TESTS}{test.pk}/stop/")
    response = client.post(f"{TESTS}{test.pk}/promote_winner/")
    assert response.status_code == 200, response.json()
    assert response.json()["winner_slot"] == test.variant_slot_id
    winner, loser = (
        DeploymentSlot.objects.get(pk=test.variant_slot_id),
        DeploymentSlot.objects.get(pk=test.control_slot_id),
    )
    assert (winner.weight, winner.is_active, loser.is_active) == (100.0, True, False)
    bystander.refresh_from_db()
    assert (bystander.weight, bystander.is_active) == (30, True)


def test_promote_without_significance_needs_an_explicit_slot(
    client: APIClient, project: Any
) -> None:
    test = ABTestFactory(project=project, status=ABTest.Status.COMPLETED)
    url = f"{TESTS}{test.pk}/promote_winner/"
    assert client.post(url).status_code == 409
    response = client.post(url, {"slot": test.control_slot_id})
    assert response.json()["winner_slot"] == test.control_slot_id
    foreign = DeploymentSlotFactory(project=project)
    other = ABTestFactory(project=project, status=ABTest.Status.COMPLETED)
    assert (
        client.post(f"{TESTS}{other.pk}/promote_winner/", {"slot": foreign.pk}).status_code == 400
    )
