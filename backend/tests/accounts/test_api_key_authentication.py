"""``X-API-Key`` authentication, seen through a small view that lists visible projects."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from passlib.hash import django_pbkdf2_sha256
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts import authentication
from accounts.models import ApiKey
from accounts.services import api_key_revoke, user_deactivate
from core.ownership import Requester, visible_to
from projects.models import Project
from tests.factories import ProjectFactory, UserFactory, issue_api_key


class ProjectsView(APIView):
    """Uses the default authentication and permission classes, like every resource."""

    def get(self, request: Request) -> Response:
        visible = visible_to(Project.objects.all(), Requester.of(request))
        return Response({"ids": sorted(visible.values_list("id", flat=True))})

    def post(self, request: Request) -> Response:
        return Response(status=201)


def _call(method: str, raw_key: str) -> Response:
    factory = APIRequestFactory()
    request = getattr(factory, method)("/projects/", HTTP_X_API_KEY=raw_key)
    response: Response = ProjectsView.as_view()(request)
    return response


def test_a_valid_key_reads_and_records_its_use(project: Any) -> None:
    api_key, raw_key = issue_api_key(project=project)

    response = _call("get", raw_key)

    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_a_key_sees_only_its_own_project(user: Any) -> None:
    project_a = ProjectFactory(owner=user)
    ProjectFactory(owner=user)
    _, raw_key = issue_api_key(project=project_a)

    assert _call("get", raw_key).data == {"ids": [project_a.pk]}


def test_a_read_key_cannot_write_and_is_told_which_scope_is_missing(project: Any) -> None:
    _, raw_key = issue_api_key(project=project, scopes=("read",))

    response = _call("post", raw_key)

    assert response.status_code == 403
    assert response.data["error"]["message"] == (
        "This API key lacks the 'write' scope needed here; "
        "create a key with that scope for this project."
    )


def test_a_write_key_can_write(project: Any) -> None:
    _, raw_key = issue_api_key(project=project, scopes=("write",))

    assert _call("post", raw_key).status_code == 201


def test_a_predict_only_key_cannot_read_management_data(project: Any) -> None:
    _, raw_key = issue_api_key(project=project, scopes=("predict",))

    assert _call("get", raw_key).status_code == 403


@pytest.mark.parametrize(
    "raw_key",
    ["rctm_" + "x" * 48, "not-a-key", "rctm_short"],
    ids=["unknown", "wrong-shape", "too-short"],
)
def test_an_unknown_key_is_refused(db: None, raw_key: str) -> None:
    response = _call("get", raw_key)

    assert response.status_code == 401
    assert response.data["error"]["message"] == "Invalid API key."
    assert response["WWW-Authenticate"] == "X-API-Key"


def test_an_expired_key_is_refused(project: Any) -> None:
    api_key, raw_key = issue_api_key(project=project)
    assert _call("get", raw_key).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _call("get", raw_key)

    assert response.status_code == 401
    assert response.data["error"]["message"] == "This API key has expired."


def test_a_revoked_key_fails_immediately_even_after_a_cached_verification(
    project: Any,
) -> None:
    api_key, raw_key = issue_api_key(project=project)
    assert _call("get", raw_key).status_code == 200

    api_key_revoke(api_key=api_key)
    response = _call("get", raw_key)

    assert response.status_code == 401
    assert response.data["error"]["message"] == "This API key has been revoked."


def test_keys_of_a_deactivated_owner_stop_working(project: Any) -> None:
    _, raw_key = issue_api_key(project=project)
    assert _call("get", raw_key).status_code == 200

    user_deactivate(user=project.owner, acting_user=UserFactory(is_staff=True))
    response = _call("get", raw_key)

    assert response.status_code == 401
    assert response.data["error"]["message"] == ("The owner of this API key has been deactivated.")


# passlib imports the deprecated ``crypt`` module; its PBKDF2 hashers do not use it.
@pytest.mark.filterwarnings("ignore:'crypt' is deprecated:DeprecationWarning")
def test_stored_hash_is_django_pbkdf2_sha256_verifiable_with_passlib(
    project: Any, settings: Any
) -> None:
    # The production hasher, not the fast one the other tests use.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    api_key, raw_key = issue_api_key(project=project)

    assert api_key.hashed_key.startswith(f"pbkdf2_sha256${PBKDF2PasswordHasher.iterations}$")
    assert raw_key not in api_key.hashed_key
    assert django_pbkdf2_sha256.verify(raw_key, api_key.hashed_key)
    assert not django_pbkdf2_sha256.verify(raw_key + "x", api_key.hashed_key)


@pytest.fixture
def hashings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every PBKDF2 verification API-key authentication runs, by stored hash."""
    calls: list[str] = []
    real = authentication.check_password

    def counted(raw_key: str, hashed_key: str) -> bool:
        calls.append(hashed_key)
        return bool(real(raw_key, hashed_key))

    monkeypatch.setattr(authentication, "check_password", counted)
    return calls


def _from(raw_key: str, address: str) -> Response:
    request = APIRequestFactory().get("/projects/", HTTP_X_API_KEY=raw_key, REMOTE_ADDR=address)
    response: Response = ProjectsView.as_view()(request)
    return response


def _issued_without_digest(project: Any) -> str:
    """A key as issued before keys had a lookup digest: only PBKDF2 identifies it, so
    a wrong guess at it costs a hashing."""
    api_key, secret = issue_api_key(project=project)
    ApiKey.objects.filter(pk=api_key.pk).update(lookup_digest="")
    return secret


def test_a_key_is_identified_by_its_lookup_digest_without_hashing(
    project: Any, hashings: list[str]
) -> None:
    api_key, secret = issue_api_key(project=project)
    assert api_key.lookup_digest == hashlib.sha256(secret.encode()).hexdigest()
    # Not a hash of the key any more: only the digest can identify it.
    ApiKey.objects.filter(pk=api_key.pk).update(hashed_key="!")

    assert _call("get", secret).status_code == 200
    assert _call("get", secret[:13] + "x" * 40).status_code == 401
    assert hashings == []


def test_a_key_issued_without_a_digest_gets_one_at_its_first_verification(
    project: Any, hashings: list[str]
) -> None:
    secret = _issued_without_digest(project)

    assert _call("get", secret).status_code == 200
    cache.clear()
    assert _call("get", secret).status_code == 200

    assert len(hashings) == 1
    assert ApiKey.objects.get().lookup_digest == hashlib.sha256(secret.encode()).hexdigest()


def test_revoked_and_expired_keys_are_refused_without_hashing(
    project: Any, hashings: list[str]
) -> None:
    revoked, revoked_secret = issue_api_key(project=project)
    api_key_revoke(api_key=revoked)
    expired, expired_secret = issue_api_key(project=project)
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _call("get", revoked_secret).data["error"]["message"] == (
        "This API key has been revoked."
    )
    assert _call("get", expired_secret).data["error"]["message"] == "This API key has expired."
    # Anyone who knows a revoked key's prefix gets the same answer, as cheaply.
    guessed = revoked_secret[:13] + "x" * 40
    assert _call("get", guessed).status_code == 401
    assert hashings == []


def test_failed_verifications_are_throttled_per_client_before_hashing(
    project: Any, hashings: list[str], settings: Any
) -> None:
    settings.API_KEY_FAILURE_RATE = "3/minute"
    secret = _issued_without_digest(project)
    wrong = [secret[:13] + f"{n:040d}" for n in range(4)]
    for guess in wrong[:3]:
        assert _from(guess, "198.51.100.1").status_code == 401

    throttled = _from(wrong[3], "198.51.100.1")

    assert throttled.status_code == 429
    assert throttled.data["error"]["message"].startswith("Too many requests. Try again in ")
    assert len(hashings) == 3


def test_failed_verifications_are_throttled_per_key_prefix_across_clients(
    project: Any, hashings: list[str], settings: Any
) -> None:
    settings.API_KEY_FAILURE_RATE = "3/minute"
    secret = _issued_without_digest(project)
    for n in range(3):
        assert _from(secret[:13] + f"{n:040d}", f"198.51.100.{n}").status_code == 401

    assert _from(secret[:13] + "9" * 40, "203.0.113.9").status_code == 429
    # Another prefix from another client is still verified.
    assert _from("rctm_" + "y" * 48, "203.0.113.10").status_code == 401
    assert len(hashings) == 3


def test_api_keys_still_verify_while_the_cache_is_down(project: Any) -> None:
    _, secret = issue_api_key(project=project)
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.6.1:9/0",
        }
    }
    with override_settings(CACHES=unreachable):
        assert _call("get", secret).status_code == 200
        assert _call("get", "rctm_" + "z" * 48).status_code == 401
