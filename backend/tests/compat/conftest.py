"""A client written from the reference's guides: it signs in with a username and a
password, then sends the access token as a Bearer header and never keeps cookies."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

API = "/api/v1"


def sign_in(user: Any) -> APIClient:
    reference_client = APIClient()
    response = reference_client.post(
        f"{API}/auth/login/",
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    reference_client.cookies.clear()
    reference_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return reference_client


@pytest.fixture
def reference_client(user: Any) -> APIClient:
    return sign_in(user)


@pytest.fixture
def staff_client(staff_user: Any) -> APIClient:
    return sign_in(staff_user)
