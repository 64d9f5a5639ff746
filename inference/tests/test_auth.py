"""API keys: Django-compatible hashes, PBKDF2 paid once, scopes, and revocation that
reaches a running worker within two seconds."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inference import auth
from inference.config import Settings
from inference.db import create_engine, create_sessionmaker
from inference.ratelimit import RateLimiter
from recotem_common.api_keys import KEY_PREFIX, lookup_prefix
from recotem_common.events import ApiKeyRevoked
from testbed.seeder import Seeder
from testbed.world import BACKEND_PYTHON
from tests.conftest import (
    ServeFactory,
    World,
    headers,
    publish,
    wait_for,
)

PROPAGATION_SECONDS = 2.0


def _predict(client: TestClient, world: World, key: str) -> int:
    return client.post(
        f"/predict/{world.knn_model_id}", json={"user_id": "1"}, headers=headers(key)
    ).status_code


def _error(response: Any) -> dict[str, str]:
    return response.json()["error"]


def test_missing_key_is_401(client: TestClient, world: World) -> None:
    response = client.post(f"/predict/{world.knn_model_id}", json={"user_id": "1"})

    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    assert "X-API-Key" in _error(response)["message"]


@pytest.mark.parametrize("raw_key", ["nonsense", "rctm_short", "rctm_" + "A" * 48, "Bearer rctm_x"])
def test_wrong_keys_are_401(client: TestClient, world: World, raw_key: str) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1"},
        headers=headers(raw_key),
    )

    assert response.status_code == 401
    assert _error(response)["code"] == "authentication_failed"


def test_a_key_whose_secret_differs_after_the_prefix_is_refused(
    client: TestClient, world: World
) -> None:
    forged = world.predict_key[:-4] + ("AAAA" if world.predict_key[-4:] != "AAAA" else "BBBB")

    assert _predict(client, world, forged) == 401


def test_key_without_predict_scope_is_403(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1"},
        headers=headers(world.read_key),
    )

    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"
    assert "'predict'" in _error(response)["message"]


def test_expired_key_is_401(client: TestClient, world: World, seeder: Seeder) -> None:
    _, expired = seeder.api_key(
        project_id=world.project_id,
        owner_id=world.owner_id,
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )

    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1"},
        headers=headers(expired),
    )

    assert response.status_code == 401
    assert "expired" in _error(response)["message"]


def test_key_of_a_deactivated_owner_is_401(
    client: TestClient, world: World, seeder: Seeder
) -> None:
    inactive_owner = seeder.user(is_active=False)
    _, key = seeder.api_key(project_id=world.project_id, owner_id=inactive_owner)

    response = client.post(
        f"/predict/{world.knn_model_id}", json={"user_id": "1"}, headers=headers(key)
    )

    assert response.status_code == 401
    assert "deactivated" in _error(response)["message"]


def test_revocation_event_reaches_the_worker_within_two_seconds(
    serve: ServeFactory, world: World, seeder: Seeder
) -> None:
    key_id, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id)
    # The periodic re-check is pushed out of the way: only the event can do it.
    with serve(api_key_recheck_seconds=600) as client:
        assert _predict(client, world, key) == 200

        seeder.update("accounts_apikey", key_id, is_active=False, revoked_at=datetime.now(UTC))
        publish(ApiKeyRevoked(api_key_id=key_id, key_prefix=lookup_prefix(key) or ""))

        wait_for(lambda: _predict(client, world, key) == 401, timeout=PROPAGATION_SECONDS)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda s, key_id, owner: s.update(
                "accounts_apikey", key_id, revoked_at=datetime.now(UTC), is_active=False
            ),
            id="revoked",
        ),
        pytest.param(
            lambda s, key_id, owner: s.update(
                "accounts_apikey", key_id, expires_at=datetime.now(UTC)
            ),
            id="expired",
        ),
        pytest.param(
            lambda s, key_id, owner: s.update("auth_user", owner, is_active=False),
            id="owner-deactivated",
        ),
        pytest.param(
            lambda s, key_id, owner: s.update("accounts_apikey", key_id, scopes=["read"]),
            id="scope-removed",
        ),
    ],
)
def test_changes_without_an_event_still_apply_within_two_seconds(
    client: TestClient,
    world: World,
    seeder: Seeder,
    change: Callable[[Seeder, int, int], None],
) -> None:
    owner = seeder.user()
    key_id, key = seeder.api_key(project_id=world.project_id, owner_id=owner)
    assert _predict(client, world, key) == 200

    change(seeder, key_id, owner)

    wait_for(lambda: _predict(client, world, key) in {401, 403}, timeout=PROPAGATION_SECONDS)


def test_pbkdf2_runs_once_for_concurrent_first_requests(
    make_settings: Callable[..., Settings],
    world: World,
    seeder: Seeder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id, with_digest=False)
    calls: list[str] = []
    real = auth._password_matches

    def counting(raw_key: str, hashed_key: str) -> bool:
        calls.append(raw_key)
        return real(raw_key, hashed_key)

    monkeypatch.setattr(auth, "_password_matches", counting)

    async def scenario() -> None:
        settings = make_settings()
        engine = create_engine(settings)
        verifier = auth.ApiKeyVerifier(
            sessionmaker=create_sessionmaker(engine),
            cache_seconds=60,
            recheck_seconds=1,
            failures=RateLimiter(
                rate="100/minute", redis_url=settings.rate_limit_storage_uri, sync_seconds=1
            ),
        )
        try:
            states = await asyncio.gather(*(verifier.authenticate(key) for _ in range(20)))
            states.append(await verifier.authenticate(key))
        finally:
            await engine.dispose()
        assert {state.project_id for state in states} == {world.project_id}

    asyncio.run(scenario())

    assert len(calls) == 1


@pytest.mark.parametrize(
    "raw_key",
    [None, KEY_PREFIX + secrets.token_urlsafe(48)],
    ids=["issued-here", "issued-by-the-reference"],
)
def test_keys_hashed_by_django_itself_verify(
    client: TestClient, world: World, seeder: Seeder, raw_key: str | None
) -> None:
    """The backend issues keys with Django's default PBKDF2 settings; the reference
    issued longer ones (a 64-character random part) the same way."""
    program = (
        "import sys; from django.contrib.auth.hashers import PBKDF2PasswordHasher; "
        "h = PBKDF2PasswordHasher(); print(h.encode(sys.argv[1], h.salt()))"
    )

    class DjangoHasher:
        @staticmethod
        def hash(raw_key: str) -> str:
            return subprocess.run(
                [str(BACKEND_PYTHON), "-c", program, raw_key],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": ""},
            ).stdout.strip()

    _, key = seeder.api_key(
        project_id=world.project_id,
        owner_id=world.owner_id,
        hasher=DjangoHasher,
        raw_key=raw_key,
        with_digest=False,
    )

    assert _predict(client, world, key) == 200
    assert _predict(client, world, key[:-1]) == 401


@pytest.fixture
def hashings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every PBKDF2 verification the service runs, by stored hash."""
    calls: list[str] = []
    real = auth._password_matches

    def counting(raw_key: str, hashed_key: str) -> bool:
        calls.append(hashed_key)
        return real(raw_key, hashed_key)

    monkeypatch.setattr(auth, "_password_matches", counting)
    return calls


def test_revoked_and_expired_keys_are_refused_without_hashing(
    client: TestClient, world: World, seeder: Seeder, hashings: list[str]
) -> None:
    revoked_id, revoked = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id)
    seeder.update("accounts_apikey", revoked_id, is_active=False, revoked_at=datetime.now(UTC))
    _, expired = seeder.api_key(
        project_id=world.project_id,
        owner_id=world.owner_id,
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )

    for key, message in ((revoked, "revoked"), (expired, "expired")):
        response = client.post(
            f"/predict/{world.knn_model_id}", json={"user_id": "1"}, headers=headers(key)
        )
        assert response.status_code == 401
        assert message in response.json()["error"]["message"]
    # Knowing the revoked key's prefix gets the same answer, as cheaply.
    guessed = revoked[:13] + "x" * 40
    assert (
        client.post(
            f"/predict/{world.knn_model_id}", json={"user_id": "1"}, headers=headers(guessed)
        ).status_code
        == 401
    )
    assert hashings == []


def test_failed_verifications_are_throttled_per_client_and_prefix_before_hashing(
    serve: ServeFactory, world: World, seeder: Seeder, hashings: list[str]
) -> None:
    # Issued without a lookup digest: PBKDF2 is what a wrong guess at it costs.
    _, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id, with_digest=False)
    prefix = key[:13]
    with serve(api_key_failure_rate="3/minute") as client:
        verified = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1"},
            headers=headers(key),
        )
        statuses = [
            client.post(
                f"/predict/{world.knn_model_id}",
                json={"user_id": "1"},
                headers=headers(prefix + f"{n:040d}"),
            ).status_code
            for n in range(4)
        ]
        throttled = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1"},
            headers=headers("rctm_" + "q" * 48),
        )
        # A key this client already verified goes on working.
        right = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1"},
            headers=headers(key),
        )

    assert verified.status_code == 200
    assert statuses == [401, 401, 401, 429]
    assert throttled.status_code == 429
    assert "failed API-key attempts" in throttled.json()["error"]["message"]
    assert int(throttled.headers["Retry-After"]) > 0
    assert right.status_code == 200
    # The right key once and three wrong guesses: the refused attempts never hashed.
    assert len(hashings) == 4


def test_a_key_with_its_lookup_digest_is_verified_without_pbkdf2(
    client: TestClient, world: World, seeder: Seeder, hashings: list[str]
) -> None:
    """A worker's first request with a key costs what later ones do."""
    # Not a hash of the key: only the digest can identify it.
    _, key = seeder.api_key(
        project_id=world.project_id,
        owner_id=world.owner_id,
        hasher=type("Unusable", (), {"hash": staticmethod(lambda raw_key: "!")}),
    )

    assert _predict(client, world, key) == 200
    assert _predict(client, world, key[:-1] + ("A" if key[-1] != "A" else "B")) == 401
    assert hashings == []


def test_a_key_issued_without_a_lookup_digest_is_still_verified_by_pbkdf2(
    client: TestClient, world: World, seeder: Seeder, hashings: list[str]
) -> None:
    _, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id, with_digest=False)

    assert _predict(client, world, key) == 200
    assert _predict(client, world, key) == 200
    assert len(hashings) == 1
