"""compose.yaml, then compose-inference.yaml on the same volumes, driven as a client would
through the proxy: the web UI, a login, MovieLens 100K uploaded, tuned (progress over
/ws/), trained, deployed to a slot and served through /inference/. Everything created is
removed at the end: containers, volumes and the engine process (when started here).

The tests run in file order and share one stack; each step needs the ones before it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from containers.client import Client, wait_for
from containers.stack import (
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

HEALTHY_TIMEOUT_SECONDS = 300


@dataclass
class Check:
    """What the steps share: the running stack, the client and the figures."""

    env: dict[str, str]
    workdir: Path
    full: Stack
    env_file: Path
    client: Client

    @property
    def figures(self) -> dict[str, Any]:
        return self.client.figures


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Check]:
    workdir = tmp_path_factory.mktemp("compose-check")
    with engine() as env:
        values = generated_secrets()
        proxy = f"http://{address('proxy')}:8000"
        client = Client(proxy, "admin", values["DEFAULT_ADMIN_PASSWORD"])
        figures = client.figures
        figures["build_seconds"] = build_images(env, workdir)
        figures["image_mb"] = image_sizes(env)
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
            yield Check(env, workdir, full, env_file, client)
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
    check.client.check_web_ui()


def test_idle_memory_of_every_service(check: Check) -> None:
    """Measured before any job ran: each service as it waits for work."""
    time.sleep(10)
    memory = check.full.memory()
    check.figures["idle_memory_mib"] = memory
    log("idle memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(memory.items())))
    assert set(memory) >= {"db", "redis", "backend", "worker", "beat", "inference", "proxy"}


def test_login_upload_tune_and_serve_movielens(check: Check, tmp_path: Path) -> None:
    check.client.login_upload_tune_and_serve(tmp_path)
    processes = check.full.process_memory("inference")
    check.figures["inference_processes_mib_with_model"] = processes
    log("inference processes with the model loaded (MiB): " + repr(processes))


def test_the_admin_and_its_static_files(check: Check) -> None:
    check.client.check_admin()


def test_the_inference_only_stack_serves_the_same_model(check: Check) -> None:
    found = check.client.found
    assert "items" in found, "the full stack's steps did not get as far as a prediction"
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

    def served_body() -> Any:
        response = check.client.predict()
        return response.json() if response.status_code == 200 else None

    served = wait_for(served_body, 60, "the inference-only stack to serve the model")
    assert served["items"] == found["items"]
    proxy = check.client.proxy
    assert httpx.get(f"{proxy}/api/v1/ping/", timeout=30).status_code == 404
    assert httpx.get(f"{proxy}/", timeout=30).status_code == 404
