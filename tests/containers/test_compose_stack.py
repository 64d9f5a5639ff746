"""compose.yaml, then compose-inference.yaml on the same volumes, driven as a client would
through the proxy: the web UI, a login, MovieLens 100K uploaded, tuned (progress over
/ws/), trained, deployed to a slot and served through /inference/. Everything created is
removed at the end: containers, volumes and the engine process (when started here).

The tests run in file order and share one stack; each step needs the ones before it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx
import pytest

from containers.stack import (
    REPO,
    Stack,
    address,
    build_images,
    engine,
    generated_secrets,
    image_sizes,
    log,
    write_env_file,
)

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]
if os.geteuid() != 0:  # pragma: no cover - the engine mounts filesystems
    pytest.skip("the container checks start a Docker engine and need root", allow_module_level=True)

T = TypeVar("T")

ML100K = REPO.parent / "shared" / "datasets" / "ml-100k" / "u.data"
HEALTHY_TIMEOUT_SECONDS = 300
VALIDATION_TIMEOUT_SECONDS = 120
TUNING_TIMEOUT_SECONDS = 300
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy")


@dataclass
class Check:
    """What the steps share: the running stack, the client's state, the figures."""

    env: dict[str, str]
    workdir: Path
    secrets: dict[str, str]
    full: Stack
    env_file: Path
    proxy: str
    figures: dict[str, Any] = field(default_factory=dict)
    found: dict[str, Any] = field(default_factory=dict)

    def api(self) -> httpx.Client:
        client = httpx.Client(base_url=f"{self.proxy}/api/v1", timeout=60)
        if "access" in self.found:
            client.headers["Authorization"] = f"Bearer {self.found['access']}"
        return client


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Check]:
    workdir = tmp_path_factory.mktemp("compose-check")
    with engine() as env:
        figures: dict[str, Any] = {"build_seconds": build_images(env, workdir)}
        figures["image_mb"] = image_sizes(env)
        values = generated_secrets()
        proxy = f"http://{address('proxy')}:8000"
        env_file = write_env_file(
            workdir,
            {
                **values,
                # A plain-http check: cookies without the Secure flag, this origin trusted.
                "SECURE_COOKIES": "false",
                "ALLOWED_HOSTS": address("proxy"),
                "CSRF_TRUSTED_ORIGINS": proxy,
                "INFERENCE_RATE_LIMIT": "100000/minute",
            },
        )
        # As an operator runs it: one env file for compose's variables and the containers'.
        env.update(RECOTEM_ENV_FILE=str(env_file), RECOTEM_STACK="recotem-check")
        full = Stack("compose.yaml", "recotem-check", env, workdir, env_file)
        inference_only = Stack(
            "compose-inference.yaml", "recotem-check-inference", env, workdir, env_file
        )
        # An interrupted earlier run can leave containers that restart with the engine and
        # volumes initialised with other secrets.
        inference_only.down()
        full.down()
        try:
            started = time.monotonic()
            full.up()
            full.wait_healthy(HEALTHY_TIMEOUT_SECONDS)
            figures["up_to_healthy_seconds"] = time.monotonic() - started
            seconds = figures["up_to_healthy_seconds"]
            log(f"compose.yaml: every service healthy {seconds:.0f}s after up")
            yield Check(env, workdir, values, full, env_file, proxy, figures)
        finally:
            inference_only.down()
            full.down()
            log("figures: " + json.dumps(figures, default=str))


def test_every_service_is_healthy_and_setup_ran_once(check: Check) -> None:
    states = check.full.states()
    assert set(states) == {
        "db",
        "redis",
        "setup",
        "backend",
        "worker",
        "beat",
        "inference",
        "proxy",
    }
    assert states["setup"]["State"] == "exited"
    assert states["setup"]["ExitCode"] == 0
    assert {row["Health"] for name, row in states.items() if name != "setup"} == {"healthy"}
    setup_log = check.full.logs("setup")
    assert "Created superuser 'admin'" in setup_log, setup_log


def test_the_proxy_serves_the_web_ui_with_its_headers(check: Check) -> None:
    started = time.monotonic()
    index = httpx.get(f"{check.proxy}/", timeout=30)
    check.figures["first_request_ms"] = (time.monotonic() - started) * 1000
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert index.headers["cache-control"] == "no-store"
    for header in SECURITY_HEADERS:
        assert header in index.headers, header
    script_src = index.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in script_src
    asset_path = re.search(r'(/assets/[^"\']+\.js)', index.text)
    assert asset_path, index.text[:500]
    asset = httpx.get(f"{check.proxy}{asset_path.group(1)}", headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset.headers["content-type"]
    for header in SECURITY_HEADERS:
        assert header in asset.headers, header
    assert "server" not in asset.headers or "/" not in asset.headers["server"]


def test_idle_memory_of_every_service(check: Check) -> None:
    """Measured before any job ran: each service as it waits for work."""
    time.sleep(10)
    memory = check.full.memory()
    check.figures["idle_memory_mib"] = memory
    log("idle memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(memory.items())))
    assert set(memory) >= {"db", "redis", "backend", "worker", "beat", "inference", "proxy"}


def test_login_upload_tune_and_serve_movielens(check: Check, tmp_path: Path) -> None:
    login = check.api().post(
        "/auth/login/",
        json={"username": "admin", "password": check.secrets["DEFAULT_ADMIN_PASSWORD"]},
    )
    assert login.status_code == 200, login.text
    check.found["access"] = login.json()["access"]
    client = check.api()

    project = client.post(
        "/project/", json={"name": "movielens", "user_column": "user_id", "item_column": "item_id"}
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    csv = tmp_path / "ml100k.csv"
    csv.write_text("user_id,item_id,rating,timestamp\n" + ML100K.read_text().replace("\t", ","))
    with csv.open("rb") as upload:
        data = client.post(
            "/training_data/",
            data={"project": str(project_id)},
            files={"file": ("ml100k.csv", upload, "text/csv")},
        )
    assert data.status_code == 201, data.text
    data_id = data.json()["id"]
    validated = _wait_for(
        lambda: _reached(
            client.get(f"/training_data/{data_id}/"), "validation_status", "VALID", "INVALID"
        ),
        VALIDATION_TIMEOUT_SECONDS,
        "the upload to be validated",
    )
    assert (validated["n_rows"], validated["n_users"], validated["n_items"]) == (
        100_000,
        943,
        1_682,
    )

    split = client.post("/split_config/", json={"heldout_ratio": 0.2, "test_user_ratio": 0.3})
    evaluation = client.post("/evaluation_config/", json={"cutoff": 10})
    job = client.post(
        "/parameter_tuning_job/",
        json={
            "data": data_id,
            "split": split.json()["id"],
            "evaluation": evaluation.json()["id"],
            "n_tasks_parallel": 1,
            "n_trials": 3,
            "tried_algorithms_json": ["TopPop", "RP3beta"],
            "timeout_singlestep": 60,
            "timeout_overall": TUNING_TIMEOUT_SECONDS,
            "random_seed": 7,
        },
    )
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    messages = asyncio.run(
        _watch(f"{check.proxy}/ws/job/{job_id}/?token={check.found['access']}", check.proxy)
    )
    statuses = [m for m in messages if m["type"] == "status"]
    assert statuses, messages
    assert statuses[-1]["status"] == "COMPLETED", messages[-5:]
    assert {m["n_trials_finished"] for m in statuses} >= {1, 2, 3}
    assert any(m["type"] == "log" for m in messages)
    model_id = statuses[-1]["tuned_model"]
    model = _wait_for(
        lambda: _reached(
            client.get(f"/trained_model/{model_id}/"), "status", "COMPLETED", "FAILED"
        ),
        TUNING_TIMEOUT_SECONDS,
        "the tuned model to be trained",
    )
    assert model["id"] == model_id

    slot = client.post(
        "/deployment_slot/",
        json={"project": project_id, "name": "production", "trained_model": model_id},
    )
    assert slot.status_code == 201, slot.text
    key = client.post(
        "/api_keys/", json={"name": "site", "project": project_id, "scopes": ["predict"]}
    )
    assert key.status_code == 201, key.text
    check.found.update(project_id=project_id, model_id=model_id, key=key.json()["key"])
    started = time.monotonic()
    served = _predict(check)
    check.figures["first_predict_ms"] = (time.monotonic() - started) * 1000
    assert served.status_code == 200, served.text
    assert len(served.json()["items"]) == 5
    for header in SECURITY_HEADERS:
        assert header in served.headers, header
    check.found["items"] = served.json()["items"]
    processes = check.full.process_memory("inference")
    check.figures["inference_processes_mib_with_model"] = processes
    log("inference processes with the model loaded (MiB): " + repr(processes))


def test_the_admin_and_its_static_files(check: Check) -> None:
    admin = httpx.get(f"{check.proxy}/admin/login/", timeout=30)
    assert admin.status_code == 200
    assert "script-src 'self'" in admin.headers["content-security-policy"]
    css = httpx.get(f"{check.proxy}/static/admin/css/base.css", timeout=30)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_the_inference_only_stack_serves_the_same_model(check: Check) -> None:
    assert "items" in check.found, "the full stack's steps did not get as far as a prediction"
    check.full.compose("stop", "--timeout", "20")
    inference_only = Stack(
        "compose-inference.yaml",
        "recotem-check-inference",
        check.env,
        check.workdir,
        check.env_file,
    )
    inference_only.up()
    seconds = inference_only.wait_healthy(HEALTHY_TIMEOUT_SECONDS)
    check.figures["inference_only_up_to_healthy_seconds"] = seconds
    served = _wait_for(
        lambda: response.json() if (response := _predict(check)).status_code == 200 else None,
        60,
        "the inference-only stack to serve the model",
    )
    assert served["items"] == check.found["items"]
    assert httpx.get(f"{check.proxy}/api/v1/ping/", timeout=30).status_code == 404
    assert httpx.get(f"{check.proxy}/", timeout=30).status_code == 404


def _predict(check: Check) -> httpx.Response:
    return httpx.post(
        f"{check.proxy}/inference/predict/project/{check.found['project_id']}",
        json={"user_id": "1", "cutoff": 5},
        headers={"X-API-Key": check.found["key"]},
        timeout=60,
    )


def _reached(response: httpx.Response, field_name: str, done: str, failed: str) -> Any:
    """The body once its ``field_name`` is ``done``; None before; a failure fails the test."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body[field_name] != failed, body
    return body if body[field_name] == done else None


def _wait_for(read: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value is not None:
            return value
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


async def _watch(url: str, origin: str) -> list[dict[str, Any]]:
    """Every message the job's WebSocket sends until the job ends, through the proxy."""
    messages: list[dict[str, Any]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            url.replace("http://", "ws://"),
            origin=origin,
            timeout=aiohttp.ClientWSTimeout(ws_close=10),
        ) as socket,
    ):
        deadline = time.monotonic() + TUNING_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            message = await socket.receive_json(timeout=deadline - time.monotonic())
            messages.append(message)
            if message["type"] == "status" and message["status"] in {"COMPLETED", "FAILED"}:
                break
    return messages
