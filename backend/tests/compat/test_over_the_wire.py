"""The reference's client against a real server: Daphne serving the ASGI application
over a socket, with the test database and the same Redis, as in production."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from realtime.services import task_log_append
from tests.factories import ParameterTuningJobFactory, TrainingDataFactory
from tests.websocket_client import websocket

BACKEND = Path(__file__).resolve().parents[2]
HOST = "127.0.7.2"
STARTUP_SECONDS = 60
# The server's rows come from the test process: they must be committed to be seen.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _database_url() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"], settings["PORT"]
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock():
        database_url = _database_url()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": HOST,
        "WEBSOCKET_PING_SECONDS": "1",
        "PYTHONPATH": f"{BACKEND / 'recotem'}{os.pathsep}{BACKEND}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "recotem.asgi:application"],
        cwd=BACKEND / "recotem",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, process.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
            try:
                if httpx.get(f"{base_url}/api/ping/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "Daphne did not answer /api/ping/"
            time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_the_reference_paths_answer_over_http(server: str, user: Any) -> None:
    bearer = {"Authorization": f"Bearer {AccessToken.for_user(user)}"}

    me = httpx.get(f"{server}/api/auth/user/", headers=bearer)
    missing = httpx.get(f"{server}/api/trained_model/999999/", headers=bearer)
    verified = httpx.post(
        f"{server}/api/v1/auth/token/verify/", json={"token": str(AccessToken.for_user(user))}
    )

    assert me.status_code == 200
    assert me.json()["pk"] == user.pk
    assert missing.status_code == 404
    assert missing.json()["detail"] == missing.json()["error"]["message"]
    assert verified.status_code == 200


def test_a_script_without_origin_follows_a_job_on_the_reference_paths(
    server: str, user: Any, project: Any
) -> None:
    job = ParameterTuningJobFactory(data=TrainingDataFactory(project=project))
    task_log_append(project_id=project.pk, tuning_job_id=job.pk, message="Job created.")
    token = AccessToken.for_user(user)

    with websocket(server, f"/ws/job/{job.pk}/status/?token={token}") as status_socket:
        status_messages = status_socket.messages()
        status = next(status_messages)
        ping = next(status_messages)
    with websocket(server, f"/ws/job/{job.pk}/logs/?token={token}") as logs_socket:
        log = next(logs_socket.messages())

    assert status_socket.status == 101
    assert (status["type"], status["status"], status["seq"]) == ("status_update", "pending", 0)
    assert status["data"]["job_id"] == job.pk
    assert ping == {"type": "ping"}
    assert (log["type"], log["message"], log["seq"]) == ("log", "Job created.", 0)


def test_without_origin_the_cookie_alone_is_refused(server: str, user: Any, project: Any) -> None:
    job = ParameterTuningJobFactory(data=TrainingDataFactory(project=project))

    with websocket(
        server, f"/ws/job/{job.pk}/status/", cookie=f"recotem-access={AccessToken.for_user(user)}"
    ) as refused:
        pass

    assert refused.status == 403
