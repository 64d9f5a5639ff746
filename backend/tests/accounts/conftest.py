from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

API = "/api/v1"


@pytest.fixture
def staff_client(staff_user: Any) -> APIClient:
    api_client = APIClient()
    api_client.force_authenticate(user=staff_user)
    return api_client


@pytest.fixture
def login(db: None) -> Callable[..., APIClient]:
    """Sign in through the API; the returned client carries the JWT cookies."""

    def _login(user: Any, *, enforce_csrf_checks: bool = False) -> APIClient:
        api_client = APIClient(enforce_csrf_checks=enforce_csrf_checks)
        response = api_client.post(
            f"{API}/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 200, response.content
        return api_client

    return _login
