"""A tuning job on MovieLens 100K through the API, run by a real Celery worker process
with two parallel tasks, watched over the WebSocket, ending in a signed, trained model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files.storage import default_storage
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from core.models import JobStatus
from recotem.asgi import application
from recotem_common.artifact import read_artifact
from recotem_common.events import ModelTrained
from training.artifacts import model_signing_keys
from tuning import selectors
from tuning.models import ParameterTuningJob
from tuning.splitting import sha256

JOB_TIMEOUT = 150

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def _watch(path: str, timeout: float) -> list[dict[str, Any]]:
    """Every message the job's WebSocket sends until the job ends."""
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://testserver")]
    )
    connected, _ = await communicator.connect()
    assert connected
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = await communicator.receive_json_from(timeout=deadline - time.monotonic())
        except TimeoutError:
            break
        messages.append(message)
        if message["type"] == "status" and message["status"] in {"COMPLETED", "FAILED"}:
            break
    await communicator.disconnect()
    return messages


def test_tuning_job_end_to_end_with_two_parallel_celery_tasks(
    celery_worker: Path, user: Any, ml100k_data: Any, model_events: Any
) -> None:
    client = APIClient()
    client.force_authenticate(user=user)
    split = client.post("/api/v1/split_config/", {"heldout_ratio": 0.2, "test_user_ratio": 0.3})
    evaluation = client.post("/api/v1/evaluation_config/", {"cutoff": 10})
    response = client.post(
        "/api/v1/parameter_tuning_job/",
        {
            "data": ml100k_data.pk,
            "split": split.json()["id"],
            "evaluation": evaluation.json()["id"],
            "n_tasks_parallel": 2,
            "n_trials": 6,
            "tried_algorithms_json": ["TopPop", "RP3beta", "CosineKNN"],
            "timeout_singlestep": 60,
            "timeout_overall": JOB_TIMEOUT,
            "random_seed": 7,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    job_id = response.json()["id"]

    token = AccessToken.for_user(user)
    messages = async_to_sync(_watch)(f"/ws/job/{job_id}/?token={token}", JOB_TIMEOUT)

    job = ParameterTuningJob.objects.get(pk=job_id)
    worker_log = celery_worker.read_text()[-4000:]
    assert job.status == JobStatus.COMPLETED, f"{job.error_message}\n{worker_log}"
    # All trials ran, in both tasks, on the one split file the prepare step stored.
    trials = selectors.tuning_job_trials(job=job)
    assert len(trials) == 6
    assert {t["state"] for t in trials} == {"COMPLETE"}
    assert {t["worker"] for t in trials} == {0, 1}
    with default_storage.open(job.split_file, "rb") as handle:
        assert {t["split_sha256"] for t in trials} == {sha256(handle.read())}
    # The best trial became the configuration, and the trained model is a valid artifact.
    best = max(trials, key=lambda t: t["score"])
    assert job.best_score == pytest.approx(best["score"])
    assert job.best_config is not None
    assert job.best_config.parameters_json == best["params"]
    model = job.tuned_model
    assert model is not None
    assert model.status == JobStatus.COMPLETED
    with default_storage.open(model.file.name, "rb") as handle:
        artifact = read_artifact(handle.read(), model_signing_keys())
    assert artifact.n_users == 943
    assert artifact.recommend_users(["1"], 10)[0]
    assert ModelTrained(model_id=model.pk, project_id=job.data.project_id) in model_events()
    # The WebSocket client saw the trials progress and the completion.
    statuses = [m for m in messages if m["type"] == "status"]
    # Two workers report concurrently, so their messages may arrive in either order.
    assert {m["n_trials_finished"] for m in statuses} >= set(range(1, 7))
    assert {m["last_trial"]["number"] for m in statuses if m["last_trial"]} == set(range(6))
    assert statuses[-1]["status"] == "COMPLETED"
    assert statuses[-1]["tuned_model"] == model.pk
    assert any(m["type"] == "log" and m["message"].startswith("Trial ") for m in messages)
