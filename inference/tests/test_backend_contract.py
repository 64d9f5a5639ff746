"""The backend and this service agree on what they share: the model events, the rule of
what an API key's scopes grant, and where the embedded defaults keep their files.

Each side's answer comes from its own code: the backend's through its Python
(``tests/backend_view.py``), this service's from its settings, verifier and listener. A
change that makes one service diverge from the other fails here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inference.auth import require_scope
from inference.config import Settings
from inference.errors import PermissionDenied
from inference.selectors import KeyState
from testbed.seeder import Seeder
from testbed.world import run_backend
from tests.conftest import (
    SECRET_KEY,
    Artifacts,
    MigratedDatabase,
    ServeFactory,
    World,
    headers,
    wait_for,
)

PROPAGATION_SECONDS = 2.0
BACKEND_VIEW = str(Path(__file__).with_name("backend_view.py"))
DEFAULTS = ("RECOTEM_DATA_DIR", "MEDIA_ROOT", "DATABASE_URL")


@pytest.fixture(scope="module")
def backend_view() -> dict[str, Any]:
    """The backend's answers with none of the variables that move the defaults set."""
    environ = {k: v for k, v in os.environ.items() if k not in DEFAULTS}
    result = run_backend(
        [BACKEND_VIEW, "describe"],
        django_url="",
        data_dir=None,
        secret_key=SECRET_KEY,
        environ=environ,
    )
    view: dict[str, Any] = json.loads(result.stdout)
    return view


@pytest.fixture
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    return Settings(secret_key=SECRET_KEY)


def _refusal(stored: list[str], needed: str) -> str | None:
    key = KeyState(api_key_id=1, project_id=1, scopes=frozenset(stored), refusal=None)
    try:
        require_scope(key, needed)
    except PermissionDenied as refused:
        return refused.message
    return None


def test_both_services_grant_the_same_scopes(backend_view: dict[str, Any]) -> None:
    verdicts = backend_view["scopes"]
    assert len(verdicts) == 8 * 3

    for verdict in verdicts:
        assert _refusal(verdict["stored"], verdict["needed"]) == verdict["refusal"], verdict


def test_both_services_find_the_embedded_database_and_media_in_one_place(
    backend_view: dict[str, Any], default_settings: Settings
) -> None:
    assert default_settings.sqlalchemy_url == f"sqlite+aiosqlite:///{backend_view['database']}"
    assert str(default_settings.media_path) == backend_view["media_root"]


def test_both_services_use_one_redis_database_for_model_events(
    backend_view: dict[str, Any], default_settings: Settings
) -> None:
    assert default_settings.events_redis_url == backend_view["model_events_redis_url"]


def test_events_the_backend_publishes_reach_a_running_worker(
    serve: ServeFactory,
    world: World,
    seeder: Seeder,
    artifacts: Artifacts,
    database: MigratedDatabase,
) -> None:
    key_id, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id)
    project = seeder.project(owner_id=world.owner_id)
    _, project_key = seeder.api_key(project_id=project, owner_id=world.owner_id)
    served = seeder.trained_model(
        project_id=project,
        file=artifacts.files["knn"],
        algorithm="CosineKNNRecommender",
    )
    slot = seeder.slot(project_id=project, model_id=served)
    replacement = seeder.trained_model(
        project_id=project,
        file=artifacts.files["knn_small"],
        algorithm="CosineKNNRecommender",
    )

    def predict(client: TestClient, path: str, raw_key: str) -> Any:
        return client.post(path, json={"user_id": "1"}, headers=headers(raw_key))

    # Only the events can make these changes visible: the periodic re-reads are far off.
    with serve(api_key_recheck_seconds=600, routing_refresh_seconds=600) as client:
        assert predict(client, f"/predict/{world.knn_model_id}", key).status_code == 200
        routed = predict(client, f"/predict/project/{project}", project_key)
        assert routed.json()["model_id"] == served

        run_backend(
            [
                BACKEND_VIEW,
                "revoke-key",
                str(key_id),
                "move-slot",
                str(slot),
                str(replacement),
            ],
            django_url=database.django_url,
            data_dir=database.data_dir,
            secret_key=SECRET_KEY,
        )

        wait_for(
            lambda: predict(client, f"/predict/{world.knn_model_id}", key).status_code == 401,
            timeout=PROPAGATION_SECONDS,
        )
        wait_for(
            lambda: (
                predict(client, f"/predict/project/{project}", project_key).json()["model_id"]
                == replacement
            ),
            timeout=PROPAGATION_SECONDS,
        )
