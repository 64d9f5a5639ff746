"""``make run`` on a bare machine: the whole platform comes up and serves a real client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.websocket_client import websocket

REPO = Path(__file__).resolve().parents[3]
ADMIN_PASSWORD = "e2e-admin-password-7f3c9a"
# Small enough to cross in a test, large enough for MovieLens 100K (2 MB).
UPLOAD_LIMIT = 4 * 1024 * 1024
# Every role imports its stack at once; on a busy 2-core machine that takes minutes.
STARTUP_TIMEOUT_SECONDS = 300
VALIDATION_TIMEOUT_SECONDS = 90
TRAINING_TIMEOUT_SECONDS = 120
# A one-minute cron fires within 60 s; beat notices a new schedule within its 5 s tick.
SCHEDULE_TIMEOUT_SECONDS = 180

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


@dataclass(frozen=True)
class Platform:
    api: str
    inference: str
    proxy: str
    data_dir: Path


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform started exactly as a newcomer would, with embedded defaults."""
    data_dir = tmp_path_factory.mktemp("platform-data")
    backend_port, inference_port, proxy_port = _free_port(), _free_port(), _free_port()
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
        INFERENCE_PORT=str(inference_port),
        PROXY_PORT=str(proxy_port),
        INFERENCE_RATE_LIMIT="100000/minute",
        MAX_UPLOAD_SIZE=str(UPLOAD_LIMIT),
        # The scheduled-run test fires every minute to finish in time.
        RETRAINING_MIN_INTERVAL_MINUTES="1",
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
    proxy_url = f"http://127.0.0.1:{proxy_port}"

    def ping() -> bool:
        if process.poll() is not None:
            pytest.fail(f"make run exited early:\n{log_path.read_text()[-4000:]}")
        try:
            return all(
                httpx.get(f"{url}/ping/", timeout=2).status_code == 200
                for url in (base_url, f"{proxy_url}/api/v1")
            )
        except httpx.HTTPError:
            return False

    try:
        _wait_until(ping, STARTUP_TIMEOUT_SECONDS, "/ping/ to answer directly and through nginx")
        yield Platform(
            api=base_url,
            inference=f"http://127.0.0.1:{inference_port}",
            proxy=proxy_url,
            data_dir=data_dir,
        )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_newcomer_uploads_movielens_and_uses_an_api_key(
    platform: Platform, ml100k_csv: Path
) -> None:
    """Everything through the one address a newcomer is shown: nginx on :8000."""
    through_proxy = f"{platform.proxy}/api/v1"
    client = _login(through_proxy)
    project_id, data_id = _validated_project(client, ml100k_csv, "movielens")
    data = client.get(f"/training_data/{data_id}/").json()
    assert (data["n_rows"], data["n_users"], data["n_items"]) == (100_000, 943, 1_682)

    key = client.post(
        "/api_keys/",
        json={"name": "e2e", "project": project_id, "scopes": ["read"]},
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


def _login(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    login = client.post("/auth/login/", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["Authorization"] = f"Bearer {login.json()['access']}"
    return client


def _validated_project(client: httpx.Client, csv_path: Path, name: str) -> tuple[int, int]:
    project = client.post(
        "/project/", json={"name": name, "user_column": "user_id", "item_column": "item_id"}
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    with csv_path.open("rb") as upload:
        data = client.post(
            "/training_data/",
            data={"project": str(project_id)},
            files={"file": ("ml100k.csv", upload, "text/csv")},
        )
    assert data.status_code == 201, data.text

    def valid() -> bool:
        status = client.get(f"/training_data/{data.json()['id']}/").json()["validation_status"]
        assert status != "INVALID"
        return status == "VALID"

    _wait_until(valid, VALIDATION_TIMEOUT_SECONDS, "the upload to be validated")
    return project_id, data.json()["id"]


def _trained_model(client: httpx.Client, project_id: int, data_id: int) -> tuple[int, int]:
    configuration = client.post(
        "/model_configuration/",
        json={
            "project": project_id,
            "name": "popular",
            "recommender_class_name": "TopPopRecommender",
            "parameters_json": {},
        },
    )
    assert configuration.status_code == 201, configuration.text
    model = client.post(
        "/trained_model/",
        json={"configuration": configuration.json()["id"], "data_loc": data_id},
    )
    assert model.status_code == 201, model.text

    def completed() -> bool:
        status = client.get(f"/trained_model/{model.json()['id']}/").json()["status"]
        assert status != "FAILED"
        return status == "COMPLETED"

    _wait_until(completed, TRAINING_TIMEOUT_SECONDS, "the model to be trained")
    return configuration.json()["id"], model.json()["id"]


def test_beat_fires_a_schedule_that_retrains_and_deploys(
    platform: Platform, ml100k_csv: Path
) -> None:
    client = _login(platform.api)
    project_id, data_id = _validated_project(client, ml100k_csv, "scheduled")
    configuration_id, model_id = _trained_model(client, project_id, data_id)
    slot = client.post(
        "/deployment_slot/",
        json={"project": project_id, "name": "production", "trained_model": model_id},
    )
    assert slot.status_code == 201, slot.text
    schedule = client.post(
        "/retraining_schedule/",
        json={
            "project": project_id,
            "is_enabled": True,
            "cron_expression": "* * * * *",
            "model_configuration": configuration_id,
            "auto_deploy": True,
            "deploy_slot": slot.json()["id"],
        },
    )
    assert schedule.status_code == 201, schedule.text

    def completed_run() -> dict | None:  # type: ignore[type-arg]
        runs = client.get("/retraining_run/", params={"schedule": schedule.json()["id"]}).json()
        for run in runs["results"]:
            assert run["status"] != "FAILED", run
            if run["status"] == "COMPLETED":
                return run
        return None

    run = _wait_until(completed_run, SCHEDULE_TIMEOUT_SECONDS, "beat to fire and the run to end")
    assert run["trigger"] == "SCHEDULED"
    assert run["trained_model"] not in (None, model_id)
    deployed = client.get(f"/deployment_slot/{slot.json()['id']}/").json()
    assert deployed["trained_model"] == run["trained_model"]


def test_ab_test_through_the_inference_service(platform: Platform, ml100k_csv: Path) -> None:
    """Predict through slots, let the service record impressions, report conversions with
    the returned request ids, and find the planted difference."""
    client = _login(platform.api)
    project_id, data_id = _validated_project(client, ml100k_csv, "ab")
    _, model_id = _trained_model(client, project_id, data_id)
    slots = [
        client.post(
            "/deployment_slot/",
            json={"project": project_id, "name": name, "trained_model": model_id, "weight": 50},
        ).json()
        for name in ("control", "variant")
    ]
    test = client.post(
        "/ab_test/",
        json={
            "project": project_id,
            "name": "planted",
            "control_slot": slots[0]["id"],
            "variant_slot": slots[1]["id"],
            "min_sample_size": 100,
        },
    ).json()
    assert client.post(f"/ab_test/{test['id']}/start/").status_code == 200
    key = client.post(
        "/api_keys/", json={"name": "site", "project": project_id, "scopes": ["predict"]}
    ).json()["key"]
    inference = httpx.Client(base_url=platform.inference, timeout=30, headers={"X-API-Key": key})

    conversions = []
    served = {slots[0]["id"]: 0, slots[1]["id"]: 0}
    for user in range(1, 801):
        response = inference.post(
            f"/predict/project/{project_id}", json={"user_id": str(user), "cutoff": 5}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) == 5
        served[body["slot_id"]] += 1
        rate = 0.35 if body["slot_id"] == slots[1]["id"] else 0.10
        if (user * 7919) % 100 < rate * 100:
            conversions.append(
                {"recommendation_request_id": body["request_id"], "event_type": "click"}
            )
    assert min(served.values()) > 300, served
    sticky = {
        inference.post(f"/predict/project/{project_id}", json={"user_id": "1", "cutoff": 5}).json()[
            "slot_id"
        ]
        for _ in range(5)
    }
    assert len(sticky) == 1

    def impressions_recorded() -> dict | None:  # type: ignore[type-arg]
        body = client.get(f"/ab_test/{test['id']}/results/").json()
        total = body["control_impressions"] + body["variant_impressions"]
        return body if total >= 805 else None

    _wait_until(impressions_recorded, 30, "the inference service to write impressions")
    reported = httpx.post(
        f"{platform.api}/conversion_event/", json=conversions, headers={"X-API-Key": key}
    )
    assert reported.status_code == 201, reported.text

    assert client.post(f"/ab_test/{test['id']}/stop/").status_code == 200
    results = client.get(f"/ab_test/{test['id']}/results/").json()
    assert results["variant_conversions"] <= results["variant_impressions"]
    assert results["significant"] is True, results
    assert results["sequential_significant"] is True, results
    assert results["lift"] > 1.0
    promoted = client.post(f"/ab_test/{test['id']}/promote_winner/")
    assert promoted.json()["winner_slot"] == slots[1]["id"]


def _websocket_messages(base_url: str, path: str) -> Iterator[dict]:  # type: ignore[type-arg]
    with websocket(base_url, path, origin=base_url) as opened:
        yield from opened.messages()


def test_the_proxy_serves_websockets_inference_the_admin_and_the_upload_limit(
    platform: Platform, ml100k_csv: Path
) -> None:
    through_proxy = f"{platform.proxy}/api/v1"
    client = _login(through_proxy)
    project_id, data_id = _validated_project(client, ml100k_csv, "proxied")
    _, model_id = _trained_model(client, project_id, data_id)

    token = client.headers["Authorization"].removeprefix("Bearer ")
    status = next(
        message
        for message in _websocket_messages(platform.proxy, f"/ws/model/{model_id}/?token={token}")
        if message["type"] == "status"
    )
    assert (status["model_id"], status["status"]) == (model_id, "COMPLETED")

    def websocket_logged() -> str | None:
        # nginx writes the line once the connection has closed.
        log = (platform.data_dir / "nginx" / "access.log").read_text()
        return log if f"/ws/model/{model_id}/" in log else None

    assert token not in _wait_until(websocket_logged, 10, "nginx to log the WebSocket")

    slot = client.post(
        "/deployment_slot/",
        json={"project": project_id, "name": "production", "trained_model": model_id},
    )
    assert slot.status_code == 201, slot.text
    key = client.post(
        "/api_keys/", json={"name": "site", "project": project_id, "scopes": ["predict"]}
    ).json()["key"]
    served = httpx.post(
        f"{platform.proxy}/inference/predict/project/{project_id}",
        json={"user_id": "1", "cutoff": 5},
        headers={"X-API-Key": key},
        timeout=30,
    )
    assert served.status_code == 200, served.text
    assert len(served.json()["items"]) == 5
    assert served.headers["x-frame-options"] == "DENY"

    css = httpx.get(f"{platform.proxy}/static/admin/css/base.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    admin = httpx.get(f"{platform.proxy}/admin/login/")
    assert admin.status_code == 200
    assert "script-src 'self'" in admin.headers["content-security-policy"]

    # Just over the backend's limit, the backend's own message; far over it, the proxy's.
    for size, wording in (
        (UPLOAD_LIMIT + 256 * 1024, "upload limit of 4 MB"),
        (UPLOAD_LIMIT + 2 * 1024 * 1024, "larger than this server accepts"),
    ):
        refused = client.post(
            "/training_data/",
            data={"project": str(project_id)},
            files={"file": ("big.csv", b"1,2\n" * (size // 4), "text/csv")},
        )
        assert refused.status_code == 413, refused.text
        assert refused.json()["error"]["code"] == "payload_too_large"
        assert wording in refused.json()["error"]["message"]


def test_a_browser_session_writes_through_the_proxy_with_its_cookies(platform: Platform) -> None:
    """The SPA's way: httpOnly cookies plus the CSRF token, same origin through nginx."""
    browser = httpx.Client(base_url=f"{platform.proxy}/api/v1", timeout=30)
    csrf = browser.get("/auth/csrf/").json()["csrf_token"]
    login = browser.post("/auth/login/", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    created = browser.post(
        "/project/",
        json={"name": "from-the-browser", "user_column": "u", "item_column": "i"},
        headers={"X-CSRFToken": csrf, "Origin": platform.proxy, "Referer": f"{platform.proxy}/"},
    )
    assert created.status_code == 201, created.text
