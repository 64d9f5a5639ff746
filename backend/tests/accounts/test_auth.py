from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from tests.accounts.conftest import API
from tests.factories import DEFAULT_PASSWORD, UserFactory

ACCESS = django_settings.JWT_ACCESS_COOKIE
REFRESH = django_settings.JWT_REFRESH_COOKIE

Login = Callable[..., APIClient]


def test_login_sets_httponly_cookies_and_returns_user_and_access_token(user: Any) -> None:
    response = APIClient().post(
        f"{API}/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == user.username
    assert body["access"]
    assert not body["refresh"], "the refresh token must stay in its httpOnly cookie"
    for name in (ACCESS, REFRESH):
        assert response.cookies[name]["httponly"]
        assert response.cookies[name]["samesite"] == "Lax"


def test_login_records_when_the_user_last_signed_in(user: Any) -> None:
    assert user.last_login is None

    APIClient().post(
        f"{API}/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )

    user.refresh_from_db()
    assert user.last_login is not None


def test_login_with_a_wrong_password_is_refused_with_a_clear_message(user: Any) -> None:
    response = APIClient().post(
        f"{API}/auth/login/", {"username": user.username, "password": "wrong"}
    )

    assert response.status_code == 400
    assert "Unable to log in" in response.json()["error"]["message"]


def test_an_inactive_user_cannot_log_in(user: Any) -> None:
    user.is_active = False
    user.save()

    response = APIClient().post(
        f"{API}/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 400


def test_cookie_authenticated_read_works(user: Any, login: Login) -> None:
    response = login(user, enforce_csrf_checks=True).get(f"{API}/auth/user/")

    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_cookie_authenticated_write_needs_the_csrf_token(user: Any, login: Login) -> None:
    browser = login(user, enforce_csrf_checks=True)

    refused = browser.patch(f"{API}/auth/user/", {"first_name": "Ada"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]

    csrf = browser.get(f"{API}/auth/csrf/")
    assert csrf.status_code == 200
    token = csrf.json()["csrf_token"]
    assert browser.cookies["csrftoken"].value
    accepted = browser.patch(f"{API}/auth/user/", {"first_name": "Ada"}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    assert accepted.json()["first_name"] == "Ada"


def test_cookie_authenticated_post_needs_the_csrf_token(user: Any, login: Login) -> None:
    browser = login(user, enforce_csrf_checks=True)
    new_password = "another-good-passphrase-3"
    body = {
        "old_password": DEFAULT_PASSWORD,
        "new_password1": new_password,
        "new_password2": new_password,
    }

    refused = browser.post(f"{API}/auth/password/change/", body)
    assert refused.status_code == 403
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)

    token = browser.get(f"{API}/auth/csrf/").json()["csrf_token"]
    accepted = browser.post(f"{API}/auth/password/change/", body, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200


def test_bearer_token_works_without_csrf(user: Any) -> None:
    access = (
        APIClient()
        .post(f"{API}/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
        .json()["access"]
    )
    script = APIClient(enforce_csrf_checks=True)
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    assert script.get(f"{API}/auth/user/").status_code == 200
    assert script.patch(f"{API}/auth/user/", {"last_name": "L"}).status_code == 200


def test_refresh_rotates_and_the_old_refresh_token_is_rejected(user: Any, login: Login) -> None:
    browser = login(user)
    old_refresh = browser.cookies[REFRESH].value

    rotated = browser.post(f"{API}/auth/token/refresh/")
    assert rotated.status_code == 200
    assert rotated.json()["access"]
    new_refresh = browser.cookies[REFRESH].value
    assert new_refresh
    assert new_refresh != old_refresh

    replay = APIClient().post(f"{API}/auth/token/refresh/", {"refresh": old_refresh})
    assert replay.status_code == 401
    assert replay.json()["error"]["message"] == "Refresh token refused: Token is blacklisted."
    assert browser.post(f"{API}/auth/token/refresh/").status_code == 200


def test_refresh_without_a_token_says_what_is_missing(db: None) -> None:
    response = APIClient().post(f"{API}/auth/token/refresh/")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == (
        "Refresh token refused: No valid refresh token found."
    )


def test_logout_blacklists_the_refresh_cookie_and_clears_cookies(user: Any, login: Login) -> None:
    browser = login(user)
    refresh = browser.cookies[REFRESH].value

    response = browser.post(f"{API}/auth/logout/")

    assert response.status_code == 200
    assert response.cookies[ACCESS]["max-age"] == 0
    assert response.cookies[REFRESH]["max-age"] == 0
    again = APIClient().post(f"{API}/auth/token/refresh/", {"refresh": refresh})
    assert again.status_code == 401


def test_logout_accepts_the_refresh_token_in_the_body(user: Any, login: Login) -> None:
    refresh = login(user).cookies[REFRESH].value

    response = APIClient().post(f"{API}/auth/logout/", {"refresh": refresh})

    assert response.status_code == 200
    replay = APIClient().post(f"{API}/auth/token/refresh/", {"refresh": refresh})
    assert replay.status_code == 401


def test_logout_without_a_refresh_token_says_where_to_send_it(db: None) -> None:
    response = APIClient().post(f"{API}/auth/logout/")

    assert response.status_code == 400
    assert REFRESH in response.json()["error"]["message"]


def test_logout_with_a_garbage_token_is_refused_but_still_clears_cookies(db: None) -> None:
    response = APIClient().post(f"{API}/auth/logout/", {"refresh": "not-a-token"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response.cookies[ACCESS]["max-age"] == 0


def test_user_details_show_server_fields_read_only(user: Any, client: APIClient) -> None:
    response = client.patch(
        f"{API}/auth/user/", {"is_staff": True, "is_active": False, "first_name": "B"}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "pk",
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "date_joined",
        "last_login",
        "is_superuser",
    }
    assert body["first_name"] == "B"
    user.refresh_from_db()
    assert not user.is_staff
    assert user.is_active


def test_password_change_requires_the_correct_old_password(user: Any, login: Login) -> None:
    browser = login(user)
    new_password = "a-much-better-passphrase-7"

    wrong = browser.post(
        f"{API}/auth/password/change/",
        {
            "old_password": "not-my-password",
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert wrong.status_code == 400
    assert "old_password" in wrong.json()["error"]["fields"]

    right = browser.post(
        f"{API}/auth/password/change/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert right.status_code == 200
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_change_rejects_a_weak_password(user: Any, client: APIClient) -> None:
    response = client.post(
        f"{API}/auth/password/change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "123", "new_password2": "123"},
    )

    assert response.status_code == 400
    assert "too short" in response.json()["error"]["message"]


def test_login_records_an_outstanding_refresh_token(user: Any, login: Login) -> None:
    login(user)

    assert OutstandingToken.objects.filter(user=user).count() == 1


# --- throttling -----------------------------------------------------------------------


@pytest.fixture
def login_rate(settings: Any) -> Callable[[int], None]:
    """Three login attempts a minute, behind ``num_proxies`` proxies."""

    def configure(num_proxies: int) -> None:
        rest_framework = dict(settings.REST_FRAMEWORK)
        rest_framework["DEFAULT_THROTTLE_RATES"] = {
            **rest_framework["DEFAULT_THROTTLE_RATES"],
            "login": "3/minute",
        }
        rest_framework["NUM_PROXIES"] = num_proxies
        settings.REST_FRAMEWORK = rest_framework

    return configure


def _attempt(user: Any, forwarded_for: str, password: str = "wrong") -> Any:  # noqa: S107
    return APIClient().post(
        f"{API}/auth/login/",
        {"username": user.username, "password": password},
        HTTP_X_FORWARDED_FOR=forwarded_for,
        REMOTE_ADDR="10.0.0.1",
    )


def test_logins_over_the_limit_get_429_with_the_error_envelope(
    user: Any, login_rate: Callable[[int], None]
) -> None:
    login_rate(0)
    for _ in range(3):
        assert _attempt(user, "198.51.100.1").status_code == 400

    response = _attempt(user, "198.51.100.1", password=DEFAULT_PASSWORD)

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"].startswith("Too many requests. Try again in ")
    assert int(response["Retry-After"]) > 0


def test_without_proxies_a_spoofed_forwarded_for_does_not_reset_the_throttle(
    user: Any, login_rate: Callable[[int], None]
) -> None:
    login_rate(0)
    for i in range(3):
        assert _attempt(user, f"198.51.100.{i}").status_code == 400

    assert _attempt(user, "198.51.100.99").status_code == 429


def test_behind_one_proxy_only_the_address_the_proxy_saw_counts(
    user: Any, login_rate: Callable[[int], None]
) -> None:
    login_rate(1)
    for i in range(3):
        assert _attempt(user, f"198.51.100.{i}, 203.0.113.7").status_code == 400

    assert _attempt(UserFactory(), "198.51.100.99, 203.0.113.7").status_code == 429
    # Another real client behind the same proxy has its own budget.
    assert _attempt(UserFactory(), "198.51.100.1, 203.0.113.8").status_code == 400


def test_password_change_shares_the_login_limit(
    user: Any, client: APIClient, login_rate: Callable[[int], None]
) -> None:
    login_rate(0)
    body = {"old_password": "guess", "new_password1": "x", "new_password2": "x"}
    for _ in range(3):
        assert client.post(f"{API}/auth/password/change/", body).status_code == 400

    assert client.post(f"{API}/auth/password/change/", body).status_code == 429


def test_guesses_at_one_account_from_many_addresses_meet_one_limit(
    user: Any, login_rate: Callable[[int], None]
) -> None:
    login_rate(1)
    for i in range(3):
        assert _attempt(user, f"10.0.0.2, 198.51.100.{i}").status_code == 400

    response = _attempt(user, "10.0.0.2, 198.51.100.77", password=DEFAULT_PASSWORD)

    assert response.status_code == 429
    # Other accounts are not held back.
    assert _attempt(UserFactory(), "10.0.0.2, 198.51.100.78").status_code == 400


def _admin_attempt(username: str, address: str, password: str = "wrong") -> Any:  # noqa: S107
    return Client().post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_the_admin_sign_in_has_the_api_sign_in_limits(
    db: None, login_rate: Callable[[int], None]
) -> None:
    login_rate(0)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(3):
        assert _admin_attempt(admin_user.username, "198.51.100.5").status_code == 200

    right = _admin_attempt(admin_user.username, "198.51.100.5", password=DEFAULT_PASSWORD)

    assert right.status_code == 429
    assert right.json()["error"]["code"] == "throttled"
    assert int(right["Retry-After"]) > 0
    # Per account too: another address guessing the same account is held back.
    assert _admin_attempt(admin_user.username, "198.51.100.6").status_code == 429
    # And an address that did not guess signs in to another account.
    other = UserFactory(is_staff=True)
    assert _admin_attempt(other.username, "198.51.100.7", DEFAULT_PASSWORD).status_code == 302


def test_throttles_let_requests_through_while_the_cache_is_down(
    user: Any, login_rate: Callable[[int], None]
) -> None:
    login_rate(0)
    # Nothing listens there: every cache call fails to connect.
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.6.1:9/0",
        }
    }
    with override_settings(CACHES=unreachable):
        for _ in range(5):
            assert _attempt(user, "198.51.100.1").status_code == 400
        signed_in = _attempt(user, "198.51.100.1", password=DEFAULT_PASSWORD)

    assert signed_in.status_code == 200


def _refreshes(browser: APIClient) -> int:
    return browser.post(f"{API}/auth/token/refresh/").status_code


def test_changing_ones_password_ends_ones_other_sessions(user: Any, login: Login) -> None:
    laptop, phone = login(user), login(user)
    new_password = "a-much-better-passphrase-7"

    changed = laptop.post(
        f"{API}/auth/password/change/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )

    assert changed.status_code == 200
    assert _refreshes(phone) == 401
    # The session that changed the password goes on.
    assert _refreshes(laptop) == 200


def test_signing_out_everywhere_ends_every_session(user: Any, login: Login) -> None:
    laptop, phone = login(user), login(user)

    response = laptop.post(f"{API}/auth/logout/everywhere/")

    assert response.status_code == 200
    assert response.json()["detail"] == "Signed out of 2 sessions."
    assert response.cookies["recotem-refresh"].value == ""
    assert _refreshes(phone) == 401
    assert OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).count() == 0
