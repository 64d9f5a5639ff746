"""The reference's WebSocket paths, as a script without an Origin header uses them:
``/ws/job/<id>/status/`` and ``/ws/job/<id>/logs/`` with ``?token=``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from rest_framework_simplejwt.tokens import AccessToken

from core.models import JobStatus
from realtime.services import job_status_send, task_log_append
from recotem.asgi import application
from tests.factories import ParameterTuningJobFactory, TrainingDataFactory
from tuning.models import ParameterTuningJob
from tuning.selectors import tuning_job_status_payload

# The consumers' database calls end the test transaction of a non-transactional test.
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def job(project: Any) -> ParameterTuningJob:
    job: ParameterTuningJob = ParameterTuningJobFactory(data=TrainingDataFactory(project=project))
    return job


def _run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return async_to_sync(scenario)()


def _script(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> WebsocketCommunicator:
    """A connection as a script opens it: no Origin header."""
    return WebsocketCommunicator(application, path, headers=headers or [])


def test_status_updates_carry_a_lower_case_status_data_and_seq(
    job: ParameterTuningJob, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def finish() -> None:
        job.status = JobStatus.COMPLETED
        job.best_score = 0.25
        job.save()
        with django_capture_on_commit_callbacks(execute=True):
            job_status_send(job_id=job.pk, payload=tuning_job_status_payload(job=job))
            task_log_append(project_id=job.data.project_id, tuning_job_id=job.pk, message="x")

    async def scenario() -> list[dict[str, Any]]:
        ws = _script(f"/ws/job/{job.pk}/status/?token={AccessToken.for_user(user)}")
        assert (await ws.connect())[0]
        received = [await ws.receive_json_from(timeout=5)]
        await database_sync_to_async(finish)()
        received.append(await ws.receive_json_from(timeout=5))
        # The log line went to the logs path only.
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()
        return received

    current, finished = _run(scenario)

    assert current["type"] == "status_update"
    assert current["status"] == "pending"
    assert current["seq"] == 0
    assert current["data"]["job_id"] == job.pk
    assert finished["type"] == "status_update"
    assert finished["status"] == "completed"
    assert finished["data"]["best_score"] == 0.25
    assert finished["seq"] == 1


def test_log_lines_are_replayed_then_streamed_with_seq(
    job: ParameterTuningJob, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project_id = job.data.project_id
    task_log_append(project_id=project_id, tuning_job_id=job.pk, message="Job created.")

    def log_live_line() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            task_log_append(project_id=project_id, tuning_job_id=job.pk, message="Trial 0 done.")

    async def scenario() -> list[dict[str, Any]]:
        ws = _script(f"/ws/job/{job.pk}/logs/?token={AccessToken.for_user(user)}")
        assert (await ws.connect())[0]
        received = [await ws.receive_json_from(timeout=5)]
        await database_sync_to_async(log_live_line)()
        received.append(await ws.receive_json_from(timeout=5))
        await ws.disconnect()
        return received

    replayed, live = _run(scenario)

    assert (replayed["type"], replayed["message"], replayed["seq"]) == ("log", "Job created.", 0)
    assert replayed["buffered"] is True
    assert replayed["timestamp"]
    assert (live["type"], live["message"], live["seq"]) == ("log", "Trial 0 done.", 1)
    assert "buffered" not in live


def test_the_server_pings_and_ignores_the_pong(
    job: ParameterTuningJob, user: Any, settings: Any
) -> None:
    settings.WEBSOCKET_PING_SECONDS = 0.2

    async def scenario() -> list[dict[str, Any]]:
        ws = _script(f"/ws/job/{job.pk}/status/?token={AccessToken.for_user(user)}")
        assert (await ws.connect())[0]
        received = [await ws.receive_json_from(timeout=5) for _ in range(2)]
        await ws.send_json_to({"type": "pong"})
        received.append(await ws.receive_json_from(timeout=5))
        await ws.disconnect()
        return received

    status, ping, next_ping = _run(scenario)

    assert status["type"] == "status_update"
    assert ping == {"type": "ping"}
    assert next_ping == {"type": "ping"}


def test_the_default_ping_is_every_sixty_seconds() -> None:
    assert django_settings.WEBSOCKET_PING_SECONDS == 60


@pytest.mark.parametrize("path", ["/ws/job/{pk}/status/", "/ws/job/{pk}/logs/", "/ws/job/{pk}/"])
def test_without_origin_a_cookie_is_not_enough(
    job: ParameterTuningJob, user: Any, path: str
) -> None:
    cookie = (b"cookie", f"recotem-access={AccessToken.for_user(user)}".encode())

    async def scenario() -> bool:
        ws = _script(path.format(pk=job.pk), headers=[cookie])
        connected, _ = await ws.connect()
        await ws.disconnect()
        return bool(connected)

    assert _run(scenario) is False


def test_a_script_with_a_bad_token_is_closed_with_4401(job: ParameterTuningJob) -> None:
    async def scenario() -> int:
        ws = _script(f"/ws/job/{job.pk}/status/?token=not-a-jwt")
        assert (await ws.connect())[0]
        closed = await ws.receive_output(timeout=5)
        await ws.disconnect()
        return int(closed["code"])

    assert _run(scenario) == 4401


def test_another_users_job_is_closed_with_4403(job: ParameterTuningJob, other_user: Any) -> None:
    async def scenario() -> int:
        ws = _script(f"/ws/job/{job.pk}/logs/?token={AccessToken.for_user(other_user)}")
        assert (await ws.connect())[0]
        closed = await ws.receive_output(timeout=5)
        await ws.disconnect()
        return int(closed["code"])

    assert _run(scenario) == 4403


def test_a_foreign_origin_is_still_refused_even_with_a_token(
    job: ParameterTuningJob, user: Any
) -> None:
    async def scenario() -> bool:
        ws = _script(
            f"/ws/job/{job.pk}/status/?token={AccessToken.for_user(user)}",
            headers=[(b"origin", b"https://evil.example")],
        )
        connected, _ = await ws.connect()
        await ws.disconnect()
        return bool(connected)

    assert _run(scenario) is False
