"""The reference's account endpoints: its password change under users/, the user's
``pk`` and ``is_superuser``, and token verification."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.compat.conftest import API, sign_in
from tests.factories import DEFAULT_PASSWORD, UserFactory, issue_api_key

NEW_PASSWORD = "a-fresh-passphrase-for-2026"


def test_the_login_answer_and_auth_user_carry_pk_and_is_superuser(user: Any) -> None:
    login = APIClient().post(
        f"{API}/auth/login/",
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
    )
    client = sign_in(user)
    me = client.get(f"{API}/auth/user/")

    assert login.status_code == 200
    assert login.json()["user"]["pk"] == user.pk
    assert login.json()["user"]["is_superuser"] is False
    assert me.json()["pk"] == user.pk
    assert me.json()["username"] == user.username
    assert me.json()["is_superuser"] is False
    assert me.json()["is_staff"] is False


def test_is_superuser_cannot_be_granted_through_auth_user(user: Any) -> None:
    response = sign_in(user).patch(f"{API}/auth/user/", {"is_superuser": True}, format="json")

    user.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["is_superuser"] is False
    assert user.is_superuser is False


@pytest.mark.parametrize("path", ["users/change_password/", "auth/password/change/"])
def test_a_wrong_old_password_is_refused_the_same_way_on_both_paths(user: Any, path: str) -> None:
    body: dict[str, str] = {"old_password": "not-mine", "new_password": NEW_PASSWORD}
    if path.startswith("auth/"):
        body = {"old_password": "not-mine", "new_password1": NEW_PASSWORD}
        body["new_password2"] = NEW_PASSWORD

    response = sign_in(user).post(f"{API}/{path}", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "old_password": ["Your current password is incorrect."]
    }
    assert response.json()["detail"] == "Your current password is incorrect."
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("path", ["users/change_password/", "auth/password/change/"])
def test_a_weak_new_password_is_refused_the_same_way_on_both_paths(user: Any, path: str) -> None:
    body: dict[str, str] = {"old_password": DEFAULT_PASSWORD, "new_password": "123"}
    if path.startswith("auth/"):
        body = {"old_password": DEFAULT_PASSWORD, "new_password1": "123", "new_password2": "123"}

    response = sign_in(user).post(f"{API}/{path}", body, format="json")

    assert response.status_code == 400
    assert "too short" in response.json()["error"]["fields"]["new_password"][0]


def test_a_user_who_is_not_staff_changes_their_password_under_users(user: Any) -> None:
    client = sign_in(user)

    response = client.post(
        f"{API}/users/change_password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"detail": "The new password has been saved."}
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Staff-only user management stays closed to them.
    assert client.get(f"{API}/users/").status_code == 403


def test_the_two_typed_passwords_must_agree_on_the_dj_rest_auth_path(user: Any) -> None:
    response = sign_in(user).post(
        f"{API}/auth/password/change/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["new_password2"]


def test_an_api_key_cannot_change_a_password(project: Any) -> None:
    _, raw_key = issue_api_key(project=project, scopes=("read", "write"))

    response = APIClient().post(
        f"{API}/users/change_password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
        HTTP_X_API_KEY=raw_key,
    )

    assert response.status_code == 403


def test_token_verify_accepts_a_valid_access_token_and_refuses_others(db: None) -> None:
    user = UserFactory()
    access = (
        APIClient()
        .post(
            f"{API}/auth/login/",
            {"username": user.username, "password": DEFAULT_PASSWORD},
            format="json",
        )
        .json()["access"]
    )
    anonymous = APIClient()

    valid = anonymous.post(f"{API}/auth/token/verify/", {"token": access}, format="json")
    forged = anonymous.post(
        f"{API}/auth/token/verify/", {"token": access[:-2] + "xx"}, format="json"
    )
    missing = anonymous.post(f"{API}/auth/token/verify/", {}, format="json")

    assert valid.status_code == 200
    assert forged.status_code == 401
    assert forged.json()["detail"]
    assert missing.status_code == 400
    assert "token" in missing.json()["error"]["fields"]
