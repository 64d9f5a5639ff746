"""Fixtures shared by the training, tuning and realtime tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.files import File

from projects.models import Project, TrainingData
from tests.factories import TrainingDataFactory


def stored_training_data(project: Project, path: Path, **fields: Any) -> TrainingData:
    """A VALID upload whose file really is in storage, as the validation task leaves it."""
    with path.open("rb") as handle:
        return TrainingDataFactory(
            project=project, basename=path.name, file=File(handle, name=path.name), **fields
        )


@pytest.fixture
def ml100k_data(project: Project, ml100k_csv: Path) -> TrainingData:
    return stored_training_data(project, ml100k_csv, n_rows=100_000, n_users=943, n_items=1682)


@pytest.fixture
def model_events() -> Iterator[Callable[[float], list[dict[str, Any]]]]:
    """Subscribe to the model-event channel (Redis db3) now; the returned function
    collects what was published, waiting up to ``timeout`` seconds for the first one."""
    client = redis.Redis.from_url(settings.MODEL_EVENTS_REDIS_URL)
    pubsub = client.pubsub()
    pubsub.subscribe(settings.MODEL_EVENTS_CHANNEL)
    pubsub.get_message(timeout=1.0)  # the subscription confirmation

    def received(timeout: float = 5.0) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.2)
            if message and message["type"] == "message":
                events.append(json.loads(message["data"]))
            elif events:
                break
        return events

    yield received
    pubsub.close()
    client.close()
