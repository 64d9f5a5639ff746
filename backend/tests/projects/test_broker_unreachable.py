"""Work queued after commit while the broker is unreachable: the row says what happened,
keeps what the client sent, and can be retried once the broker is back."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from projects.models import Project, TrainingData, ValidationStatus
from retraining.models import RetrainingRun
from tests.conftest import SentTask
from tests.factories import ModelConfigurationFactory, TrainingDataFactory
from tests.projects.conftest import Uploader, small_csv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


@pytest.mark.usefixtures("broker_unreachable")
def test_an_upload_keeps_its_file_and_says_why_it_was_not_validated(
    upload: Uploader, project: Project
) -> None:
    response = upload(project, "small.csv", small_csv())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["validation_status"] == "INVALID"
    assert body["validation_error"].startswith("The validation could not be queued: ")
    assert body["validation_error"].endswith("Ask to validate it again.")
    data = TrainingData.objects.get(pk=body["id"])
    assert data.validation_status == ValidationStatus.INVALID
    assert default_storage.exists(data.file.name)


def test_an_upload_the_broker_missed_is_validated_on_request(
    upload: Uploader,
    client: APIClient,
    project: Project,
    broker_unreachable: str,
    request: pytest.FixtureRequest,
) -> None:
    body = upload(project, "small.csv", small_csv()).json()
    assert body["validation_status"] == "INVALID"
    # The broker is back: what is queued from now on reaches it.
    sent: list[SentTask] = request.getfixturevalue("sent_tasks")

    response = client.post(f"/api/v1/training_data/{body['id']}/revalidate/")

    assert response.status_code == 200, response.json()
    assert response.json()["validation_status"] == "PENDING"
    assert [(s.name, s.args) for s in sent] == [("projects.validate_training_data", (body["id"],))]
    again = client.post(f"/api/v1/training_data/{body['id']}/revalidate/")
    assert again.status_code == 409
    assert "already waiting" in again.json()["error"]["message"]


@pytest.mark.usefixtures("broker_unreachable")
def test_changed_columns_mark_every_upload_the_broker_missed(
    client: APIClient, project: Project
) -> None:
    data = TrainingDataFactory(project=project, file="uploads/x.csv")

    response = client.patch(f"/api/v1/project/{project.pk}/", {"user_column": "uid"})

    assert response.status_code == 200, response.json()
    data.refresh_from_db()
    assert data.validation_status == ValidationStatus.INVALID
    assert data.validation_error.startswith("The validation could not be queued: ")


@pytest.mark.usefixtures("broker_unreachable")
def test_a_run_the_broker_cannot_take_is_failed_with_the_reason(
    client: APIClient, project: Project
) -> None:
    schedule = client.post(
        "/api/v1/retraining_schedule/",
        {
            "project": project.pk,
            "is_enabled": True,
            "cron_expression": "0 2 * * 0",
            "model_configuration": ModelConfigurationFactory(project=project).pk,
        },
    ).json()

    response = client.post(f"/api/v1/retraining_schedule/{schedule['id']}/trigger/")

    assert response.status_code in (200, 201, 202), response.json()
    run = RetrainingRun.objects.get(schedule_id=schedule["id"])
    assert run.status == RetrainingRun.Status.FAILED
    assert run.error_message.startswith("The run could not be queued: ")
    assert run.schedule.last_run_status == "FAILED"
