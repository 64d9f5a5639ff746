"""The chart's rendered pods boot a working platform: the evaluation profile (the chart's
own PostgreSQL and Redis) rendered, its Deployments, StatefulSet, hook Jobs and Services
run with Docker on loopback (see chart_pods.py), then the same client flow as the compose
check through the proxy Service, and `helm test`'s pod. Needs the images of `make images`
in the checks' engine; `make test-chart-pods` builds them first.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from containers.client import Client
from containers.stack import check_net, engine, log, run

from chart_pods import ChartPods, announce, chart_images, stand_in_for
from chart_render import Rendered, profile_values, render

pytestmark = [pytest.mark.pods, pytest.mark.timeout(1800)]
if os.geteuid() != 0:  # pragma: no cover - the engine mounts filesystems
    pytest.skip("the pod check starts a Docker engine and needs root", allow_module_level=True)

PROJECT = "recotem-pods"
# Pod addresses <RECOTEM_CHECK_NET>.60 and up, apart from the compose check's.
FIRST_POD = 60


@dataclass
class Release:
    pods: ChartPods
    client: Client
    ready_seconds: dict[str, float]


def _addresses() -> list[str]:
    return [f"{check_net()}.{FIRST_POD + n}" for n in range(40)]


def _render(overrides: dict[str, Any]) -> Rendered:
    values = profile_values("evaluation")
    for key, value in overrides.items():
        values[key] = {**values.get(key, {}), **value}
    return render(values)


@pytest.fixture(scope="module")
def release() -> Iterator[Release]:
    admin_password = secrets.token_urlsafe(24)
    with engine() as env:
        # Where the proxy Service will be: the addresses follow the rendered objects.
        proxy = ChartPods(_render({}), env, PROJECT, _addresses()).service_address("recotem-proxy")
        url = f"http://{proxy}:8000"
        rendered = _render(
            {
                "secrets": {
                    "secretKey": secrets.token_urlsafe(48),
                    "adminPassword": admin_password,
                },
                "postgresql": {"password": secrets.token_urlsafe(24)},
                "config": {"allowedHosts": [proxy], "csrfTrustedOrigins": [url]},
                "inference": {"rateLimit": "100000/minute"},
            },
        )
        images = {image: stand_in_for(image) for image in chart_images(rendered)}
        for image, local in images.items():
            present = run(["docker", "image", "inspect", local], env, check=False)
            assert present.returncode == 0, f"{local} is missing: run `make images` first"
            run(["docker", "tag", local, image], env)
        pods = ChartPods(rendered, env, PROJECT, _addresses())
        assert pods.service_address("recotem-proxy") == proxy
        announce(pods, images)
        pods.down()
        client = Client(url, "admin", admin_password)
        try:
            backend = next(image for image in images if "recotem-backend" in image)
            pods.prepare_volumes(backend)
            started = time.monotonic()
            ready = pods.up()
            client.figures["up_to_ready_seconds"] = time.monotonic() - started
            log("ready after: " + ", ".join(f"{name} {at:.0f}s" for name, at in ready.items()))
            yield Release(pods, client, ready)
        finally:
            pods.down()
            log("figures: " + json.dumps(client.figures, default=str))


def test_every_pod_is_ready_after_the_install_hooks(release: Release) -> None:
    hooks = [job["metadata"]["name"] for job in release.pods.install_hooks()]
    assert hooks == ["recotem-migrate", "recotem-bootstrap-admin"]
    workloads = {pod.name for pod in release.pods.workload_pods()}
    assert workloads >= {
        "recotem-backend",
        "recotem-worker",
        "recotem-beat",
        "recotem-inference",
        "recotem-proxy",
        "recotem-postgresql",
        "recotem-redis",
    }
    assert workloads <= release.ready_seconds.keys()


def test_helm_test_logs_in_through_the_proxy_service(release: Release) -> None:
    output = release.pods.complete(release.pods.pods["recotem-test"])
    assert "logged in through http://recotem-proxy" in output, output


def test_the_proxy_serves_the_web_ui_with_its_headers(release: Release) -> None:
    release.client.check_web_ui()


def test_idle_memory_of_every_pod(release: Release) -> None:
    time.sleep(10)
    memory = release.pods.memory()
    release.client.figures["idle_memory_mib"] = memory
    log("idle memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(memory.items())))


def test_login_upload_tune_and_serve_movielens(release: Release, tmp_path: Path) -> None:
    release.client.login_upload_tune_and_serve(tmp_path)


def test_the_admin_and_its_static_files(release: Release) -> None:
    release.client.check_admin()
