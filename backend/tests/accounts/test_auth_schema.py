"""The schema describes what sign-in and refresh really answer: the SPA's types come from it."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from tests.accounts.conftest import API
from tests.factories import DEFAULT_PASSWORD
from tests.schema_shape import component_mismatches


def _sign_in(browser: APIClient, user: Any) -> Any:
    return browser.post(
        f"{API}/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )


def test_login_answers_what_its_schema_lists(user: Any) -> None:
    response = _sign_in(APIClient(), user)

    assert response.status_code == 200
    assert component_mismatches(response.json(), "LoginResponse") == []


def test_refresh_answers_what_its_schema_lists(user: Any) -> None:
    browser = APIClient()
    _sign_in(browser, user)

    response = browser.post(f"{API}/auth/token/refresh/")

    assert response.status_code == 200
    assert component_mismatches(response.json(), "TokenRefreshed") == []
