from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from realtime.services import task_log_append
from recotem.asgi import application
from tests.factories import (
    ParameterTuningJobFactory,
    ProjectFactory,
    TrainedModelFactory,
    TrainingDataFactory,
    issue_api_key,
)
from tuning.models import ParameterTuningJob

ORIGIN = (b"origin", b"http://testserver")
# The consumer's database calls (database_sync_to_async) close "old" connections, which
# ends the test transaction of a non-transactional test on PostgreSQL.
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def job(project: Any) -> ParameterTuningJob:
    job: ParameterTuningJob = ParameterTuningJobFactory(data=TrainingDataFactory(project=project))
    return job


def _run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return async_to_sync(scenario)()


async def _close_code(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> int:
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *(headers or [])])
    connected, _ = await communicator.connect()
    assert connected
    output = await communicator.receive_output(timeout=5)
    await communicator.disconnect()
    assert output["type"] == "websocket.close"
    return int(output["code"])


close_code = async_to_sync(_close_code)


def test_a_connection_without_a_valid_token_is_closed_with_4401(
    job: ParameterTuningJob, user: Any
) -> None:
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))

    assert close_code(f"/ws/job/{job.pk}/") == 4401
    assert close_code(f"/ws/job/{job.pk}/?token=not-a-jwt") == 4401
    assert close_code(f"/ws/job/{job.pk}/?token={expired}") == 4401


def test_a_deactivated_user_is_refused(job: ParameterTuningJob, user: Any) -> None:
    token = AccessToken.for_user(user)
    user.is_active = False
    user.save()

    assert close_code(f"/ws/job/{job.pk}/?token={token}") == 4401


def test_another_users_job_or_a_missing_one_is_closed_with_4403(
    job: ParameterTuningJob, other_user: Any
) -> None:
    token = AccessToken.for_user(other_user)

    assert close_code(f"/ws/job/{job.pk}/?token={token}") == 4403
    assert close_code(f"/ws/job/999999/?token={token}") == 4403
    model = TrainedModelFactory(project=job.data.project)
    assert close_code(f"/ws/model/{model.pk}/?token={token}") == 4403


def test_a_foreign_origin_is_refused_before_anything_else(
    job: ParameterTuningJob, user: Any
) -> None:
    async def scenario() -> bool:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/job/{job.pk}/?token={AccessToken.for_user(user)}",
            headers=[(b"origin", b"https://evil.example")],
        )
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert _run(scenario) is False


def test_history_is_replayed_then_the_status_then_new_lines(
    job: ParameterTuningJob, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project_id = job.data.project_id
    for line in ("Job created.", "Split ready."):
        task_log_append(project_id=project_id, tuning_job_id=job.pk, message=line)

    def log_live_line() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            task_log_append(project_id=project_id, tuning_job_id=job.pk, message="Trial 0 done.")

    async def scenario() -> list[dict[str, Any]]:
        communicator = WebsocketCommunicator(
            application, f"/ws/job/{job.pk}/?token={AccessToken.for_user(user)}", headers=[ORIGIN]
        )
        assert (await communicator.connect())[0]
        received = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        await database_sync_to_async(log_live_line)()
        received.append(await communicator.receive_json_from(timeout=5))
        await communicator.send_json_to({"type": "ping"})
        received.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return received

    history_1, history_2, status, live, pong = _run(scenario)

    assert (history_1["type"], history_1["message"]) == ("log", "Job created.")
    assert history_2["message"] == "Split ready."
    assert history_1["id"] < history_2["id"] < live["id"]
    assert status == {
        "type": "status",
        "job_id": job.pk,
        "status": "PENDING",
        "n_trials_finished": 0,
        "n_trials": job.n_trials,
        "best_score": None,
        "best_algorithm": None,
        "error_message": "",
        "tuned_model": None,
        "best_config": None,
        "last_trial": None,
    }
    assert (live["type"], live["message"]) == ("log", "Trial 0 done.")
    assert pong == {"type": "pong"}


def test_the_access_cookie_works_and_staff_see_every_job(
    job: ParameterTuningJob, staff_user: Any
) -> None:
    cookie = (b"cookie", f"other=1; recotem-access={AccessToken.for_user(staff_user)}".encode())

    async def scenario() -> dict[str, Any]:
        communicator = WebsocketCommunicator(
            application, f"/ws/job/{job.pk}/", headers=[ORIGIN, cookie]
        )
        assert (await communicator.connect())[0]
        status: dict[str, Any] = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return status

    assert _run(scenario)["job_id"] == job.pk


def test_the_connection_closes_when_the_token_expires(job: ParameterTuningJob, user: Any) -> None:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=1))

    async def scenario() -> int:
        communicator = WebsocketCommunicator(
            application, f"/ws/job/{job.pk}/?token={token}", headers=[ORIGIN]
        )
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from(timeout=5))["type"] == "status"
        closed = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        assert closed["type"] == "websocket.close"
        return int(closed["code"])

    assert _run(scenario) == 4401


def test_model_progress_is_watched_at_ws_model(user: Any) -> None:
    model = TrainedModelFactory(project=ProjectFactory(owner=user), version_tag="v3")
    task_log_append(
        project_id=model.configuration.project_id,
        trained_model_id=model.pk,
        message="Training v3 started.",
    )

    async def scenario() -> list[dict[str, Any]]:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/model/{model.pk}/?token={AccessToken.for_user(user)}",
            headers=[ORIGIN],
        )
        assert (await communicator.connect())[0]
        received = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
        await communicator.disconnect()
        return received

    log, status = _run(scenario)

    assert log["message"] == "Training v3 started."
    assert status == {
        "type": "status",
        "model_id": model.pk,
        "status": "COMPLETED",
        "error_message": "",
        "version_tag": "v3",
    }


def test_a_script_connects_once_with_a_ticket_instead_of_its_token(
    job: ParameterTuningJob, user: Any, other_user: Any
) -> None:
    token = AccessToken.for_user(user)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    issued = http.post("/api/v1/auth/ws-ticket/")
    ticket = issued.json()["ticket"]

    async def first_message(path: str) -> dict[str, Any]:
        # No Origin header: a script, not a browser.
        communicator = WebsocketCommunicator(application, path)
        assert (await communicator.connect())[0]
        message = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return message

    connected = _run(lambda: first_message(f"/ws/job/{job.pk}/?ticket={ticket}"))
    replayed = _run(lambda: first_message(f"/ws/job/{job.pk}/?ticket={ticket}"))
    forged = _run(lambda: first_message(f"/ws/job/{job.pk}/?ticket=made-up"))

    assert issued.status_code == 200
    assert issued.json()["expires_in"] == 30
    assert connected["type"] == "websocket.send"
    assert (replayed["type"], replayed["code"]) == ("websocket.close", 4401)
    assert (forged["type"], forged["code"]) == ("websocket.close", 4401)
    # A ticket carries its user's rights only.
    theirs = APIClient()
    theirs.force_authenticate(other_user)
    their_ticket = theirs.post("/api/v1/auth/ws-ticket/").json()["ticket"]
    assert close_code(f"/ws/job/{job.pk}/?ticket={their_ticket}") == 4403


def test_a_ticket_needs_a_signed_in_user_not_an_api_key(
    anon_client: APIClient, project: Any
) -> None:
    _, raw_key = issue_api_key(project=project, scopes=("read",))
    anon_client.credentials(HTTP_X_API_KEY=raw_key)

    assert APIClient().post("/api/v1/auth/ws-ticket/").status_code == 401
    assert anon_client.post("/api/v1/auth/ws-ticket/").status_code == 403
