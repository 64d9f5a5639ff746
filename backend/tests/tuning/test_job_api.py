from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from core.models import JobStatus
from projects.models import TrainingData, ValidationStatus
from realtime.services import task_log_append
from tests.conftest import SentTask
from tests.factories import (
    EvaluationConfigFactory,
    ParameterTuningJobFactory,
    ProjectFactory,
    SplitConfigFactory,
    TrainingDataFactory,
)
from tuning.models import ParameterTuningJob

URL = "/api/v1/parameter_tuning_job/"


@pytest.fixture
def data(project: Any) -> TrainingData:
    return TrainingDataFactory(project=project)


@pytest.fixture
def payload(user: Any, data: TrainingData) -> dict[str, Any]:
    return {
        "data": data.pk,
        "split": SplitConfigFactory(created_by=user).pk,
        "evaluation": EvaluationConfigFactory(created_by=user).pk,
        "n_trials": 10,
        "n_tasks_parallel": 2,
    }


def _error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def test_creating_a_job_queues_it_after_commit_with_the_default_algorithms(
    client: APIClient,
    payload: dict[str, Any],
    sent_tasks: list[SentTask],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "PENDING"
    assert body["tried_algorithms_json"] == [
        "IALS",
        "RP3beta",
        "CosineKNN",
        "AsymmetricCosineKNN",
        "DenseSLIM",
        "TopPop",
    ]
    assert len(body["task_ids"]) == 4
    prepare_id, finalize_id, *worker_ids = body["task_ids"]
    [prepare] = sent_tasks
    assert (prepare.name, prepare.args) == ("tuning.prepare_job", (body["id"],))
    assert prepare.options["task_id"] == prepare_id
    # Then every worker at once, and finalize after the last of them.
    [workers_then_finalize] = prepare.options["chain"]
    assert [
        (worker.task, worker.args, worker.options["task_id"])
        for worker in workers_then_finalize.tasks.tasks
    ] == [
        ("tuning.run_trials", (body["id"], index), task_id)
        for index, task_id in enumerate(worker_ids)
    ]
    finalize = workers_then_finalize.body
    assert (finalize.task, finalize.args) == ("tuning.finalize_job", (body["id"],))
    assert finalize.options["task_id"] == finalize_id


def test_server_computed_fields_cannot_be_set(
    client: APIClient, payload: dict[str, Any], sent_tasks: list[SentTask]
) -> None:
    payload |= {"status": "COMPLETED", "best_score": 1.0, "n_trials_finished": 9, "task_ids": ["x"]}

    body = client.post(URL, payload, format="json").json()

    job = ParameterTuningJob.objects.get(pk=body["id"])
    assert (job.status, job.best_score, job.n_trials_finished) == (JobStatus.PENDING, None, 0)
    assert job.task_ids != ["x"]


def test_algorithm_names_are_checked_and_canonicalised(
    client: APIClient, payload: dict[str, Any], sent_tasks: list[SentTask]
) -> None:
    payload["tried_algorithms_json"] = ["IALSRecommender", "RP3beta", "IALS"]
    assert client.post(URL, payload, format="json").json()["tried_algorithms_json"] == [
        "IALS",
        "RP3beta",
    ]

    payload["tried_algorithms_json"] = ["IALS", "DeepMagic", "FooKNN"]
    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    error = _error(response)
    assert "'DeepMagic', 'FooKNN'" in error["message"]
    assert "Valid names: IALS, CosineKNN" in error["message"]
    assert "tried_algorithms_json" in error["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("n_trials", 0), ("n_trials", -3), ("n_tasks_parallel", 0), ("memory_budget", 0)],
)
def test_counts_below_one_are_refused(
    client: APIClient, payload: dict[str, Any], field: str, value: int
) -> None:
    payload[field] = value

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in _error(response)["fields"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (ValidationStatus.PENDING, "still being validated"),
        (ValidationStatus.VALIDATING, "still being validated"),
        (ValidationStatus.INVALID, "invalid"),
    ],
)
def test_data_must_have_passed_validation(
    client: APIClient,
    payload: dict[str, Any],
    data: TrainingData,
    status: str,
    expected: str,
) -> None:
    data.validation_status = status
    data.validation_error = "line 3, column 2: empty user id"
    data.save()

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert expected in _error(response)["message"]
    assert "data" in _error(response)["fields"]
    if status == ValidationStatus.INVALID:
        assert "line 3, column 2" in _error(response)["message"]
    assert not ParameterTuningJob.objects.exists()


@pytest.mark.parametrize("field", ["data", "split", "evaluation"])
def test_another_users_data_or_configs_are_refused(
    client: APIClient, payload: dict[str, Any], other_user: Any, field: str
) -> None:
    foreign = {
        "data": lambda: TrainingDataFactory(project=ProjectFactory(owner=other_user)),
        "split": lambda: SplitConfigFactory(created_by=other_user),
        "evaluation": lambda: EvaluationConfigFactory(created_by=other_user),
    }[field]()
    payload[field] = foreign.pk

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in _error(response)["fields"]
    assert not ParameterTuningJob.objects.exists()


def test_a_time_based_split_needs_a_project_with_a_time_column(
    client: APIClient, payload: dict[str, Any], user: Any, data: TrainingData
) -> None:
    data.project.time_column = None
    data.project.save()
    payload["split"] = SplitConfigFactory(created_by=user, scheme="TG").pk

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert "has no time column" in _error(response)["message"]


def test_jobs_cannot_be_edited(client: APIClient, data: TrainingData) -> None:
    job = ParameterTuningJobFactory(data=data)

    assert client.patch(f"{URL}{job.pk}/", {"n_trials": 99}, format="json").status_code == 405


def test_other_users_jobs_answer_404(other_user: Any, data: TrainingData) -> None:
    job = ParameterTuningJobFactory(data=data)
    intruder = APIClient()
    intruder.force_authenticate(other_user)

    assert intruder.get(f"{URL}{job.pk}/").status_code == 404
    assert intruder.post(f"{URL}{job.pk}/cancel/").status_code == 404
    assert intruder.get(f"{URL}{job.pk}/trials/").status_code == 404
    assert intruder.get(URL).json()["count"] == 0


def test_cancelling_a_pending_job_ends_it_and_a_finished_job_cannot_be_cancelled(
    client: APIClient, data: TrainingData
) -> None:
    job = ParameterTuningJobFactory(data=data)

    response = client.post(f"{URL}{job.pk}/cancel/")

    assert response.status_code == 202
    assert response.json()["status"] == "CANCELLED"
    assert response.json()["cancel_requested"] is True
    again = client.post(f"{URL}{job.pk}/cancel/")
    assert again.status_code == 409
    assert "already ended" in _error(again)["message"]


def test_cancelling_a_running_job_asks_its_workers_to_stop(
    client: APIClient, data: TrainingData
) -> None:
    job = ParameterTuningJobFactory(data=data, status=JobStatus.RUNNING)

    body = client.post(f"{URL}{job.pk}/cancel/").json()

    assert (body["status"], body["cancel_requested"]) == ("RUNNING", True)
    assert job.logs.filter(contents__startswith="Cancellation requested").exists()


def test_a_running_job_cannot_be_deleted(client: APIClient, data: TrainingData) -> None:
    job = ParameterTuningJobFactory(data=data, status=JobStatus.RUNNING)

    response = client.delete(f"{URL}{job.pk}/")

    assert response.status_code == 409
    assert "cancel it" in _error(response)["message"]


@pytest.mark.django_db(transaction=True)
def test_a_job_without_a_study_has_no_trials_yet(client: APIClient, data: TrainingData) -> None:
    job = ParameterTuningJobFactory(data=data)

    response = client.get(f"{URL}{job.pk}/trials/")

    assert response.status_code == 200
    assert response.json() == []


def test_job_logs_are_listed_oldest_first(client: APIClient, data: TrainingData) -> None:
    job = ParameterTuningJobFactory(data=data)
    for line in ("first", "second"):
        task_log_append(project_id=data.project_id, tuning_job_id=job.pk, message=line)

    body = client.get(f"{URL}{job.pk}/logs/").json()

    assert [log["contents"] for log in body["results"]] == ["first", "second"]


@pytest.mark.usefixtures("broker_down")
def test_a_job_the_broker_cannot_take_is_failed_with_the_reason(
    client: APIClient, payload: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post(URL, payload, format="json").json()

    job = ParameterTuningJob.objects.get(pk=body["id"])
    assert job.status == JobStatus.FAILED
    assert job.error_message == "The job could not be queued: broker down"
