"""Keys the reference issued (a 64-character random part) keep working after a database
migrates, next to the shorter ones issued here."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.hashers import make_password
from rest_framework.test import APIClient

from accounts.models import ApiKey
from recotem_common.api_keys import KEY_PREFIX
from tests.compat.conftest import API


def _stored_as_the_reference_did(project: Any) -> str:
    random_part = secrets.token_urlsafe(48)
    ApiKey.objects.create(
        project=project,
        owner=project.owner,
        name="migrated",
        key_prefix=random_part[:8],
        hashed_key=make_password(KEY_PREFIX + random_part),
        scopes=["read"],
    )
    return KEY_PREFIX + random_part


def test_a_key_issued_by_the_reference_reads_its_project(project: Any) -> None:
    raw_key = _stored_as_the_reference_did(project)
    assert len(raw_key) == len(KEY_PREFIX) + 64

    response = APIClient().get(f"{API}/project/", HTTP_X_API_KEY=raw_key)

    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [project.pk]


def test_a_reference_length_key_with_a_wrong_secret_is_refused(project: Any) -> None:
    raw_key = _stored_as_the_reference_did(project)
    forged = raw_key[:-1] + ("A" if raw_key[-1] != "A" else "B")

    response = APIClient().get(f"{API}/project/", HTTP_X_API_KEY=forged)

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid API key."
