from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files import File
from django.db import connection
from rest_framework.test import APIClient

from projects.models import Project, TrainingData
from recotem.celery import app as celery_app
from recotem_common.events import CHANNEL, ModelEvent, decode_event
from recotem_common.paths import sqlite_path
from tests.factories import ProjectFactory, TrainingDataFactory, UserFactory

ML100K_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "ml-100k"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Without DATABASE_URL the test database is a SQLite file, as in production, not
    Django's in-memory default: parallel writers (tuning workers, a Celery worker
    process) then wait for the lock as they do in production instead of failing at once,
    so the embedded default runs every test that PostgreSQL runs."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        data_dir = tmp_path_factory.mktemp("data")
        database.setdefault("TEST", {})["NAME"] = str(sqlite_path(data_dir))


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        "tests.hashers.FastPBKDF2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture
def ml100k_dir() -> Path:
    assert ML100K_DIR.is_dir(), f"MovieLens 100K is expected at {ML100K_DIR}"
    return ML100K_DIR


@pytest.fixture
def ml100k_csv(ml100k_dir: Path, tmp_path: Path) -> Path:
    """u.data as a CSV with a header, the way a user would upload it."""
    target = tmp_path / "ml100k.csv"
    with (ml100k_dir / "u.data").open() as source, target.open("w") as out:
        out.write("user_id,item_id,rating,timestamp\n")
        for line in source:
            out.write(line.rstrip("\n").replace("\t", ",") + "\n")
    return target


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
def user(db: None) -> Any:
    return UserFactory()


@pytest.fixture
def other_user(db: None) -> Any:
    return UserFactory()


@pytest.fixture
def staff_user(db: None) -> Any:
    return UserFactory(is_staff=True)


@pytest.fixture
def client(user: Any) -> APIClient:
    """An API client authenticated as ``user`` (Bearer-equivalent)."""
    api_client = APIClient()
    api_client.force_authenticate(user=user)
    return api_client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def project(user: Any) -> Any:
    return ProjectFactory(owner=user)


@pytest.fixture
def model_events() -> Iterator[Callable[..., list[ModelEvent | None]]]:
    """Subscribe to the model-event channel (Redis db3) now; the returned function
    collects what was published, read as the inference service reads it, waiting up
    to ``timeout`` seconds for the first one."""
    connection = redis.Redis.from_url(django_settings.MODEL_EVENTS_REDIS_URL)
    pubsub = connection.pubsub()
    pubsub.subscribe(CHANNEL)
    # Wait for the confirmation so nothing published afterwards can be missed.
    confirmation = pubsub.get_message(timeout=5)
    assert confirmation is not None
    assert confirmation["type"] == "subscribe"

    def received(timeout: float = 2.0) -> list[ModelEvent | None]:
        events: list[ModelEvent | None] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.2)
            if message and message["type"] == "message":
                events.append(decode_event(message["data"]))
            elif events:
                break
        return events

    yield received
    pubsub.close()
    connection.close()


@dataclass(frozen=True)
class SentTask:
    name: str
    args: tuple[Any, ...]
    options: dict[str, Any]


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[SentTask]:
    """What the code queues, recorded in order instead of reaching the broker."""
    sent: list[SentTask] = []

    def send_task(name: str, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        sent.append(SentTask(str(name), tuple(args or ()), options))
        return AsyncResult(options.get("task_id") or str(uuid.uuid4()), app=celery_app)

    monkeypatch.setattr(celery_app, "send_task", send_task)
    return sent


@pytest.fixture
def broker_unreachable() -> Iterator[str]:
    """The broker URL points at a loopback port nothing listens on, so queueing fails
    the way it does when the broker is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.6.1", 0))
        port = probe.getsockname()[1]
    url = f"redis://127.0.6.1:{port}/0"
    conf = celery_app.conf
    saved = {key: conf.get(key) for key in ("broker_url", "task_publish_retry")}

    def reconnect(**values: Any) -> None:
        conf.update(values)
        # The connection and producer pools hold connections to the previous broker.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    reconnect(broker_url=url, task_publish_retry=False)
    yield url
    reconnect(**saved)


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt to queue a task fails as it does when the broker is unreachable."""

    def send_task(*args: Any, **kwargs: Any) -> Any:
        raise OSError("broker down")

    monkeypatch.setattr(celery_app, "send_task", send_task)


APPS_DIR = Path(__file__).resolve().parents[1] / "recotem"
WORKER_START_TIMEOUT = 60


@pytest.fixture
def worker_env(settings: Any) -> dict[str, str]:
    """Environment for a worker process that shares this test's database and media."""
    env = {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "DJANGO_SETTINGS_MODULE": "recotem.settings"}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        # The test database is the embedded default's file, in a data directory of its own.
        env["RECOTEM_DATA_DIR"] = str(Path(db["NAME"]).parent)
    return env


@pytest.fixture
def celery_worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Path]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(worker_env)
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "recotem",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "3",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=APPS_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not celery_app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        yield log_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
