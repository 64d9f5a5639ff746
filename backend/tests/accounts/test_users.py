from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from recotem_common.events import ApiKeyRevoked, ModelEvent
from tests.accounts.conftest import API
from tests.factories import DEFAULT_PASSWORD, ProjectFactory, UserFactory, issue_api_key

User = get_user_model()
Events = Callable[[], list[ModelEvent | None]]
Login = Callable[..., APIClient]


def test_users_are_for_staff_only(client: APIClient, anon_client: APIClient, user: Any) -> None:
    refused = client.get(f"{API}/users/")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only staff users may manage users."
    assert client.get(f"{API}/users/{user.pk}/").status_code == 403
    assert anon_client.get(f"{API}/users/").status_code == 401


def test_staff_list_filters_searches_and_orders(staff_client: APIClient) -> None:
    UserFactory(username="zoe")
    UserFactory(username="zack", is_active=False)
    UserFactory(username="amy")

    inactive = staff_client.get(f"{API}/users/", {"is_active": "false"}).json()
    assert [row["username"] for row in inactive["results"]] == ["zack"]

    found = staff_client.get(f"{API}/users/", {"search": "za", "ordering": "-username"})
    assert [row["username"] for row in found.json()["results"]] == ["zack"]

    ordered = staff_client.get(f"{API}/users/", {"ordering": "-username", "page_size": 2})
    body = ordered.json()
    assert [row["username"] for row in body["results"]] == ["zoe", "zack"]
    assert body["count"] == 4
    assert body["next"]


def test_staff_creates_a_user_who_can_then_log_in(staff_client: APIClient) -> None:
    response = staff_client.post(
        f"{API}/users/",
        {"username": "newbie", "email": "n@example.com", "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 201
    body = response.json()
    assert "password" not in body
    assert body["is_staff"] is False
    login = APIClient().post(
        f"{API}/auth/login/", {"username": "newbie", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "too short"), ("password123", "too common"), ("newbie-user", "too similar")],
)
def test_create_validates_the_password(
    staff_client: APIClient, password: str, message: str
) -> None:
    response = staff_client.post(f"{API}/users/", {"username": "newbie-user", "password": password})

    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"]
    assert "password" in error["fields"]
    assert not User.objects.filter(username="newbie-user").exists()


def test_create_refuses_a_taken_username(staff_client: APIClient, user: Any) -> None:
    response = staff_client.post(
        f"{API}/users/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_update_changes_profile_fields_and_staff_flag(staff_client: APIClient, user: Any) -> None:
    response = staff_client.patch(
        f"{API}/users/{user.pk}/", {"first_name": "Grace", "is_staff": True}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Grace"
    assert user.is_staff


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [("password", "another-passphrase-99", "reset_password"), ("is_active", False, "deactivate")],
)
def test_update_points_to_the_dedicated_actions(
    staff_client: APIClient, user: Any, field: str, value: Any, hint: str
) -> None:
    response = staff_client.patch(f"{API}/users/{user.pk}/", {field: value})

    assert response.status_code == 400
    assert hint in response.json()["error"]["fields"][field][0]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert user.is_active


def test_staff_cannot_remove_their_own_staff_status(
    staff_client: APIClient, staff_user: Any
) -> None:
    response = staff_client.patch(f"{API}/users/{staff_user.pk}/", {"is_staff": False})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "You cannot remove your own staff status."


def test_staff_cannot_deactivate_themselves(staff_client: APIClient, staff_user: Any) -> None:
    response = staff_client.post(f"{API}/users/{staff_user.pk}/deactivate/")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "You cannot deactivate your own account."
    staff_user.refresh_from_db()
    assert staff_user.is_active


def test_deactivation_ends_sessions_and_disables_api_keys(
    staff_client: APIClient,
    user: Any,
    login: Login,
    model_events: Events,
    django_capture_on_commit_callbacks: Any,
) -> None:
    browser = login(user)
    refresh = browser.cookies[django_settings.JWT_REFRESH_COOKIE].value
    project = ProjectFactory(owner=user)
    first, raw_key = issue_api_key(project=project)
    second, _ = issue_api_key(project=project)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{API}/users/{user.pk}/deactivate/")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert APIClient().post(f"{API}/auth/token/refresh/", {"refresh": refresh}).status_code == 401
    assert browser.get(f"{API}/auth/user/").status_code == 401
    key_client = APIClient()
    key_response = key_client.get(f"{API}/auth/user/", HTTP_X_API_KEY=raw_key)
    assert key_response.status_code == 401
    assert "deactivated" in key_response.json()["error"]["message"]
    events = model_events()
    assert set(events) == {
        ApiKeyRevoked(api_key_id=first.pk, key_prefix=first.key_prefix),
        ApiKeyRevoked(api_key_id=second.pk, key_prefix=second.key_prefix),
    }


def test_activation_lets_the_user_log_in_again(staff_client: APIClient, user: Any) -> None:
    staff_client.post(f"{API}/users/{user.pk}/deactivate/")

    response = staff_client.post(f"{API}/users/{user.pk}/activate/")

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    login = APIClient().post(
        f"{API}/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200


def test_reset_password_sets_a_new_password_and_ends_sessions(
    staff_client: APIClient, user: Any, login: Login
) -> None:
    refresh = login(user).cookies[django_settings.JWT_REFRESH_COOKIE].value

    response = staff_client.post(
        f"{API}/users/{user.pk}/reset_password/", {"new_password": "fresh-passphrase-2024"}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("fresh-passphrase-2024")
    assert APIClient().post(f"{API}/auth/token/refresh/", {"refresh": refresh}).status_code == 401


def test_reset_password_validates_the_new_password(staff_client: APIClient, user: Any) -> None:
    response = staff_client.post(f"{API}/users/{user.pk}/reset_password/", {"new_password": "1"})

    assert response.status_code == 400
    assert "new_password" in response.json()["error"]["fields"]
    missing = staff_client.post(f"{API}/users/{user.pk}/reset_password/", {})
    assert missing.status_code == 400
    assert "new_password" in missing.json()["error"]["fields"]


def test_unknown_user_answers_404(staff_client: APIClient) -> None:
    assert staff_client.post(f"{API}/users/999999/deactivate/").status_code == 404


# --- API keys never reach account endpoints -------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "auth/user/"),
        ("patch", "auth/user/"),
        ("post", "auth/password/change/"),
        ("post", "auth/login/"),
        ("post", "auth/logout/"),
        ("post", "auth/logout/everywhere/"),
        ("post", "auth/token/refresh/"),
        ("get", "users/"),
        ("post", "users/"),
        ("get", "api_keys/"),
        ("post", "api_keys/"),
    ],
)
def test_api_keys_never_reach_account_endpoints(staff_user: Any, method: str, path: str) -> None:
    # Even a staff user's key with every scope.
    _, raw_key = issue_api_key(
        project=ProjectFactory(owner=staff_user), scopes=("read", "write", "predict")
    )

    response = getattr(APIClient(), method)(f"{API}/{path}", {}, HTTP_X_API_KEY=raw_key)

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "API keys cannot be used here; sign in with a user account."
    )


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("post", "reset_password/", {"new_password": "An0ther-long-passphrase"}),
        ("post", "deactivate/", None),
        ("post", "activate/", None),
        ("patch", "", {"email": "taken@example.com"}),
    ],
)
def test_staff_who_are_not_superusers_cannot_act_on_a_superuser(
    staff_client: APIClient, method: str, action: str, body: dict[str, str] | None
) -> None:
    superuser = UserFactory(is_staff=True, is_superuser=True, email="root@example.com")

    response = getattr(staff_client, method)(f"{API}/users/{superuser.pk}/{action}", body)

    assert response.status_code == 403
    assert "only a superuser" in response.json()["error"]["message"]
    superuser.refresh_from_db()
    assert superuser.check_password(DEFAULT_PASSWORD)
    assert superuser.is_active
    assert superuser.email == "root@example.com"


def test_a_superuser_can_reset_another_superusers_password(db: None) -> None:
    acting, target = (UserFactory(is_staff=True, is_superuser=True) for _ in range(2))
    api_client = APIClient()
    api_client.force_authenticate(user=acting)

    response = api_client.post(
        f"{API}/users/{target.pk}/reset_password/", {"new_password": "An0ther-long-passphrase"}
    )

    assert response.status_code == 200
    target.refresh_from_db()
    assert target.check_password("An0ther-long-passphrase")


def test_the_admin_lets_only_superusers_change_a_superuser(db: None) -> None:
    superuser = UserFactory(is_staff=True, is_superuser=True)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_user", "view_user"])
    )
    browser = Client()
    browser.force_login(staff)

    page = browser.post(
        f"/admin/auth/user/{superuser.pk}/password/",
        {"password1": "An0ther-long-passphrase", "password2": "An0ther-long-passphrase"},
    )

    assert page.status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password(DEFAULT_PASSWORD)
