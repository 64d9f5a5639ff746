"""A request is authenticated as of when it began to arrive: an upload that takes longer
than the rest of its access token's lifetime is not refused once its body is all there."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from projects.models import Project
from recotem.asgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
# A secret the CSRF check accepts in the cookie and the header alike.
CSRF = "a" * 32


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _slow_post(token: str, body: bytes, pause: float) -> tuple[int, dict[str, Any]]:
    """POSTs a new project whose body arrives in two halves, `pause` seconds apart."""
    cookies = f"recotem-access={token}; csrftoken={CSRF}".encode()
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/api/v1/project/",
        "raw_path": b"/api/v1/project/",
        "query_string": b"",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", cookies),
            (b"x-csrftoken", CSRF.encode()),
        ],
    }
    communicator = ApplicationCommunicator(application, scope)
    half = len(body) // 2
    await communicator.send_input({"type": "http.request", "body": body[:half], "more_body": True})
    await asyncio.sleep(pause)
    await communicator.send_input({"type": "http.request", "body": body[half:]})
    start = await communicator.receive_output(timeout=30)
    answer = await communicator.receive_output(timeout=30)
    return start["status"], json.loads(answer["body"])


def _token_expiring_in(seconds: float) -> tuple[str, Any]:
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=seconds))
    return str(token), user


@pytest.mark.anyio
async def test_a_body_that_arrives_after_the_token_expired_is_accepted() -> None:
    token, user = await sync_to_async(_token_expiring_in)(1.5)
    body = json.dumps({"name": "slow", "user_column": "u", "item_column": "i"}).encode()

    status, answer = await _slow_post(token, body, pause=2.5)

    assert status == 201, answer
    assert await Project.objects.filter(owner=user, name="slow").aexists()


@pytest.mark.anyio
async def test_a_token_expired_before_the_request_began_is_refused() -> None:
    token, _ = await sync_to_async(_token_expiring_in)(-1)
    body = json.dumps({"name": "late", "user_column": "u", "item_column": "i"}).encode()

    status, answer = await _slow_post(token, body, pause=0)

    assert status == 401, answer
    assert answer["error"]["code"] == "authentication_failed"
