"""What the container checks do as a client of a running platform, through its proxy: the
web UI, a login, MovieLens 100K uploaded, tuned (progress over /ws/), trained, deployed to
a slot and served through /inference/. The compose check and the chart's pod check drive
the same steps."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
ML100K = REPO.parent / "shared" / "datasets" / "ml-100k" / "u.data"
VALIDATION_TIMEOUT_SECONDS = 120
TUNING_TIMEOUT_SECONDS = 300
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy")


@dataclass
class Client:
    """A client of the platform behind ``proxy``, and what it has created there."""

    proxy: str
    admin_username: str
    admin_password: str
    found: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def api(self) -> httpx.Client:
        client = httpx.Client(base_url=f"{self.proxy}/api/v1", timeout=60)
        if "access" in self.found:
            client.headers["Authorization"] = f"Bearer {self.found['access']}"
        return client

    def check_web_ui(self) -> None:
        """index.html and one hashed asset, with their caching and security headers."""
        started = time.monotonic()
        index = httpx.get(f"{self.proxy}/", timeout=30)
        self.figures["first_request_ms"] = (time.monotonic() - started) * 1000
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        assert index.headers["cache-control"] == "no-store"
        for header in SECURITY_HEADERS:
            assert header in index.headers, header
        script_src = index.headers["content-security-policy"].split("script-src")[1].split(";")[0]
        assert "'unsafe-inline'" not in script_src
        asset_path = re.search(r'(/assets/[^"\']+\.js)', index.text)
        assert asset_path, index.text[:500]
        asset = httpx.get(f"{self.proxy}{asset_path.group(1)}", headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "javascript" in asset.headers["content-type"]
        for header in SECURITY_HEADERS:
            assert header in asset.headers, header
        assert "server" not in asset.headers or "/" not in asset.headers["server"]

    def check_admin(self) -> None:
        """The Django admin's login page and its static files, served by the proxy."""
        admin = httpx.get(f"{self.proxy}/admin/login/", timeout=30)
        assert admin.status_code == 200
        assert "script-src 'self'" in admin.headers["content-security-policy"]
        css = httpx.get(f"{self.proxy}/static/admin/css/base.css", timeout=30)
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")

    def login_upload_tune_and_serve(self, workdir: Path) -> None:
        """Log in, upload MovieLens 100K, tune and train a model, deploy it to a slot,
        create a predict key and get recommendations through /inference/."""
        login = self.api().post(
            "/auth/login/",
            json={"username": self.admin_username, "password": self.admin_password},
        )
        assert login.status_code == 200, login.text
        self.found["access"] = login.json()["access"]
        client = self.api()

        project = client.post(
            "/project/",
            json={"name": "movielens", "user_column": "user_id", "item_column": "item_id"},
        )
        assert project.status_code == 201, project.text
        project_id = project.json()["id"]
        csv = workdir / "ml100k.csv"
        csv.write_text("user_id,item_id,rating,timestamp\n" + ML100K.read_text().replace("\t", ","))
        with csv.open("rb") as upload:
            data = client.post(
                "/training_data/",
                data={"project": str(project_id)},
                files={"file": ("ml100k.csv", upload, "text/csv")},
            )
        assert data.status_code == 201, data.text
        data_id = data.json()["id"]
        validated = wait_for(
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
            _watch(f"{self.proxy}/ws/job/{job_id}/?token={self.found['access']}", self.proxy)
        )
        statuses = [m for m in messages if m["type"] == "status"]
        assert statuses, messages
        assert statuses[-1]["status"] == "COMPLETED", messages[-5:]
        assert {m["n_trials_finished"] for m in statuses} >= {1, 2, 3}
        assert any(m["type"] == "log" for m in messages)
        model_id = statuses[-1]["tuned_model"]
        model = wait_for(
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
        self.found.update(project_id=project_id, model_id=model_id, key=key.json()["key"])
        started = time.monotonic()
        served = self.predict()
        self.figures["first_predict_ms"] = (time.monotonic() - started) * 1000
        assert served.status_code == 200, served.text
        assert len(served.json()["items"]) == 5
        for header in SECURITY_HEADERS:
            assert header in served.headers, header
        self.found["items"] = served.json()["items"]

    def predict(self) -> httpx.Response:
        return httpx.post(
            f"{self.proxy}/inference/predict/project/{self.found['project_id']}",
            json={"user_id": "1", "cutoff": 5},
            headers={"X-API-Key": self.found["key"]},
            timeout=60,
        )


def _reached(response: httpx.Response, field_name: str, done: str, failed: str) -> Any:
    """The body once its ``field_name`` is ``done``; None before; a failure fails the test."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body[field_name] != failed, body
    return body if body[field_name] == done else None


def wait_for(read: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value is not None:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


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
