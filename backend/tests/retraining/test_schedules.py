from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from retraining.cron import next_run
from retraining.models import RetrainingSchedule
from tests.factories import (
    DeploymentSlotFactory,
    ModelConfigurationFactory,
    ProjectFactory,
    TrainingDataFactory,
)

SCHEDULES = "/api/v1/retraining_schedule/"


def _body(project: Any, **extra: Any) -> dict[str, Any]:
    return {
        "project": project.pk,
        "is_enabled": True,
        "cron_expression": "0 2 * * 0",
        "model_configuration": ModelConfigurationFactory(project=project).pk,
        **extra,
    }


def test_schedule_is_explained_and_registered_with_beat(client: APIClient, project: Any) -> None:
    response = client.post(SCHEDULES, _body(project, timezone="Asia/Tokyo"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["cron_description"] == "At 02:00, only on Sunday (Asia/Tokyo)"
    next_run_at = datetime.fromisoformat(body["next_run_at"])
    assert next_run_at.astimezone(UTC).hour == 17  # 02:00 in Tokyo
    assert next_run_at.weekday() == 5  # Saturday in UTC
    task = PeriodicTask.objects.get(name=f"retraining-schedule-{body['id']}")
    assert task.enabled
    assert json.loads(task.args) == [body["id"]]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "2", "0")
    assert str(task.crontab.timezone) == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("expression", "hint"),
    [("0 2 * *", "5 fields"), ("61 * * * *", "not a valid"), ("* * * * * *", "5 fields")],
)
def test_invalid_cron_is_refused(
    client: APIClient, project: Any, expression: str, hint: str
) -> None:
    response = client.post(SCHEDULES, _body(project, cron_expression=expression))
    assert response.status_code == 400
    assert hint in response.json()["error"]["message"]
    assert not PeriodicTask.objects.filter(task="retraining.fire_schedule").exists()


def test_unknown_timezone_is_refused(client: APIClient, project: Any) -> None:
    response = client.post(SCHEDULES, _body(project, timezone="Mars/Olympus"))
    assert response.status_code == 400
    assert "timezone" in response.json()["error"]["fields"]


def test_retune_needs_split_and_evaluation(client: APIClient, project: Any) -> None:
    response = client.post(SCHEDULES, _body(project, retune=True))
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"split_config", "evaluation_config"}


def test_auto_deploy_needs_a_slot_of_the_project(client: APIClient, user: Any) -> None:
    project, other = ProjectFactory(owner=user), ProjectFactory(owner=user)
    assert client.post(SCHEDULES, _body(project, auto_deploy=True)).status_code == 400
    slot = DeploymentSlotFactory(project=other)
    response = client.post(SCHEDULES, _body(project, auto_deploy=True, deploy_slot=slot.pk))
    assert response.status_code == 400
    assert "deploy_slot" in response.json()["error"]["fields"]


def test_foreign_training_data_is_refused(client: APIClient, project: Any) -> None:
    response = client.post(SCHEDULES, _body(project, training_data=TrainingDataFactory().pk))
    assert response.status_code == 400


def test_one_schedule_per_project(client: APIClient, project: Any) -> None:
    assert client.post(SCHEDULES, _body(project)).status_code == 201
    assert client.post(SCHEDULES, _body(project)).status_code == 409


def test_disabling_updates_beat_and_clears_next_run(client: APIClient, project: Any) -> None:
    created = client.post(SCHEDULES, _body(project)).json()
    response = client.patch(f"{SCHEDULES}{created['id']}/", {"is_enabled": False})
    assert response.status_code == 200
    assert response.json()["next_run_at"] is None
    assert not PeriodicTask.objects.get(name=f"retraining-schedule-{created['id']}").enabled
    trigger = client.post(f"{SCHEDULES}{created['id']}/trigger/")
    assert trigger.status_code == 409
    assert "disabled" in trigger.json()["error"]["message"]


def test_deleting_the_project_removes_the_beat_entry(client: APIClient, project: Any) -> None:
    client.post(SCHEDULES, _body(project))
    assert PeriodicTask.objects.filter(task="retraining.fire_schedule").exists()
    project.delete()
    assert not RetrainingSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="retraining.fire_schedule").exists()


def test_next_run_honours_the_timezone() -> None:
    after = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert next_run("30 9 * * *", "Europe/Paris", after) == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


PREVIEW = f"{SCHEDULES}cron_preview/"


def test_cron_preview_describes_and_lists_the_next_runs(client: APIClient) -> None:
    response = client.get(PREVIEW, {"cron_expression": "30 4 * * 1", "timezone": "Asia/Tokyo"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["description"] == "At 04:30, only on Monday (Asia/Tokyo)"
    runs = [datetime.fromisoformat(run) for run in body["next_runs"]]
    assert len(runs) == 5
    assert all(run.astimezone(UTC).hour == 19 and run.minute == 30 for run in runs)
    assert all((later - earlier).days == 7 for earlier, later in itertools.pairwise(runs))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cron_expression": "0 2 * *"}, "cron_expression"),
        ({"cron_expression": "* * * * *"}, "cron_expression"),
        ({"cron_expression": "0 2 * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ({}, "cron_expression"),
    ],
)
def test_cron_preview_gives_the_error_saving_would(
    client: APIClient, query: dict[str, str], field: str
) -> None:
    response = client.get(PREVIEW, query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_cron_preview_needs_a_session(anon_client: APIClient) -> None:
    assert anon_client.get(PREVIEW, {"cron_expression": "0 2 * * *"}).status_code in {401, 403}
