from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_revoke
from recotem_common.events import ApiKeyRevoked, ModelEvent
from tests.accounts.conftest import API
from tests.factories import ProjectFactory, issue_api_key

Events = Callable[[], list[ModelEvent | None]]

LISTED_FIELDS = {
    "id",
    "name",
    "project",
    "key_prefix",
    "scopes",
    "is_active",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "ins_datetime",
}


def _create(client: APIClient, project: Any, **overrides: Any) -> Any:
    body = {"name": "ci", "project": project.pk, "scopes": ["read", "predict"], **overrides}
    return client.post(f"{API}/api_keys/", body)


def test_create_returns_the_secret_once_and_stores_only_its_hash(
    client: APIClient, project: Any
) -> None:
    response = _create(client, project)

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {*LISTED_FIELDS, "key"}
    assert body["key"].startswith("rctm_")
    assert body["scopes"] == ["read", "predict"]
    api_key = ApiKey.objects.get(pk=body["id"])
    assert api_key.owner == project.owner
    assert check_password(body["key"], api_key.hashed_key)
    assert body["key"][5:13] == api_key.key_prefix

    listed = client.get(f"{API}/api_keys/").json()
    detail = client.get(f"{API}/api_keys/{api_key.pk}/").json()
    assert set(listed["results"][0]) == LISTED_FIELDS
    assert set(detail) == LISTED_FIELDS
    assert body["key"] not in str(listed) + str(detail)


def test_the_created_key_authenticates(client: APIClient, project: Any) -> None:
    raw_key = _create(client, project, scopes=["read"]).json()["key"]

    response = APIClient().get(f"{API}/api_keys/", HTTP_X_API_KEY=raw_key)

    # Authenticated (not 401) and then refused, because keys never manage keys.
    assert response.status_code == 403


def test_an_unknown_scope_is_refused_naming_the_allowed_ones(
    client: APIClient, project: Any
) -> None:
    response = _create(client, project, scopes=["read", "admin"])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "Unknown scope 'admin'; allowed scopes are read, write, predict."
    assert "scopes" in error["fields"]
    assert not ApiKey.objects.exists()


def test_at_least_one_scope_is_needed(client: APIClient, project: Any) -> None:
    response = _create(client, project, scopes=[])

    assert response.status_code == 400
    assert response.json()["error"]["message"] == ("Give at least one scope: read, write, predict.")


def test_duplicate_scopes_are_stored_once(client: APIClient, project: Any) -> None:
    response = _create(client, project, scopes=["predict", "read", "predict"])

    assert response.json()["scopes"] == ["read", "predict"]


def test_an_expiry_in_the_past_is_refused(client: APIClient, project: Any) -> None:
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()

    response = _create(client, project, expires_at=yesterday)

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["expires_at"] == [
        "The expiry date must be in the future."
    ]


def test_an_expiry_in_the_future_is_kept(client: APIClient, project: Any) -> None:
    tomorrow = timezone.now() + timedelta(days=1)

    response = _create(client, project, expires_at=tomorrow.isoformat())

    assert response.status_code == 201
    assert ApiKey.objects.get().expires_at == tomorrow


def test_a_key_cannot_be_bound_to_another_users_project(client: APIClient, other_user: Any) -> None:
    foreign = ProjectFactory(owner=other_user)

    response = _create(client, foreign)

    assert response.status_code == 400
    assert "does not exist" in response.json()["error"]["fields"]["project"][0]


def test_staff_cannot_bind_their_key_to_someone_elses_project(
    staff_client: APIClient, project: Any
) -> None:
    response = _create(staff_client, project)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "An API key can only be bound to one of its owner's projects."
    )


def test_a_name_is_unique_within_a_project(client: APIClient, project: Any) -> None:
    assert _create(client, project).status_code == 201

    response = _create(client, project)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "This project already has an API key named 'ci'."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "x", "project": None, "scopes": ["read"]}, "project"),
        ({"name": "x", "project": 999999, "scopes": ["read"]}, "project"),
        ({"name": "x", "scopes": "read"}, "scopes"),
        ({"name": " ", "scopes": ["read"]}, "name"),
    ],
    ids=["no-name", "no-project", "unknown-project", "scopes-not-a-list", "blank-name"],
)
def test_malformed_create_requests_name_the_field(
    client: APIClient, project: Any, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"{API}/api_keys/", {"project": project.pk, **body})

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_users_see_only_their_own_keys(client: APIClient, project: Any, other_user: Any) -> None:
    mine, _ = issue_api_key(project=project)
    theirs, _ = issue_api_key(project=ProjectFactory(owner=other_user))

    listed = client.get(f"{API}/api_keys/").json()

    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert client.get(f"{API}/api_keys/{theirs.pk}/").status_code == 404
    assert client.post(f"{API}/api_keys/{theirs.pk}/revoke/").status_code == 404
    assert client.delete(f"{API}/api_keys/{theirs.pk}/").status_code == 404


def test_list_filters_by_project_and_orders(client: APIClient, user: Any) -> None:
    first = ProjectFactory(owner=user)
    second = ProjectFactory(owner=user)
    issue_api_key(project=first, name="b")
    issue_api_key(project=first, name="a")
    issue_api_key(project=second, name="c")

    response = client.get(f"{API}/api_keys/", {"project": first.pk, "ordering": "name"})

    assert [row["name"] for row in response.json()["results"]] == ["a", "b"]


def test_revoke_marks_the_key_and_tells_the_inference_service(
    client: APIClient,
    project: Any,
    model_events: Events,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api_key, raw_key = issue_api_key(project=project)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{API}/api_keys/{api_key.pk}/revoke/")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["revoked_at"] is not None
    assert model_events() == [ApiKeyRevoked(api_key_id=api_key.pk, key_prefix=api_key.key_prefix)]
    assert APIClient().get(f"{API}/auth/user/", HTTP_X_API_KEY=raw_key).status_code == 401


def test_revoking_twice_changes_nothing(
    client: APIClient,
    project: Any,
    model_events: Events,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api_key, _ = issue_api_key(project=project)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"{API}/api_keys/{api_key.pk}/revoke/").json()
        second = client.post(f"{API}/api_keys/{api_key.pk}/revoke/").json()

    assert second["revoked_at"] == first["revoked_at"]
    assert len(model_events()) == 1


def test_delete_removes_the_key_and_tells_the_inference_service(
    client: APIClient,
    project: Any,
    model_events: Events,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api_key, _ = issue_api_key(project=project)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{API}/api_keys/{api_key.pk}/")

    assert response.status_code == 204
    assert not ApiKey.objects.exists()
    assert model_events() == [ApiKeyRevoked(api_key_id=api_key.pk, key_prefix=api_key.key_prefix)]


def test_keys_cannot_be_updated(client: APIClient, project: Any) -> None:
    api_key, _ = issue_api_key(project=project)

    response = client.patch(f"{API}/api_keys/{api_key.pk}/", {"scopes": ["write"]})

    assert response.status_code == 405


def test_no_event_is_published_when_the_transaction_rolls_back(
    project: Any, model_events: Events, django_capture_on_commit_callbacks: Any
) -> None:
    api_key, _ = issue_api_key(project=project)

    def revoke_then_fail() -> None:
        with transaction.atomic():
            api_key_revoke(api_key=api_key)
            raise RuntimeError

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        revoke_then_fail()

    assert callbacks == []
    assert model_events() == []


def test_a_redis_outage_does_not_fail_the_revocation(
    client: APIClient,
    project: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MODEL_EVENTS_REDIS_URL = "redis://127.0.0.1:1/3"
    api_key, _ = issue_api_key(project=project)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{API}/api_keys/{api_key.pk}/revoke/")

    assert response.status_code == 200
