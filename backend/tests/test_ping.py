"""``ping/`` reports each service the API depends on."""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from rest_framework.test import APIClient

# Nothing listens there.
UNREACHABLE = "redis://127.0.6.1:9/0"


def test_ping_reports_every_dependency_ok(anon_client: APIClient, db: None) -> None:
    response = anon_client.get("/api/v1/ping/")

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }


def test_with_the_cache_down_ping_says_degraded_and_the_api_still_answers(
    client: APIClient, project: Any
) -> None:
    unreachable_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE,
        }
    }
    with override_settings(CACHE_REDIS_URL=UNREACHABLE, CACHES=unreachable_cache):
        ping = APIClient().get("/api/v1/ping/")
        projects = client.get("/api/v1/project/")

    assert ping.status_code == 200
    assert (ping.json()["status"], ping.json()["cache"]) == ("degraded", "unreachable")
    assert projects.status_code == 200
    assert [row["id"] for row in projects.json()["results"]] == [project.pk]


def test_with_the_broker_down_ping_names_it(anon_client: APIClient, db: None) -> None:
    with override_settings(CELERY_BROKER_URL=UNREACHABLE):
        body = anon_client.get("/api/v1/ping/").json()

    assert (body["status"], body["broker"], body["database"]) == ("degraded", "unreachable", "ok")
