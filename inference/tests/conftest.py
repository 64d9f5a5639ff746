"""Shared fixtures: a database migrated by the backend itself, real artifacts trained on
MovieLens 100K, and the app served by Starlette's TestClient (lifespan included).

``DATABASE_URL`` (PostgreSQL) runs the suite against a fresh ``test_<name>`` database
on that server; without it a SQLite file in a temporary data directory is used.
Redis comes from ``recotem_common.pytest_plugin`` (a private server unless
``REDIS_URL`` is set).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# irspack reads this when its threaded code is first used; the machine is shared.
os.environ.setdefault("IRSPACK_NUM_THREADS_DEFAULT", "1")

import psycopg
import pytest
import redis
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from inference.config import Settings, sqlalchemy_url
from inference.main import create_app
from inference.runtime import Runtime
from recotem_common.artifact import ModelArtifact
from recotem_common.events import CHANNEL, ModelEvent, encode_event
from testbed.seeder import Seeder
from testbed.world import (
    SetupFailed,
    migrate_backend_schema,
    ml100k_interactions,
    write_ml100k_models,
)

SECRET_KEY = "test-only-inference-3c9e1a7f5b2d4e6a8c0f1b3d5e7a9c2b"


@dataclass(frozen=True)
class MigratedDatabase:
    django_url: str
    data_dir: Path
    engine: Engine


def _test_database(base_url: str) -> tuple[str, str]:
    """The URL of a ``test_<name>`` database beside ``base_url``, and its name."""
    parts = urlsplit(base_url)
    name = f"test_{parts.path.lstrip('/') or 'inference'}"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_connection(base_url: str) -> psycopg.Connection[Any]:
    parts = urlsplit(base_url)
    return psycopg.connect(
        urlunsplit(parts._replace(scheme="postgresql", path="/postgres")),
        autocommit=True,
    )


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    data_dir = tmp_path_factory.mktemp("data")
    base_url = os.environ.get("DATABASE_URL", "")
    name = ""
    if base_url:
        django_url, name = _test_database(base_url)
        with _admin_connection(base_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    else:
        # The embedded default: the same file the backend uses in its data directory.
        django_url = ""
    try:
        migrate_backend_schema(django_url=django_url, data_dir=data_dir, secret_key=SECRET_KEY)
    except SetupFailed as exc:
        pytest.fail(str(exc))
    sync_url = sqlalchemy_url(django_url, data_dir).replace("+aiosqlite", "")
    engine = create_engine(
        sync_url, connect_args={"timeout": 30} if sync_url.startswith("sqlite") else {}
    )
    yield MigratedDatabase(django_url=django_url, data_dir=data_dir, engine=engine)
    engine.dispose()
    if base_url:
        with _admin_connection(base_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def seeder(database: MigratedDatabase) -> Seeder:
    return Seeder(database.engine)


@dataclass(frozen=True)
class Artifacts:
    media_root: Path
    files: dict[str, str]
    models: dict[str, ModelArtifact]
    user_ids: list[str]
    item_ids: list[str]


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    media_root = tmp_path_factory.mktemp("media")
    written = write_ml100k_models(media_root, SECRET_KEY)
    files = {name: path for name, (path, _) in written.items()}
    models = {name: artifact for name, (_, artifact) in written.items()}
    tampered = bytearray((media_root / files["knn"]).read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF
    files["tampered"] = "models/tampered.rctm"
    (media_root / files["tampered"]).write_bytes(bytes(tampered))
    _, user_ids, item_ids = ml100k_interactions()
    return Artifacts(media_root, files, models, user_ids, item_ids)


@dataclass(frozen=True)
class World:
    """One owner with two projects; models, slots and keys most tests share."""

    owner_id: int
    project_id: int
    other_project_id: int
    knn_model_id: int
    toppop_model_id: int
    described_model_id: int
    other_model_id: int
    predict_key: str
    read_key: str
    other_key: str


@pytest.fixture(scope="session")
def world(seeder: Seeder, artifacts: Artifacts) -> World:
    owner = seeder.user()
    project = seeder.project(owner_id=owner)
    other_project = seeder.project(owner_id=owner)

    def model(project_id: int, artifact: str, algorithm: str) -> int:
        return seeder.trained_model(
            project_id=project_id, file=artifacts.files[artifact], algorithm=algorithm
        )

    world = World(
        owner_id=owner,
        project_id=project,
        other_project_id=other_project,
        knn_model_id=model(project, "knn", "CosineKNNRecommender"),
        toppop_model_id=model(project, "toppop", "TopPopRecommender"),
        described_model_id=model(project, "described", "CosineKNNRecommender"),
        other_model_id=model(other_project, "knn", "CosineKNNRecommender"),
        predict_key=seeder.api_key(project_id=project, owner_id=owner)[1],
        read_key=seeder.api_key(project_id=project, owner_id=owner, scopes=["read"])[1],
        other_key=seeder.api_key(project_id=other_project, owner_id=owner)[1],
    )
    seeder.slot(project_id=project, model_id=world.knn_model_id, name="main")
    return world


@pytest.fixture
def make_settings(database: MigratedDatabase, artifacts: Artifacts) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "secret_key": SECRET_KEY,
            "data_dir": database.data_dir,
            "database_url": database.django_url,
            "media_root": str(artifacts.media_root),
            "redis_url": os.environ["REDIS_URL"],
            "rate_limit": "100000/minute",
            "log_format": "plain",
            "access_log": False,
        }
        values.update(overrides)
        return Settings(**values)

    return make


ServeFactory = Callable[..., Any]
METRICS_TOKEN = "metrics-token-for-tests"
OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def serve(make_settings: Callable[..., Settings]) -> ServeFactory:
    """``with serve(**settings) as client``: the app running with its lifespan."""

    @contextmanager
    def run(**overrides: Any) -> Iterator[TestClient]:
        app = create_app(make_settings(**overrides))
        with TestClient(app, raise_server_exceptions=False) as client:
            wait_for(runtime_of(client).listener.connected.is_set, timeout=5)
            yield client

    return run


@pytest.fixture
def client(serve: ServeFactory, world: World) -> Iterator[TestClient]:
    with serve(metrics_token=METRICS_TOKEN) as running:
        yield running


def runtime_of(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime
    return runtime


def wait_for(condition: Callable[[], object], *, timeout: float = 2.0) -> float:
    """Poll until ``condition`` is truthy; return how long it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"Condition not met within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - started


def publish(event: ModelEvent, *, redis_url: str | None = None) -> None:
    """Publish as the backend does."""
    publish_raw(encode_event(event), redis_url=redis_url)


def publish_raw(message: str, *, redis_url: str | None = None) -> None:
    settings = Settings(secret_key=SECRET_KEY, redis_url=redis_url or os.environ["REDIS_URL"])
    with redis.Redis.from_url(settings.events_redis_url) as connection:
        connection.publish(CHANNEL, message)


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


# The loopback address of the servers this suite starts on ports of their own.
HOST = "127.0.6.2"


@contextmanager
def running_server(settings: Settings) -> Iterator[int]:
    """The app served by a real uvicorn on a free port of ``HOST``; yields the port."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host=HOST, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=30)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
