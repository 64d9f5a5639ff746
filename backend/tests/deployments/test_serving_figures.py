"""The Serving page's figures: the inference workers' counts in Redis, per project."""

from __future__ import annotations

import socket
import time
from collections import Counter
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from recotem_common import serving
from tests.factories import DeploymentSlotFactory, ProjectFactory


def _answers(project_id: int, answers: list[serving.Answer]) -> None:
    """Counts added as an inference worker's flush adds them."""
    counts = serving.answer_counts(Counter(answers))
    connection = redis.Redis.from_url(django_settings.MODEL_EVENTS_REDIS_URL)
    with connection.pipeline() as pipe:
        serving.add_counts(pipe, project_id, serving.minute_of(time.time()), counts)
        pipe.hset(serving.INSTANCES_KEY, "test-host:1:a", f"{time.time() - 60}:{time.time()}")
        pipe.execute()


def _answer(
    slot_id: int | None,
    model_id: int | None,
    status: int,
    *,
    error_code: str | None = None,
    elapsed_ms: float = 3.0,
) -> serving.Answer:
    return (slot_id, model_id, status, error_code, serving.bucket_of(elapsed_ms))


def _forget_figures(project_id: int) -> None:
    """Drops counts kept under ``project_id`` by another suite sharing this Redis, whose
    database numbers its projects from 1 too."""
    minutes = serving.keys_to_read(project_id, now=time.time(), minutes=serving.MAX_MINUTES)
    with redis.Redis.from_url(django_settings.MODEL_EVENTS_REDIS_URL) as connection:
        connection.delete(*minutes[:-1])


def test_the_figures_of_a_project_per_slot_with_names(client: APIClient, project: Any) -> None:
    _forget_figures(project.pk)
    slot = DeploymentSlotFactory(project=project, name="production")
    model_id = slot.trained_model_id
    _answers(
        project.pk,
        [_answer(slot.pk, model_id, 200) for _ in range(4)]
        + [_answer(None, model_id, 200, elapsed_ms=40.0)]
        + [_answer(None, None, 429, error_code="throttled")],
    )
    stranger = ProjectFactory()
    _answers(stranger.pk, [_answer(None, None, 404, error_code="not_found")])

    answer = client.get(f"/api/v1/project/{project.pk}/serving/?minutes=10")

    assert answer.status_code == 200
    figures = answer.json()
    assert figures["totals"]["requests"] == 6
    assert figures["totals"]["errors"] == 1
    assert figures["totals"]["error_codes"] == {"throttled": 1}
    assert figures["instances"] >= 1
    direct, production = figures["slots"]
    assert (direct["slot_id"], direct["slot_name"]) == (None, None)
    assert (production["slot_name"], production["model_ids"]) == ("production", [model_id])
    assert len(production["minutes"]) == 10
    assert production["minutes"][-1]["requests"] == 4
    assert production["minutes"][-1]["p50_ms"] == pytest.approx(2.5)


def test_other_users_projects_answer_404(client: APIClient, other_user: Any) -> None:
    theirs = ProjectFactory(owner=other_user)

    answer = client.get(f"/api/v1/project/{theirs.pk}/serving/")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["minutes=0", "minutes=121", "minutes=x", "hours=1"])
def test_a_bad_window_answers_400(client: APIClient, project: Any, query: str) -> None:
    answer = client.get(f"/api/v1/project/{project.pk}/serving/?{query}")

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "validation_error"


def test_redis_down_answers_503(client: APIClient, project: Any, settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.9.11", 0))
        port = probe.getsockname()[1]
    settings.MODEL_EVENTS_REDIS_URL = f"redis://127.0.9.11:{port}/3"

    answer = client.get(f"/api/v1/project/{project.pk}/serving/")

    assert answer.status_code == 503
    assert "MODEL_EVENTS_REDIS_URL" in answer.json()["error"]["message"]
