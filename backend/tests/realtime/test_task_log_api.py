from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from realtime.services import task_log_append
from tests.factories import (
    ParameterTuningJobFactory,
    ProjectFactory,
    TrainedModelFactory,
    TrainingDataFactory,
)

URL = "/api/v1/task_log/"


def test_logs_are_filtered_by_job_model_or_task(client: APIClient, project: Any) -> None:
    job = ParameterTuningJobFactory(data=TrainingDataFactory(project=project))
    model = TrainedModelFactory(project=project)
    task_log_append(project_id=project.pk, tuning_job_id=job.pk, message="job line", task_id="t-1")
    task_log_append(project_id=project.pk, trained_model_id=model.pk, message="model line")

    def contents(**params: Any) -> list[str]:
        return [row["contents"] for row in client.get(URL, params).json()["results"]]

    assert contents(tuning_job=job.pk) == ["job line"]
    assert contents(tuning_job_id=job.pk) == ["job line"]
    assert contents(trained_model=model.pk) == ["model line"]
    assert contents(model_id=model.pk) == ["model line"]
    assert contents(task_id="t-1") == ["job line"]
    assert contents() == ["job line", "model line"]


def test_other_users_logs_are_invisible(client: APIClient, other_user: Any) -> None:
    foreign = ProjectFactory(owner=other_user)
    log = task_log_append(project_id=foreign.pk, message="secret")

    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{log.pk}/").status_code == 404


def test_logs_are_read_only(client: APIClient, project: Any) -> None:
    log = task_log_append(project_id=project.pk, message="line")

    assert client.post(URL, {"project": project.pk, "contents": "forged"}).status_code == 405
    assert client.delete(f"{URL}{log.pk}/").status_code == 405
