"""``make run`` on a bare machine: the whole platform comes up and serves a real client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
ADMIN_PASSWORD = "e2e-admin-password-7f3c9a"
STARTUP_TIMEOUT_SECONDS = 120
VALIDATION_TIMEOUT_SECONDS = 90

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform started exactly as a newcomer would, with embedded defaults."""
    data_dir = tmp_path_factory.mktemp("platform-data")
    backend_port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith("PYTEST")
    }
    env.update(
        RECOTEM_DATA_DIR=str(data_dir),
        DEFAULT_ADMIN_PASSWORD=ADMIN_PASSWORD,
        BACKEND_PORT=str(backend_port),
        INFERENCE_PORT=str(_free_port()),
    )
    log_path = data_dir / "platform.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{backend_port}/api/v1"

    def ping() -> bool:
        if process.poll() is not None:
            pytest.fail(f"make run exited early:\n{log_path.read_text()[-4000:]}")
        try:
            return httpx.get(f"{base_url}/ping/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_until(ping, STARTUP_TIMEOUT_SECONDS, "the backend to answer /ping/")
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_newcomer_uploads_movielens_and_uses_an_api_key(
    platform: str, ml100k_csv: Path
) -> None:
    client = httpx.Client(base_url=platform, timeout=30)
    login = client.post("/auth/login/", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access']}"}

    project = client.post(
        "/project/",
        json={
            "name": "movielens",
            "user_column": "user_id",
            "item_column": "item_id",
            "time_column": "timestamp",
        },
        headers=headers,
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]

    with ml100k_csv.open("rb") as upload:
        created = client.post(
            "/training_data/",
            data={"project": str(project_id)},
            files={"file": ("ml100k.csv", upload, "text/csv")},
            headers=headers,
        )
    assert created.status_code == 201, created.text
    data_id = created.json()["id"]

    def validated() -> dict | None:  # type: ignore[type-arg]
        body = client.get(f"/training_data/{data_id}/", headers=headers).json()
        return body if body["validation_status"] in {"VALID", "INVALID"} else None

    data = _wait_until(validated, VALIDATION_TIMEOUT_SECONDS, "the worker to validate the upload")
    assert data["validation_status"] == "VALID", data
    assert (data["n_rows"], data["n_users"], data["n_items"]) == (100_000, 943, 1_682)

    key = client.post(
        "/api_keys/",
        json={"name": "e2e", "project": project_id, "scopes": ["read"]},
        headers=headers,
    )
    assert key.status_code == 201, key.text
    key_headers = {"X-API-Key": key.json()["key"]}
    listed = client.get("/project/", headers=key_headers)
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["results"]] == [project_id]
    refused = client.post(
        "/project/",
        json={"name": "nope", "user_column": "u", "item_column": "i"},
        headers=key_headers,
    )
    assert refused.status_code == 403
